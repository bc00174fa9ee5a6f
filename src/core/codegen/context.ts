// Context packing: which pieces of the editor's code go into a code generation prompt, under a token
// budget.
//
// Candidates are taken by priority: the selection, then the current file, then the open files in the
// order given. A candidate that fits goes in whole. One that does not is cut at line boundaries (the
// current file keeps a window of lines around the cursor, the others their first lines) when at least a
// useful part of it fits, and its label says which lines were kept. Empty candidates and repeats of
// code already taken (a selection that is the whole file) are left out.
//
// What is counted is what the prompt holds: each snippet's rendered block (label, fence, code) and the
// blank line after it, plus the introduction line once when any snippet is taken (see prompt.ts).
// PackResult.tokens is that total and never exceeds the budget.
//
// Cost: the counter may be expensive (a real tokenizer), so each candidate is counted once whole; a
// candidate that must be cut is counted once per line, the window is chosen from prefix sums of those
// line counts, and only the chosen window is counted again (to be exact: a line's count and its count
// inside the text can differ by a token where tokens join across line ends). When that exact count
// is over, the window is chosen again for a target lowered by the overshoot; this converges in one or
// two rounds in practice and is bounded.
import type { ContextSnippet } from "./prompt.ts";
import { CONTEXT_INTRO, isEmptySnippet, languageFromPath, normalizeLanguage, renderContextBlock } from "./prompt.ts";

export interface ContextCandidate {
    id: string;
    kind: "selection" | "currentFile" | "openFile";
    label: string;
    code: string;
    language?: string;
    /** currentFile: cursor offset (UTF-16); a file that does not fit whole keeps the lines around it */
    focusOffset?: number;
}

export interface PackedSnippet extends ContextSnippet {
    id: string;
    kind: ContextCandidate["kind"];
    tokens: number;
    truncated: boolean;
    /** when truncated: the 1-based line range kept */
    lines?: [number, number];
}

export interface PackResult {
    snippets: PackedSnippet[];
    omitted: Array<{ id: string; label: string; tokens: number; reason: "budget" | "empty" | "duplicate" }>;
    /** Tokens of the included snippets plus the context introduction line (when any snippet is included). */
    tokens: number;
    budget: number;
}

export interface PackOptions {
    /** A cut snippet is kept only when it keeps at least this many non-blank lines (default 3, or all
     * the non-blank lines of a shorter candidate). */
    minLines?: number;
}

/** Default share of the free context window that context code may take (setting promptsmith.codegen.contextBudgetShare). */
export const DEFAULT_CONTEXT_SHARE = 0.5;

const KIND_RANK: Record<ContextCandidate["kind"], number> = { selection: 0, currentFile: 1, openFile: 2 };

/** The largest label suffix a cut snippet can get, for the overhead estimate ("–" is an en dash). */
const SUFFIX_ESTIMATE = " (lines 9999999–9999999)";

/** At most this many exact recounts of a cut snippet before giving up on it. */
const MAX_ROUNDS = 8;

const lf = (s: string) => s.replace(/\r\n?/g, "\n");

/** Tokens left for context: share × (contextSize − maxTokens − promptTokens), never negative. share default 0.5 (setting promptsmith.codegen.contextBudgetShare). */
export function contextBudget(o: { contextSize: number; maxTokens: number; promptTokens: number; share?: number }): number {
    const share = o.share === undefined || !Number.isFinite(o.share) ? DEFAULT_CONTEXT_SHARE : Math.min(1, Math.max(0, o.share));
    const free = o.contextSize - o.maxTokens - o.promptTokens;
    if (!Number.isFinite(free) || free <= 0) return 0;
    return Math.max(0, Math.floor(share * free));
}

/** Packs context candidates into `budget` tokens as counted by `count` (see the file comment). */
export function packContext(candidates: ContextCandidate[], budget: number, count: (text: string) => number, options: PackOptions = {}): PackResult {
    const limit = Number.isFinite(budget) ? Math.max(0, Math.floor(budget)) : 0;
    const minLines = Math.max(1, Math.floor(options.minLines ?? 3));
    const ordered = candidates.map((c, i) => ({ c, i })).sort((a, b) => KIND_RANK[a.c.kind] - KIND_RANK[b.c.kind] || a.i - b.i).map((x) => x.c);
    const snippets: PackedSnippet[] = [];
    const omitted: PackResult["omitted"] = [];
    const seen = new Set<string>();
    const intro = count(CONTEXT_INTRO);
    let used = 0;
    for (const c of ordered) {
        if (isEmptySnippet(c)) {
            omitted.push({ id: c.id, label: c.label, tokens: 0, reason: "empty" });
            continue;
        }
        const key = lf(c.code).trim();
        const language = normalizeLanguage(c.language) || languageFromPath(c.label) || undefined;
        const base: ContextSnippet = { label: c.label, code: c.code, ...(language ? { language } : {}) };
        if (seen.has(key)) {
            omitted.push({ id: c.id, label: c.label, tokens: count(blockText(base, snippets.length)), reason: "duplicate" });
            continue;
        }
        seen.add(key);
        const whole = count(blockText(base, snippets.length));
        // The introduction line is paid once, with the first snippet.
        const room = limit - used - (snippets.length === 0 ? intro : 0);
        if (whole <= room) {
            snippets.push({ ...base, id: c.id, kind: c.kind, tokens: whole, truncated: false });
            used += whole + (snippets.length === 1 ? intro : 0);
            continue;
        }
        const cut = room > 0 ? truncate(c, base, room, snippets.length, count, minLines) : undefined;
        if (!cut) {
            omitted.push({ id: c.id, label: c.label, tokens: whole, reason: "budget" });
            continue;
        }
        snippets.push(cut);
        used += cut.tokens + (snippets.length === 1 ? intro : 0);
    }
    return { snippets, omitted, tokens: used, budget: limit };
}

/** What one snippet costs in the prompt: its block and the blank line after it. */
function blockText(snippet: ContextSnippet, index: number): string {
    return renderContextBlock(snippet, index) + "\n\n";
}

/** The 0-based line of a UTF-16 offset (a \r\n pair is one line break, as in the prompt). */
function lineAt(code: string, offset: number): number {
    const o = Math.max(0, Math.min(code.length, Math.floor(offset)));
    let line = 0;
    for (let i = 0; i < o; i++) {
        const ch = code.charCodeAt(i);
        if (ch === 10) line++;
        else if (ch === 13 && code.charCodeAt(i + 1) !== 10) line++;
    }
    return line;
}

/** The largest part of `c` that fits in `room` tokens, cut at line boundaries, or undefined when no useful part fits. */
function truncate(c: ContextCandidate, base: ContextSnippet, room: number, index: number, count: (text: string) => number, minLines: number): PackedSnippet | undefined {
    const lines = lf(c.code).split("\n");
    // Trailing empty lines are dropped by the prompt anyway.
    while (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    const n = lines.length;
    const lineTokens = lines.map((l) => count(l + "\n"));
    const prefix = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + lineTokens[i]!;
    const sum = (a: number, b: number) => prefix[b + 1]! - prefix[a]!; // lines a..b inclusive
    const nonBlank = lines.map((l) => (l.trim() === "" ? 0 : 1));
    const nbPrefix = new Array<number>(n + 1).fill(0);
    for (let i = 0; i < n; i++) nbPrefix[i + 1] = nbPrefix[i]! + nonBlank[i]!;
    const needed = Math.min(minLines, nbPrefix[n]!);

    const overhead = count(blockText({ ...base, label: base.label + SUFFIX_ESTIMATE, code: "" }, index));
    const focus = c.kind === "currentFile" && c.focusOffset !== undefined ? Math.min(n - 1, lineAt(c.code, c.focusOffset)) : undefined;
    let target = room - overhead;
    for (let round = 0; round < MAX_ROUNDS && target > 0; round++) {
        const range = focus !== undefined ? windowAround(focus, n, target, sum) : head(n, target, sum);
        if (!range) return undefined;
        const [a, b] = range;
        if (nbPrefix[b + 1]! - nbPrefix[a]! < needed) return undefined;
        const snippet: ContextSnippet = {
            label: `${base.label} (lines ${a + 1}–${b + 1})`,
            code: lines.slice(a, b + 1).join("\n"),
            // The suffix hides the file extension the language would otherwise be guessed from.
            ...(base.language ? { language: base.language } : {}),
        };
        const tokens = count(blockText(snippet, index));
        if (tokens <= room) return { ...snippet, id: c.id, kind: c.kind, tokens, truncated: true, lines: [a + 1, b + 1] };
        // Per-line counts under-estimated the window: aim lower by the overshoot and choose again.
        target -= tokens - room;
    }
    return undefined;
}

/** The first lines whose counts fit in `target`. */
function head(n: number, target: number, sum: (a: number, b: number) => number): [number, number] | undefined {
    // Binary search over the prefix sums: the last line b with sum(0, b) <= target.
    let lo = -1;
    let hi = n - 1;
    while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (sum(0, mid) <= target) lo = mid;
        else hi = mid - 1;
    }
    return lo < 0 ? undefined : [0, lo];
}

/** A window of lines around `focus` whose counts fit in `target`, grown one line above, one below, in turn. */
function windowAround(focus: number, n: number, target: number, sum: (a: number, b: number) => number): [number, number] | undefined {
    if (sum(focus, focus) > target) return undefined;
    let a = focus;
    let b = focus;
    let up = true;
    for (;;) {
        const canUp = a > 0 && sum(a - 1, b) <= target;
        const canDown = b < n - 1 && sum(a, b + 1) <= target;
        if (!canUp && !canDown) break;
        if ((up && canUp) || !canDown) a--;
        else b++;
        up = !up;
    }
    return [a, b];
}
