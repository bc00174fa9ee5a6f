// The two content-safety layers of code generation, on top of the prompt linter:
//   - input: the requirements and every piece of context code are linted before anything reaches the
//     model; findings at or above the `blockOn` level (setting promptsmith.codegen.blockOn) block the
//     request until the user chooses to send anyway;
//   - output: the model's answer is linted once it is complete; findings flag the answer (a secret or
//     an ID number the model wrote into the code), they never block it.
//
// Which rules apply. The linter is built for prompt files; three of its checks are about the prompt
// file itself rather than the content, and are left out of both layers:
//   - token-limit: the prompt-file budget. Code generation fits its prompt to the model's context
//     window itself (context.ts), and a per-part budget would mean nothing;
//   - injection-unsafe-template: a template variable such as {{input}} or ${query} inserted without
//     delimiters is a weakness of a prompt template. Code is full of ${...} interpolations, and the
//     requirements are not a template: it would only add noise;
//   - unused-suppression: lint hygiene of a prompt file, not a finding about what is sent.
// Everything else applies to both layers: secrets and personal information (the point of the check),
// the configured sensitive terms and custom policy rules (the organisation's own), and prompt
// injection (context code or requirements that carry an attack; an answer that does is suspicious,
// and earlier answers go back into the prompt of a follow-up).
//
// Inline suppressions (`// promptsmith-disable-next-line pii-email -- fixture`) are honoured in the
// input, which the user wrote, but not in the model's output: a model must not be able to hide a
// finding by writing a suppression comment.
//
// Lint is synchronous in this codebase (Linter.lint), so both checks are synchronous.
//
// "Send anyway" approves the findings the user saw, not whatever is sent later: every finding has a
// fingerprint (its source, rule and a hash of the matched text, not the text itself), and a request sent
// anyway is checked again and blocked again when it has a blocking finding whose fingerprint was not
// approved (unapproved()). What is stored in the local history has the matched text of secrets,
// personal data and sensitive terms masked (matchedTexts() + maskTexts()).
import { createHash } from "node:crypto";
import type { Linter } from "../lint/index.ts";
import { maskSecret } from "../lint/report.ts";
import { lineOf, lineStarts } from "../lint/suppress.ts";
import type { Finding } from "../lint/types.ts";

export interface CheckPart { source: string; text: string } // source: "Requirements", "Selection", "src/a.ts", "Output"

export interface CheckFinding {
    source: string;
    ruleId: string;
    severity: "error" | "warning" | "info";
    message: string;
    /** 1-based line in the part's text. */
    line: number;
    /** 1-based column in UTF-16 code units. */
    column: number;
    /** UTF-16 offsets into the part's text, half-open. */
    start: number;
    end: number;
    /** the matched text, secrets masked */
    excerpt: string;
    /** The rule's category (secret, pii, injection, sensitive, policy). */
    category: string;
    /** Identifies the finding across checks: a hash of the source, the rule and the matched text (never the text). */
    fingerprint: string;
}

export type BlockOn = "error" | "warning" | "never";

export interface CheckResult {
    layer: "input" | "output";
    findings: CheckFinding[];
    blocked: boolean;
    counts: { error: number; warning: number; info: number };
}

/** Rules that are about a prompt file rather than its content (see the file comment). */
export const EXCLUDED_RULES: ReadonlySet<string> = new Set(["token-limit", "injection-unsafe-template", "unused-suppression"]);

/** Excerpts longer than this are shortened with an ellipsis. */
const MAX_EXCERPT = 80;

const RANK = { info: 1, warning: 2, error: 3 } as const;

/** The promptsmith.codegen.blockOn setting, "error" when it is missing or not one of the values. */
export function toBlockOn(value: unknown): BlockOn {
    return value === "warning" || value === "never" || value === "error" ? value : "error";
}

/** Whether a finding is at or above the `blockOn` level. */
export function blocks(f: Pick<CheckFinding, "severity">, blockOn: BlockOn): boolean {
    return blockOn !== "never" && RANK[f.severity] >= RANK[blockOn];
}

/** Lints the requirements and the context parts; blocked when any finding is at or above `blockOn`. */
export function checkInput(linter: Linter, parts: CheckPart[], blockOn: BlockOn): CheckResult {
    const findings = parts.flatMap((p) => lintPart(linter, p, true));
    const blocked = findings.some((f) => blocks(f, blockOn));
    return { layer: "input", findings, blocked, counts: countsOf(findings) };
}

/** The blocking findings of `result` whose fingerprints are not in `approved` (what "Send anyway" did not cover). */
export function unapproved(result: CheckResult, blockOn: BlockOn, approved: ReadonlySet<string>): CheckFinding[] {
    return result.findings.filter((f) => blocks(f, blockOn) && !approved.has(f.fingerprint));
}

/** Categories whose matched text is masked before a request is stored. */
const MASKED_CATEGORIES: ReadonlySet<string> = new Set(["secret", "pii", "sensitive"]);

/** The matched texts of the findings that must not be stored (secrets, personal data, sensitive terms), longest first. */
export function matchedTexts(parts: readonly CheckPart[], findings: readonly CheckFinding[]): string[] {
    const out = new Set<string>();
    for (const f of findings) {
        if (!MASKED_CATEGORIES.has(f.category)) continue;
        for (const p of parts) {
            if (p.source !== f.source) continue;
            const text = p.text.slice(f.start, f.end);
            if (text.trim() !== "" && fingerprintOf(p.source, f.ruleId, text) === f.fingerprint) out.add(text);
        }
    }
    return [...out].sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of each of `secrets` masked (as the lint reports mask secrets). */
export function maskTexts(text: string, secrets: readonly string[]): string {
    let out = text;
    for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join(maskSecret(s));
    return out;
}

function fingerprintOf(source: string, ruleId: string, matched: string): string {
    return createHash("sha256").update(`${source}\u0000${ruleId}\u0000${matched}`).digest("base64url").slice(0, 24);
}

/** Lints the model's answer (or the code taken from it); never blocked, the findings flag the output. */
export function checkOutput(linter: Linter, text: string, source = "Output"): CheckResult {
    const findings = lintPart(linter, { source, text }, false);
    return { layer: "output", findings, blocked: false, counts: countsOf(findings) };
}

/** One line for a notification or a status: "Blocked: 1 error (Requirements: pii-cn-resident-id)". */
export function describeCheck(result: CheckResult): string {
    const { error, warning, info } = result.counts;
    if (result.findings.length === 0) return result.layer === "input" ? "No findings in the requirements and context." : "No findings in the generated code.";
    const parts = [plural(error, "error"), plural(warning, "warning"), plural(info, "info")].filter((s) => !s.startsWith("0 "));
    const where = [...new Set(result.findings.map((f) => `${f.source}: ${f.ruleId}`))];
    const shown = where.slice(0, 3).join(", ") + (where.length > 3 ? `, and ${where.length - 3} more` : "");
    const head = result.blocked ? "Blocked" : result.layer === "input" ? "Findings in the input" : "Findings in the generated code";
    return `${head}: ${parts.join(", ")} (${shown})`;
}

function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 || word === "info" ? "" : "s"}`;
}

function countsOf(findings: readonly CheckFinding[]): CheckResult["counts"] {
    const counts = { error: 0, warning: 0, info: 0 };
    for (const f of findings) counts[f.severity]++;
    return counts;
}

/** Same-length change that stops the suppression parser from seeing a directive. */
function neutralizeSuppressions(text: string): string {
    return text.includes("promptsmith-") ? text.replace(/promptsmith-(?=disable|enable)/g, "promptsmith_") : text;
}

function lintPart(linter: Linter, part: CheckPart, honourSuppressions: boolean): CheckFinding[] {
    if (part.text.trim() === "") return [];
    const linted = honourSuppressions ? part.text : neutralizeSuppressions(part.text);
    const { findings } = linter.lint(linted);
    const starts = lineStarts(part.text);
    const out: CheckFinding[] = [];
    for (const f of findings) {
        if (EXCLUDED_RULES.has(f.ruleId) || EXCLUDED_RULES.has(f.category)) continue;
        const line = lineOf(starts, f.start);
        out.push({
            source: part.source,
            ruleId: f.ruleId,
            severity: f.severity,
            message: f.message,
            line: line + 1,
            column: f.start - starts[line]! + 1,
            start: f.start,
            end: f.end,
            excerpt: excerptOf(f, part.text.slice(f.start, f.end)),
            category: f.category,
            fingerprint: fingerprintOf(part.source, f.ruleId, part.text.slice(f.start, f.end)),
        });
    }
    return out;
}

/**
 * What a finding shows of the matched text: secrets and personal information masked (the first four
 * and last two characters kept, as the lint reports do for secrets), whitespace runs folded to one
 * space, long matches shortened.
 */
export function excerptOf(f: Pick<Finding, "category">, text: string): string {
    const masked = f.category === "secret" || f.category === "pii" ? maskSecret(text) : text;
    const flat = masked.replace(/\s+/g, " ").trim();
    if (flat.length <= MAX_EXCERPT) return flat;
    let cut = MAX_EXCERPT - 1;
    // Never split a surrogate pair (an emoji) in two.
    if (/[\uD800-\uDBFF]/.test(flat[cut - 1]!)) cut--;
    return `${flat.slice(0, cut)}…`;
}
