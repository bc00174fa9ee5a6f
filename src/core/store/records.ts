// What the local history and feedback store keeps: one JSON object per line in runs.jsonl and
// feedback.jsonl under the extension's global storage. Nothing here ever leaves the machine.
import type { SamplingParams } from "../sampling.ts";
import type { StopReason } from "../runner/protocol.ts";

export interface RunMetricsRecord {
    totalMs: number;
    timeToFirstTokenMs: number;
    tokensPerSecond: number;
    promptTokens: number;
    outputTokens: number;
    cacheHit: boolean;
    /** The model's load, when this request loaded it. */
    loadMs?: number;
    /** The runner process's start-up, when this request started it. */
    startupMs?: number;
}

export interface RunRecord {
    /** Random UUID. */
    id: string;
    /** ISO time. */
    at: string;
    kind: "codegen" | "playground";
    /** Model file name (the grouping key). */
    model: string;
    /** The model's full path. */
    modelPath?: string;
    /** The prompt file (playground): the grouping key "per prompt file". */
    source?: string;
    /** Compare column index (playground). */
    column?: number;
    request: { system?: string; user: string; requirements?: string; language?: string; variables?: Record<string, string> };
    sampling: SamplingParams;
    seed?: number;
    output: string;
    code?: string;
    stopReason: StopReason | "error";
    error?: string;
    metrics?: RunMetricsRecord;
    /** Output-layer lint findings. */
    findings?: Array<{ ruleId: string; severity: "error" | "warning" | "info" }>;
    /** The output linter flagged it (warning or error). */
    flagged?: boolean;
}

export interface FeedbackRecord {
    id: string;
    at: string;
    runId: string;
    rating?: "up" | "down";
    correction?: string;
    note?: string;
}
