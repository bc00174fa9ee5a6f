// Conversation memory for follow-ups: turns, the turn limit, fitting the newest turns to a budget, and
// the round trip through JSON (what the editor stores).
// Needs the .md loader: node --import tsx --import ./scripts/md-loader.mjs --test test/codegen-conversation.spec.ts
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Conversation, DEFAULT_MAX_TURNS, toHistory, type Turn } from "../src/core/codegen/conversation.ts";
import { buildCodegenPrompt } from "../src/core/codegen/prompt.ts";
import { countTokens } from "../src/core/lint/rules/tokenLimit.ts";

const tiktoken = (s: string): number => countTokens(s, "cl100k_base");
const turn = (i: number, lines = 3): Turn => ({
    requirements: `Request ${i}: write helper_${i}.`,
    language: "python",
    answer: Array.from({ length: lines }, (_, k) => `def helper_${i}_${k}(x):\n    return x * ${k}`).join("\n\n"),
    at: 1_700_000_000_000 + i,
});

describe("Conversation", () => {
    it("adds turns oldest first, keeps at most maxTurns (default 20), clears", () => {
        const c = new Conversation();
        assert.equal(c.maxTurns, DEFAULT_MAX_TURNS);
        for (let i = 1; i <= 25; i++) c.add(turn(i));
        assert.equal(c.length, 20);
        assert.equal(c.turns[0]!.requirements, "Request 6: write helper_6.");
        assert.equal(c.turns[19]!.requirements, "Request 25: write helper_25.");
        const small = new Conversation([turn(1), turn(2), turn(3)], 2);
        assert.deepEqual(small.turns.map((t) => t.at), [turn(2).at, turn(3).at]);
        small.clear();
        assert.deepEqual(small.turns, []);
        assert.equal(small.length, 0);
        const none = new Conversation([turn(1)], 0);
        none.add(turn(2));
        assert.equal(none.length, 0);
    });

    it("turns and toJSON are copies: changing them does not change the conversation", () => {
        const c = new Conversation([turn(1)]);
        (c.turns as Turn[]).push(turn(2));
        c.toJSON()[0]!.answer = "changed";
        const t = turn(3);
        c.add(t);
        t.answer = "changed too";
        assert.equal(c.length, 2);
        assert.equal(c.turns[0]!.answer, turn(1).answer);
        assert.equal(c.turns[1]!.answer, turn(3).answer);
    });

    it("round-trips through JSON; malformed stored turns are dropped, a malformed new turn is refused", () => {
        const c = new Conversation([turn(1), { requirements: "no language", answer: "x = 1", at: 5 }]);
        const stored = JSON.parse(JSON.stringify(c)) as unknown[];
        assert.deepEqual(new Conversation(stored as Turn[]).toJSON(), c.toJSON());
        assert.equal("language" in c.toJSON()[1]!, false);
        const junk = [turn(1), null, 42, { requirements: "x" }, { requirements: "a", answer: "b", at: "yesterday" }, turn(2)];
        assert.deepEqual(new Conversation(junk as Turn[]).turns.map((t) => t.at), [turn(1).at, turn(2).at]);
        assert.deepEqual(new Conversation("nonsense" as unknown as Turn[]).turns, []);
        assert.throws(() => c.add({ requirements: "a" } as Turn), TypeError);
    });

    it("fit keeps the newest turns that fit, dropping the oldest first, and never skips over a turn", () => {
        const c = new Conversation([turn(1, 1), turn(2, 30), turn(3, 2), turn(4, 2)]);
        const all = c.fit(100_000, tiktoken);
        assert.equal(all.dropped, 0);
        assert.deepEqual(all.turns.map((t) => t.at), [1, 2, 3, 4].map((i) => turn(i).at));

        // Room for the two newest turns, not for the big second one: the small first one is dropped too.
        const two = new Conversation([turn(3, 2), turn(4, 2)]).fit(100_000, tiktoken).tokens;
        const r = c.fit(two + 5, tiktoken);
        assert.deepEqual(r.turns.map((t) => t.at), [turn(3).at, turn(4).at]);
        assert.equal(r.dropped, 2);
        assert.equal(r.tokens, two);
        assert.ok(r.tokens <= two + 5);

        const nothing = c.fit(3, tiktoken);
        assert.deepEqual(nothing, { turns: [], dropped: 4, tokens: 0 });
        assert.deepEqual(new Conversation().fit(1000, tiktoken), { turns: [], dropped: 0, tokens: 0 });
    });

    it("fit's total covers what the history adds to the prompt", () => {
        const c = new Conversation([turn(1, 2), turn(2, 4), turn(3, 1)]);
        for (const budget of [50, 150, 300, 1000, 10_000]) {
            const r = c.fit(budget, tiktoken);
            assert.ok(r.tokens <= budget, `${r.tokens} over ${budget}`);
            assert.equal(r.turns.length + r.dropped, 3);
            const req = { requirements: "Now add tests for it.", language: "python" };
            const withHistory = buildCodegenPrompt({ ...req, history: toHistory(r.turns) });
            const without = buildCodegenPrompt(req);
            const added = tiktoken(withHistory.user) - tiktoken(without.user);
            assert.ok(added <= r.tokens, `the history adds ${added} tokens, fit counted ${r.tokens} (budget ${budget})`);
            // And not wildly more: the estimate is within a few tokens per turn.
            assert.ok(r.tokens - added <= 4 + 2 * r.turns.length, `fit counted ${r.tokens}, the prompt grew by ${added}`);
        }
    });

    it("fit counts each turn once per call", () => {
        const c = new Conversation(Array.from({ length: 10 }, (_, i) => turn(i + 1)));
        let calls = 0;
        const r = c.fit(1_000_000, (s) => {
            calls++;
            return tiktoken(s);
        });
        assert.equal(r.turns.length, 10);
        assert.equal(calls, 11, "one frame + one per turn");
    });

    it("toHistory maps turns to the prompt's history entries", () => {
        assert.deepEqual(toHistory([turn(1, 1), { requirements: "r", answer: "a", at: 0 }]), [
            { requirements: "Request 1: write helper_1.", code: "def helper_1_0(x):\n    return x * 0", language: "python" },
            { requirements: "r", code: "a" },
        ]);
    });
});
