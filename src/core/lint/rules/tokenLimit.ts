// token-limit: reports a prompt whose token count is over a budget, with js-tiktoken's encoders.
// The rank tables are imported statically (a bundle holds them either way, and Rule.check is
// synchronous); an encoder is built from its table only on first use and then cached, so a run
// pays only for the encodings it uses.
import { Tiktoken } from "js-tiktoken/lite";
import cl100k_base from "js-tiktoken/ranks/cl100k_base";
import o200k_base from "js-tiktoken/ranks/o200k_base";
import p50k_base from "js-tiktoken/ranks/p50k_base";
import r50k_base from "js-tiktoken/ranks/r50k_base";
import type { Rule } from "../types.ts";

export const TOKEN_ENCODINGS = ["cl100k_base", "o200k_base", "p50k_base", "r50k_base"] as const;
export type TokenEncoding = (typeof TOKEN_ENCODINGS)[number];
export const DEFAULT_TOKEN_ENCODING: TokenEncoding = "cl100k_base";

const RANKS: Record<TokenEncoding, ConstructorParameters<typeof Tiktoken>[0]> = { cl100k_base, o200k_base, p50k_base, r50k_base };
const encoders = new Map<TokenEncoding, Tiktoken>();

export function isTokenEncoding(e: unknown): e is TokenEncoding {
    return typeof e === "string" && (TOKEN_ENCODINGS as readonly string[]).includes(e);
}

/** The (cached) encoder of an encoding. */
export function getEncoder(encoding: TokenEncoding = DEFAULT_TOKEN_ENCODING): Tiktoken {
    let enc = encoders.get(encoding);
    if (!enc) {
        enc = new Tiktoken(RANKS[encoding]);
        encoders.set(encoding, enc);
    }
    return enc;
}

/** Tokens of `text`; special-token markers such as <|endoftext|> count as ordinary text. */
export function encodeTokens(text: string, encoding: TokenEncoding = DEFAULT_TOKEN_ENCODING): number[] {
    return getEncoder(encoding).encode(text, [], []);
}

export function countTokens(text: string, encoding: TokenEncoding = DEFAULT_TOKEN_ENCODING): number {
    return encodeTokens(text, encoding).length;
}

/**
 * UTF-16 offset of the first character not entirely within the first `budget` tokens (text.length
 * when the text fits). A character whose UTF-8 bytes are split between token `budget - 1` and token
 * `budget` counts as past the budget.
 */
export function budgetOffset(text: string, tokens: readonly number[], budget: number, encoding: TokenEncoding = DEFAULT_TOKEN_ENCODING): number {
    if (tokens.length <= budget) return text.length;
    if (budget <= 0) return 0;
    const prefix = getEncoder(encoding).decode(tokens.slice(0, budget));
    if (text.startsWith(prefix)) return prefix.length;
    // The prefix ends inside a character (decoded as U+FFFD): the longest common prefix ends where
    // that character starts.
    let k = 0;
    const n = Math.min(prefix.length, text.length);
    while (k < n && prefix.charCodeAt(k) === text.charCodeAt(k)) k++;
    // Never split a surrogate pair.
    if (k > 0 && k < text.length && /[\uD800-\uDBFF]/.test(text[k - 1]!) && /[\uDC00-\uDFFF]/.test(text[k]!)) k--;
    return k;
}

export interface TokenLimitOptions {
    budget: number;
    encoding?: TokenEncoding;
}

export function tokenLimitRule(): Rule {
    return {
        id: "token-limit",
        category: "token-limit",
        defaultSeverity: "off",
        description: "Reports a prompt whose token count is over the configured budget.",
        check(ctx) {
            const budget = ctx.options.budget;
            if (typeof budget !== "number" || !Number.isFinite(budget) || budget < 0) return [];
            const encoding = isTokenEncoding(ctx.options.encoding) ? ctx.options.encoding : DEFAULT_TOKEN_ENCODING;
            const tokens = encodeTokens(ctx.text, encoding);
            if (tokens.length <= budget) return [];
            const start = budgetOffset(ctx.text, tokens, Math.floor(budget), encoding);
            return [{
                ruleId: "token-limit",
                category: "token-limit",
                message: `${tokens.length} tokens, over the budget of ${budget} (${encoding})`,
                start,
                end: ctx.text.length,
            }];
        },
    };
}
