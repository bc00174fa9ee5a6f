// The model runner process. Forked by RunnerClient (client.ts); talks only through protocol.ts.
// A crash or abort() inside llama.cpp ends this process, never the caller.
//
// node-llama-cpp is ESM-only and ships native binaries, so it is external to the bundle and loaded
// with import() on start-up.
import { stat, realpath } from "node:fs/promises";
import os from "node:os";
import type { Llama, LlamaModel, LlamaContext, LlamaContextSequence, LlamaGrammar, Token, ChatHistoryItem, ChatWrapper } from "node-llama-cpp";
import { PromptsmithError, toPromptsmithError } from "../errors.ts";
import { normalizeSampling, randomSeed } from "../sampling.ts";
import { decideThreads } from "./threads.ts";
import { StopMatcher } from "./stopMatcher.ts";
import { DEFAULT_CONTEXT_SIZE, preciseNow, type GenerateRequest, type HostMessage, type StopReason, type TokenizeRequest, type WorkerMessage } from "./protocol.ts";
import type { SamplingParams } from "../sampling.ts";

type NodeLlamaCpp = typeof import("node-llama-cpp");

/** Tokens kept free at the end of the context so at least some output fits. */
const MIN_OUTPUT_ROOM = 1;
/** Longest time generated text waits before it is sent to the caller. */
const CHUNK_FLUSH_MS = 16;

function send(msg: WorkerMessage): void {
    process.send?.(msg);
}
function log(level: "debug" | "info" | "warn" | "error", message: string): void {
    send({ type: "log", level, message });
}

interface LoadedModel { key: string; path: string; model: LlamaModel; chatWrapper?: ChatWrapper; hasChatTemplate: boolean }
interface LoadedContext { key: string; context: LlamaContext; sequence: LlamaContextSequence; threads: number; contextSize: number }

/** llama.cpp's own error lines during the current model load (its exception only says "Failed to load model"). */
let loadErrors: string[] | undefined;
let lib: NodeLlamaCpp;
let llama: Llama;
let loadedModel: LoadedModel | undefined;
let loadedContext: LoadedContext | undefined;
/** The model ensureModel is loading right now (by key): a token count for that model waits for the load, not for the whole generation. */
let modelLoading: { key: string; done: Promise<unknown> } | undefined;
const aborts = new Map<number, AbortController>();

async function init(): Promise<void> {
    const t0 = preciseNow();
    lib = await import("node-llama-cpp");
    const gpuEnv = process.env.PROMPTSMITH_GPU;
    llama = await lib.getLlama({
        gpu: gpuEnv === "off" || gpuEnv === "false" ? false : "auto",
        build: "never", // never try to compile llama.cpp on a user's machine
        progressLogs: false,
        logLevel: lib.LlamaLogLevel.warn,
        logger: (level, message) => {
            const text = message.trimEnd();
            if (!text) return;
            if (loadErrors && (level === lib.LlamaLogLevel.error || level === lib.LlamaLogLevel.fatal) && loadErrors.length < 20) loadErrors.push(text);
            // llama.cpp warns about harmless metadata quirks on load; keep those out of the user's way.
            const l = level === lib.LlamaLogLevel.error || level === lib.LlamaLogLevel.fatal ? "warn" : "debug";
            log(l, `llama.cpp: ${text}`);
        },
    });
    send({ type: "ready", pid: process.pid, initMs: preciseNow() - t0, backend: llama.gpu === false ? "cpu" : String(llama.gpu), cpuMathCores: llama.cpuMathCores });
}

/** Identifies a loaded model: the real file, its size and mtime (a replaced file reloads), and the GPU layers. */
async function modelKey(path: string, gpuLayers: number | "auto" | undefined): Promise<{ real: string; key: string }> {
    const real = await realpath(path);
    const st = await stat(real);
    return { real, key: `${real}\0${st.size}\0${st.mtimeMs}\0${gpuLayers ?? "auto"}` };
}

async function ensureModel(path: string, gpuLayers: number | "auto" | undefined, id: number, signal: AbortSignal): Promise<{ m: LoadedModel; loadMs: number }> {
    const { real, key } = await modelKey(path, gpuLayers);
    if (loadedModel?.key === key) return { m: loadedModel, loadMs: 0 };
    const loading = loadModelNow(path, real, key, gpuLayers, id, signal);
    modelLoading = { key, done: loading };
    try {
        return await loading;
    } finally {
        if (modelLoading?.done === loading) modelLoading = undefined;
    }
}

async function loadModelNow(path: string, real: string, key: string, gpuLayers: number | "auto" | undefined, id: number, signal: AbortSignal): Promise<{ m: LoadedModel; loadMs: number }> {
    await loadedContext?.context.dispose();
    loadedContext = undefined;
    await loadedModel?.model.dispose();
    loadedModel = undefined;
    const t0 = preciseNow();
    send({ type: "phase", id, phase: "loading", progress: 0 });
    let model: LlamaModel;
    loadErrors = [];
    try {
        model = await llama.loadModel({
            modelPath: real,
            gpuLayers: gpuLayers ?? "auto",
            loadSignal: signal,
            onLoadProgress: (p) => send({ type: "phase", id, phase: "loading", progress: p }),
        });
    } catch (e) {
        if (signal.aborted) throw new PromptsmithError({ code: "ABORTED", message: "Cancelled while loading the model.", file: path });
        throw classifyLoadError(e, path, loadErrors);
    } finally {
        loadErrors = undefined;
    }
    const template = (model.fileInfo.metadata as { tokenizer?: { chat_template?: unknown } }).tokenizer?.chat_template;
    const hasChatTemplate = typeof template === "string" && template.trim().length > 0;
    let chatWrapper: ChatWrapper | undefined;
    if (hasChatTemplate) {
        chatWrapper = lib.resolveChatWrapper(model, { fallbackToOtherWrappersOnJinjaError: true });
    }
    loadedModel = { key, path: real, model, chatWrapper, hasChatTemplate };
    return { m: loadedModel, loadMs: preciseNow() - t0 };
}

function classifyLoadError(e: unknown, file: string, llamaErrors: readonly string[] = []): PromptsmithError {
    const msg = [e instanceof Error ? e.message : String(e), ...new Set(llamaErrors)].join("\n");
    if (/unknown model architecture|unknown architecture|unsupported model architecture/i.test(msg)) {
        const arch = /architecture:?\s*'([^']+)'/i.exec(msg)?.[1];
        return new PromptsmithError({
            code: "UNSUPPORTED_ARCHITECTURE",
            message: `This version of llama.cpp cannot run models of architecture ${arch ? `"${arch}"` : "used by this file"}.`,
            file,
            fix: "Use a GGUF of a supported architecture (Llama, Qwen, Mistral, Gemma, Phi, …), or update Promptsmith for newer architectures.",
            detail: msg,
        });
    }
    return new PromptsmithError({
        code: "MODEL_LOAD_FAILED",
        message: `llama.cpp could not load the model: ${msg}`,
        file,
        fix: "Check that the file is a complete GGUF model (re-download it if in doubt) and that there is enough free memory.",
        detail: msg,
    });
}

/** The context window a request with these load options gets: the requested size (default min(DEFAULT_CONTEXT_SIZE, training context)), at most the training context. */
function contextSizeFor(m: LoadedModel, load: GenerateRequest["load"]): number {
    const train = m.model.trainContextSize;
    return Math.min(load?.contextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, train), train);
}

async function ensureContext(m: LoadedModel, load: GenerateRequest["load"]): Promise<LoadedContext> {
    const train = m.model.trainContextSize;
    const contextSize = contextSizeFor(m, load);
    if (load?.contextSize !== undefined && load.contextSize > train) {
        log("warn", `Context size ${load.contextSize} exceeds the model's training context ${train}; using ${train}.`);
    }
    const decision = decideThreads({ cpuMathCores: llama.cpuMathCores, availableParallelism: os.availableParallelism(), requested: load?.threads });
    if (decision.clampedFrom !== undefined) {
        log("warn", `Requested ${decision.clampedFrom} threads, but only ${decision.ceiling} cores are usable; using ${decision.threads} (more threads than cores makes llama.cpp far slower).`);
    }
    const key = `${m.key}\0${contextSize}\0${decision.threads}`;
    if (loadedContext?.key === key) return loadedContext;
    await loadedContext?.context.dispose();
    const context = await m.model.createContext({ contextSize, threads: decision.threads, sequences: 1, batchSize: Math.min(512, contextSize) });
    loadedContext = { key, context, sequence: context.getSequence(), threads: decision.threads, contextSize };
    return loadedContext;
}

async function makeGrammar(s: SamplingParams): Promise<LlamaGrammar | undefined> {
    try {
        if (s.jsonSchema) return await llama.createGrammarForJsonSchema(s.jsonSchema as never);
        if (s.grammar) return await llama.createGrammar({ grammar: s.grammar });
    } catch (e) {
        throw new PromptsmithError({
            code: "INVALID_ARGUMENT",
            message: `The ${s.jsonSchema ? "JSON schema" : "grammar"} could not be compiled: ${e instanceof Error ? e.message : String(e)}`,
            fix: s.jsonSchema ? "Use the JSON schema subset node-llama-cpp supports (types, properties, required, enums, arrays)." : "Check the GBNF syntax; the root rule must be named root.",
        });
    }
    return undefined;
}

function promptTooLong(promptTokens: number, contextSize: number, trainContext: number): PromptsmithError {
    return new PromptsmithError({
        code: "PROMPT_TOO_LONG",
        message: `The prompt is ${promptTokens} tokens, but the context window is ${contextSize} tokens, leaving no room for an answer.`,
        fix: contextSize < trainContext
            ? `Shorten the prompt or the included context, or raise the context size (--context-size) up to ${trainContext}, this model's training context.`
            : `Shorten the prompt or the included context: the context is already at this model's maximum (${trainContext} tokens), or use a model with a longer context.`,
    });
}

async function generate(id: number, request: GenerateRequest & { sampling: SamplingParams }): Promise<void> {
    // `ac` is the caller's cancel; `gen` also stops when a stop sequence appears.
    let outputTokens = 0;
    const ac = new AbortController();
    const gen = new AbortController();
    aborts.set(id, ac);
    let abortedAtTokens: number | undefined;
    ac.signal.addEventListener("abort", () => { abortedAtTokens = outputTokens; gen.abort(); }, { once: true });
    try {
        const s = normalizeSampling(request.sampling);
        const seed = s.seed ?? (s.temperature > 0 ? randomSeed() : undefined);
        const { m, loadMs } = await ensureModel(request.modelPath, request.load?.gpuLayers, id, ac.signal);
        const ctx = await ensureContext(m, request.load);
        const model = m.model;
        await ctx.sequence.clearHistory(); // every request starts clean: same input, same output
        const grammar = await makeGrammar(s);

        const wantChat = request.prompt.mode === "chat" || (request.prompt.mode !== "completion" && m.hasChatTemplate);
        if (request.prompt.mode === "chat" && !m.chatWrapper) {
            throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: "Chat mode was requested, but the model has no chat template.", file: m.path, fix: "Use completion mode, or an instruct/chat model." });
        }
        const mode: "chat" | "completion" = wantChat ? "chat" : "completion";

        // Count the prompt exactly as it will be evaluated, and refuse (rather than silently cut) a prompt that does not fit.
        let promptTokens: number;
        let history: ChatHistoryItem[] | undefined;
        let completionText: string | undefined;
        if (mode === "chat") {
            history = [];
            if (request.prompt.system) history.push({ type: "system", text: request.prompt.system });
            history.push({ type: "user", text: request.prompt.user }, { type: "model", response: [] });
            const state = m.chatWrapper!.generateContextState({ chatHistory: history });
            promptTokens = state.contextText.tokenize(model.tokenizer).length;
        } else {
            completionText = request.prompt.completion ?? [request.prompt.system, request.prompt.user].filter(Boolean).join("\n\n");
            const bos = model.tokens.shouldPrependBosToken && model.tokens.bos != null ? 1 : 0;
            promptTokens = bos + model.tokenize(completionText, false, bos ? "trimLeadingSpace" : undefined).length;
        }
        const room = ctx.contextSize - promptTokens;
        if (room < MIN_OUTPUT_ROOM) throw promptTooLong(promptTokens, ctx.contextSize, model.trainContextSize);
        const maxTokens = Math.min(s.maxTokens, room);

        let firstTokenAt: number | undefined;
        let lastTokenAt = 0;
        let pendingTokens = 0;
        const onToken = (tokens: Token[]): void => {
            const now = preciseNow();
            if (firstTokenAt === undefined) firstTokenAt = now;
            lastTokenAt = now;
            outputTokens += tokens.length;
            pendingTokens += tokens.length;
        };
        const matcher = new StopMatcher(s.stop ?? []);
        let streamed = "";
        // Streaming costs one IPC message per flush: the first text goes out at once (time to first
        // token), later text is coalesced for up to CHUNK_FLUSH_MS (well under what a reader notices).
        let pendingText = "";
        let flushTimer: NodeJS.Timeout | undefined;
        let sentAny = false;
        const flush = (): void => {
            if (flushTimer) clearTimeout(flushTimer);
            flushTimer = undefined;
            if (!pendingText && pendingTokens === 0) return;
            send({ type: "chunk", id, text: pendingText, tokens: pendingTokens, at: preciseNow() });
            pendingText = "";
            pendingTokens = 0;
        };
        const emit = (text: string): void => {
            streamed += text;
            pendingText += text;
            if (!sentAny && text) {
                sentAny = true;
                flush();
            } else if (!flushTimer) {
                flushTimer = setTimeout(flush, CHUNK_FLUSH_MS);
            }
        };
        const onTextChunk = (text: string): void => {
            emit(matcher.push(text));
            if (matcher.stopped) gen.abort();
        };
        const common = {
            onToken,
            onTextChunk,
            signal: gen.signal,
            stopOnAbortSignal: true,
            maxTokens,
            temperature: s.temperature,
            topK: s.topK,
            topP: s.topP,
            minP: s.minP,
            seed,
            grammar,
            repeatPenalty: s.repeatPenalty === 1 && s.frequencyPenalty === 0 && s.presencePenalty === 0
                ? false as const
                : { lastTokens: s.repeatLastN, penalty: s.repeatPenalty, frequencyPenalty: s.frequencyPenalty || undefined, presencePenalty: s.presencePenalty || undefined },
        };
        send({ type: "phase", id, phase: "evaluating", evaluation: { mode, promptTokens, threads: ctx.threads, contextSize: ctx.contextSize } });
        const evalStartAt = preciseNow();
        let text: string;
        let rawStop: string;
        let chatWrapperName: string | undefined;
        if (mode === "chat") {
            const chat = new lib.LlamaChat({ contextSequence: ctx.sequence, chatWrapper: m.chatWrapper!, autoDisposeSequence: false });
            try {
                const r = await chat.generateResponse(history!, common);
                text = r.response;
                rawStop = r.metadata.stopReason;
                chatWrapperName = m.chatWrapper!.wrapperName;
            } finally {
                chat.dispose({ disposeSequence: false });
            }
        } else {
            const completion = new lib.LlamaCompletion({ contextSequence: ctx.sequence, autoDisposeSequence: false });
            try {
                const r = await completion.generateCompletionWithMeta(completionText!, { ...common, disableContextShift: true });
                text = r.response;
                rawStop = r.metadata.stopReason;
            } finally {
                completion.dispose({ disposeSequence: false });
            }
        }
        emit(matcher.flush());
        flush();
        if (s.stop?.length) text = streamed; // node-llama-cpp's own text knows nothing of our stop sequences
        const stopReason: StopReason = matcher.stopped ? "stop"
            : ac.signal.aborted ? "abort"
            : rawStop === "maxTokens" ? "maxTokens"
            : "eos";
        const genMs = firstTokenAt !== undefined ? lastTokenAt - firstTokenAt : 0;
        const ttft = firstTokenAt !== undefined ? firstTokenAt - evalStartAt : 0;
        send({
            type: "done",
            id,
            result: {
                text,
                stopReason,
                ...(seed !== undefined ? { seed } : {}),
                mode,
                ...(chatWrapperName ? { chatWrapper: chatWrapperName } : {}),
                metrics: {
                    loadMs,
                    promptTokens,
                    outputTokens,
                    promptTokensPerSecond: ttft > 0 ? promptTokens / (ttft / 1000) : 0,
                    tokensPerSecond: outputTokens > 1 && genMs > 0 ? (outputTokens - 1) / (genMs / 1000) : 0,
                    threads: ctx.threads,
                    contextSize: ctx.contextSize,
                    evalStartAt,
                    ...(firstTokenAt !== undefined ? { firstTokenAt } : {}),
                    ...(abortedAtTokens !== undefined ? { tokensAfterAbort: outputTokens - abortedAtTokens } : {}),
                },
            },
        });
    } catch (e) {
        if (ac.signal.aborted && !(e instanceof PromptsmithError)) {
            // Aborted before any output (e.g. while loading): report it as such.
            send({ type: "error", id, error: { code: "ABORTED", message: "Cancelled." } });
        } else {
            const err = toPromptsmithError(e, { code: "INTERNAL", file: request.modelPath });
            send({ type: "error", id, error: err.toJSON() });
        }
    } finally {
        aborts.delete(id);
    }
}

/**
 * Token counts with the model's own tokenizer. model.tokenize is synchronous and reads only the
 * vocabulary, so when the model is already loaded the count is answered at once, even while a
 * generation runs on it (between two of its tokens). A model that is being loaded is waited for; one
 * that is not loaded is loaded in the queue, after the running generation (loading disposes the
 * current model). No context is created for counting: contextSize is what a generation would get.
 */
async function tokenize(id: number, request: TokenizeRequest): Promise<void> {
    const ac = new AbortController();
    aborts.set(id, ac);
    const cancelled = (): PromptsmithError => new PromptsmithError({ code: "ABORTED", message: "Cancelled." });
    const count = (m: LoadedModel, loaded = false): void => {
        if (ac.signal.aborted) throw cancelled();
        // llama.cpp's progress callbacks can arrive after the load resolved: say it is complete, in order, before the answer.
        if (loaded) send({ type: "phase", id, phase: "loading", progress: 1 });
        const counts = request.texts.map((t) => m.model.tokenize(t, false).length);
        send({ type: "tokens", id, counts, contextSize: contextSizeFor(m, request.load), trainContextSize: m.model.trainContextSize });
    };
    const usable = (key: string): LoadedModel | undefined => (loadedModel?.key === key && !loadedModel.model.disposed ? loadedModel : undefined);
    try {
        const { key } = await modelKey(request.modelPath, request.load?.gpuLayers);
        let m = usable(key);
        if (!m && modelLoading?.key === key) {
            await modelLoading.done.catch(() => undefined);
            m = usable(key);
        }
        if (m) {
            count(m);
        } else {
            await enqueue(async () => {
                if (ac.signal.aborted) throw cancelled();
                const { m: loaded, loadMs } = await ensureModel(request.modelPath, request.load?.gpuLayers, id, ac.signal);
                count(loaded, loadMs > 0);
            });
        }
    } catch (e) {
        const err = ac.signal.aborted && !(e instanceof PromptsmithError) ? cancelled() : toPromptsmithError(e, { code: "INTERNAL", file: request.modelPath });
        send({ type: "error", id, error: err.toJSON() });
    } finally {
        aborts.delete(id);
    }
}

/** Runs `fn` after everything queued so far (llama.cpp's start-up, generations, model loads). */
function enqueue(fn: () => Promise<void>): Promise<void> {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
}

process.on("message", (msg: HostMessage) => {
    switch (msg.type) {
        case "generate":
            // One generation at a time; the caller queues too, this is a second guard.
            queue = queue.then(() => generate(msg.id, msg.request));
            break;
        case "tokenize":
            void tokenize(msg.id, msg);
            break;
        case "abort":
            aborts.get(msg.id)?.abort();
            break;
        case "shutdown":
            void shutdown();
            break;
    }
});
process.on("disconnect", () => void shutdown());
// Ctrl-C in a terminal reaches the whole process group; the caller decides what an interrupt means
// (it sends "abort", then "shutdown"), and if the caller dies, "disconnect" ends this process.
process.on("SIGINT", () => {});

let shuttingDown = false;
async function shutdown(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const a of aborts.values()) a.abort();
    try {
        await loadedContext?.context.dispose();
        await loadedModel?.model.dispose();
        await llama?.dispose();
    } finally {
        process.exit(0);
    }
}

// Requests that arrive while llama.cpp initialises wait for it; one generation runs at a time.
let queue: Promise<void> = init().catch((e) => {
    const err = toPromptsmithError(e, {
        code: "RUNNER_FAILED",
        message: `The model runner could not initialise llama.cpp: ${e instanceof Error ? e.message : String(e)}`,
        fix: "Reinstall Promptsmith (its node-llama-cpp binaries may be missing for this platform).",
    });
    // Exit only once the message is out, or the caller would see a bare crash instead of the reason.
    process.send?.({ type: "error", id: 0, error: err.toJSON() } satisfies WorkerMessage, () => process.exit(1));
});
