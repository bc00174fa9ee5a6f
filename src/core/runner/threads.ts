// Thread policy for llama.cpp on the CPU.
//
// llama.cpp's worker threads meet at a spinning barrier after every operation, so more threads than
// free cores is catastrophic rather than merely wasteful. Measured on a 2-core machine with the test
// model, 100 tokens: 1 thread 62 ms, 2 threads 1.2-2 s, 4 threads (node-llama-cpp's own default) 54 s.

export interface ThreadPolicyInput {
    /** Cores llama.cpp considers useful for math (node-llama-cpp's `llama.cpuMathCores`). */
    cpuMathCores: number;
    /** `os.availableParallelism()` of this process. */
    availableParallelism: number;
    /** A user setting; clamped to the ceiling, never exceeding it. 0/undefined = automatic. */
    requested?: number;
}

export interface ThreadDecision {
    threads: number;
    ceiling: number;
    /** Set when the request was reduced, to tell the user. */
    clampedFrom?: number;
}

export function decideThreads({ cpuMathCores, availableParallelism, requested }: ThreadPolicyInput): ThreadDecision {
    const ceiling = Math.max(1, Math.min(Math.floor(cpuMathCores) || 1, Math.floor(availableParallelism) || 1));
    if (requested !== undefined && requested > 0) {
        const r = Math.floor(requested);
        return r > ceiling ? { threads: ceiling, ceiling, clampedFrom: r } : { threads: r, ceiling };
    }
    // With few cores, leave one for the editor and the rest of the machine.
    const threads = ceiling <= 4 ? Math.max(1, ceiling - 1) : ceiling;
    return { threads, ceiling };
}
