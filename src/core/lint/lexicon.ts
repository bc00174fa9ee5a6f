// Term lexicons matched with an Aho–Corasick automaton over normalised text.
//
// Layout (built once by compile(), all flat typed arrays):
//   - the root's transitions are a direct table indexed by UTF-16 unit (65,536 entries);
//   - every other state's transitions are a sorted run in `kidChar` / `kidNode` (CSR: kidStart[s] ..
//     kidStart[s + 1]), searched linearly when short and by bisection when long;
//   - `fail` links, `outLink` (the state itself if it ends a term, else the nearest suffix state that
//     does; 0 for none) and `nextOut` (the next shorter terminal suffix of a terminal state);
//   - `alpha` marks the units that occur in some term: any other unit sends the automaton straight back
//     to the root without walking fail links.
// Terms are normalised with the lexicon's NormalizeOptions, and so is the text, so matching is case-,
// width- and look-alike-insensitive. Terms whose first (last) character is a letter or digit of an
// alphabetic script (Latin, Greek, Cyrillic, ...) only match at a word boundary on that side; CJK
// terms match anywhere.
import { PromptsmithError } from "../errors.ts";
import { normalize, normalizeOptionsOf, normalizeString, sameNormalizeOptions, type NormalizeOptions } from "./normalize.ts";
import type { NormalizedText, Severity } from "./types.ts";

export interface LexiconEntry {
    term: string;
    /** Free-form category shown in messages, e.g. "politics". */
    category?: string;
    /** Overrides the rule's severity for this term ("off" disables the term). */
    severity?: Severity;
    /** Suggested replacement (a quick fix). */
    replacement?: string;
}

export interface LexiconMatch {
    /** The matched entry (the first entry with this normalised term wins). */
    entry: LexiconEntry;
    /** Index of the entry in the array given to compile(). */
    index: number;
    /** Original range (UTF-16 offsets into the original text). */
    start: number;
    end: number;
    /** Range in the normalised text. */
    normStart: number;
    normEnd: number;
}

export interface LexiconOptions {
    /** How terms and text are normalised (default: plain normalisation, no separator dropping, no traditional → simplified). */
    normalize?: NormalizeOptions;
}

export interface MatchOptions {
    /** false (default): leftmost-longest, non-overlapping. true: the longest match at every start position, overlaps allowed. */
    overlapping?: boolean;
}

/** Called for each match in text order; return false to stop. */
export type OnMatch = (m: LexiconMatch) => boolean | void;

// Word characters for boundary checks: ASCII letters/digits/underscore, Latin-1 and Latin Extended
// letters, IPA, Greek, Cyrillic, Armenian, Latin Extended Additional.
const WORD = new Uint8Array(0x10000);
{
    const ranges: [number, number][] = [[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a], [0x5f, 0x5f], [0xc0, 0x24f], [0x250, 0x2af], [0x370, 0x3ff], [0x400, 0x52f], [0x531, 0x58f], [0x1e00, 0x1fff]];
    for (const [a, b] of ranges) WORD.fill(1, a, b + 1);
    WORD[0xd7] = 0;
    WORD[0xf7] = 0;
    WORD[0x37e] = 0; // Greek question mark
    WORD[0x387] = 0; // Greek ano teleia
}

const CJK_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
/** True when the term contains CJK characters (Han, kana, Hangul). */
export function isCjkTerm(term: string): boolean {
    return CJK_RE.test(term);
}

const HASH_EMPTY = -1;

export class Lexicon {
    readonly entries: readonly LexiconEntry[];
    readonly normalizeOptions: Readonly<NormalizeOptions>;
    /** Number of distinct normalised terms. */
    readonly size: number;
    /** Number of automaton states (root included). */
    readonly states: number;

    private readonly root: Int32Array;
    private readonly alpha: Uint8Array;
    private readonly kidStart: Int32Array;
    private readonly kidChar: Uint16Array;
    private readonly kidNode: Int32Array;
    private readonly fail: Int32Array;
    private readonly outLink: Int32Array;
    private readonly nextOut: Int32Array;
    private readonly depth: Int32Array;
    /** Entry index of a terminal state, -1 otherwise. */
    private readonly termEntry: Int32Array;
    /** Per state: bit 1 needs a word boundary before, bit 2 after. */
    private readonly bounds: Uint8Array;

    private constructor(p: {
        entries: readonly LexiconEntry[]; normalizeOptions: NormalizeOptions; size: number; states: number;
        root: Int32Array; alpha: Uint8Array; kidStart: Int32Array; kidChar: Uint16Array; kidNode: Int32Array;
        fail: Int32Array; outLink: Int32Array; nextOut: Int32Array; depth: Int32Array; termEntry: Int32Array; bounds: Uint8Array;
    }) {
        this.entries = p.entries;
        this.normalizeOptions = p.normalizeOptions;
        this.size = p.size;
        this.states = p.states;
        this.root = p.root;
        this.alpha = p.alpha;
        this.kidStart = p.kidStart;
        this.kidChar = p.kidChar;
        this.kidNode = p.kidNode;
        this.fail = p.fail;
        this.outLink = p.outLink;
        this.nextOut = p.nextOut;
        this.depth = p.depth;
        this.termEntry = p.termEntry;
        this.bounds = p.bounds;
    }

    /** Builds the automaton. Entries whose term normalises to nothing (or only whitespace) are ignored; for duplicate terms the first entry wins. */
    static compile(entries: readonly LexiconEntry[], options: LexiconOptions = {}): Lexicon {
        const nopts: NormalizeOptions = { ...options.normalize };
        const terms: string[] = new Array<string>(entries.length);
        let total = 0;
        for (let i = 0; i < entries.length; i++) {
            const t = normalizeString(entries[i]!.term, nopts).trim();
            terms[i] = t;
            total += t.length;
        }
        const maxNodes = total + 1;
        // Trie construction: (parent, unit) → child in an open-addressing hash; the root uses a direct table.
        const parent = new Int32Array(maxNodes);
        const unit = new Uint16Array(maxNodes);
        const depth = new Int32Array(maxNodes);
        const termEntry = new Int32Array(maxNodes).fill(-1);
        const root = new Int32Array(0x10000);
        const alpha = new Uint8Array(0x10000);
        let hcap = 1024;
        while (hcap < maxNodes * 2) hcap <<= 1;
        const hmask = hcap - 1;
        const hParent = new Int32Array(hcap).fill(HASH_EMPTY);
        const hUnit = new Uint16Array(hcap);
        const hNode = new Int32Array(hcap);
        let nodes = 1;
        let size = 0;
        for (let e = 0; e < terms.length; e++) {
            const t = terms[e]!;
            if (t.length === 0) continue;
            let s = 0;
            for (let k = 0; k < t.length; k++) {
                const c = t.charCodeAt(k);
                alpha[c] = 1;
                if (s === 0) {
                    let nx = root[c]!;
                    if (nx === 0) {
                        nx = nodes++;
                        parent[nx] = 0;
                        unit[nx] = c;
                        depth[nx] = 1;
                        root[c] = nx;
                    }
                    s = nx;
                    continue;
                }
                let h = hash(s, c) & hmask;
                let nx = 0;
                for (;;) {
                    const hp = hParent[h]!;
                    if (hp === HASH_EMPTY) {
                        nx = nodes++;
                        parent[nx] = s;
                        unit[nx] = c;
                        depth[nx] = depth[s]! + 1;
                        hParent[h] = s;
                        hUnit[h] = c;
                        hNode[h] = nx;
                        break;
                    }
                    if (hp === s && hUnit[h] === c) {
                        nx = hNode[h]!;
                        break;
                    }
                    h = (h + 1) & hmask;
                }
                s = nx;
            }
            if (termEntry[s] === -1) {
                termEntry[s] = e;
                size++;
            }
        }
        // CSR children, sorted by unit (the root's children live in `root`).
        const kidStart = new Int32Array(nodes + 1);
        for (let v = 1; v < nodes; v++) {
            const p = parent[v]!;
            if (p !== 0) kidStart[p + 1]!++;
        }
        for (let v = 0; v < nodes; v++) kidStart[v + 1]! += kidStart[v]!;
        const nKids = kidStart[nodes]!;
        const kidChar = new Uint16Array(nKids);
        const kidNode = new Int32Array(nKids);
        const fillAt = kidStart.slice(0, nodes);
        const rootKids: number[] = [];
        for (let v = 1; v < nodes; v++) {
            const p = parent[v]!;
            if (p === 0) {
                rootKids.push(v);
                continue;
            }
            const at = fillAt[p]!++;
            kidChar[at] = unit[v]!;
            kidNode[at] = v;
        }
        sortRuns(kidStart, kidChar, kidNode, nodes);
        // Fail links and output links, breadth first.
        const fail = new Int32Array(nodes);
        const outLink = new Int32Array(nodes);
        const nextOut = new Int32Array(nodes);
        const queue = new Int32Array(nodes);
        let qh = 0;
        let qt = 0;
        for (const v of rootKids) {
            fail[v] = 0;
            outLink[v] = termEntry[v]! >= 0 ? v : 0;
            nextOut[v] = 0;
            queue[qt++] = v;
        }
        while (qh < qt) {
            const u = queue[qh++]!;
            for (let k = kidStart[u]!, end = kidStart[u + 1]!; k < end; k++) {
                const v = kidNode[k]!;
                const c = kidChar[k]!;
                let f = fail[u]!;
                let t = 0;
                for (;;) {
                    t = f === 0 ? root[c]! : findKid(kidStart, kidChar, kidNode, f, c);
                    if (t !== 0 || f === 0) break;
                    f = fail[f]!;
                }
                fail[v] = t;
                nextOut[v] = outLink[t]!;
                outLink[v] = termEntry[v]! >= 0 ? v : outLink[t]!;
                queue[qt++] = v;
            }
        }
        // Word-boundary requirements of terminal states.
        const bounds = new Uint8Array(nodes);
        for (let v = 1; v < nodes; v++) {
            const e = termEntry[v]!;
            if (e < 0) continue;
            const t = terms[e]!;
            bounds[v] = (WORD[t.charCodeAt(0)] ? 1 : 0) | (WORD[t.charCodeAt(t.length - 1)] ? 2 : 0);
        }
        return new Lexicon({
            entries, normalizeOptions: nopts, size, states: nodes, root, alpha, kidStart, kidChar, kidNode, fail, outLink, nextOut,
            depth: depth.subarray(0, nodes), termEntry: termEntry.subarray(0, nodes), bounds,
        });
    }

    /** Normalises `text` the way this lexicon's terms were normalised. */
    normalize(text: string): NormalizedText {
        return normalize(text, this.normalizeOptions);
    }

    /** True when `n` (a NormalizedText) was normalised compatibly with this lexicon's terms. */
    accepts(n: NormalizedText): boolean {
        const o = normalizeOptionsOf(n);
        return o === undefined || sameNormalizeOptions(o, this.normalizeOptions);
    }

    /**
     * Finds the terms in `input` (a string is normalised first with the lexicon's options; a NormalizedText
     * is used as is — it should have been normalised with the same options). Leftmost-longest and
     * non-overlapping unless `options.overlapping`.
     */
    match(input: NormalizedText | string, onMatch?: OnMatch, options: MatchOptions = {}): LexiconMatch[] {
        const n = typeof input === "string" ? this.normalize(input) : input;
        const cand = this.scan(n.text, false);
        const result: LexiconMatch[] = [];
        if (cand.count === 0) return result;
        const { starts, lens } = cand;
        const count = cand.count;
        const overlapping = options.overlapping === true;
        // Candidates come in order of end position (longest first at each end). Order them by start, longest first.
        let order: Float64Array | undefined;
        for (let k = 1; k < count; k++) {
            const a = starts[k - 1]!;
            const b = starts[k]!;
            if (b < a || (b === a && lens[k]! > lens[k - 1]!)) {
                order = new Float64Array(count);
                for (let q = 0; q < count; q++) order[q] = starts[q]! * 65536 + (65535 - Math.min(lens[q]!, 65535));
                order.sort();
                break;
            }
        }
        const text = n.text;
        let cursor = 0;
        let lastStart = -1;
        for (let q = 0; q < count; q++) {
            let s: number;
            let len: number;
            if (order) {
                const key = order[q]!;
                s = Math.floor(key / 65536);
                len = 65535 - (key - s * 65536);
            } else {
                s = starts[q]!;
                len = lens[q]!;
            }
            if (overlapping ? s === lastStart : s < cursor) continue;
            lastStart = s;
            cursor = s + len;
            const node = this.walk(text, s, len);
            const index = this.termEntry[node]!;
            const o = n.toOriginal(s, s + len);
            const m: LexiconMatch = { entry: this.entries[index]!, index, start: o.start, end: o.end, normStart: s, normEnd: s + len };
            result.push(m);
            if (onMatch && onMatch(m) === false) break;
        }
        return result;
    }

    /** True when `input` contains at least one term (stops at the first). */
    test(input: NormalizedText | string): boolean {
        const n = typeof input === "string" ? this.normalize(input) : input;
        return this.scan(n.text, true).count > 0;
    }

    /** Runs the automaton over normalised text; collects (start, length) of every boundary-valid term occurrence. */
    private scan(text: string, firstOnly: boolean): { starts: Int32Array; lens: Int32Array; count: number } {
        const { root, alpha, kidStart, kidChar, kidNode, fail, outLink, nextOut, depth, bounds } = this;
        let starts = new Int32Array(64);
        let lens = new Int32Array(64);
        let count = 0;
        const len = text.length;
        let s = 0;
        for (let i = 0; i < len; i++) {
            const c = text.charCodeAt(i);
            if (alpha[c] === 0) {
                s = 0;
                continue;
            }
            for (;;) {
                if (s === 0) {
                    s = root[c]!;
                    break;
                }
                const a = kidStart[s]!;
                const b = kidStart[s + 1]!;
                let t = 0;
                if (b - a <= 8) {
                    for (let k = a; k < b; k++) {
                        const kc = kidChar[k]!;
                        if (kc >= c) {
                            if (kc === c) t = kidNode[k]!;
                            break;
                        }
                    }
                } else {
                    let lo = a;
                    let hi = b - 1;
                    while (lo <= hi) {
                        const mid = (lo + hi) >>> 1;
                        const kc = kidChar[mid]!;
                        if (kc < c) lo = mid + 1;
                        else if (kc > c) hi = mid - 1;
                        else {
                            t = kidNode[mid]!;
                            break;
                        }
                    }
                }
                if (t !== 0) {
                    s = t;
                    break;
                }
                s = fail[s]!;
            }
            let o = outLink[s]!;
            while (o !== 0) {
                const d = depth[o]!;
                const bd = bounds[o]!;
                const st = i + 1 - d;
                if (bd === 0 || (((bd & 1) === 0 || st === 0 || WORD[text.charCodeAt(st - 1)] === 0) && ((bd & 2) === 0 || i + 1 >= len || WORD[text.charCodeAt(i + 1)] === 0))) {
                    if (count === starts.length) {
                        const ns = new Int32Array(count * 2);
                        ns.set(starts);
                        starts = ns;
                        const nl = new Int32Array(count * 2);
                        nl.set(lens);
                        lens = nl;
                    }
                    starts[count] = st;
                    lens[count] = d;
                    count++;
                    if (firstOnly) return { starts, lens, count };
                }
                o = nextOut[o]!;
            }
        }
        return { starts, lens, count };
    }

    /** The state reached by reading text[s, s + len) from the root (a term known to be present). */
    private walk(text: string, s: number, len: number): number {
        let v = this.root[text.charCodeAt(s)]!;
        for (let k = 1; k < len && v !== 0; k++) v = findKid(this.kidStart, this.kidChar, this.kidNode, v, text.charCodeAt(s + k));
        return v;
    }
}

function hash(s: number, c: number): number {
    let h = Math.imul(s, 0x9e3779b1) ^ Math.imul(c + 0x7f4a7c15, 0x85ebca77);
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h;
}

function findKid(kidStart: Int32Array, kidChar: Uint16Array, kidNode: Int32Array, s: number, c: number): number {
    let lo = kidStart[s]!;
    let hi = kidStart[s + 1]! - 1;
    while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const kc = kidChar[mid]!;
        if (kc < c) lo = mid + 1;
        else if (kc > c) hi = mid - 1;
        else return kidNode[mid]!;
    }
    return 0;
}

/** Sorts each state's run of children by unit (insertion sort for short runs, a packed numeric sort for long ones). */
function sortRuns(kidStart: Int32Array, kidChar: Uint16Array, kidNode: Int32Array, nodes: number): void {
    for (let s = 1; s < nodes; s++) {
        const a = kidStart[s]!;
        const b = kidStart[s + 1]!;
        const n = b - a;
        if (n < 2) continue;
        if (n <= 32) {
            for (let i = a + 1; i < b; i++) {
                const c = kidChar[i]!;
                const v = kidNode[i]!;
                let j = i - 1;
                while (j >= a && kidChar[j]! > c) {
                    kidChar[j + 1] = kidChar[j]!;
                    kidNode[j + 1] = kidNode[j]!;
                    j--;
                }
                kidChar[j + 1] = c;
                kidNode[j + 1] = v;
            }
        } else {
            const keys = new Float64Array(n);
            for (let i = 0; i < n; i++) keys[i] = kidChar[a + i]! * 2 ** 32 + kidNode[a + i]!;
            keys.sort();
            for (let i = 0; i < n; i++) {
                const c = Math.floor(keys[i]! / 2 ** 32);
                kidChar[a + i] = c;
                kidNode[a + i] = keys[i]! - c * 2 ** 32;
            }
        }
    }
}

const SEVERITIES: readonly Severity[] = ["off", "info", "warning", "error"];

/**
 * Parses a lexicon file: one term a line; optional fields after the term separated by TAB or "|":
 * `term | category | severity | replacement`. Lines starting with "#" are comments; blank lines are ignored.
 * Throws PromptsmithError CONFIG_INVALID (naming the file and line) for an unknown severity, an empty
 * term or too many fields.
 */
export function parseLexicon(text: string, file: string): LexiconEntry[] {
    const out: LexiconEntry[] = [];
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const lines = text.split(/\r\n|\n|\r/);
    for (let i = 0; i < lines.length; i++) {
        const raw = lines[i]!;
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) continue;
        const where = `${file}:${i + 1}`;
        if (!raw.includes("\t") && !raw.includes("|")) {
            out.push({ term: line });
            continue;
        }
        const fields = raw.split(/\t|\|/).map((f) => f.trim());
        if (fields.length > 4) throw invalid(file, where, `has ${fields.length} fields; a lexicon line is "term | category | severity | replacement"`, "Remove the extra fields (a term cannot contain TAB or \"|\").");
        const [term = "", category = "", severity = "", replacement = ""] = fields;
        if (term === "") throw invalid(file, where, "has no term before the first separator", "Put the term first: \"term | category | severity | replacement\".");
        const entry: LexiconEntry = { term };
        if (category) entry.category = category;
        if (severity) {
            const sev = severity.toLowerCase() as Severity;
            if (!SEVERITIES.includes(sev)) throw invalid(file, where, `has an unknown severity "${severity}"`, "Use one of off, info, warning, error (or leave the field empty).");
            entry.severity = sev;
        }
        if (replacement) entry.replacement = replacement;
        out.push(entry);
    }
    return out;
}

function invalid(file: string, where: string, what: string, fix: string): PromptsmithError {
    return new PromptsmithError({ code: "CONFIG_INVALID", message: `Lexicon line ${where} ${what}.`, file, fix });
}
