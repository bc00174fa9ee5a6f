// The typed message protocol between the caller (CLI, extension host) and the model runner process.
// Both sides import these types; nothing else crosses the process boundary.
import type { ErrorInfo } from "../errors.ts";
import type { SamplingParams } from "../sampling.ts";

/** How the model is loaded. Changing any of these reloads the context (or the model). */
export interface LoadOptions {
    /** CPU threads; 0/undefined = automatic (see threads.ts). Never more than the usable cores. */
    threads?: number;
    /** Context window in tokens; undefined = min(DEFAULT_CONTEXT_SIZE, the model's training context). */
    contextSize?: number;
    /** Layers offloaded to a GPU: "auto", or a number (0 = CPU only). */
    gpuLayers?: number | "auto";
}

export const DEFAULT_CONTEXT_SIZE = 4096;

/** The prompt: a chat (system + user) for models with a chat template, plain text for base models. */
export interface PromptInput {
    system?: string;
    user: string;
    /** Used instead of system + user when the model has no chat template (or mode is "completion"). */
    completion?: string;
    /** "auto" uses the model's own chat template when it has one. */
    mode?: "auto" | "chat" | "completion";
}

export interface GenerateRequest {
    modelPath: string;
    prompt: PromptInput;
    sampling?: SamplingParams;
    load?: LoadOptions;
}

export type StopReason =
    | "eos" // the model ended its answer
    | "maxTokens" // the token limit (or the end of the context window) was reached
    | "stop" // a stop sequence was generated
    | "abort"; // the caller cancelled

export interface RunMetrics {
    /** Model load time for this request; 0 when the model was already loaded. */
    loadMs: number;
    /** Process start + llama.cpp initialisation for this request; 0 when the runner was already running. */
    startupMs: number;
    promptTokens: number;
    outputTokens: number;
    /** From the start of prompt evaluation to the first generated token reaching the caller. */
    timeToFirstTokenMs: number;
    promptTokensPerSecond: number;
    /** Generation speed after the first token. */
    tokensPerSecond: number;
    /** Everything the caller waited for, from request to result. */
    totalMs: number;
    cacheHit: boolean;
    threads: number;
    contextSize: number;
    /** Tokens computed after the worker saw the abort (only when aborted). */
    tokensAfterAbort?: number;
}

export interface GenerateResult {
    text: string;
    stopReason: StopReason;
    /** The seed actually used (random ones are reported so a run can be reproduced). */
    seed?: number;
    /** Which prompt form was used. */
    mode: "chat" | "completion";
    /** Name of the chat template wrapper used, in chat mode. */
    chatWrapper?: string;
    metrics: RunMetrics;
}

/** How the runner set up a request, sent when prompt evaluation starts. */
export interface EvaluationInfo {
    mode: "chat" | "completion";
    promptTokens: number;
    threads: number;
    contextSize: number;
}

/** Count tokens with the model's own tokenizer (special tokens off, no BOS): texts as they are, no chat template. */
export interface TokenizeRequest {
    modelPath: string;
    load?: LoadOptions;
    texts: string[];
}

export interface TokenCounts {
    /** One count per text, in order. */
    counts: number[];
    /** The context window a generation with these load options gets (min(contextSize or DEFAULT_CONTEXT_SIZE, training context)). */
    contextSize: number;
    /** The model's training context. */
    trainContextSize: number;
}

// ---- caller → runner ----
export type HostMessage =
    | { type: "generate"; id: number; request: GenerateRequest & { sampling: SamplingParams } }
    /** Answered by "tokens" (or "error"); while a generation runs, at once when that model is loaded, else after it. */
    | ({ type: "tokenize"; id: number } & TokenizeRequest)
    | { type: "abort"; id: number }
    | { type: "shutdown" };

// ---- runner → caller ----
export type WorkerMessage =
    | { type: "ready"; pid: number; initMs: number; backend: string; cpuMathCores: number }
    | { type: "phase"; id: number; phase: "loading"; progress: number }
    | { type: "phase"; id: number; phase: "evaluating"; evaluation: EvaluationInfo }
    | { type: "chunk"; id: number; text: string; tokens: number; at: number }
    | { type: "done"; id: number; result: Omit<GenerateResult, "metrics"> & { metrics: Omit<RunMetrics, "totalMs" | "startupMs" | "cacheHit" | "timeToFirstTokenMs"> & { evalStartAt: number; firstTokenAt?: number } } }
    | ({ type: "tokens"; id: number } & TokenCounts)
    | { type: "error"; id: number; error: ErrorInfo }
    | { type: "log"; level: "debug" | "info" | "warn" | "error"; message: string };

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function preciseNow(): number {
    return performance.timeOrigin + performance.now();
}
