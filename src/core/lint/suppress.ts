// Inline suppressions, in any comment syntax a prompt file may use:
//   <!-- promptsmith-disable-next-line pii-email -- test fixture -->
//   # promptsmith-disable injection
//   // promptsmith-enable
//   {# promptsmith-disable-next-line secret -- documented example #}
// A rule list may name rule ids or categories; no list means every rule.

export interface Suppression {
    kind: "disable-next-line" | "disable" | "enable";
    /** Rule ids or categories; empty = all. */
    rules: string[];
    reason?: string;
    /** 0-based line of the comment. */
    line: number;
    /** Range of the whole directive line in the text (for the "remove unused suppression" fix). */
    start: number;
    end: number;
}

const DIRECTIVE = /(?:<!--|\/\/|#|\{#)[ \t]*promptsmith-(disable-next-line|disable|enable)\b(.*)$/;

export function parseSuppressions(text: string): Suppression[] {
    if (!text.includes("promptsmith-")) return [];
    const out: Suppression[] = [];
    let lineStart = 0;
    let line = 0;
    while (lineStart <= text.length) {
        let lineEnd = text.indexOf("\n", lineStart);
        if (lineEnd < 0) lineEnd = text.length;
        const raw = text.slice(lineStart, lineEnd);
        if (raw.includes("promptsmith-")) {
            const m = DIRECTIVE.exec(raw.replace(/\r$/, ""));
            if (m) {
                const rest = m[2]!.replace(/\s*(-->|#\})\s*$/, "");
                const [list, ...reasonParts] = rest.split(/\s--\s|\s--$/);
                const reason = reasonParts.join(" -- ").trim();
                out.push({
                    kind: m[1] as Suppression["kind"],
                    rules: (list ?? "").split(/[\s,]+/).map((r) => r.trim()).filter(Boolean),
                    ...(reason ? { reason } : {}),
                    line,
                    start: lineStart,
                    end: Math.min(text.length, lineEnd + 1),
                });
            }
        }
        if (lineEnd === text.length) break;
        lineStart = lineEnd + 1;
        line++;
    }
    return out;
}

export interface Suppressible {
    ruleId: string;
    category: string;
    start: number;
}

/** Line index of each offset, by binary search over line starts. */
export function lineStarts(text: string): number[] {
    const starts = [0];
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    return starts;
}

export function lineOf(starts: readonly number[], offset: number): number {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid]! <= offset) lo = mid;
        else hi = mid - 1;
    }
    return lo;
}

const covers = (s: Suppression, f: Suppressible) => s.rules.length === 0 || s.rules.includes(f.ruleId) || s.rules.includes(f.category);

/**
 * Splits findings into kept and suppressed, and returns the suppressions that suppressed nothing
 * ("enable" directives are never unused: they only end a "disable").
 */
export function applySuppressions<T extends Suppressible>(findings: T[], suppressions: Suppression[], starts: readonly number[]): { kept: T[]; suppressed: T[]; unused: Suppression[] } {
    if (suppressions.length === 0) return { kept: findings, suppressed: [], unused: [] };
    const used = new Set<Suppression>();
    const kept: T[] = [];
    const suppressed: T[] = [];
    for (const f of findings) {
        const line = lineOf(starts, f.start);
        let by: Suppression | undefined;
        // Open "disable" ranges at this line: the last disable/enable for this finding's rule before the line decides.
        for (const s of suppressions) {
            if (s.line >= line) break;
            if (!covers(s, f)) continue;
            if (s.kind === "disable") by = s;
            else if (s.kind === "enable") by = undefined;
        }
        if (!by) by = suppressions.find((s) => s.kind === "disable-next-line" && s.line === line - 1 && covers(s, f));
        if (by) {
            used.add(by);
            suppressed.push(f);
        } else {
            kept.push(f);
        }
    }
    return { kept, suppressed, unused: suppressions.filter((s) => s.kind !== "enable" && !used.has(s)) };
}
