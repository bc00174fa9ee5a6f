// Shared types of the prompt linter. Offsets are UTF-16 code-unit offsets into the ORIGINAL text
// (what JavaScript string indices and VS Code's offsetAt use), half-open [start, end).

export const CATEGORIES = ["pii", "secret", "injection", "sensitive", "policy", "token-limit"] as const;
export type Category = (typeof CATEGORIES)[number];

export type Severity = "off" | "info" | "warning" | "error";
export type ActiveSeverity = Exclude<Severity, "off">;

export interface Fix {
    /** mask: keep the last 4 characters; placeholder: a typed placeholder like [EMAIL]; variable: extract into {{name}}; remove; replace: free replacement. */
    kind: "mask" | "placeholder" | "variable" | "remove" | "replace";
    /** Short imperative title for a quick-fix menu, e.g. "Replace with [EMAIL]". */
    title: string;
    /** Edit range in the original text (usually the finding's range). */
    start: number;
    end: number;
    replacement: string;
}

/** What a rule reports; the engine adds severity and the matched text, applies suppressions and sorts. */
export interface RuleFinding {
    ruleId: string;
    category: Category;
    /** Plain-language message. Never contains a secret in full. */
    message: string;
    start: number;
    end: number;
    /** 0..1; rules that use context words raise it. */
    confidence?: number;
    fixes?: Fix[];
    /** A rule may grade single findings (a lexicon term's own severity); otherwise the rule's setting applies. */
    severity?: ActiveSeverity;
}

export interface Finding extends Omit<RuleFinding, "severity"> {
    severity: ActiveSeverity;
    /** The original matched text (for secrets, callers that print it must mask it). */
    text: string;
    fixes: Fix[];
}

/**
 * Text after normalisation (NFKC, full-width → half-width, case folding, invisible characters removed,
 * look-alikes folded), with a map back to the original text.
 */
export interface NormalizedText {
    /** The normalised text. */
    readonly text: string;
    /** The original text. */
    readonly original: string;
    /** Maps a normalised half-open range back to the exact original range that produced it. */
    toOriginal(start: number, end: number): { start: number; end: number };
}

export interface RuleContext {
    /** The original text. */
    text: string;
    /** Lazily built normalisation of `text` (shared by all rules). */
    normalized(): NormalizedText;
    /** The rule's options from the config (already validated by the rule's own schema, if any). */
    options: Readonly<Record<string, unknown>>;
}

export interface Rule {
    id: string;
    category: Category;
    defaultSeverity: Severity;
    /** One sentence for docs and SARIF rule metadata. */
    description: string;
    /**
     * "document": the rule needs the whole text at once (token budget, required text, delimiters that
     * span paragraphs). Otherwise the engine may run it paragraph by paragraph and cache the results.
     */
    scope?: "document" | "paragraph";
    check(ctx: RuleContext): RuleFinding[];
}
