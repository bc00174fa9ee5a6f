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

/**
 * Encodings whose pre-tokeniser never joins text across the end of a newline run (`\s*[\r\n]+` takes
 * a whole run of whitespace up to its last newline), so a text can be counted piece by piece, cut
 * right after such a run, with exactly the whole text's count. (GPT-2-era p50k/r50k split newline
 * runs differently and are always counted whole.)
 */
const LINE_ADDITIVE: ReadonlySet<TokenEncoding> = new Set(["cl100k_base", "o200k_base"]);

/** End offsets of the pieces: each cut is right after the last newline of a whitespace run. */
export function tokenPieces(text: string): number[] {
    const ends: number[] = [];
    const n = text.length;
    let i = 0;
    while (i < n) {
        const nl = text.indexOf("\n", i);
        if (nl < 0) break;
        // Extend over the whitespace run around this newline, remembering its last newline.
        let j = nl + 1;
        let lastNl = nl;
        while (j < n) {
            const c = text.charCodeAt(j);
            if (c === 10) lastNl = j;
            else if (c !== 32 && c !== 9 && c !== 13 && c !== 11 && c !== 12) break;
            j++;
        }
        if (lastNl + 1 < n) ends.push(lastNl + 1);
        i = j;
    }
    ends.push(n);
    return ends;
}

/** Token counts of recent pieces (lines), per encoding: relinting after an edit re-encodes only changed lines. */
const pieceCounts = new Map<TokenEncoding, Map<string, number>>();
const PIECE_CACHE_ENTRIES = 50_000;

function pieceCount(piece: string, encoding: TokenEncoding): number {
    let cache = pieceCounts.get(encoding);
    if (!cache) pieceCounts.set(encoding, (cache = new Map()));
    let n = cache.get(piece);
    if (n === undefined) {
        n = encodeTokens(piece, encoding).length;
        if (cache.size >= PIECE_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
        cache.set(piece, n);
    }
    return n;
}

/** Token count of `text` (exact; piecewise and cached for cl100k_base and o200k_base). */
export function countTokens(text: string, encoding: TokenEncoding = DEFAULT_TOKEN_ENCODING): number {
    if (!LINE_ADDITIVE.has(encoding)) return encodeTokens(text, encoding).length;
    let total = 0;
    let start = 0;
    for (const end of tokenPieces(text)) {
        total += pieceCount(text.slice(start, end), encoding);
        start = end;
    }
    return total;
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

/** Where the text goes past `budget` tokens; only the piece that crosses the budget is encoded in detail. */
function overBudgetOffset(text: string, budget: number, encoding: TokenEncoding): number {
    if (!LINE_ADDITIVE.has(encoding)) return budgetOffset(text, encodeTokens(text, encoding), budget, encoding);
    let before = 0;
    let start = 0;
    for (const end of tokenPieces(text)) {
        const piece = text.slice(start, end);
        const n = pieceCount(piece, encoding);
        if (before + n > budget) return start + budgetOffset(piece, encodeTokens(piece, encoding), budget - before, encoding);
        before += n;
        start = end;
    }
    return text.length;
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
            const total = countTokens(ctx.text, encoding);
            if (total <= budget) return [];
            const start = overBudgetOffset(ctx.text, Math.floor(budget), encoding);
            return [{
                ruleId: "token-limit",
                category: "token-limit",
                message: `${total} tokens, over the budget of ${budget} (${encoding})`,
                start,
                end: ctx.text.length,
            }];
        },
    };
}
