// Rolling latency percentiles over the most recent runs.

export interface LatencySummary {
    count: number;
    p50: number;
    p95: number;
    p99: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sortedAscending: readonly number[], p: number): number {
    const n = sortedAscending.length;
    if (n === 0) return 0;
    const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
    return sortedAscending[rank - 1]!;
}

export class LatencyTracker {
    private readonly samples: number[] = [];
    private next = 0;

    constructor(private readonly window = 1000) {}

    record(ms: number): void {
        if (this.samples.length < this.window) this.samples.push(ms);
        else this.samples[this.next] = ms;
        this.next = (this.next + 1) % this.window;
    }

    summary(): LatencySummary {
        const sorted = [...this.samples].sort((a, b) => a - b);
        return { count: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
    }
}
