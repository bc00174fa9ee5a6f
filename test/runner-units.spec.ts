import { test } from "node:test";
import assert from "node:assert/strict";
import { decideThreads } from "../src/core/runner/threads.ts";
import { LatencyTracker, percentile } from "../src/core/runner/latency.ts";
import { ResponseCache, stableStringify } from "../src/core/runner/cache.ts";
import { normalizeSampling, isDeterministic, DEFAULT_SAMPLING } from "../src/core/sampling.ts";
import { PromptsmithError } from "../src/core/errors.ts";
import type { GenerateResult } from "../src/core/runner/protocol.ts";

test("threads: never above min(cpuMathCores, availableParallelism); one left for the editor on ≤4 cores", () => {
    assert.deepEqual(decideThreads({ cpuMathCores: 2, availableParallelism: 2 }), { threads: 1, ceiling: 2 });
    assert.deepEqual(decideThreads({ cpuMathCores: 1, availableParallelism: 1 }), { threads: 1, ceiling: 1 });
    assert.deepEqual(decideThreads({ cpuMathCores: 4, availableParallelism: 8 }), { threads: 3, ceiling: 4 });
    assert.deepEqual(decideThreads({ cpuMathCores: 8, availableParallelism: 4 }), { threads: 3, ceiling: 4 });
    assert.deepEqual(decideThreads({ cpuMathCores: 8, availableParallelism: 16 }), { threads: 8, ceiling: 8 });
    // A setting overrides the default but is clamped to the ceiling.
    assert.deepEqual(decideThreads({ cpuMathCores: 2, availableParallelism: 2, requested: 2 }), { threads: 2, ceiling: 2 });
    assert.deepEqual(decideThreads({ cpuMathCores: 2, availableParallelism: 2, requested: 4 }), { threads: 2, ceiling: 2, clampedFrom: 4 });
    assert.deepEqual(decideThreads({ cpuMathCores: 2, availableParallelism: 2, requested: 0 }), { threads: 1, ceiling: 2 });
});

test("latency percentiles use nearest rank over a bounded window", () => {
    assert.equal(percentile([], 50), 0);
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(xs, 50), 50);
    assert.equal(percentile(xs, 95), 95);
    assert.equal(percentile(xs, 99), 99);
    assert.equal(percentile([7], 99), 7);
    const t = new LatencyTracker(10);
    for (let i = 1; i <= 25; i++) t.record(i);
    // Only the last 10 samples (16..25) remain.
    assert.deepEqual(t.summary(), { count: 10, p50: 20, p95: 25, p99: 25 });
});

const result = (text: string): GenerateResult => ({
    text, stopReason: "eos", mode: "completion",
    metrics: { loadMs: 0, startupMs: 0, promptTokens: 1, outputTokens: 1, timeToFirstTokenMs: 1, promptTokensPerSecond: 1, tokensPerSecond: 1, totalMs: 1, cacheHit: false, threads: 1, contextSize: 64 },
});

test("response cache is an LRU bounded by entries and by characters", () => {
    const c = new ResponseCache({ maxEntries: 2, maxChars: 10 });
    c.set("a", result("1234"));
    c.set("b", result("5678"));
    assert.equal(c.get("a")?.text, "1234"); // a is now most recent
    c.set("c", result("9"));
    assert.equal(c.get("b"), undefined, "least recently used entry evicted");
    assert.equal(c.get("a")?.text, "1234");
    c.set("d", result("abcdefgh")); // 4 + 1 + 8 > 10: evicts until it fits
    assert.equal(c.size, 1);
    assert.equal(c.get("d")?.text, "abcdefgh");
    c.set("huge", result("x".repeat(11)));
    assert.equal(c.get("huge"), undefined, "an entry larger than the whole budget is not stored");
    assert.equal(c.hits, 3);
});

test("stable cache keys do not depend on property order", () => {
    assert.equal(stableStringify({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: undefined } }), stableStringify({ a: { d: [1, { x: 1, y: 2 }] }, b: 1 }));
    assert.notEqual(stableStringify({ a: 1 }), stableStringify({ a: 2 }));
});

test("sampling: defaults, determinism, and errors that name the parameter and the range", () => {
    const s = normalizeSampling({});
    assert.equal(s.temperature, DEFAULT_SAMPLING.temperature);
    assert.equal(isDeterministic(s), false);
    assert.equal(isDeterministic(normalizeSampling({ temperature: 0 })), true);
    assert.equal(isDeterministic(normalizeSampling({ seed: 3 })), true);
    const bad: Array<[object, RegExp]> = [
        [{ temperature: -1 }, /temperature/],
        [{ topP: 0 }, /topP/],
        [{ topK: 1.5 }, /topK/],
        [{ minP: 2 }, /minP/],
        [{ seed: -3 }, /seed/],
        [{ maxTokens: 0 }, /maxTokens/],
        [{ stop: [""] }, /stop/],
        [{ grammar: "root ::= \"a\"", jsonSchema: {} }, /grammar and a JSON schema/],
    ];
    for (const [p, re] of bad) {
        assert.throws(() => normalizeSampling(p), (e: unknown) => e instanceof PromptsmithError && e.code === "INVALID_ARGUMENT" && re.test(e.message) && Boolean(e.fix));
    }
});

test("stop matcher cuts at the earliest stop sequence and never streams part of one", async () => {
    const { StopMatcher } = await import("../src/core/runner/stopMatcher.ts");
    const m = new StopMatcher([" park", "END"]);
    let out = "";
    for (const chunk of ["in the", " pa", "r", "k. More"]) out += m.push(chunk);
    assert.equal(out, "in the");
    assert.equal(m.stopped, true);
    assert.equal(m.flush(), "");
    const n = new StopMatcher(["END"]);
    assert.equal(n.push("abc E"), "abc ");
    assert.equal(n.push("N"), "");
    assert.equal(n.push("x"), "ENx", "a partial match that fails is released");
    assert.equal(n.push("tail E"), "tail ");
    assert.equal(n.flush(), "E", "held text is released at the end");
    assert.equal(new StopMatcher([]).push("anything"), "anything");
});
