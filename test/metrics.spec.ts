// Monitoring aggregation (src/core/metrics.ts). Expected values are worked out by hand from the
// definitions (numpy's linear percentile: h = (n − 1)·p/100, v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋])).
import { test } from "node:test";
import assert from "node:assert/strict";
import { aggregateRuns, percentile, runLatencyMs, spread, NO_SOURCE_KEY, type MonitorRow } from "../src/core/metrics.ts";
import type { FeedbackRecord, RunRecord } from "../src/core/store/records.ts";

const close = (actual: number | undefined, expected: number, what: string): void => {
    assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);
};

test("percentile: linear interpolation between closest ranks", () => {
    const v = [50, 15, 40, 20, 35]; // sorted: 15 20 35 40 50, n − 1 = 4
    close(percentile(v, 0), 15, "p0");
    close(percentile(v, 100), 50, "p100");
    close(percentile(v, 50), 35, "p50: h = 2");
    close(percentile(v, 40), 29, "p40: h = 1.6 → 20 + 0.6·(35 − 20)");
    close(percentile(v, 95), 48, "p95: h = 3.8 → 40 + 0.8·(50 − 40)");
    close(percentile(v, 99), 49.6, "p99: h = 3.96 → 40 + 0.96·10");

    const w = [1, 2, 3, 4]; // n − 1 = 3
    close(percentile(w, 50), 2.5, "p50: h = 1.5");
    close(percentile(w, 25), 1.75, "p25: h = 0.75");
    close(percentile(w, 99), 3.97, "p99: h = 2.97");
    close(percentile([7], 95), 7, "one value");
    close(percentile([3, 3, 3], 99), 3, "equal values");
    close(percentile([1, NaN, 3, Infinity], 50), 2, "non-finite values are ignored");
    assert.equal(percentile([], 50), undefined);
    assert.equal(percentile([NaN], 50), undefined);
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], -1), RangeError);
    const input = [3, 1, 2];
    percentile(input, 50);
    assert.deepEqual(input, [3, 1, 2], "the input is not sorted in place");
});

test("spread: n, min, max, mean and the sample standard deviation", () => {
    const s = spread([2, 4, 4, 4, 5, 5, 7, 9])!;
    // mean 40/8 = 5; squared deviations 9+1+1+1+0+0+4+16 = 32; sample variance 32/7.
    assert.deepEqual({ n: s.n, min: s.min, max: s.max, mean: s.mean }, { n: 8, min: 2, max: 9, mean: 5 });
    close(s.stdev, Math.sqrt(32 / 7), "stdev");
    assert.deepEqual(spread([3]), { n: 1, min: 3, max: 3, mean: 3, stdev: 0 });
    const t = spread([10, 20])!;
    close(t.stdev, Math.sqrt(50), "two values: (25 + 25)/1");
    assert.equal(spread([]), undefined);
    assert.equal(spread([NaN, Infinity]), undefined);
});

let seq = 0;
function r(over: Partial<RunRecord>): RunRecord {
    return {
        id: `r${++seq}`,
        at: "2024-01-01T00:00:00.000Z",
        kind: "playground",
        model: "a.gguf",
        request: { user: "u" },
        sampling: {},
        output: "o",
        stopReason: "eos",
        ...over,
    };
}
const metrics = (totalMs: number, tokensPerSecond: number, cacheHit = false): RunRecord["metrics"] =>
    ({ totalMs, timeToFirstTokenMs: 5, tokensPerSecond, promptTokens: 3, outputTokens: 10, cacheHit });
let fseq = 0;
const fb = (runId: string, at: string, f: Partial<FeedbackRecord>): FeedbackRecord => ({ id: `f${++fseq}`, at, runId, ...f });

test("aggregateRuns by model: latency, speed, cache hits, flags, errors, acceptance and corrections", () => {
    const a1 = r({ metrics: metrics(100, 10), source: "x.prompt.md" });
    const a2 = r({ metrics: metrics(300, 30), flagged: true, kind: "codegen" });
    const a3 = r({ metrics: metrics(200, 1000, true), source: "x.prompt.md" });
    const aErr = r({ stopReason: "error", error: "crashed", metrics: metrics(5000, 99) });
    const b1 = r({ model: "b.gguf" });
    const rows = aggregateRuns([a1, a2, a3, aErr, b1], [
        fb(a1.id, "2024-01-02T00:00:00.000Z", { rating: "up" }),
        fb(a1.id, "2024-01-03T00:00:00.000Z", { rating: "down" }), // latest: down
        fb(a2.id, "2024-01-05T00:00:00.000Z", { rating: "up" }), // latest by time, though listed first
        fb(a2.id, "2024-01-04T00:00:00.000Z", { rating: "down" }),
        fb(a3.id, "2024-01-02T00:00:00.000Z", { correction: "fixed text" }), // no rating: counts as down
        fb(aErr.id, "2024-01-02T00:00:00.000Z", { rating: "up" }),
        fb(aErr.id, "2024-01-02T00:00:00.000Z", { note: "only a note" }),
        fb("not-in-runs", "2024-01-02T00:00:00.000Z", { rating: "down" }),
    ], "model");
    assert.deepEqual(rows.map((x) => x.key), ["a.gguf", "b.gguf"]);
    const a = rows[0]!;
    assert.equal(a.requests, 4);
    assert.equal(a.errors, 1);
    // Latency over 100 and 300 (the cache hit's 200 and the error's 5000 left out): h = p/100.
    close(a.latencyMs?.p50, 200, "p50: h = 0.5 → 100 + 0.5·200");
    close(a.latencyMs?.p95, 290, "p95: h = 0.95 → 100 + 0.95·200");
    close(a.latencyMs?.p99, 298, "p99: h = 0.99");
    close(a.tokensPerSecond, 20, "median of 10 and 30 (the cache hit's 1000 and the error's 99 left out)");
    close(a.cacheHitRate, 1 / 3, "one cache hit in three successful runs");
    close(a.flaggedRate, 1 / 3, "one flagged in three successful runs");
    assert.deepEqual(a.acceptance, { up: 2, down: 2, rate: 0.5 }, "a1 down, a2 up, a3 corrected → down, aErr up");
    assert.equal(a.corrections, 1);

    const b = rows[1]!;
    const expectedB: MonitorRow = { key: "b.gguf", requests: 1, errors: 0, stopped: 0, flaggedRate: 0, acceptance: { up: 0, down: 0 }, corrections: 0 };
    assert.deepEqual(b, expectedB, "no metrics: no latency, speed or cache rate; no ratings: no acceptance rate");
});

test("aggregateRuns by source and kind; ties in rating time go to the later record; sorting", () => {
    const runs = [
        r({ source: "x.prompt.md", metrics: metrics(10, 5) }),
        r({ source: "x.prompt.md", metrics: metrics(30, 7) }),
        r({ source: "", kind: "codegen" }),
        r({ kind: "codegen" }),
        r({ source: "y.prompt.md" }),
        r({ source: "w.prompt.md" }),
    ];
    const same = "2024-02-01T00:00:00.000Z";
    const feedback = [fb(runs[0]!.id, same, { rating: "down" }), fb(runs[0]!.id, same, { rating: "up" })];
    const bySource = aggregateRuns(runs, feedback, "source");
    assert.deepEqual(bySource.map((x) => [x.key, x.requests]), [["(no prompt file)", 2], ["x.prompt.md", 2], ["w.prompt.md", 1], ["y.prompt.md", 1]]);
    assert.equal(NO_SOURCE_KEY, "(no prompt file)");
    const x = bySource.find((row) => row.key === "x.prompt.md")!;
    assert.deepEqual(x.acceptance, { up: 1, down: 0, rate: 1 });
    close(x.latencyMs?.p50, 20, "p50 of 10 and 30");
    close(x.latencyMs?.p99, 29.8, "p99: h = 0.99 → 10 + 0.99·20");
    close(x.tokensPerSecond, 6, "median of 5 and 7");

    const byKind = aggregateRuns(runs, [], "kind");
    assert.deepEqual(byKind.map((k) => [k.key, k.requests]), [["playground", 4], ["codegen", 2]]);
    assert.deepEqual(aggregateRuns([], [], "model"), []);
});

test("aggregateRuns: stopped runs and cache hits stay out of latency; latency is total less start-up and load", () => {
    const withCold = (totalMs: number, loadMs: number, startupMs: number): RunRecord["metrics"] => ({ ...metrics(totalMs, 40)!, loadMs, startupMs });
    const cold = r({ model: "c.gguf", metrics: withCold(1500, 900, 400) }); // latency 1500 − 900 − 400 = 200
    const warm1 = r({ model: "c.gguf", metrics: metrics(100, 20) });
    const warm2 = r({ model: "c.gguf", metrics: metrics(400, 60), flagged: false });
    const hit = r({ model: "c.gguf", metrics: metrics(0.4, 5000, true) });
    const stopped = r({ model: "c.gguf", stopReason: "abort", metrics: metrics(30, 1), flagged: true });
    const stoppedBare = r({ model: "c.gguf", stopReason: "abort", flagged: true });
    const failed = r({ model: "c.gguf", stopReason: "error", error: "x" });
    const [c] = aggregateRuns([cold, warm1, warm2, hit, stopped, stoppedBare, failed], [], "model");
    assert.equal(c!.requests, 7);
    assert.equal(c!.errors, 1);
    assert.equal(c!.stopped, 2);
    // Latencies 100, 200, 400 (the hit's 0.4 and the stopped run's 30 left out): h = 2·p/100.
    close(c!.latencyMs?.p50, 200, "p50: h = 1");
    close(c!.latencyMs?.p95, 380, "p95: h = 1.9 → 200 + 0.9·200");
    close(c!.latencyMs?.p99, 396, "p99: h = 1.98 → 200 + 0.98·200");
    close(c!.tokensPerSecond, 40, "median of 40, 20, 60 (the hit's 5000 and the stopped run's 1 left out)");
    close(c!.cacheHitRate, 1 / 4, "one hit among the four completed runs");
    close(c!.flaggedRate, 0, "the stopped runs' flags are left out: none of the four completed runs is flagged");
    close(runLatencyMs({ totalMs: 50, loadMs: 80 }), 0, "never below 0");
    close(runLatencyMs({ totalMs: 50 }), 50, "nothing to take off");
});
