// Turns generated code into an edit of a document: where it goes, what the document looks like before
// and after (what the diff preview shows), and how to find the same place again when the document
// changed between the preview and "accept".
//
// Offsets are UTF-16 code units, like VS Code's document.offsetAt and JavaScript string indices.
//
// planEdit shapes the code for its place:
//   - line ends: the document's own (a CRLF document gets CRLF);
//   - indentation: the code is first de-indented (the common leading whitespace of its non-blank lines
//     removed), then every line after the first gets the target indentation; the first line gets it
//     only when the cursor / selection start is in the line's leading whitespace (after code on the
//     line, the first line continues it). Target: insert, the insertion line's own indentation, or for
//     an empty line the nearest non-blank line below (above when that line closes a block: `}`, `]`,
//     `)`, `end`...); replace, the first non-blank line of the selection. With `insertSpaces`/`tabSize`
//     (the editor's options) the code's own indentation is converted to tabs or spaces;
//   - line breaks around it: inserting at the start of a line that has text after the cursor adds a
//     line break (the text moves down, with its indentation kept); inserting on an empty last line
//     keeps the file's final newline; a replaced selection that ended with a line break keeps one;
//     inserting on a blank line between two blocks (a non-blank line above, one below that does not
//     close a block) keeps a blank line between the code and each of them (none is added right after
//     a line that opens a block: `{`, `(`, `[`, `:`).
//
// rebaseEdit finds the place again from an anchor (the replaced text and up to three lines of
// context each side). It tries the whole anchor, then fewer context lines, then one side only (with at
// least a dozen non-blank characters of context), and accepts a place only when it is the only one in
// the document. The replaced text is never looked for without context: a copy of it elsewhere is not
// the same place. Two equal candidates are a conflict, never a guess; so is a replaced text that was
// edited or removed.
import { PromptsmithError } from "../errors.ts";

export type EditMode = "insert" | "replace" | "newFile";

export interface EditTarget {
    mode: EditMode;
    uri?: string;
    documentText?: string;
    version?: number;
    /** insert: start = end = cursor; replace: the selection */
    start?: number;
    end?: number;
    languageId?: string;
    /** The editor's indentation options (TextEditorOptions): when set, the code's indentation uses tabs or spaces to match. */
    insertSpaces?: boolean;
    tabSize?: number;
}

export interface PlannedEdit {
    mode: EditMode;
    uri?: string;
    version?: number;
    start: number;
    end: number;
    newText: string;
    /** whole document before */
    before: string;
    /** whole document after: what the diff preview shows */
    after: string;
    languageId?: string;
    anchor: { removed: string; prefix: string; suffix: string };
}

export type RebaseResult = { status: "same"; plan: PlannedEdit } | { status: "rebased"; plan: PlannedEdit; note: string } | { status: "conflict"; reason: string };

/** Context lines kept on each side of the edit in the anchor. */
const ANCHOR_LINES = 3;
/** At most this many characters of context on each side (minified files have very long lines). */
const ANCHOR_CHARS = 600;
/** A one-sided or context-free match needs at least this many non-blank characters of text to count. */
const MIN_UNIQUE_CHARS = 12;

const CLOSER = /^(?:[}\])]|end\b|fi\b|done\b|esac\b|<\/)/;
/** A line that opens a block (no blank line is added right after it). */
const OPENER = /[{[(:]\s*$/;

function lineStartOf(text: string, offset: number): number {
    return text.lastIndexOf("\n", offset - 1) + 1;
}

function lineEndOf(text: string, offset: number): number {
    const i = text.indexOf("\n", offset);
    if (i < 0) return text.length;
    return i > 0 && text[i - 1] === "\r" ? i - 1 : i;
}

/** The line break a document uses: CRLF when most of its line breaks are CRLF, else LF. */
export function eolOf(text: string): "\n" | "\r\n" {
    let crlf = 0;
    let lf = 0;
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
        if (i > 0 && text[i - 1] === "\r") crlf++;
        else lf++;
    }
    return crlf > lf ? "\r\n" : "\n";
}

const leadingWs = (line: string) => /^[ \t]*/.exec(line)![0];

function clamp(n: number | undefined, len: number): number {
    if (n === undefined || !Number.isFinite(n)) return 0;
    return Math.max(0, Math.min(len, Math.floor(n)));
}

/** Moves an offset that falls inside a CRLF pair or a surrogate pair to the start of the pair. */
function snap(text: string, offset: number): number {
    if (offset > 0 && offset < text.length) {
        const prev = text.charCodeAt(offset - 1);
        const next = text.charCodeAt(offset);
        if ((prev === 13 && next === 10) || (prev >= 0xd800 && prev <= 0xdbff && next >= 0xdc00 && next <= 0xdfff)) return offset - 1;
    }
    return offset;
}

/** The indentation code inserted at an empty line should get: the nearest non-blank line below, or above when that one closes a block. */
function indentForEmptyLine(doc: string, lineStart: number): string {
    const below = nonBlankLine(doc, lineStart, 1);
    if (below !== undefined && !CLOSER.test(below.trimStart())) return leadingWs(below);
    const above = nonBlankLine(doc, lineStart, -1);
    if (above !== undefined) return leadingWs(above);
    return below !== undefined ? leadingWs(below) : "";
}

/**
 * The blank line at `lineStart` when it is part of the blank lines between two blocks of text (a
 * non-blank line above, and one below that does not close a block): the nearest non-blank line above,
 * and whether the lines right above and below it are blank too.
 */
function blankSeparator(doc: string, lineStart: number): { above: string; blankAbove: boolean; blankBelow: boolean } | undefined {
    if (doc.slice(lineStart, lineEndOf(doc, lineStart)).trim() !== "") return undefined;
    const above = nonBlankLine(doc, lineStart, -1);
    const below = nonBlankLine(doc, lineStart, 1);
    if (above === undefined || below === undefined || CLOSER.test(below.trimStart())) return undefined;
    const prev = lineStart > 0 ? doc.slice(lineStartOf(doc, lineStart - 1), lineEndOf(doc, lineStart - 1)) : "";
    const nl = doc.indexOf("\n", lineStart);
    const next = nl >= 0 ? doc.slice(nl + 1, lineEndOf(doc, nl + 1)) : "";
    return { above, blankAbove: prev.trim() === "", blankBelow: next.trim() === "" };
}

function nonBlankLine(doc: string, lineStart: number, dir: 1 | -1): string | undefined {
    let pos = lineStart;
    for (;;) {
        if (dir > 0) {
            const nl = doc.indexOf("\n", pos);
            if (nl < 0) return undefined;
            pos = nl + 1;
        } else {
            if (pos === 0) return undefined;
            pos = lineStartOf(doc, pos - 1);
        }
        const line = doc.slice(pos, lineEndOf(doc, pos));
        if (line.trim() !== "") return line;
    }
}

/** The code's lines with the common leading whitespace of its non-blank lines removed, trailing blank lines dropped. */
function dedent(code: string): string[] {
    const lines = code.replace(/\r\n?/g, "\n").split("\n").map((l) => l.replace(/[ \t]+$/, ""));
    while (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
    while (lines.length > 1 && lines[0] === "") lines.shift();
    let common: string | undefined;
    for (const line of lines) {
        if (line === "") continue;
        const ws = leadingWs(line);
        if (common === undefined) common = ws;
        else {
            let k = 0;
            while (k < common.length && k < ws.length && common[k] === ws[k]) k++;
            common = common.slice(0, k);
        }
    }
    const cut = common?.length ?? 0;
    return lines.map((l) => (l === "" ? "" : l.slice(cut)));
}

/** Converts a line's leading indentation to tabs or spaces (the editor's options). */
function convertIndent(line: string, insertSpaces: boolean | undefined, tabSize: number | undefined): string {
    if (insertSpaces === undefined) return line;
    const size = tabSize && tabSize > 0 ? Math.floor(tabSize) : 4;
    const ws = leadingWs(line);
    if (ws === "") return line;
    let width = 0;
    for (const ch of ws) width = ch === "\t" ? width + size - (width % size) : width + 1;
    const indent = insertSpaces ? " ".repeat(width) : "\t".repeat(Math.floor(width / size)) + " ".repeat(width % size);
    return indent + line.slice(ws.length);
}

/** Plans where and how `code` goes into the target document (see the file comment). */
export function planEdit(target: EditTarget, code: string): PlannedEdit {
    const base = {
        ...(target.uri !== undefined ? { uri: target.uri } : {}),
        ...(target.version !== undefined ? { version: target.version } : {}),
        ...(target.languageId !== undefined ? { languageId: target.languageId } : {}),
    };
    if (target.mode === "newFile") {
        return { mode: "newFile", ...base, start: 0, end: 0, newText: code, before: "", after: code, anchor: { removed: "", prefix: "", suffix: "" } };
    }
    const doc = target.documentText;
    if (doc === undefined) {
        throw new PromptsmithError({ code: "INTERNAL", message: `An ${target.mode} edit needs the document's text.`, fix: "Pass documentText in the edit target." });
    }
    let start = snap(doc, clamp(target.start, doc.length));
    let end = target.mode === "insert" ? start : snap(doc, clamp(target.end ?? target.start, doc.length));
    if (end < start) [start, end] = [end, start];
    const eol = eolOf(doc);
    const removed = doc.slice(start, end);

    const lineStart = lineStartOf(doc, start);
    const linePrefix = doc.slice(lineStart, start);
    const atIndent = /^[ \t]*$/.test(linePrefix);
    let indent: string;
    if (target.mode === "replace" && end > start) {
        // The first non-blank line of the selection (its whole line's indentation).
        const firstText = /\S/.exec(removed);
        const at = firstText ? start + firstText.index : start;
        const ls = lineStartOf(doc, at);
        indent = leadingWs(doc.slice(ls, lineEndOf(doc, ls)));
    } else {
        const line = doc.slice(lineStart, lineEndOf(doc, lineStart));
        indent = line.trim() === "" && leadingWs(line) === "" ? indentForEmptyLine(doc, lineStart) : leadingWs(line);
    }

    const restOfLine = doc.slice(end, lineEndOf(doc, end));
    const separator = target.mode === "insert" || end === start ? blankSeparator(doc, lineStart) : undefined;
    // A blank line between two blocks: keep one on the side that has no other blank line.
    const blankBefore = !!separator && !separator.blankAbove && !OPENER.test(separator.above);
    const blankAfter = !!separator && !separator.blankBelow && restOfLine === "";

    const lines = dedent(code).map((l) => convertIndent(l, target.insertSpaces, target.tabSize));
    const shaped = lines.map((l, i) => {
        if (l === "") return "";
        if (i > 0 || blankBefore) return indent + l;
        // First line: fill up the indentation only when the cursor is inside it.
        return atIndent && indent.startsWith(linePrefix) ? indent.slice(linePrefix.length) + l : l;
    });
    let newText = (blankBefore ? eol : "") + shaped.join(eol) + (blankAfter ? eol : "");

    if (target.mode === "insert" || end === start) {
        if (atIndent && restOfLine !== "") {
            // Text follows on this line: it moves to the next line with its indentation.
            newText += eol + linePrefix;
        } else if (linePrefix === "" && restOfLine === "" && end === doc.length && start > 0 && doc.endsWith("\n")) {
            // An empty last line of a file that ends with a line break: keep the final newline.
            newText += eol;
        }
    } else if (/\r?\n$/.test(removed) && !newText.endsWith("\n")) {
        newText += eol;
    }
    const after = doc.slice(0, start) + newText + doc.slice(end);
    return { mode: target.mode, ...base, start, end, newText, before: doc, after, anchor: anchorAt(doc, start, end) };
}

function anchorAt(doc: string, start: number, end: number): PlannedEdit["anchor"] {
    // Prefix: from the start of the line ANCHOR_LINES above the edit's line; suffix: to the end of the line ANCHOR_LINES below.
    let p = lineStartOf(doc, start);
    for (let k = 0; k < ANCHOR_LINES && p > 0; k++) p = lineStartOf(doc, p - 1);
    let s = end;
    for (let k = 0; k <= ANCHOR_LINES && s < doc.length; k++) {
        const nl = doc.indexOf("\n", s);
        s = nl < 0 ? doc.length : nl + 1;
    }
    return {
        removed: doc.slice(start, end),
        prefix: doc.slice(Math.max(p, start - ANCHOR_CHARS), start),
        suffix: doc.slice(end, Math.min(s, end + ANCHOR_CHARS)),
    };
}

/** Context of `prefix` from `k` line breaks back (k = 0: the partial line before the edit). */
function prefixLevel(prefix: string, k: number): string {
    let i = prefix.length;
    for (let n = 0; n <= k; n++) {
        const nl = prefix.lastIndexOf("\n", i - 1);
        if (nl < 0) return prefix;
        if (n === k) return prefix.slice(nl + 1);
        i = nl;
    }
    return prefix;
}

/** Context of `suffix` up to and including its k-th line break (k = 0: the rest of the edit's line). */
function suffixLevel(suffix: string, k: number): string {
    let i = -1;
    for (let n = 0; n <= k; n++) {
        const nl = suffix.indexOf("\n", i + 1);
        if (nl < 0) return suffix;
        i = nl;
    }
    return suffix.slice(0, i + 1);
}

const solid = (s: string) => s.replace(/\s+/g, "").length;

/** Offsets of `needle` in `hay`, stopping after `limit`. */
function occurrences(hay: string, needle: string, limit = 2): number[] {
    const out: number[] = [];
    if (needle === "") return out;
    for (let i = hay.indexOf(needle); i >= 0 && out.length < limit; i = hay.indexOf(needle, i + 1)) out.push(i);
    return out;
}

function lineNumber(text: string, offset: number): number {
    let n = 1;
    for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) n++;
    return n;
}

type Located = { start: number } | { conflict: "ambiguous" | "missing" | "removedChanged" };

function locate(anchor: PlannedEdit["anchor"], text: string): Located {
    const { removed, prefix, suffix } = anchor;
    const levels = Math.max(count(prefix, "\n"), count(suffix, "\n")) + 1;
    let ambiguous = false;
    for (let k = levels; k >= 0; k--) {
        const p = prefixLevel(prefix, k);
        const s = suffixLevel(suffix, k);
        const keys: Array<[string, string, boolean]> = [[p, s, true], [p, "", false], ["", s, false]];
        for (const [kp, ks, both] of keys) {
            // Short context could match by chance: below the whole anchor, a key needs enough text around the edit.
            if (solid(kp + ks) < MIN_UNIQUE_CHARS && !(both && k === levels && solid(kp + removed + ks) > 0)) continue;
            const hits = occurrences(text, kp + removed + ks);
            if (hits.length === 1) return { start: hits[0]! + kp.length };
            if (hits.length > 1) {
                ambiguous = true;
                // Less context cannot make a two-sided match unique again.
                if (both) return { conflict: "ambiguous" };
            }
        }
    }
    if (ambiguous) return { conflict: "ambiguous" };
    if (removed !== "" && !text.includes(removed)) return { conflict: "removedChanged" };
    return { conflict: "missing" };
}

function count(s: string, ch: string): number {
    let n = 0;
    for (let i = s.indexOf(ch); i >= 0; i = s.indexOf(ch, i + 1)) n++;
    return n;
}

const AGAIN = "Generate again, or copy the code from the preview.";

/**
 * The document changed since planning: find the same place again (the replaced text and enough unique
 * surrounding text) or report a conflict; never guess between two equal candidates. `since` words the
 * notes: "preview" (changed after the preview was planned, the default) or "request" (changed while the
 * code was being generated: the plan was made against the text as it was when the request started).
 */
export function rebaseEdit(plan: PlannedEdit, currentText: string, currentVersion: number, options: { since?: "preview" | "request" } = {}): RebaseResult {
    const when = options.since === "request" ? "while the code was being generated" : "after the code was generated";
    if (currentText === plan.before) {
        // Unchanged (or changed and changed back): the plan applies as it is, at the document's current version.
        return { status: "same", plan: plan.version === currentVersion ? plan : { ...plan, version: currentVersion } };
    }
    const what = plan.mode === "replace" && plan.end > plan.start ? "the code you selected" : "the place the code was generated for";
    const oldLine = lineNumber(plan.before, plan.start);
    if (plan.mode === "newFile") {
        return { status: "conflict", reason: `The new file was edited ${when}. ${AGAIN}` };
    }
    const found = locate(plan.anchor, currentText);
    if ("conflict" in found) {
        const reason =
            found.conflict === "ambiguous" ? `The document changed ${when}, and ${what} (line ${oldLine} before) now matches more than one place, so it is not clear where the code goes. ${AGAIN}`
            : found.conflict === "removedChanged" ? `The code you selected (line ${oldLine}) was edited ${when}; replacing it now would lose those edits. ${AGAIN}`
            : `The document changed around ${what} (line ${oldLine} before) ${when}, and it cannot be found again. ${AGAIN}`;
        return { status: "conflict", reason };
    }
    const start = found.start;
    const end = start + plan.anchor.removed.length;
    const after = currentText.slice(0, start) + plan.newText + currentText.slice(end);
    const rebased: PlannedEdit = { ...plan, version: currentVersion, start, end, before: currentText, after, anchor: anchorAt(currentText, start, end) };
    const newLine = lineNumber(currentText, start);
    const note = newLine === oldLine
        ? `The document changed ${when}; the code still goes at line ${newLine}.`
        : `The document changed ${when}; the code now goes at line ${newLine} (it was line ${oldLine}).`;
    return { status: "rebased", plan: rebased, note };
}
