// The caller's side of the model runner: forks the runner process on first use, sends it typed
// requests, streams text back, and survives the process dying (a native crash or abort() in
// llama.cpp): pending requests fail with RUNNER_CRASHED and the next request starts a fresh process.
import { fork, type ChildProcess } from "node:child_process";
import { PromptsmithError, toPromptsmithError, type ErrorInfo } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import { normalizeSampling, isDeterministic } from "../sampling.ts";
import { readGgufInfo } from "../gguf/reader.ts";
import { ResponseCache, cacheKey, type CacheOptions } from "./cache.ts";
import { LatencyTracker } from "./latency.ts";
import { preciseNow, type GenerateRequest, type GenerateResult, type HostMessage, type WorkerMessage } from "./protocol.ts";

export interface RunnerClientOptions {
    /** Path of the bundled runner (dist/runner.mjs). */
    workerPath: string;
    logger?: Logger;
    /** Response cache for deterministic requests; false turns it off. */
    cache?: CacheOptions | false;
    /** After an abort, how long the runner gets to stop by itself before it is killed. */
    abortGraceMs?: number;
    /** Extra environment for the runner process. */
    env?: NodeJS.ProcessEnv;
}

export interface GenerateOptions {
    signal?: AbortSignal;
    /** Text as it is generated. */
    onText?: (chunk: string) => void;
    /** Model loading progress (0..1) and the start of prompt evaluation. */
    onPhase?: (phase: "starting" | "loading" | "evaluating", progress?: number) => void;
    /** Use the response cache for this request (default true; only deterministic requests are cached). */
    cache?: boolean;
}

export interface RunnerInfo {
    pid: number;
    backend: string;
    cpuMathCores: number;
    initMs: number;
}

interface Pending {
    id: number;
    resolve: (r: GenerateResult) => void;
    reject: (e: PromptsmithError) => void;
    text: string;
    outputTokens: number;
    firstChunkAt?: number;
    killedForAbort: boolean;
    options: GenerateOptions;
    startedAt: number;
    startupMs: number;
    modelPath: string;
}

const STDERR_LINES_KEPT = 30;

export class RunnerClient {
    private child: ChildProcess | undefined;
    private ready: Promise<RunnerInfo> | undefined;
    private info: RunnerInfo | undefined;
    private readonly pending = new Map<number, Pending>();
    private nextId = 1;
    private chain: Promise<unknown> = Promise.resolve();
    private stderrTail: string[] = [];
    private disposed = false;
    readonly latency = new LatencyTracker();
    readonly cache: ResponseCache | undefined;
    private readonly logger: Logger;

    constructor(private readonly options: RunnerClientOptions) {
        this.logger = options.logger ?? silentLogger;
        this.cache = options.cache === false ? undefined : new ResponseCache(options.cache);
    }

    /** The runner process id, when one is running. */
    get pid(): number | undefined {
        return this.child?.pid;
    }

    get runnerInfo(): RunnerInfo | undefined {
        return this.info;
    }

    /** Generates text. Requests run one at a time, in order. */
    generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
        const run = this.chain.then(() => this.generateNow(request, options));
        this.chain = run.catch(() => undefined);
        return run;
    }

    private async generateNow(request: GenerateRequest, options: GenerateOptions): Promise<GenerateResult> {
        if (this.disposed) throw new PromptsmithError({ code: "INTERNAL", message: "The model runner has been shut down." });
        const startedAt = preciseNow();
        if (options.signal?.aborted) throw new PromptsmithError({ code: "ABORTED", message: "Cancelled." });
        const sampling = normalizeSampling(request.sampling);
        // Clear errors for missing, foreign, truncated or corrupt files before any process starts.
        await readGgufInfo(request.modelPath);

        const useCache = this.cache && options.cache !== false && isDeterministic(sampling);
        const key = useCache ? await cacheKey({ ...request, sampling }) : undefined;
        if (key) {
            const hit = this.cache!.get(key);
            if (hit) {
                options.onText?.(hit.text);
                const totalMs = preciseNow() - startedAt;
                this.latency.record(totalMs);
                return { ...hit, metrics: { ...hit.metrics, cacheHit: true, loadMs: 0, startupMs: 0, timeToFirstTokenMs: totalMs, totalMs } };
            }
        }

        let startupMs = 0;
        if (!this.child) {
            options.onPhase?.("starting");
            const t0 = preciseNow();
            this.start();
            await this.ready;
            startupMs = preciseNow() - t0;
        } else {
            await this.ready;
        }
        const child = this.child!;
        const id = this.nextId++;
        const result = await new Promise<GenerateResult>((resolve, reject) => {
            const p: Pending = { id, resolve, reject, text: "", outputTokens: 0, killedForAbort: false, options, startedAt, startupMs, modelPath: request.modelPath };
            this.pending.set(id, p);
            const onAbort = (): void => {
                this.post({ type: "abort", id });
                const grace = setTimeout(() => {
                    if (!this.pending.has(id)) return;
                    this.logger.warn(`Runner did not stop within ${this.options.abortGraceMs ?? 3000} ms of an abort; killing it.`);
                    p.killedForAbort = true;
                    child.kill("SIGKILL");
                }, this.options.abortGraceMs ?? 3000);
                grace.unref();
            };
            options.signal?.addEventListener("abort", onAbort, { once: true });
            const cleanup = (): void => options.signal?.removeEventListener("abort", onAbort);
            p.resolve = (r) => { cleanup(); resolve(r); };
            p.reject = (e) => { cleanup(); reject(e); };
            this.post({ type: "generate", id, request: { ...request, sampling } });
        });
        this.latency.record(result.metrics.totalMs);
        if (key && result.stopReason !== "abort") this.cache!.set(key, result);
        return result;
    }

    private start(): void {
        this.stderrTail = [];
        const child = fork(this.options.workerPath, [], {
            stdio: ["ignore", "pipe", "pipe", "ipc"],
            execArgv: [], // never inherit the caller's loaders or inspector flags
            env: { ...process.env, ...this.options.env },
            serialization: "json",
        });
        this.child = child;
        this.logger.debug(`runner: started (pid ${child.pid})`);
        let readyResolve!: (i: RunnerInfo) => void;
        let readyReject!: (e: PromptsmithError) => void;
        this.ready = new Promise<RunnerInfo>((res, rej) => { readyResolve = res; readyReject = rej; });
        this.ready.catch(() => undefined);

        const onLines = (stream: NodeJS.ReadableStream | null, level: "debug" | "warn"): void => {
            let buf = "";
            stream?.setEncoding("utf8");
            stream?.on("data", (d: string) => {
                buf += d;
                let nl: number;
                while ((nl = buf.indexOf("\n")) >= 0) {
                    const line = buf.slice(0, nl).trimEnd();
                    buf = buf.slice(nl + 1);
                    if (!line) continue;
                    this.stderrTail.push(line);
                    if (this.stderrTail.length > STDERR_LINES_KEPT) this.stderrTail.shift();
                    this.logger[level](`runner: ${line}`);
                }
            });
        };
        onLines(child.stdout, "debug");
        onLines(child.stderr, "warn");

        child.on("message", (msg: WorkerMessage) => {
            switch (msg.type) {
                case "ready":
                    this.info = { pid: msg.pid, backend: msg.backend, cpuMathCores: msg.cpuMathCores, initMs: msg.initMs };
                    this.logger.debug(`runner: ready in ${msg.initMs.toFixed(0)} ms (backend ${msg.backend}, ${msg.cpuMathCores} math cores)`);
                    readyResolve(this.info);
                    break;
                case "log":
                    this.logger[msg.level](msg.message);
                    break;
                case "phase": {
                    const p = this.pending.get(msg.id);
                    if (msg.phase === "evaluating") this.logger.debug("runner: generating");
                    p?.options.onPhase?.(msg.phase, msg.progress);
                    break;
                }
                case "chunk": {
                    const p = this.pending.get(msg.id);
                    if (!p) break;
                    if (p.firstChunkAt === undefined) {
                        p.firstChunkAt = preciseNow();
                        this.logger.debug("runner: first token");
                    }
                    p.text += msg.text;
                    p.outputTokens += msg.tokens;
                    p.options.onText?.(msg.text);
                    break;
                }
                case "done": {
                    const p = this.pending.get(msg.id);
                    if (!p) break;
                    this.pending.delete(msg.id);
                    const { evalStartAt, firstTokenAt, ...m } = msg.result.metrics;
                    const firstSeen = p.firstChunkAt ?? firstTokenAt;
                    p.resolve({
                        ...msg.result,
                        metrics: {
                            ...m,
                            startupMs: p.startupMs,
                            cacheHit: false,
                            timeToFirstTokenMs: firstSeen !== undefined ? Math.max(0, firstSeen - evalStartAt) : 0,
                            totalMs: preciseNow() - p.startedAt,
                        },
                    });
                    break;
                }
                case "error": {
                    const err = PromptsmithError.from(msg.error);
                    if (msg.id === 0) {
                        readyReject(err);
                        for (const p of this.pending.values()) p.reject(err);
                        this.pending.clear();
                        break;
                    }
                    const p = this.pending.get(msg.id);
                    if (!p) break;
                    this.pending.delete(msg.id);
                    p.reject(err);
                    break;
                }
            }
        });

        child.on("error", (e) => {
            const err = toPromptsmithError(e, { code: "RUNNER_FAILED", message: `The model runner could not be started: ${e.message}`, file: this.options.workerPath, fix: "Rebuild Promptsmith (npm run build) or reinstall the extension." });
            readyReject(err);
        });

        child.on("exit", (code, signal) => {
            if (this.child === child) {
                this.child = undefined;
                this.ready = undefined;
            }
            const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
            this.logger.debug(`runner: process ${child.pid} ${how}`);
            const tail = this.stderrTail.slice(-8).join("\n");
            const crash = (p?: Pending): PromptsmithError => new PromptsmithError({
                code: "RUNNER_CRASHED",
                message: `The model process ${how} while ${p ? "working on a request" : "starting"}.`,
                ...(p ? { file: p.modelPath } : {}),
                fix: "Try again: the next request starts a fresh model process. If it keeps happening with this model, the file may be damaged (re-download it) or too large for free memory.",
                ...(tail ? { detail: tail } : {}),
            });
            readyReject(crash());
            for (const p of this.pending.values()) {
                if (this.disposed) {
                    p.reject(new PromptsmithError({ code: "ABORTED", message: "The model runner was shut down before the request finished." }));
                } else if (p.killedForAbort) {
                    p.resolve({
                        text: p.text,
                        stopReason: "abort",
                        mode: "completion",
                        metrics: { loadMs: 0, startupMs: p.startupMs, promptTokens: 0, outputTokens: p.outputTokens, timeToFirstTokenMs: 0, promptTokensPerSecond: 0, tokensPerSecond: 0, totalMs: preciseNow() - p.startedAt, cacheHit: false, threads: 0, contextSize: 0 },
                    });
                } else {
                    p.reject(crash(p));
                }
            }
            this.pending.clear();
        });
    }

    private post(msg: HostMessage): void {
        try {
            this.child?.send(msg);
        } catch (e) {
            this.logger.warn(`runner: could not send ${msg.type}: ${e instanceof Error ? e.message : String(e)}`);
        }
    }

    /** Stops the runner process (gracefully, then by force). Safe to call twice. */
    async dispose(): Promise<void> {
        this.disposed = true;
        const child = this.child;
        if (!child) return;
        await new Promise<void>((resolve) => {
            const timer = setTimeout(() => { child.kill("SIGKILL"); }, 2000);
            timer.unref();
            child.once("exit", () => { clearTimeout(timer); resolve(); });
            this.post({ type: "shutdown" });
        });
    }
}

export type { ErrorInfo };
