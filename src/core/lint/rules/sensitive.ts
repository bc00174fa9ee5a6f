// sensitive-term: terms from one or more lexicons (Aho–Corasick over normalised text, so full-width,
// look-alike, zero-width-split and case variants are found too). Offsets are mapped back to the exact
// original range. Fixes: the entry's replacement if it has one, else a placeholder ("[已屏蔽]" for CJK
// terms, "[REDACTED]" otherwise); removing the term is always offered last.
import { isCjkTerm, type Lexicon, type LexiconMatch } from "../lexicon.ts";
import type { NormalizedText, Rule, RuleContext, RuleFinding, Severity, Fix } from "../types.ts";

export const SENSITIVE_RULE_ID = "sensitive-term";
export const PLACEHOLDER_CJK = "[已屏蔽]";
export const PLACEHOLDER_LATIN = "[REDACTED]";

/** A sensitive-term finding; `severity` is set when the lexicon entry overrides the rule's severity. */
export interface SensitiveFinding extends RuleFinding {
    severity?: Exclude<Severity, "off">;
    /** The lexicon term as written in the lexicon. */
    term: string;
    termCategory?: string;
}

export function sensitiveRule(lexicons: readonly Lexicon[]): Rule {
    return {
        id: SENSITIVE_RULE_ID,
        category: "sensitive",
        defaultSeverity: "warning",
        description: "Flags terms from the configured sensitive-term lexicons, including full-width, look-alike, case and zero-width-split variants.",
        check(ctx: RuleContext): RuleFinding[] {
            const findings: SensitiveFinding[] = [];
            // Ranges already reported by earlier lexicons, sorted and non-overlapping.
            let taken: { start: number; end: number }[] = [];
            let shared: NormalizedText | undefined;
            const own = new Map<string, NormalizedText>();
            for (const lex of lexicons) {
                if (lex.size === 0) continue;
                shared ??= ctx.normalized();
                let n: NormalizedText;
                if (lex.accepts(shared)) n = shared;
                else {
                    const key = JSON.stringify(lex.normalizeOptions);
                    n = own.get(key) ?? lex.normalize(ctx.text);
                    own.set(key, n);
                }
                const added: { start: number; end: number }[] = [];
                for (const m of lex.match(n)) {
                    if (m.entry.severity === "off") continue;
                    // An earlier lexicon already reported an overlapping range: keep the first.
                    if (overlapsAny(taken, m.start, m.end)) continue;
                    added.push({ start: m.start, end: m.end });
                    findings.push(toFinding(m));
                }
                if (added.length > 0) taken = taken.length === 0 ? added : mergeRanges(taken, added);
            }
            findings.sort((a, b) => a.start - b.start || b.end - a.end);
            return findings;
        },
    };
}

/** True when [start, end) overlaps a range of `ranges` (sorted by start, non-overlapping). */
function overlapsAny(ranges: readonly { start: number; end: number }[], start: number, end: number): boolean {
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (ranges[mid]!.end <= start) lo = mid + 1;
        else hi = mid;
    }
    const r = ranges[lo];
    return r !== undefined && r.start < end;
}

function mergeRanges<T extends { start: number }>(a: readonly T[], b: readonly T[]): T[] {
    const out: T[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
        if (j >= b.length || (i < a.length && a[i]!.start <= b[j]!.start)) out.push(a[i++]!);
        else out.push(b[j++]!);
    }
    return out;
}

function toFinding(m: LexiconMatch): SensitiveFinding {
    const { entry, start, end } = m;
    const cat = entry.category?.trim();
    const message = cat ? `Sensitive term (${cat}): "${entry.term}".` : `Sensitive term: "${entry.term}".`;
    const fixes: Fix[] = [];
    if (entry.replacement !== undefined && entry.replacement !== "") {
        fixes.push({ kind: "replace", title: `Replace with "${entry.replacement}"`, start, end, replacement: entry.replacement });
    } else {
        const placeholder = isCjkTerm(entry.term) ? PLACEHOLDER_CJK : PLACEHOLDER_LATIN;
        fixes.push({ kind: "placeholder", title: `Replace with ${placeholder}`, start, end, replacement: placeholder });
    }
    fixes.push({ kind: "remove", title: "Remove the term", start, end, replacement: "" });
    const f: SensitiveFinding = { ruleId: SENSITIVE_RULE_ID, category: "sensitive", message, start, end, confidence: 1, fixes, term: entry.term };
    if (cat) f.termCategory = cat;
    if (entry.severity && entry.severity !== "off") f.severity = entry.severity;
    return f;
}
