// Secret rules: well-known credential formats (OpenAI, Anthropic, AWS, GitHub, Slack, Google, Stripe,
// JWT, PEM private keys) and a generic rule for high-entropy values assigned to key-like names.
//
// Messages never contain a secret in full: at most its first 4 and last 2 characters ("sk-p…3f"), and
// only the first 2 for values shorter than 16 characters. Placeholders (YOUR_API_KEY, <api-key>, xxxx,
// ****, ${API_KEY}, {{api_key}}, changeme, example keys, repeated or sequential characters) are not secrets.
import type { Fix, Rule, RuleContext, RuleFinding } from "../types.ts";

// ---------------------------------------------------------------------------------------------------
// Helpers

/** Shannon entropy in bits per character. */
export function shannonEntropy(s: string): number {
    if (!s) return 0;
    const counts = new Map<string, number>();
    for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
    let h = 0;
    const n = s.length;
    for (const k of counts.values()) {
        const p = k / n;
        h -= p * Math.log2(p);
    }
    return h;
}

/** "sk-p…3f": the first 4 and last 2 characters (first 2 only for short values). */
export function previewSecret(value: string): string {
    if (value.length >= 16) return `${value.slice(0, 4)}…${value.slice(-2)}`;
    return `${value.slice(0, 2)}…`;
}

const PLACEHOLDER_WORDS = /your|example|placeholder|changeme|change_me|change-me|dummy|sample|redacted|replace|insert|fake|mock|foobar|secret_here|key_here|token_here|todo|xxxx|\*{3}|\.{3}|…|<|>|\$\{|\{\{|\}\}|%s/i;

function sequentialRatio(s: string): number {
    if (s.length < 2) return 0;
    let seq = 0;
    for (let i = 1; i < s.length; i++) {
        const d = s.charCodeAt(i) - s.charCodeAt(i - 1);
        if (d === 1 || d === 0 || d === -1) seq++;
    }
    return seq / (s.length - 1);
}

/** True for values that are obviously not real secrets (see the file comment). */
export function isPlaceholderSecret(value: string): boolean {
    if (PLACEHOLDER_WORDS.test(value)) return true;
    const core = value.replace(/[^A-Za-z0-9]/g, "");
    if (core.length === 0) return true;
    if (/^(.)\1*$/.test(core)) return true; // all the same character
    if (/(.)\1{5,}/.test(core)) return true; // long runs: aaaaaa, 000000
    if (sequentialRatio(core) >= 0.5) return true; // abcdef…, 123456…
    if (new Set(core).size <= Math.max(2, core.length / 8)) return true; // abababab…
    return false;
}

function classes(s: string): { lower: boolean; upper: boolean; digit: boolean; symbol: boolean } {
    return { lower: /[a-z]/.test(s), upper: /[A-Z]/.test(s), digit: /\d/.test(s), symbol: /[^A-Za-z0-9]/.test(s) };
}

interface SecretInfo {
    ruleId: string;
    label: string;
    variable: string;
    consequence: string;
}

function fixesFor(variable: string, start: number, end: number): Fix[] {
    return [
        { kind: "variable", title: `Extract into {{${variable}}}`, start, end, replacement: `{{${variable}}}` },
        { kind: "placeholder", title: "Replace with [REDACTED_SECRET]", start, end, replacement: "[REDACTED_SECRET]" },
        { kind: "remove", title: "Remove the secret", start, end, replacement: "" },
    ];
}

function secretFinding(info: SecretInfo, start: number, end: number, shown: string, confidence: number, variable = info.variable): RuleFinding {
    return {
        ruleId: info.ruleId,
        category: "secret",
        message: `${info.label} (${shown}) — ${info.consequence}. Remove it from the prompt, keep it in a secret store and rotate it.`,
        start,
        end,
        confidence,
        fixes: fixesFor(variable, start, end),
    };
}

// ---------------------------------------------------------------------------------------------------
// Well-known formats

interface FormatSpec extends SecretInfo {
    re: RegExp;
    /** The part of the match after a fixed prefix, checked for placeholders and entropy. */
    bodyFrom?: (m: RegExpMatchArray) => string;
    /** Extra validation; return a confidence, or undefined to drop the match. */
    validate?: (value: string, text: string, start: number) => number | undefined;
    minEntropy?: number;
    /** A cheap test that must pass before the pattern runs at all (only for patterns that need context words). */
    prefilter?: RegExp;
}

function decodeBase64Url(s: string): string | undefined {
    try {
        return Buffer.from(s.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("utf8");
    } catch {
        return undefined;
    }
}

const AWS_SECRET_CONTEXT = /aws_?secret|secret_?access|secret[_ -]?key|\bsecret\b|aws.{0,20}(?:key|credential)/i;

const FORMATS: FormatSpec[] = [
    {
        ruleId: "secret-anthropic-key",
        label: "Anthropic API key",
        variable: "anthropic_api_key",
        consequence: "anyone with it can use your Anthropic account",
        re: /(?<![\w-])sk-ant-[A-Za-z0-9_-]{20,}(?![\w-])/g,
        bodyFrom: (m) => m[0].replace(/^sk-ant-(?:[a-z]+\d{2}-)?/, ""),
    },
    {
        ruleId: "secret-openai-key",
        label: "OpenAI API key",
        variable: "openai_api_key",
        consequence: "anyone with it can use your OpenAI account",
        re: /(?<![\w-])sk-(?!ant-)(?:(?:proj|svcacct|admin|None)-)?[A-Za-z0-9_-]{20,}(?![\w-])/g,
        bodyFrom: (m) => m[0].replace(/^sk-(?:(?:proj|svcacct|admin|None)-)?/, ""),
    },
    {
        ruleId: "secret-aws-access-key-id",
        label: "AWS access key ID",
        variable: "aws_access_key_id",
        consequence: "together with its secret key it gives access to your AWS account",
        re: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
        bodyFrom: (m) => m[0].slice(4),
        minEntropy: 2.5,
    },
    {
        ruleId: "secret-aws-secret-key",
        label: "AWS secret access key",
        variable: "aws_secret_access_key",
        consequence: "it gives access to your AWS account",
        re: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
        // It is only reported next to a word such as "secret" or "aws" (see validate): skip texts without one.
        prefilter: /secret|aws/i,
        minEntropy: 4,
        validate: (value, text, start) => {
            const c = classes(value);
            if (!c.lower || !c.upper || !c.digit) return undefined; // hex digests (git SHAs) are lower case only
            return AWS_SECRET_CONTEXT.test(text.slice(Math.max(0, start - 60), start)) ? 0.9 : undefined;
        },
    },
    {
        ruleId: "secret-github-token",
        label: "GitHub token",
        variable: "github_token",
        consequence: "anyone with it can act as you on GitHub",
        re: /(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{50,255})(?![A-Za-z0-9_])/g,
        bodyFrom: (m) => m[0].replace(/^(?:gh[pousr]_|github_pat_)/, ""),
    },
    {
        ruleId: "secret-slack-token",
        label: "Slack token",
        variable: "slack_token",
        consequence: "anyone with it can read and post in your Slack workspace",
        re: /(?<![\w-])xox[baprs]-[A-Za-z0-9-]{10,}(?![\w-])/g,
        bodyFrom: (m) => m[0].slice(5),
        minEntropy: 2.8,
        validate: (value) => (/\d/.test(value) ? 0.95 : undefined),
    },
    {
        ruleId: "secret-slack-webhook",
        label: "Slack webhook URL",
        variable: "slack_webhook_url",
        consequence: "anyone with it can post into your Slack channel",
        re: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{20,}/g,
        bodyFrom: (m) => m[0].replace(/^https:\/\/hooks\.slack\.com\/[a-z]+\//, ""),
        minEntropy: 3,
    },
    {
        ruleId: "secret-google-api-key",
        label: "Google API key",
        variable: "google_api_key",
        consequence: "anyone with it can use your Google Cloud quota",
        re: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g,
        bodyFrom: (m) => m[0].slice(4),
    },
    {
        ruleId: "secret-stripe-key",
        label: "Stripe secret key",
        variable: "stripe_secret_key",
        consequence: "anyone with it can act on your Stripe account",
        re: /(?<![\w])(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}(?![\w])/g,
        bodyFrom: (m) => m[0].replace(/^(?:sk|rk)_(?:live|test)_/, ""),
        validate: (value) => (value.includes("_test_") ? 0.8 : 0.97),
    },
    {
        ruleId: "secret-jwt",
        label: "JSON Web Token",
        variable: "jwt",
        consequence: "it may let anyone act as its holder until it expires",
        re: /(?<![\w-])eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*(?![\w-])/g,
        minEntropy: 0,
        validate: (value) => {
            const header = decodeBase64Url(value.slice(0, value.indexOf(".")));
            if (!header) return undefined;
            try {
                const h: unknown = JSON.parse(header);
                return h && typeof h === "object" && typeof (h as { alg?: unknown }).alg === "string" ? 0.9 : undefined;
            } catch {
                return undefined;
            }
        },
    },
];

const DEFAULT_MIN_ENTROPY = 3;

function checkFormat(spec: FormatSpec, ctx: RuleContext): RuleFinding[] {
    const text = ctx.text;
    const out: RuleFinding[] = [];
    if (spec.prefilter && !spec.prefilter.test(text)) return out;
    for (const m of text.matchAll(spec.re)) {
        const value = m[0];
        const body = spec.bodyFrom ? spec.bodyFrom(m) : value;
        if (isPlaceholderSecret(body) || /EXAMPLE/i.test(value)) continue;
        if (shannonEntropy(body) < (spec.minEntropy ?? DEFAULT_MIN_ENTROPY)) continue;
        const confidence = spec.validate ? spec.validate(value, text, m.index) : 0.95;
        if (confidence === undefined) continue;
        out.push(secretFinding(spec, m.index, m.index + value.length, previewSecret(value), confidence));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// PEM private key blocks

const PEM_INFO: SecretInfo = {
    ruleId: "secret-private-key",
    label: "Private key block",
    variable: "private_key",
    consequence: "anyone with it can impersonate its owner or decrypt their data",
};

function checkPem(ctx: RuleContext): RuleFinding[] {
    const text = ctx.text;
    const out: RuleFinding[] = [];
    const re = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?)-----/g;
    const missing = new Set<string>(); // END markers known not to occur later (keeps many open blocks linear)
    for (const m of text.matchAll(re)) {
        const start = m.index;
        const afterBegin = start + m[0].length;
        const endMarker = `-----END ${m[1]!}-----`;
        const endAt = missing.has(endMarker) ? -1 : text.indexOf(endMarker, afterBegin);
        if (endAt < 0) missing.add(endMarker);
        let end: number;
        let body: string;
        if (endAt >= 0) {
            end = endAt + endMarker.length;
            body = text.slice(afterBegin, endAt);
        } else {
            // No END line: the block runs over the following base64 / header lines.
            const rest = /^(?:\r?\n(?:[A-Za-z0-9+/=]+|[A-Za-z-]+: .*)(?=\r?\n|$))*/.exec(text.slice(afterBegin))![0].replace(/\s+$/, "");
            end = afterBegin + rest.length;
            body = rest;
        }
        const b64 = body.replace(/^[A-Za-z-]+: .*$/gm, "").replace(/[^A-Za-z0-9+/=]/g, "");
        if (b64.length < 40 || isPlaceholderSecret(b64)) continue; // "-----BEGIN PRIVATE KEY-----\n...\n-----END…"
        out.push(secretFinding(PEM_INFO, start, end, `-----BEGIN ${m[1]!}----- …`, 0.99));
        re.lastIndex = end;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------
// Generic: high-entropy values assigned to key-like names

const ASSIGN_INFO: SecretInfo = {
    ruleId: "secret-assignment",
    label: "Secret-looking value",
    variable: "secret",
    consequence: "it is assigned to a credential-like name and looks random",
};

const ASSIGN_RE =
    /(?<![\w-])(?<key>["']?[A-Za-z0-9_.-]{0,40}?(?:api[_-]?key|apikey|secret|token|password|passwd|pwd|auth|access[_-]?key|private[_-]?key|credentials?|session[_-]?key)[A-Za-z0-9_.-]{0,40}["']?)[ \t]*(?::=|=>|=|:)[ \t]*(?:(?<q>["'`])(?<qv>[^"'`\r\n]{1,500})\k<q>|(?<bv>(?:Bearer[ \t]+|Basic[ \t]+|Token[ \t]+)?[^\s"'`,;#()}\]]+))/gi;
/** Key-name parts that say the value is not a credential (max_tokens, token_count, secret_name, commit_sha, …). */
const NOT_SECRET_KEY_PARTS = new Set([
    "tokens", "tokenizer", "hash", "sha", "sha1", "sha256", "sha512", "md5", "digest", "checksum", "commit", "etag", "author", "count",
    "limit", "max", "min", "length", "len", "size", "url", "uri", "endpoint", "path", "file", "name", "type", "hint", "policy",
    "expiry", "expires", "expiration", "ttl", "timeout", "header", "field", "label", "prompt", "usage", "format",
]);
const ENV_REFERENCE = /^\$|^%[A-Z0-9_]+%$|process\.env|os\.environ|getenv|\benv\(|^\{\{|^<.*>$|^\[.*\]$|^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$|^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^https?:\/\//;

function variableName(key: string): string {
    const name = key
        .replace(/["']/g, "")
        .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "_")
        .replace(/^_+|_+$/g, "");
    return name || "secret";
}

/** Entropy threshold for a value of `n` characters (random 16-char values rarely exceed 3.5 bits). */
function entropyThreshold(n: number): number {
    return Math.min(3.5, 0.8 * Math.log2(n));
}

export function looksLikeRandomSecret(value: string): boolean {
    if (value.length < 16) return false;
    if (isPlaceholderSecret(value) || ENV_REFERENCE.test(value)) return false;
    if (/^[a-z]+(?:[_-][a-z]+)*$/i.test(value)) return false; // words
    const c = classes(value);
    const letters = c.lower || c.upper;
    if (!((letters && c.digit) || (c.lower && c.upper && c.symbol))) return false;
    return shannonEntropy(value) >= entropyThreshold(value.length);
}

/** Every ASSIGN_RE match contains one of these words: texts without any are skipped at once. */
const ASSIGN_KEYWORDS = /api[_-]?key|apikey|secret|token|passw|pwd|auth|access[_-]?key|private[_-]?key|credential|session[_-]?key/i;

function checkAssignment(ctx: RuleContext, specificFindings: () => RuleFinding[]): RuleFinding[] {
    let known: RuleFinding[] | undefined;
    const text = ctx.text;
    const out: RuleFinding[] = [];
    if (!ASSIGN_KEYWORDS.test(text)) return out;
    for (const m of text.matchAll(ASSIGN_RE)) {
        const g = m.groups ?? {};
        const key = g.key ?? "";
        if (variableName(key).split("_").some((part) => NOT_SECRET_KEY_PARTS.has(part))) continue;
        let raw = g.qv ?? g.bv ?? "";
        const rawOffset = m[0].length - raw.length - (g.qv !== undefined ? 1 : 0);
        let start = m.index + rawOffset;
        const scheme = /^(?:Bearer|Basic|Token)[ \t]+/i.exec(raw);
        if (scheme) {
            raw = raw.slice(scheme[0].length);
            start += scheme[0].length;
        }
        const value = raw.trim();
        start += raw.indexOf(value);
        const end = start + value.length;
        if (!looksLikeRandomSecret(value)) continue;
        known ??= specificFindings(); // only when there is a candidate: the specific rules are not free
        if (known.some((f) => f.start < end && start < f.end)) continue; // a specific rule reports it
        const confidence = shannonEntropy(value) >= 4 ? 0.85 : 0.7;
        out.push(secretFinding(ASSIGN_INFO, start, end, previewSecret(value), confidence, variableName(key)));
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------

export function secretRules(): Rule[] {
    const formatRules: Rule[] = FORMATS.map((spec) => ({
        id: spec.ruleId,
        category: "secret",
        defaultSeverity: "error",
        description: `${spec.label}s.`,
        check: (ctx: RuleContext) => checkFormat(spec, ctx),
    }));
    const pemRule: Rule = {
        id: PEM_INFO.ruleId,
        category: "secret",
        defaultSeverity: "error",
        description: "PEM private key blocks (-----BEGIN … PRIVATE KEY-----).",
        check: checkPem,
    };
    const specific = [...formatRules, pemRule];
    const assignment: Rule = {
        id: ASSIGN_INFO.ruleId,
        category: "secret",
        defaultSeverity: "warning",
        description: "High-entropy values assigned to credential-like names (api_key=, \"token\": …, password: …).",
        check: (ctx: RuleContext) => checkAssignment(ctx, () => specific.flatMap((r) => r.check(ctx))),
    };
    return [...specific, assignment];
}
