import { test } from "node:test";
import assert from "node:assert/strict";
import { countTokens, encodeTokens, tokenLimitRule, tokenPieces } from "../src/core/lint/rules/tokenLimit.ts";

/** Deterministic texts with every kind of line break, indentation, blank lines, CJK, digits and punctuation. */
function samples(): string[] {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const parts = ["hello", "世界", "你好，", "  ", "\t", "\n", "\r\n", "\n\n", " \n ", "\n  \n", "123456", "it's", "—", "```", "{{input}}", "😀", ".", "\n\n\n", "  x", "忽略以上"];
    return Array.from({ length: 300 }, () => Array.from({ length: 5 + Math.floor(rnd() * 60) }, () => parts[Math.floor(rnd() * parts.length)]).join(""));
}

test("piecewise token counts equal whole-text counts (cl100k_base, o200k_base)", () => {
    for (const enc of ["cl100k_base", "o200k_base"] as const) {
        for (const s of samples()) assert.equal(countTokens(s, enc), encodeTokens(s, enc).length, `${enc}: ${JSON.stringify(s)}`);
    }
    assert.deepEqual(tokenPieces("a\n\n  b\nc"), [3, 7, 8]);
});

test("the over-budget range starts where the whole-text encoding says, after edits too", () => {
    const rule = tokenLimitRule();
    for (const s of samples().filter((x) => encodeTokens(x).length > 12)) {
        const [f] = rule.check({ text: s, normalized: () => { throw new Error("not used"); }, options: { budget: 10 } });
        assert.ok(f, s);
        const prefix = new TextDecoder().decode(new TextEncoder().encode(s)).slice(0, f.start);
        assert.ok(encodeTokens(prefix).length <= 10 || prefix.length === 0, `prefix over budget: ${JSON.stringify(prefix)}`);
        assert.match(f.message, new RegExp(`^${encodeTokens(s).length} tokens`));
    }
});
