// Project rules from the config's "customRules": a regular expression that must not match, or a text
// (or regular expression) that must appear.
//
// Custom regular expressions come from the workspace, so two guards keep a bad one from hanging the
// linter: a static check at config-load time (checkPatternSafety, called by config.ts) rejects the
// usual catastrophic-backtracking shapes (nested or overlapping repetition), and at run time every
// scan runs inside node:vm with a time limit, so a pattern the static check misses is stopped and
// reported instead of blocking the editor or the CLI.
import vm from "node:vm";
import type { Fix, Rule, RuleFinding, Severity } from "../types.ts";

export interface CustomRuleBase {
    /** Id as written in the config; the rule is reported and configured as custom/<id>. */
    id: string;
    message?: string;
    description?: string;
    severity?: Severity;
    /** Regular expression flags (without g, which is always on). */
    flags?: string;
    /** For pattern: replacement of each match ($1, $<name>, $&). For requiredPattern: text to insert at the top. */
    replacement?: string;
}

/** Every match of `pattern` is a finding. */
export interface PatternCustomRule extends CustomRuleBase {
    pattern: string;
    required?: undefined;
    requiredPattern?: undefined;
}

/** A finding when `required` (a text) or `requiredPattern` (a regular expression) does not appear. */
export interface RequiredCustomRule extends CustomRuleBase {
    pattern?: undefined;
    required?: string;
    requiredPattern?: string;
}

export type CustomRule = PatternCustomRule | RequiredCustomRule;

export const CUSTOM_RULE_PREFIX = "custom/";
/** Default run-time limit of one custom rule on one file. */
export const CUSTOM_RULE_TIMEOUT_MS = 50;
/** At most this many findings per custom rule and file. */
const MAX_MATCHES = 1000;

export function customRuleId(id: string): string {
    return CUSTOM_RULE_PREFIX + id;
}

export interface CustomRulesOptions {
    /** Time limit of one rule on one file, in milliseconds (default 50). */
    timeoutMs?: number;
}

/**
 * Rules for the config's custom rules. The definitions are expected to have passed config loading
 * (schema and checkPatternSafety); patterns are not checked again here, but every scan is time-limited.
 * `file` is the config file that defined them (named in messages).
 */
export function customRules(defs: readonly CustomRule[], file?: string, options: CustomRulesOptions = {}): Rule[] {
    const timeoutMs = options.timeoutMs ?? CUSTOM_RULE_TIMEOUT_MS;
    return defs.map((def) => (def.pattern !== undefined ? patternRule(def as PatternCustomRule, file, timeoutMs) : requiredRule(def, file, timeoutMs)));
}

function baseFlags(flags: string | undefined): string {
    return [...new Set((flags ?? "").replace(/[gyd]/g, ""))].join("");
}

interface ScanMatch {
    index: number;
    text: string;
    groups: Array<string | null>;
    named?: Record<string, string | null>;
}

/**
 * Runs a global regex scan in its own V8 context with a time limit. The compiled script and context
 * are reused between files.
 */
class TimedScanner {
    private readonly context: vm.Context;
    private static readonly script = new vm.Script(`(() => {
        const re = new RegExp(pattern, flags);
        const out = [];
        let m;
        while ((m = re.exec(text)) !== null) {
            const groups = [];
            for (let i = 1; i < m.length; i++) groups.push(m[i] === undefined ? null : m[i]);
            let named;
            if (m.groups) { named = {}; for (const k of Object.keys(m.groups)) named[k] = m.groups[k] === undefined ? null : m.groups[k]; }
            out.push({ index: m.index, text: m[0], groups, named });
            if (out.length >= limit || once) break;
            if (m[0].length === 0) re.lastIndex = m.index + 1;
        }
        return JSON.stringify(out);
    })()`, { filename: "promptsmith-custom-rule.js" });

    constructor(pattern: string, flags: string, private readonly timeoutMs: number, once = false) {
        this.context = vm.createContext({ pattern, flags: flags + "g", text: "", limit: MAX_MATCHES, once });
    }

    /** The matches, or "timeout". */
    scan(text: string): ScanMatch[] | "timeout" {
        this.context.text = text;
        try {
            const json = TimedScanner.script.runInContext(this.context, { timeout: this.timeoutMs }) as string;
            return JSON.parse(json) as ScanMatch[];
        } catch (e) {
            if ((e as { code?: unknown }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") return "timeout";
            throw e;
        } finally {
            this.context.text = "";
        }
    }
}

function timeoutFinding(ruleId: string, timeoutMs: number, file: string | undefined): RuleFinding {
    return {
        ruleId,
        category: "policy",
        message: `Custom rule ${ruleId} was stopped after ${timeoutMs} ms: its regular expression takes too long on this file (probably catastrophic backtracking). Simplify the pattern${file ? ` in ${file}` : ""}.`,
        start: 0,
        end: 0,
    };
}

function patternRule(def: PatternCustomRule, file: string | undefined, timeoutMs: number): Rule {
    const id = customRuleId(def.id);
    const message = def.message ?? `Matches the custom rule ${def.id}`;
    let scanner: TimedScanner | undefined;
    return {
        id,
        category: "policy",
        defaultSeverity: def.severity ?? "warning",
        description: def.description ?? message,
        check(ctx) {
            scanner ??= new TimedScanner(def.pattern, baseFlags(def.flags), timeoutMs);
            const matches = scanner.scan(ctx.text);
            if (matches === "timeout") return [timeoutFinding(id, timeoutMs, file)];
            const out: RuleFinding[] = [];
            for (const m of matches) {
                if (m.text.length === 0) continue;
                const start = m.index;
                const end = m.index + m.text.length;
                const fixes: Fix[] = [];
                if (def.replacement !== undefined) {
                    const replacement = expandReplacement(def.replacement, m);
                    fixes.push({ kind: "replace", title: `Replace with ${JSON.stringify(replacement)}`, start, end, replacement });
                }
                fixes.push({ kind: "remove", title: "Remove", start, end, replacement: "" });
                out.push({ ruleId: id, category: "policy", message, start, end, fixes });
            }
            return out;
        },
    };
}

/** String.prototype.replace's $-patterns, applied to one match. */
function expandReplacement(template: string, m: ScanMatch): string {
    return template.replace(/\$(\$|&|<([^>]*)>|(\d{1,2}))/g, (all, what: string, name: string | undefined, num: string | undefined) => {
        if (what === "$") return "$";
        if (what === "&") return m.text;
        if (name !== undefined) return m.named && name in m.named ? (m.named[name] ?? "") : all;
        if (num !== undefined) {
            let n = Number(num);
            if (n >= 1 && n <= m.groups.length) return m.groups[n - 1] ?? "";
            n = Number(num[0]);
            if (num.length === 2 && n >= 1 && n <= m.groups.length) return (m.groups[n - 1] ?? "") + num[1];
        }
        return all;
    });
}

/** Where a required text is inserted: after a leading front-matter block, else at the very top. */
export function insertionOffset(text: string): number {
    const fm = /^\uFEFF?---[ \t]*\r?\n[\s\S]*?\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
    if (fm) return fm[0].length;
    return text.startsWith("\uFEFF") ? 1 : 0;
}

function escapeRegExp(s: string): string {
    return s.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&");
}

/** The required text as a regex source where any run of whitespace matches any run of whitespace. */
function requiredTextSource(required: string): string {
    return required.trim().split(/\s+/).map(escapeRegExp).join("\\s+");
}

function requiredRule(def: RequiredCustomRule, file: string | undefined, timeoutMs: number): Rule {
    const id = customRuleId(def.id);
    const what = def.required !== undefined ? JSON.stringify(def.required) : `a match of /${def.requiredPattern ?? ""}/`;
    const message = def.message ?? `The prompt must contain ${what}`;
    // The required text is a literal (linear to search); requiredPattern is user regex: time-limited.
    const literal = def.required !== undefined ? new RegExp(requiredTextSource(def.required), baseFlags(def.flags)) : undefined;
    let scanner: TimedScanner | undefined;
    const insert = def.required ?? def.replacement;
    return {
        id,
        category: "policy",
        defaultSeverity: def.severity ?? "warning",
        description: def.description ?? message,
        check(ctx) {
            let present: boolean;
            if (literal) {
                present = literal.test(ctx.text);
            } else {
                scanner ??= new TimedScanner(def.requiredPattern ?? "", baseFlags(def.flags), timeoutMs, true);
                const r = scanner.scan(ctx.text);
                if (r === "timeout") return [timeoutFinding(id, timeoutMs, file)];
                present = r.length > 0;
            }
            if (present) return [];
            const at = insertionOffset(ctx.text);
            const fixes: Fix[] = [];
            if (insert !== undefined && insert.length > 0) {
                const eol = ctx.text.includes("\r\n") ? "\r\n" : "\n";
                const short = insert.length > 40 ? insert.slice(0, 39) + "…" : insert;
                fixes.push({ kind: "replace", title: `Insert ${JSON.stringify(short)} at the top`, start: at, end: at, replacement: insert + eol });
            }
            return [{ ruleId: id, category: "policy", message, start: at, end: at, fixes }];
        },
    };
}

// ---------------------------------------------------------------------------------------------------
// Static check against catastrophic backtracking.

export interface PatternProblem {
    /** Why the pattern is rejected (one or two sentences). */
    reason: string;
    /** How to rewrite it. */
    fix: string;
}

type Node = Alt;
interface Alt {
    type: "alt";
    alts: Seq[];
    start: number;
    end: number;
}
interface Seq {
    items: Term[];
}
interface Term {
    atom: Atom;
    min: number;
    max: number;
    start: number;
    end: number;
}
type Atom =
    | { type: "char"; src: string }
    | { type: "group"; body: Alt; lookaround: boolean; start: number; end: number }
    | { type: "assert" }
    | { type: "backref" };

class RegexSyntax {
    private i = 0;
    constructor(private readonly src: string, private readonly unicode: boolean, private readonly vmode: boolean) {}

    parse(): Node {
        const alt = this.alternation(0);
        return alt;
    }

    private alternation(start: number): Alt {
        const alts: Seq[] = [{ items: [] }];
        while (this.i < this.src.length) {
            const c = this.src[this.i]!;
            if (c === ")") break;
            if (c === "|") {
                this.i++;
                alts.push({ items: [] });
                continue;
            }
            const termStart = this.i;
            const atom = this.atom();
            const [min, max] = this.quantifier();
            alts[alts.length - 1]!.items.push({ atom, min, max, start: termStart, end: this.i });
        }
        return { type: "alt", alts, start, end: this.i };
    }

    private atom(): Atom {
        const s = this.src;
        const start = this.i;
        const c = s[this.i]!;
        if (c === "(") {
            this.i++;
            let lookaround = false;
            if (s[this.i] === "?") {
                const rest = s.slice(this.i);
                const m = /^\?(?:[=!]|<[=!])/.exec(rest);
                if (m) {
                    lookaround = true;
                    this.i += m[0].length;
                } else {
                    const g = /^\?(?:<[^>]*>|[a-zA-Z-]*:)/.exec(rest);
                    this.i += g ? g[0].length : 1;
                }
            }
            const body = this.alternation(this.i);
            if (s[this.i] === ")") this.i++;
            return { type: "group", body, lookaround, start, end: this.i };
        }
        if (c === "[") {
            this.classEnd();
            return { type: "char", src: s.slice(start, this.i) };
        }
        if (c === "^" || c === "$") {
            this.i++;
            return { type: "assert" };
        }
        if (c === "\\") {
            const n = s[this.i + 1] ?? "";
            if (n === "b" || n === "B") {
                this.i += 2;
                return { type: "assert" };
            }
            if (/[1-9]/.test(n)) {
                this.i += 2;
                while (/[0-9]/.test(s[this.i] ?? "")) this.i++;
                return { type: "backref" };
            }
            if (n === "k" && s[this.i + 2] === "<") {
                const close = s.indexOf(">", this.i);
                this.i = close < 0 ? s.length : close + 1;
                return { type: "backref" };
            }
            const m = /^\\(?:[pP]\{[^}]*\}|u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|c[a-zA-Z]|0|[\s\S])/.exec(s.slice(this.i));
            this.i += m ? m[0].length : 1;
            return { type: "char", src: s.slice(start, this.i) };
        }
        // A literal character (a whole code point).
        const cp = s.codePointAt(this.i)!;
        this.i += cp > 0xffff ? 2 : 1;
        return { type: "char", src: s.slice(start, this.i) };
    }

    private classEnd(): void {
        const s = this.src;
        let depth = 0;
        this.i++; // [
        if (s[this.i] === "^") this.i++;
        if (s[this.i] === "]" && !this.unicode) this.i++;
        while (this.i < s.length) {
            const c = s[this.i]!;
            if (c === "\\") {
                this.i += 2;
                continue;
            }
            if (c === "[" && this.vmode) depth++;
            else if (c === "]") {
                if (depth === 0) {
                    this.i++;
                    return;
                }
                depth--;
            }
            this.i++;
        }
    }

    private quantifier(): [number, number] {
        const s = this.src;
        const c = s[this.i];
        let min = 1;
        let max = 1;
        if (c === "*" || c === "+" || c === "?") {
            this.i++;
            [min, max] = c === "*" ? [0, Infinity] : c === "+" ? [1, Infinity] : [0, 1];
        } else if (c === "{") {
            const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.i));
            if (!m) return [1, 1];
            this.i += m[0].length;
            min = Number(m[1]);
            max = m[2] === undefined ? min : m[3] ? Number(m[3]) : Infinity;
        } else {
            return [1, 1];
        }
        if (s[this.i] === "?") this.i++; // lazy
        return [min, max];
    }
}

/** Characters the set-overlap test tries: ASCII plus a few non-ASCII letters, spaces and symbols. */
const SAMPLES: string[] = [
    ...Array.from({ length: 128 }, (_, k) => String.fromCharCode(k)),
    "\u00a0", "é", "ß", "Ω", "中", "文", "。", "，", "\u2028", "\u3000", "\ufeff", "１", "ａ",
];

/** A repetition this large is treated like an unbounded one. */
const MANY = 10;

class Analyzer {
    private readonly setCache = new Map<string, boolean[]>();
    constructor(private readonly flags: string) {}

    /** Which sample characters a character atom matches (everything, when unknown). */
    charSet(src: string): boolean[] {
        let set = this.setCache.get(src);
        if (!set) {
            let re: RegExp | undefined;
            try {
                re = new RegExp(`^(?:${src})$`, this.flags);
            } catch {
                re = undefined;
            }
            set = SAMPLES.map((ch) => (re ? re.test(ch) : true));
            this.setCache.set(src, set);
        }
        return set;
    }

    /** Union of every character an atom (or term) can consume anywhere. */
    allChars(atom: Atom): boolean[] {
        switch (atom.type) {
            case "char":
                return this.charSet(atom.src);
            case "assert":
                return SAMPLES.map(() => false);
            case "backref":
                return SAMPLES.map(() => true);
            case "group": {
                if (atom.lookaround) return SAMPLES.map(() => false);
                const out = SAMPLES.map(() => false);
                for (const seq of atom.body.alts) for (const t of seq.items) union(out, this.allChars(t.atom));
                return out;
            }
        }
    }

    nullable(seq: Seq): boolean {
        return seq.items.every((t) => t.min === 0 || this.atomNullable(t.atom));
    }

    atomNullable(atom: Atom): boolean {
        if (atom.type === "assert") return true;
        if (atom.type === "backref") return true;
        if (atom.type === "group") return atom.lookaround || atom.body.alts.some((s) => this.nullable(s));
        return false;
    }

    /** Characters a sequence can start with. */
    firstChars(seq: Seq): boolean[] {
        const out = SAMPLES.map(() => false);
        for (const t of seq.items) {
            union(out, this.atomFirst(t.atom));
            if (t.min > 0 && !this.atomNullable(t.atom)) break;
        }
        return out;
    }

    atomFirst(atom: Atom): boolean[] {
        if (atom.type === "group") {
            if (atom.lookaround) return SAMPLES.map(() => false);
            const out = SAMPLES.map(() => false);
            for (const s of atom.body.alts) union(out, this.firstChars(s));
            return out;
        }
        return this.allChars(atom);
    }
}

function union(into: boolean[], other: readonly boolean[]): void {
    for (let k = 0; k < into.length; k++) if (other[k]) into[k] = true;
}

function overlaps(a: readonly boolean[], b: readonly boolean[]): boolean {
    return a.some((x, k) => x && b[k]);
}

/** Every term inside `alt` (at any depth, outside lookarounds). */
function* terms(alt: Alt): Generator<Term> {
    for (const seq of alt.alts) {
        for (const t of seq.items) {
            yield t;
            if (t.atom.type === "group" && !t.atom.lookaround) yield* terms(t.atom.body);
        }
    }
}

/** Repeated terms (max > MANY) inside a sequence, at any depth. */
function repeatedInside(seq: Seq): Term[] {
    const out: Term[] = [];
    for (const t of seq.items) {
        if (t.max > MANY && t.atom.type !== "assert") out.push(t);
        else if (t.atom.type === "group" && !t.atom.lookaround) for (const s of t.atom.body.alts) out.push(...repeatedInside(s));
    }
    return out;
}

/**
 * Rejects the shapes of regular expression that can take exponential time on a text that almost
 * matches: a repeated group containing another repetition with nothing required in between that
 * the inner repetition cannot consume ((a+)+, (a*)*, (.*)*, (\w+\s?)+), and a repeated group whose
 * alternatives can start with the same character ((a|a)*, (\w|\d)+). Returns undefined when the
 * pattern looks safe (this is a heuristic: run-time scans are time-limited as well).
 */
export function checkPatternSafety(pattern: string, flags = ""): PatternProblem | undefined {
    const f = baseFlags(flags);
    const ast = new RegexSyntax(pattern, /[uv]/.test(f), f.includes("v")).parse();
    const an = new Analyzer(f);
    for (const t of terms(ast)) {
        if (t.max <= MANY || t.atom.type !== "group" || t.atom.lookaround) continue;
        const group = pattern.slice(t.start, t.end);
        const body = t.atom.body;
        // Nested repetition.
        for (const seq of body.alts) {
            const inner = repeatedInside(seq);
            if (inner.length === 0) continue;
            const innerChars = SAMPLES.map(() => false);
            for (const r of inner) union(innerChars, an.allChars(r.atom));
            const separated = seq.items.some((item) => item.min >= 1 && !inner.includes(item) && item.atom.type === "char" && !overlaps(an.charSet(item.atom.src), innerChars));
            if (separated) continue;
            const innerSrc = pattern.slice(inner[0]!.start, inner[0]!.end);
            const simple = body.alts.length === 1 && seq.items.length === 1 ? innerSrc : undefined;
            return {
                reason: `"${group}" repeats a part that is itself repeated ("${innerSrc}"), with nothing in between that the inner repetition cannot match. On a text that almost matches, the regular expression engine tries every way of splitting the text between the two repetitions, which takes exponential time (catastrophic backtracking) and can hang the linter.`,
                fix: simple
                    ? `Repeat only once: write "${simple}" instead of "${group}".`
                    : `Repeat only once, or make each repetition end with a required character the inner part cannot match: e.g. "(\\w+\\s)+" or "\\w+(?:\\s\\w+)*" instead of "(\\w+\\s?)+".`,
            };
        }
        // Overlapping alternatives.
        if (body.alts.length > 1) {
            const firsts = body.alts.map((s) => an.firstChars(s));
            for (let a = 0; a < firsts.length; a++) {
                for (let b = a + 1; b < firsts.length; b++) {
                    if (!overlaps(firsts[a]!, firsts[b]!)) continue;
                    const altSrc = (k: number) => {
                        const items = body.alts[k]!.items;
                        return items.length ? pattern.slice(items[0]!.start, items[items.length - 1]!.end) : "";
                    };
                    return {
                        reason: `The alternatives "${altSrc(a)}" and "${altSrc(b)}" of the repeated group "${group}" can match the same text, so on a text that almost matches the regular expression engine tries exponentially many combinations (catastrophic backtracking) and can hang the linter.`,
                        fix: `Make the alternatives start with different characters: merge them into one character class (e.g. "[\\w-]+" instead of "(\\w|-|\\d)+") or factor out their common start (e.g. "(?:a[bc])+" instead of "(?:ab|ac)+").`,
                    };
                }
            }
        }
    }
    return undefined;
}
