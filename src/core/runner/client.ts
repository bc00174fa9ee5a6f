// The caller's side of the model runner: forks the runner process on first use, sends it typed
// requests, streams text back, and survives the process dying (a native crash or abort() in
// llama.cpp): pending requests fail with RUNNER_CRASHED and the next request starts a fresh process.
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { stat } from "node:fs/promises";
import { PromptsmithError, toPromptsmithError, type ErrorInfo } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import { normalizeSampling, isDeterministic } from "../sampling.ts";
import { readGgufInfo } from "../gguf/reader.ts";
import { ResponseCache, cacheKey, type CacheOptions } from "./cache.ts";
import { LatencyTracker } from "./latency.ts";
import { preciseNow, type EvaluationInfo, type GenerateRequest, type GenerateResult, type HostMessage, type TokenCounts, type TokenizeRequest, type WorkerMessage } from "./protocol.ts";

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

export interface CountTokensOptions {
    signal?: AbortSignal;
    /** The runner process starting, and the model loading (0..1) when it was not loaded yet. */
    onPhase?: (phase: "starting" | "loading", progress?: number) => void;
}

interface PendingCount {
    resolve: (r: TokenCounts) => void;
    reject: (e: PromptsmithError) => void;
    options: CountTokensOptions;
    modelPath: string;
}

/** Model files whose header was checked for countTokens, by path: size and mtime then (a bounded few). */
const HEADER_CHECKS_KEPT = 16;

/** The runner process ended; `expected` when the caller disposed it or killed it after an abort. */
export interface RunnerExit {
    code: number | null;
    signal: NodeJS.Signals | null;
    expected: boolean;
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
    /** How the runner set up this request, once it starts evaluating. */
    evaluation?: EvaluationInfo;
}

const STDERR_LINES_KEPT = 30;

export class RunnerClient {
    private child: ChildProcess | undefined;
    private ready: Promise<RunnerInfo> | undefined;
    private info: RunnerInfo | undefined;
    private readonly pending = new Map<number, Pending>();
    private readonly counting = new Map<number, PendingCount>();
    private readonly headerChecked = new Map<string, string>();
    private nextId = 1;
    private chain: Promise<unknown> = Promise.resolve();
    private stderrHead: string[] = [];
    private stderrTail: string[] = [];
    private disposed = false;
    readonly latency = new LatencyTracker();
    private readonly exitListeners = new Set<(e: RunnerExit) => void>();
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

    /** Called whenever a runner process ends (a loaded model is gone with it). */
    onExit(listener: (e: RunnerExit) => void): { dispose(): void } {
        this.exitListeners.add(listener);
        return { dispose: () => this.exitListeners.delete(listener) };
    }

    /** Generates text. Requests run one at a time, in order. */
    generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<GenerateResult> {
        const run = this.chain.then(() => this.generateNow(request, options));
        this.chain = run.catch(() => undefined);
        return run;
    }

    /**
     * Counts tokens with the model's own tokenizer (special tokens off, no BOS), and tells the context
     * window a generation with these load options gets. Not queued behind generate(): answered at once
     * when the model is loaded (also while it generates); a model not loaded yet is loaded first (in
     * the runner's queue, after a running generation), reporting "loading" through onPhase.
     */
    async countTokens(req: TokenizeRequest, options: CountTokensOptions = {}): Promise<TokenCounts> {
        const { signal } = options;
        this.ensureLive(signal);
        if (!Array.isArray(req.texts) || req.texts.some((t) => typeof t !== "string")) {
            throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: "countTokens needs texts: an array of strings.", fix: "Pass the texts to count as an array of strings." });
        }
        await this.checkHeader(req.modelPath, signal);
        this.ensureLive(signal);
        if (!this.child) {
            options.onPhase?.("starting");
            this.start();
        }
        await this.untilReady(signal);
        this.ensureLive(signal);
        if (!this.child) {
            throw new PromptsmithError({ code: "RUNNER_CRASHED", message: "The model process ended before it could count tokens.", file: req.modelPath, fix: "Try again: the next request starts a fresh model process." });
        }
        const id = this.nextId++;
        return new Promise<TokenCounts>((resolve, reject) => {
            const onAbort = (): void => {
                if (!this.counting.delete(id)) return;
                this.post({ type: "abort", id });
                reject(new PromptsmithError({ code: "ABORTED", message: "Cancelled." }));
            };
            const cleanup = (): void => signal?.removeEventListener("abort", onAbort);
            this.counting.set(id, {
                resolve: (r) => { cleanup(); resolve(r); },
                reject: (e) => { cleanup(); reject(e); },
                options,
                modelPath: req.modelPath,
            });
            this.post({ type: "tokenize", id, modelPath: req.modelPath, ...(req.load ? { load: req.load } : {}), texts: req.texts });
            signal?.addEventListener("abort", onAbort, { once: true });
            if (signal?.aborted) onAbort();
        });
    }

    /** Clear errors for missing, foreign, truncated or corrupt files; the header is read again only when the file changed. */
    private async checkHeader(modelPath: string, signal: AbortSignal | undefined): Promise<void> {
        const st = await stat(modelPath).catch(() => undefined);
        const id = st ? `${st.size}\0${st.mtimeMs}` : undefined;
        if (id && this.headerChecked.get(modelPath) === id) return;
        await readGgufInfo(modelPath, { signal });
        if (!id) return;
        this.headerChecked.delete(modelPath);
        this.headerChecked.set(modelPath, id);
        if (this.headerChecked.size > HEADER_CHECKS_KEPT) this.headerChecked.delete(this.headerChecked.keys().next().value!);
    }

    private async generateNow(request: GenerateRequest, options: GenerateOptions): Promise<GenerateResult> {
        const { signal } = options;
        const startedAt = preciseNow();
        this.ensureLive(signal);
        const sampling = normalizeSampling(request.sampling);
        // Clear errors for missing, foreign, truncated or corrupt files before any process starts.
        await readGgufInfo(request.modelPath);
        this.ensureLive(signal);

        const useCache = this.cache && options.cache !== false && isDeterministic(sampling);
        const key = useCache ? await cacheKey({ ...request, sampling }) : undefined;
        this.ensureLive(signal);
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
            await this.untilReady(signal);
            startupMs = preciseNow() - t0;
        } else {
            await this.untilReady(signal);
        }
        this.ensureLive(signal);
        const child = this.child!;
        const id = this.nextId++;
        const result = await new Promise<GenerateResult>((resolve, reject) => {
            const p: Pending = { id, resolve, reject, text: "", outputTokens: 0, killedForAbort: false, options, startedAt, startupMs, modelPath: request.modelPath };
            this.pending.set(id, p);
            const graceMs = this.options.abortGraceMs ?? 3000;
            const onAbort = (): void => {
                this.post({ type: "abort", id });
                const grace = setTimeout(() => {
                    if (!this.pending.has(id)) return;
                    this.logger.warn(`Runner did not stop within ${graceMs} ms of an abort; killing it.`);
                    p.killedForAbort = true;
                    child.kill("SIGKILL");
                }, graceMs);
                grace.unref();
            };
            const cleanup = (): void => signal?.removeEventListener("abort", onAbort);
            p.resolve = (r) => { cleanup(); resolve(r); };
            p.reject = (e) => { cleanup(); reject(e); };
            this.post({ type: "generate", id, request: { ...request, sampling } });
            signal?.addEventListener("abort", onAbort, { once: true });
            if (signal?.aborted) onAbort(); // aborted between the last check and here
        });
        this.latency.record(result.metrics.totalMs);
        if (key && result.stopReason !== "abort") this.cache!.set(key, result);
        return result;
    }

    /** Throws if the client was disposed or the caller cancelled; called after every wait. */
    private ensureLive(signal: AbortSignal | undefined): void {
        if (this.disposed) throw new PromptsmithError({ code: "ABORTED", message: "The model runner was shut down before the request started." });
        if (signal?.aborted) throw new PromptsmithError({ code: "ABORTED", message: "Cancelled." });
    }

    /** Waits for the runner to be ready, or for the caller to cancel (the runner keeps starting for the next request). */
    private async untilReady(signal: AbortSignal | undefined): Promise<void> {
        if (!signal) {
            await this.ready;
            return;
        }
        let onAbort: () => void = () => {};
        const aborted = new Promise<void>((resolve) => {
            onAbort = resolve;
            signal.addEventListener("abort", onAbort, { once: true });
        });
        try {
            await Promise.race([this.ready, aborted]);
        } finally {
            signal.removeEventListener("abort", onAbort);
        }
    }

    private start(): void {
        this.stderrHead = [];
        this.stderrTail = [];
        if (!existsSync(this.options.workerPath)) {
            const err = new PromptsmithError({
                code: "RUNNER_FAILED",
                message: "The model runner is missing from this installation.",
                file: this.options.workerPath,
                fix: "Rebuild Promptsmith (npm run build) or reinstall the extension.",
            });
            this.ready = Promise.reject(err);
            this.ready.catch(() => undefined);
            return;
        }
        const child = fork(this.options.workerPath, [], {
            stdio: ["ignore", "pipe", "pipe", "ipc"],
            execArgv: [], // never inherit the caller's loaders or inspector flags
            env: { ...process.env, ...this.options.env },
            serialization: "json",
            // Its own process group: a terminal's Ctrl-C goes to the caller, which decides (abort, then
            // shutdown); it would otherwise also kill the runner and node-llama-cpp's binary self-test.
            detached: process.platform !== "win32",
        });
        this.child = child;
        this.logger.debug(`runner: started (pid ${child.pid})`);
        let readySeen = false;
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
                    if (this.stderrHead.length < STDERR_LINES_KEPT) this.stderrHead.push(line);
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
                    readySeen = true;
                    this.info = { pid: msg.pid, backend: msg.backend, cpuMathCores: msg.cpuMathCores, initMs: msg.initMs };
                    this.logger.debug(`runner: ready in ${msg.initMs.toFixed(0)} ms (backend ${msg.backend}, ${msg.cpuMathCores} math cores)`);
                    readyResolve(this.info);
                    break;
                case "log":
                    this.logger[msg.level](msg.message);
                    break;
                case "phase": {
                    const c = this.counting.get(msg.id);
                    if (c) {
                        if (msg.phase === "loading") c.options.onPhase?.("loading", msg.progress);
                        break;
                    }
                    const p = this.pending.get(msg.id);
                    if (msg.phase === "evaluating") {
                        this.logger.debug("runner: generating");
                        if (p) p.evaluation = msg.evaluation;
                        p?.options.onPhase?.("evaluating");
                    } else {
                        p?.options.onPhase?.("loading", msg.progress);
                    }
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
                case "tokens": {
                    const c = this.counting.get(msg.id);
                    if (!c) break;
                    this.counting.delete(msg.id);
                    c.resolve({ counts: msg.counts, contextSize: msg.contextSize, trainContextSize: msg.trainContextSize });
                    break;
                }
                case "error": {
                    const err = PromptsmithError.from(msg.error);
                    if (msg.id === 0) {
                        readyReject(err);
                        for (const p of this.pending.values()) p.reject(err);
                        this.pending.clear();
                        for (const c of this.counting.values()) c.reject(err);
                        this.counting.clear();
                        break;
                    }
                    const c = this.counting.get(msg.id);
                    if (c) {
                        this.counting.delete(msg.id);
                        c.reject(err);
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
            const head = this.stderrHead.slice(0, 5);
            const tail = this.stderrTail.slice(-8).filter((l) => !head.includes(l));
            const detail = [...head, ...(tail.length ? ["…", ...tail] : [])].join("\n");
            const failure = (p?: { modelPath: string }): PromptsmithError => readySeen
                ? new PromptsmithError({
                    code: "RUNNER_CRASHED",
                    message: `The model process ${how} while ${p ? "working on a request" : "idle"}.`,
                    ...(p ? { file: p.modelPath } : {}),
                    fix: "Try again: the next request starts a fresh model process. If it keeps happening with this model, the file may be damaged (re-download it) or too large for free memory.",
                    ...(detail ? { detail } : {}),
                })
                : new PromptsmithError({
                    code: "RUNNER_FAILED",
                    message: `The model runner ${how} before it was ready${head[0] ? `: ${head[0]}` : "."}`,
                    file: this.options.workerPath,
                    fix: "Rebuild Promptsmith (npm run build) or reinstall the extension; if that does not help, the log has the runner's own messages.",
                    ...(detail ? { detail } : {}),
                });
            readyReject(failure());
            const expected = this.disposed || [...this.pending.values()].some((p) => p.killedForAbort);
            for (const l of this.exitListeners) {
                try {
                    l({ code, signal, expected });
                } catch (e) {
                    this.logger.warn(`runner: exit listener failed: ${e instanceof Error ? e.message : String(e)}`);
                }
            }
            for (const p of this.pending.values()) {
                if (this.disposed) {
                    p.reject(new PromptsmithError({ code: "ABORTED", message: "The model runner was shut down before the request finished." }));
                } else if (p.killedForAbort) {
                    const e = p.evaluation;
                    p.resolve({
                        text: p.text,
                        stopReason: "abort",
                        mode: e?.mode ?? "completion",
                        metrics: {
                            loadMs: 0, startupMs: p.startupMs, promptTokens: e?.promptTokens ?? 0, outputTokens: p.outputTokens,
                            timeToFirstTokenMs: 0, promptTokensPerSecond: 0, tokensPerSecond: 0, totalMs: preciseNow() - p.startedAt,
                            cacheHit: false, threads: e?.threads ?? 0, contextSize: e?.contextSize ?? 0,
                        },
                    });
                } else {
                    p.reject(failure(p));
                }
            }
            this.pending.clear();
            for (const c of this.counting.values()) {
                c.reject(this.disposed ? new PromptsmithError({ code: "ABORTED", message: "The model runner was shut down before the tokens were counted." }) : failure(c));
            }
            this.counting.clear();
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
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        await new Promise<void>((resolve) => {
            const timer = setTimeout(() => { child.kill("SIGKILL"); }, 2000);
            timer.unref();
            child.once("exit", () => { clearTimeout(timer); resolve(); });
            this.post({ type: "shutdown" });
        });
    }
}

export type { ErrorInfo };
