// Model output as text: a <pre> filled with text nodes while it streams, then rebuilt with the output
// linter's findings wrapped in <mark> elements. Never innerHTML: the text stays text, whatever the model
// wrote (tags, scripts, entities).
import type { OutputFinding } from "../../src/protocol/playground.ts";
import { el } from "./dom.ts";

/** Appends streamed text. */
export function appendText(pre: HTMLElement, text: string): void {
    const last = pre.lastChild;
    if (last && last.nodeType === Node.TEXT_NODE) (last as Text).appendData(text);
    else pre.append(document.createTextNode(text));
}

/**
 * Replaces the content with `text`, wrapping each finding's range in <mark class="flag finding-…">
 * (overlapping ranges are merged into the first; the mark's title names the rules).
 */
export function renderOutput(pre: HTMLElement, text: string, findings: readonly OutputFinding[]): void {
    pre.replaceChildren();
    const ranges = mergeRanges(text.length, findings);
    let at = 0;
    for (const r of ranges) {
        if (r.start > at) pre.append(document.createTextNode(text.slice(at, r.start)));
        const mark = el("mark", {
            className: `flag severity-${r.severity}`,
            attrs: { title: r.messages.join("\n"), "data-rules": r.rules.join(" ") },
        });
        mark.textContent = text.slice(r.start, r.end);
        pre.append(mark);
        at = r.end;
    }
    if (at < text.length) pre.append(document.createTextNode(text.slice(at)));
}

interface Range {
    start: number;
    end: number;
    severity: OutputFinding["severity"];
    rules: string[];
    messages: string[];
}

const RANK = { info: 1, warning: 2, error: 3 } as const;

export function mergeRanges(length: number, findings: readonly OutputFinding[]): Range[] {
    const sorted = findings
        .map((f) => ({ ...f, start: Math.max(0, Math.min(length, f.start)), end: Math.max(0, Math.min(length, f.end)) }))
        .filter((f) => f.end > f.start)
        .sort((a, b) => a.start - b.start || b.end - a.end);
    const out: Range[] = [];
    for (const f of sorted) {
        const prev = out[out.length - 1];
        if (prev && f.start < prev.end) {
            prev.end = Math.max(prev.end, f.end);
            if (RANK[f.severity] > RANK[prev.severity]) prev.severity = f.severity;
            if (!prev.rules.includes(f.ruleId)) prev.rules.push(f.ruleId);
            prev.messages.push(`${f.ruleId}: ${f.message}`);
        } else {
            out.push({ start: f.start, end: f.end, severity: f.severity, rules: [f.ruleId], messages: [`${f.ruleId}: ${f.message}`] });
        }
    }
    return out;
}
