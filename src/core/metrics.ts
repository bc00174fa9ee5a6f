// Monitoring: latency percentiles, speed, cache hits, flagged outputs and acceptance, aggregated over the
// local history (src/core/store) per model, prompt file or kind of run. Pure functions, no I/O.
import type { FeedbackRecord, RunRecord } from "./store/records.ts";

/**
 * The p-th percentile (p in 0..100) with linear interpolation between the closest ranks (numpy's
 * default, "linear"): rank h = (n − 1)·p/100 over the sorted values, then
 * v[⌊h⌋] + (h − ⌊h⌋)·(v[⌊h⌋+1] − v[⌊h⌋]). Non-finite values are ignored; undefined for no values.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
    if (!Number.isFinite(p) || p < 0 || p > 100) throw new RangeError(`percentile: p must be between 0 and 100, got ${p}.`);
    const v = values.filter(Number.isFinite).sort((a, b) => a - b);
    if (v.length === 0) return undefined;
    const h = ((v.length - 1) * p) / 100;
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, v.length - 1);
    return v[lo]! + (h - lo) * (v[hi]! - v[lo]!);
}

export interface MonitorRow {
    key: string;
    /** Runs in the group, failed and stopped ones included. */
    requests: number;
    /** Runs that ended in an error (stopReason "error"); they do not enter latency, speed or rates. */
    errors: number;
    /** Runs stopped by the user (stopReason "abort"): their times and outputs are cut short, so they do not enter latency, speed or rates either. */
    stopped: number;
    /**
     * Latency (see runLatencyMs: total time less model start-up and load) of the completed runs that were
     * generated, not answered from the response cache (cache hits take ~0 ms; their share is cacheHitRate).
     */
    latencyMs?: { p50: number; p95: number; p99: number };
    /** Median generation speed of the completed runs that were not cache hits (0 = not measured, left out). */
    tokensPerSecond?: number;
    /** Cache hits among the completed runs with metrics. */
    cacheHitRate?: number;
    /** Runs the output check flagged, among the completed runs. */
    flaggedRate?: number;
    /**
     * Per run, its verdict: the latest rating; a run with a correction but no rating counts as "down"
     * (the user had to fix it). rate = up / (up + down), undefined with no verdicts.
     */
    acceptance: { up: number; down: number; rate?: number };
    /** Runs with a correction. */
    corrections: number;
}

export const NO_SOURCE_KEY = "(no prompt file)";

/**
 * A run's latency: its total time less the model process's start-up and the model's load when they are
 * known (a first request pays for both; they say how cold the runner was, not how long the prompt took).
 */
export function runLatencyMs(m: { totalMs: number; loadMs?: number; startupMs?: number }): number {
    return Math.max(0, m.totalMs - (m.loadMs ?? 0) - (m.startupMs ?? 0));
}

/**
 * One row per model (the file name), prompt file (`source`; runs without one under "(no prompt file)")
 * or kind, sorted by requests (most first), then by key. Feedback on runs not in `runs` is ignored;
 * of several ratings on a run the latest (by `at`, then by position in `feedback`) counts.
 */
export function aggregateRuns(runs: readonly RunRecord[], feedback: readonly FeedbackRecord[], by: "model" | "source" | "kind"): MonitorRow[] {
    const verdicts = runVerdicts(feedback);
    const groups = new Map<string, RunRecord[]>();
    for (const r of runs) {
        const key = by === "model" ? r.model : by === "kind" ? r.kind : r.source || NO_SOURCE_KEY;
        const list = groups.get(key);
        if (list) list.push(r);
        else groups.set(key, [r]);
    }
    const rows: MonitorRow[] = [];
    for (const [key, list] of groups) {
        // Completed runs: not failed, not stopped (a stopped run's numbers are cut short).
        const ok = list.filter((r) => r.stopReason !== "error" && r.stopReason !== "abort");
        const measured = ok.filter((r) => r.metrics);
        const latencies = measured.filter((r) => !r.metrics!.cacheHit).map((r) => runLatencyMs(r.metrics!));
        const p50 = percentile(latencies, 50);
        const speeds = measured.filter((r) => !r.metrics!.cacheHit && r.metrics!.tokensPerSecond > 0).map((r) => r.metrics!.tokensPerSecond);
        let up = 0;
        let down = 0;
        let corrections = 0;
        for (const r of list) {
            const v = verdicts.get(r.id);
            if (!v) continue;
            if (v.corrected) corrections++;
            const verdict = v.rating ?? (v.corrected ? "down" : undefined);
            if (verdict === "up") up++;
            else if (verdict === "down") down++;
        }
        const row: MonitorRow = {
            key,
            requests: list.length,
            errors: list.filter((r) => r.stopReason === "error").length,
            stopped: list.filter((r) => r.stopReason === "abort").length,
            acceptance: { up, down, ...(up + down > 0 ? { rate: up / (up + down) } : {}) },
            corrections,
        };
        if (p50 !== undefined) row.latencyMs = { p50, p95: percentile(latencies, 95)!, p99: percentile(latencies, 99)! };
        const tps = percentile(speeds, 50);
        if (tps !== undefined) row.tokensPerSecond = tps;
        if (measured.length > 0) row.cacheHitRate = measured.filter((r) => r.metrics!.cacheHit).length / measured.length;
        if (ok.length > 0) row.flaggedRate = ok.filter((r) => r.flagged === true).length / ok.length;
        rows.push(row);
    }
    return rows.sort((a, b) => b.requests - a.requests || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Per run: its latest rating and whether it has a (non-empty) correction. */
function runVerdicts(feedback: readonly FeedbackRecord[]): Map<string, { rating?: "up" | "down"; ratedAt: number; ratedIndex: number; corrected: boolean }> {
    const out = new Map<string, { rating?: "up" | "down"; ratedAt: number; ratedIndex: number; corrected: boolean }>();
    feedback.forEach((f, i) => {
        let v = out.get(f.runId);
        if (!v) out.set(f.runId, (v = { ratedAt: -Infinity, ratedIndex: -1, corrected: false }));
        if (f.correction !== undefined && f.correction.trim() !== "") v.corrected = true;
        if (f.rating === "up" || f.rating === "down") {
            const t = Date.parse(f.at);
            const at = Number.isNaN(t) ? -Infinity : t;
            if (at > v.ratedAt || (at === v.ratedAt && i > v.ratedIndex)) {
                v.rating = f.rating;
                v.ratedAt = at;
                v.ratedIndex = i;
            }
        }
    });
    return out;
}

/**
 * Spread of repeated measurements ("repeat N times with different seeds"): count, min, max, mean and
 * the sample standard deviation (n − 1 in the denominator; 0 for one value). Non-finite values are
 * ignored; undefined for no values.
 */
export function spread(values: readonly number[]): { n: number; min: number; max: number; mean: number; stdev: number } | undefined {
    const v = values.filter(Number.isFinite);
    const n = v.length;
    if (n === 0) return undefined;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (const x of v) {
        if (x < min) min = x;
        if (x > max) max = x;
        sum += x;
    }
    const mean = sum / n;
    let sq = 0;
    for (const x of v) sq += (x - mean) ** 2;
    return { n, min, max, mean, stdev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0 };
}
