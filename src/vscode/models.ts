// Model picker, model info, download and status bar. The selected model lives in the user setting
// promptsmith.modelPath; it is loaded in the runner process (services.runner()) when the user picks it,
// or on the first request. Activation reads no model file and starts no process: it only restores the
// status text from the setting.
import * as vscode from "vscode";
import os from "node:os";
import path from "node:path";
import { readGgufInfo, type GgufInfo } from "../core/gguf/reader.ts";
import { PromptsmithError, toPromptsmithError } from "../core/errors.ts";
import { formatBytes } from "../core/format.ts";
import { defaultModelsDir, resolveModel } from "../core/models/resolve.ts";
import { downloadModel, LOCAL_FILE_ADVICE } from "../core/models/download.ts";
import { RECOMMENDED_MODEL, exactSizeOf } from "../core/models/recommended.ts";
import { expandUserPath } from "../core/userConfig.ts";
import type { GenerateOptions } from "../core/runner/client.ts";
import type { GenerateRequest, GenerateResult, LoadOptions, TokenCounts } from "../core/runner/protocol.ts";
import type { Services } from "./services.ts";
import { ModelStateStore, modelDisplayName, type ModelState } from "./modelState.ts";
import { HeaderCache, pickModel } from "./modelPicker.ts";
import { ModelInfoProvider, MODEL_INFO_SCHEME, modelInfoMarkdown, showModelInfoCard } from "./modelInfo.ts";
import { registerStatusBar } from "./statusBar.ts";

export type { ModelState } from "./modelState.ts";

const SECTION = "promptsmith";
const VSCODE_LOCAL_FILE_ADVICE = "point Promptsmith at a local GGUF file: Select Model → Browse…";
/** Errors after which the model is not (or no longer) loaded in the runner process. */
const MODEL_FAILURE_CODES = new Set([
    "MODEL_NOT_FOUND", "NOT_GGUF", "GGUF_TRUNCATED", "GGUF_CORRUPT", "UNSUPPORTED_ARCHITECTURE", "MODEL_LOAD_FAILED", "RUNNER_CRASHED", "RUNNER_FAILED",
]);

let controller: ModelController | undefined;

export function registerModels(services: Services): void {
    const c = new ModelController(services);
    controller = c;
    services.context.subscriptions.push(c, { dispose: () => { if (controller === c) controller = undefined; } });
}

/** The current model state ({ kind: "none" } before registerModels ran). */
export function getModelState(): ModelState {
    return controller?.store.current ?? { kind: "none" };
}

/** Fires on every model state change (loading progress included). */
export const onDidChangeModelState: vscode.Event<ModelState> = (listener, thisArgs, disposables) =>
    requireController().store.onDidChange(listener, thisArgs, disposables);

/**
 * The non-UI part of picking a model: validates the file's GGUF header (on failure: shows the error,
 * keeps the previous model and rejects with the PromptsmithError), saves the user setting, then loads
 * the model in the runner with a progress notification. Resolves once loading ended; the outcome is the
 * model state ("ready", "error", or "none" when the user cancelled).
 */
export async function selectModelPath(modelPath: string): Promise<void> {
    await requireController().selectModelPath(modelPath);
}

/** The selected model's path (picked this session, else the setting, else PROMPTSMITH_MODEL), without touching the disk. */
export function getSelectedModelPath(): string | undefined {
    return controller?.selectedPath() ?? configuredModelPath();
}

/**
 * The model to run: the selected one, else the recommended model when it is in the models folder
 * (checked on disk; never downloads). Undefined when there is none.
 */
export async function resolveSelectedModelPath(): Promise<string | undefined> {
    return requireController().resolvePath();
}

/** How to load the model, from the settings promptsmith.threads / gpuLayers / contextSize. */
export function modelLoadOptions(): LoadOptions {
    const c = vscode.workspace.getConfiguration(SECTION);
    const threads = c.get<number>("threads", 0);
    const contextSize = c.get<number>("contextSize", 0);
    const gpu = c.get<number | string>("gpuLayers", "auto");
    const gpuLayers =
        typeof gpu === "number" && Number.isInteger(gpu) && gpu >= 0 ? gpu
        : typeof gpu === "string" && /^\s*\d+\s*$/.test(gpu) ? Number(gpu)
        : "auto";
    return {
        ...(Number.isInteger(threads) && threads > 0 ? { threads } : {}),
        ...(Number.isInteger(contextSize) && contextSize > 0 ? { contextSize } : {}),
        gpuLayers,
    };
}

/**
 * Runs a request on the selected model (or `request.modelPath`) with the load settings, keeping the
 * model state and status bar in step: loading → generating → ready, or error when the model failed.
 * Throws NO_MODEL when no model is selected.
 */
export function generateWithModel(
    request: Omit<GenerateRequest, "modelPath" | "load"> & Partial<Pick<GenerateRequest, "modelPath" | "load">>,
    options: GenerateOptions = {},
): Promise<GenerateResult> {
    return requireController().generate(request, options);
}

/**
 * Token counts of `texts` with the selected model's own tokenizer, and the context window a generation
 * gets with the current settings (contextSize) and the model's training context. Undefined when no
 * model is selected. Answered at once when the model is loaded (also while it generates: the status
 * bar is left alone); a model not loaded yet is loaded, showing the normal loading state.
 */
export async function countModelTokens(texts: string[], signal?: AbortSignal): Promise<TokenCounts | undefined> {
    return requireController().countTokens(texts, signal);
}

function requireController(): ModelController {
    if (!controller) throw new PromptsmithError({ code: "INTERNAL", message: "The Promptsmith model features are not registered (the extension is not active)." });
    return controller;
}

/** The promptsmith.modelPath setting, expanded (`~`, relative to the first workspace folder), or undefined. */
function settingModelPath(): string | undefined {
    const value = vscode.workspace.getConfiguration(SECTION).get<string>("modelPath", "").trim();
    return value ? expandPath(value) : undefined;
}

/** The setting, else the PROMPTSMITH_MODEL environment variable (as the setting's description says). */
function configuredModelPath(): string | undefined {
    const env = process.env.PROMPTSMITH_MODEL?.trim();
    return settingModelPath() ?? (env ? expandPath(env) : undefined);
}

function expandPath(value: string): string {
    return expandUserPath(value, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir());
}

function modelsDir(): string {
    const value = vscode.workspace.getConfiguration(SECTION).get<string>("modelsFolder", "").trim();
    return value ? expandPath(value) : defaultModelsDir();
}

/** One line for a notification: message, fix, and the file when the message does not name it. */
function errorText(err: PromptsmithError, fileNamed = false): string {
    // The core's advice is for the CLI (PROMPTSMITH_MODEL, --model); say what to do in the editor instead.
    const vs = (s: string): string => s.split(LOCAL_FILE_ADVICE).join(VSCODE_LOCAL_FILE_ADVICE).replace(/…\./g, "…");
    const message = vs(err.message);
    // Said once: a message that already gives the advice needs no fix repeating it.
    const fix = err.fix ? vs(err.message.includes(LOCAL_FILE_ADVICE) ? err.fix.replace(`, or ${LOCAL_FILE_ADVICE}`, "") : err.fix) : undefined;
    const parts = [message];
    if (err.file && !fileNamed && !err.message.includes(err.file)) parts.push(`(${err.file})`);
    if (fix) parts.push(fix);
    return parts.join(" ");
}

function logError(services: Services, what: string, err: PromptsmithError): void {
    services.logger.error(`${what}: [${err.code}] ${err.message}${err.file ? ` (file: ${err.file})` : ""}${err.detail ? `\n${err.detail}` : ""}`);
}

class ModelController implements vscode.Disposable {
    readonly store = new ModelStateStore();
    private readonly headers = new HeaderCache();
    private readonly infoProvider = new ModelInfoProvider();
    private readonly disposables: vscode.Disposable[] = [];
    /** Increases with every load; a load only updates the state while it is the latest. */
    private loadSeq = 0;
    private loadAbort: AbortController | undefined;
    /** The path being saved to the setting by selectModelPath (its own config change is not news). */
    private saving: string | undefined;
    private lastSetting: string | undefined;
    private inFlight = 0;
    private downloading = false;
    private runnerWatch: vscode.Disposable | undefined;
    /** Cancels a running download; the extension's shutdown uses it too, so no download outlives the window. */
    private downloadAbort: AbortController | undefined;

    constructor(private readonly services: Services) {
        // Activation: no file is read and no process started; the state only names the selected model.
        this.lastSetting = configuredModelPath();
        if (this.lastSetting) this.store.set({ kind: "none", path: this.lastSetting });

        const cmd = vscode.commands.registerCommand;
        this.disposables.push(
            this.store,
            this.infoProvider,
            vscode.workspace.registerTextDocumentContentProvider(MODEL_INFO_SCHEME, this.infoProvider),
            cmd("promptsmith.selectModel", (arg?: unknown) => this.selectCommand(arg)),
            cmd("promptsmith.showModelInfo", (arg?: unknown) => this.showModelInfo(arg)),
            cmd("promptsmith.downloadRecommendedModel", () => this.downloadRecommended()),
            vscode.workspace.onDidChangeConfiguration((e) => {
                if (e.affectsConfiguration(`${SECTION}.modelPath`)) this.settingChanged();
                else if (["threads", "contextSize", "gpuLayers"].some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
                    // The next request reloads the model with the new settings: until then it is not "ready".
                    const st = this.store.current;
                    if (st.kind === "ready") this.store.set({ kind: "none", path: st.path });
                }
            }),
            // Trusting the folder makes a workspace-level model path count.
            vscode.workspace.onDidGrantWorkspaceTrust(() => this.settingChanged()),
            registerStatusBar(this.store),
        );
    }

    /** When the runner process dies while a model is loaded (out of memory, killed), the model is no longer ready. */
    private watchRunner(): void {
        if (this.runnerWatch) return;
        this.runnerWatch = this.services.runner().onExit((e) => {
            const st = this.store.current;
            if (e.expected || (st.kind !== "ready" && st.kind !== "generating")) return;
            this.services.logger.warn(`The model process ended (${e.signal ?? `exit code ${e.code}`}); ${path.basename(st.path)} is no longer loaded.`);
            this.store.set({ kind: "none", path: st.path });
        });
        this.disposables.push(this.runnerWatch);
    }

    dispose(): void {
        this.loadAbort?.abort();
        this.downloadAbort?.abort();
        for (const d of this.disposables.splice(0)) d.dispose();
    }

    selectedPath(): string | undefined {
        return this.store.current.path ?? configuredModelPath();
    }

    async resolvePath(): Promise<string | undefined> {
        const selected = this.selectedPath();
        if (selected) return selected;
        try {
            return (await resolveModel({ modelsDir: modelsDir(), confirmDownload: () => Promise.resolve(false) })).path;
        } catch (e) {
            if (e instanceof PromptsmithError && e.code === "NO_MODEL") return undefined;
            throw e;
        }
    }

    private settingChanged(): void {
        const now = configuredModelPath();
        if (now === this.lastSetting) return;
        this.lastSetting = now;
        if (now === this.saving || now === this.store.current.path) return;
        // Changed by hand (or by another window): the new model loads on first use.
        this.services.logger.info(`Model setting changed: ${now ?? "(none)"}`);
        this.loadSeq++;
        this.loadAbort?.abort();
        this.store.set(now ? { kind: "none", path: now } : { kind: "none" });
    }

    // ---- Select Model ----

    private async selectCommand(arg?: unknown): Promise<ModelState> {
        const direct = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === "string" && arg.trim() ? arg : undefined;
        if (direct) {
            await this.selectModelPath(direct).catch(() => undefined); // already shown
            return this.store.current;
        }
        const choice = await pickModel({
            modelsDir: modelsDir(),
            includeWorkspace: vscode.workspace.isTrusted,
            currentPath: this.selectedPath(),
            cache: this.headers,
            logger: this.services.logger,
        });
        if (!choice) return this.store.current;
        if (choice.action === "download") {
            await vscode.commands.executeCommand("promptsmith.downloadRecommendedModel");
            return this.store.current;
        }
        let file: string | undefined;
        if (choice.action === "browse") {
            const uris = await vscode.window.showOpenDialog({
                title: "Select a GGUF model",
                openLabel: "Select Model",
                canSelectFiles: true,
                canSelectFolders: false,
                canSelectMany: false,
                filters: { "GGUF models": ["gguf"], "All files": ["*"] },
                defaultUri: vscode.Uri.file(modelsDir()),
            });
            file = uris?.[0]?.fsPath;
        } else {
            file = choice.path;
        }
        if (file) await this.selectModelPath(file).catch(() => undefined);
        return this.store.current;
    }

    async selectModelPath(input: string): Promise<void> {
        const file = expandPath(input.trim());
        let info: GgufInfo;
        try {
            info = await readGgufInfo(file);
        } catch (e) {
            const err = toPromptsmithError(e, { code: "MODEL_NOT_FOUND", file });
            logError(this.services, "Cannot use this model", err);
            void vscode.window.showErrorMessage(`Cannot use ${path.basename(file)}: ${errorText(err, true)}`, "Select Another Model…", "Open Log").then((c) => this.afterErrorChoice(c));
            throw err;
        }
        await this.saveSetting(file);
        this.services.logger.info(`Model selected: ${file} (${info.architecture ?? "unknown architecture"}, ${info.quantization}, ${formatBytes(info.fileSize)})`);
        await this.load(file, info);
    }

    private async saveSetting(file: string): Promise<void> {
        this.saving = file;
        try {
            await vscode.workspace.getConfiguration(SECTION).update("modelPath", file, vscode.ConfigurationTarget.Global);
        } catch (e) {
            this.services.logger.warn(`Could not save promptsmith.modelPath: ${e instanceof Error ? e.message : String(e)}`);
            void vscode.window.showWarningMessage(`Promptsmith could not save the model in your settings; it uses ${path.basename(file)} until the window reloads.`);
            return;
        } finally {
            this.saving = undefined;
        }
        const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>("modelPath");
        const workspaceValue = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
        if (vscode.workspace.isTrusted && workspaceValue && expandPath(workspaceValue) !== file) {
            void vscode.window.showWarningMessage(
                `This workspace's settings set promptsmith.modelPath, which takes precedence over your user setting: Promptsmith uses ${path.basename(file)} until the window reloads.`,
            );
        }
    }

    /** Loads the model in the runner with a 1-token warm-up, showing progress. */
    private async load(file: string, info: GgufInfo): Promise<void> {
        const seq = ++this.loadSeq;
        this.loadAbort?.abort();
        const abort = new AbortController();
        this.loadAbort = abort;
        const latest = (): boolean => seq === this.loadSeq;
        const name = modelDisplayName(file);
        this.store.set({ kind: "loading", path: file, progress: 0 });

        await vscode.window.withProgress(
            { location: vscode.ProgressLocation.Notification, title: `Loading ${name}`, cancellable: true },
            async (progress, token) => {
                const onCancel = token.onCancellationRequested(() => abort.abort());
                let reported = 0;
                const report = (fraction: number, message: string): void => {
                    const pct = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
                    progress.report({ increment: Math.max(0, pct - reported), message });
                    reported = Math.max(reported, pct);
                };
                const started = performance.now();
                try {
                    this.watchRunner();
                    const result = await this.services.runner().generate(
                        {
                            modelPath: file,
                            prompt: { user: "", completion: " ", mode: "completion" },
                            sampling: { maxTokens: 1, temperature: 0 },
                            load: modelLoadOptions(),
                        },
                        {
                            signal: abort.signal,
                            cache: false, // a cached answer would skip the load this is for
                            onPhase: (phase, p) => {
                                if (!latest()) return;
                                if (phase === "starting") report(0, "starting the model process…");
                                else if (phase === "loading") {
                                    const f = Math.min(1, Math.max(0, p ?? 0));
                                    this.store.set({ kind: "loading", path: file, progress: f });
                                    report(f, `${Math.round(f * 100)}%`);
                                } else report(1, "warming up…");
                            },
                        },
                    );
                    if (!latest()) return;
                    this.store.set({ kind: "ready", path: file, info });
                    const m = result.metrics;
                    this.services.logger.info(
                        `Model loaded: ${name} in ${(performance.now() - started).toFixed(0)} ms (load ${m.loadMs.toFixed(0)} ms, ${m.threads} threads, context ${m.contextSize})`,
                    );
                } catch (e) {
                    if (!latest()) return;
                    const err = toPromptsmithError(e, { code: "INTERNAL", file });
                    if (err.code === "ABORTED" || abort.signal.aborted) {
                        this.services.logger.info(`Model load cancelled: ${name}`);
                        this.store.set({ kind: "none", path: file });
                        return;
                    }
                    this.store.set({ kind: "error", path: file, message: err.message, ...(err.fix ? { fix: err.fix } : {}) });
                    logError(this.services, `Loading ${name} failed`, err);
                    const actions = err.code === "RUNNER_CRASHED" ? ["Retry", "Select Another Model…", "Open Log"] : ["Select Another Model…", "Open Log"];
                    void vscode.window.showErrorMessage(`Could not load ${name}: ${errorText(err)}`, ...actions).then((c) => {
                        if (c === "Retry") void this.selectModelPath(file).catch(() => undefined);
                        else this.afterErrorChoice(c);
                    });
                } finally {
                    onCancel.dispose();
                    if (this.loadAbort === abort) this.loadAbort = undefined;
                }
            },
        );
    }

    private afterErrorChoice(choice: string | undefined): void {
        if (choice === "Open Log") this.services.channel.show();
        else if (choice?.startsWith("Select")) void vscode.commands.executeCommand("promptsmith.selectModel");
    }

    // ---- generation on behalf of other features ----

    async generate(
        request: Omit<GenerateRequest, "modelPath" | "load"> & Partial<Pick<GenerateRequest, "modelPath" | "load">>,
        options: GenerateOptions,
    ): Promise<GenerateResult> {
        const file = request.modelPath ? expandPath(request.modelPath) : await this.resolvePath();
        if (!file) {
            throw new PromptsmithError({
                code: "NO_MODEL",
                message: "No model is selected.",
                fix: `Run "Promptsmith: Select Model" to pick a local GGUF file, or "Promptsmith: Download Recommended Model".`,
            });
        }
        const before = this.store.current;
        let loaded = before.kind === "ready" && before.path === file;
        let failed = false;
        this.inFlight++;
        this.store.set({ kind: "generating", path: file });
        try {
            return await this.services.runner().generate(
                { ...request, modelPath: file, load: request.load ?? modelLoadOptions() },
                {
                    ...options,
                    onPhase: (phase, p) => {
                        if (phase === "loading") this.store.set({ kind: "loading", path: file, progress: Math.min(1, Math.max(0, p ?? 0)) });
                        else if (phase === "evaluating") {
                            loaded = true;
                            this.store.set({ kind: "generating", path: file });
                        }
                        options.onPhase?.(phase, p);
                    },
                },
            ).then((r) => {
                loaded = true;
                return r;
            });
        } catch (e) {
            const err = toPromptsmithError(e, { code: "INTERNAL", file });
            if (MODEL_FAILURE_CODES.has(err.code)) {
                failed = true;
                logError(this.services, `Running ${modelDisplayName(file)} failed`, err);
                this.store.set({ kind: "error", path: file, message: err.message, ...(err.fix ? { fix: err.fix } : {}) });
            }
            throw err;
        } finally {
            this.inFlight--;
            if (!failed) void this.settle(file, loaded);
        }
    }

    async countTokens(texts: string[], signal?: AbortSignal): Promise<TokenCounts | undefined> {
        const file = await this.resolvePath();
        if (!file) return undefined;
        // Only a load started by this count changes the state; a generation in flight owns it.
        let showedLoading = false;
        this.watchRunner();
        try {
            const counts = await this.services.runner().countTokens(
                { modelPath: file, load: modelLoadOptions(), texts },
                {
                    ...(signal ? { signal } : {}),
                    onPhase: (phase, p) => {
                        if (phase !== "loading" || this.inFlight > 0) return;
                        showedLoading = true;
                        this.store.set({ kind: "loading", path: file, progress: Math.min(1, Math.max(0, p ?? 0)) });
                    },
                },
            );
            if (showedLoading) {
                this.services.logger.info(`Model loaded for counting tokens: ${modelDisplayName(file)}`);
                await this.settle(file, true);
            }
            return counts;
        } catch (e) {
            const err = toPromptsmithError(e, { code: "INTERNAL", file });
            const st = this.store.current;
            if (MODEL_FAILURE_CODES.has(err.code)) {
                // Said once: a count per keystroke must not repeat the same failure in the log.
                if (!(st.kind === "error" && st.path === file && st.message === err.message)) logError(this.services, `Counting tokens with ${modelDisplayName(file)} failed`, err);
                if (this.inFlight === 0 && (st.path === undefined || st.path === file)) {
                    this.store.set({ kind: "error", path: file, message: err.message, ...(err.fix ? { fix: err.fix } : {}) });
                }
            } else if (showedLoading) {
                await this.settle(file, false);
            }
            throw err;
        }
    }

    /** After the last request: back to "ready", or "none" when the model never loaded. An error state stays. */
    private async settle(file: string, loaded: boolean): Promise<void> {
        const busy = (): boolean => {
            const s = this.store.current;
            return this.inFlight > 0 || s.path !== file || (s.kind !== "generating" && s.kind !== "loading");
        };
        if (busy()) return;
        if (!loaded) {
            this.store.set({ kind: "none", path: file });
            return;
        }
        const entry = await this.headers.read(file).catch(() => undefined);
        if (busy()) return;
        this.store.set(entry?.info ? { kind: "ready", path: file, info: entry.info } : { kind: "none", path: file });
    }

    // ---- Show Model Info ----

    private async showModelInfo(arg?: unknown): Promise<void> {
        let target: string | undefined;
        try {
            target = arg instanceof vscode.Uri ? arg.fsPath : typeof arg === "string" && arg.trim() ? expandPath(arg.trim()) : await this.resolvePath();
        } catch (e) {
            const err = toPromptsmithError(e, { code: "MODEL_NOT_FOUND" });
            void vscode.window.showErrorMessage(errorText(err));
            return;
        }
        if (!target) {
            const c = await vscode.window.showInformationMessage("No model is selected.", "Select Model…", "Download Recommended Model");
            if (c === "Select Model…") void vscode.commands.executeCommand("promptsmith.selectModel");
            else if (c) void vscode.commands.executeCommand("promptsmith.downloadRecommendedModel");
            return;
        }
        let info: GgufInfo;
        try {
            info = await readGgufInfo(target);
        } catch (e) {
            const err = toPromptsmithError(e, { code: "MODEL_NOT_FOUND", file: target });
            logError(this.services, "Show Model Info", err);
            void vscode.window.showErrorMessage(`Cannot read ${path.basename(target)}: ${errorText(err)}`);
            return;
        }
        const s = this.store.current;
        const status =
            s.path !== target ? "Not the selected model."
            : s.kind === "ready" || s.kind === "generating" ? "Selected, loaded in the model process."
            : s.kind === "loading" ? "Selected, loading."
            : s.kind === "error" ? `Selected; the last load failed: ${s.message}`
            : "Selected, not loaded yet (it loads on first use).";
        await showModelInfoCard(this.infoProvider.put(target, modelInfoMarkdown(info, status)));
    }

    // ---- Download Recommended Model ----

    private async downloadRecommended(): Promise<void> {
        if (this.downloading) {
            void vscode.window.showInformationMessage(`${RECOMMENDED_MODEL.displayName} is already downloading.`);
            return;
        }
        const model = RECOMMENDED_MODEL;
        const dir = modelsDir();
        const target = path.join(dir, model.fileName);

        // Already downloaded (and complete, by its own header): just use it.
        const existing = await this.headers.read(target);
        const exact = exactSizeOf(model);
        if (existing.info && (exact === undefined || existing.size === exact)) {
            this.services.logger.info(`Recommended model already present: ${target}`);
            void vscode.window.showInformationMessage(`${model.displayName} is already in ${dir}: using it.`);
            await this.selectModelPath(target).catch(() => undefined);
            return;
        }

        const gb = model.sizeBytes >= 1e9 ? `${(model.sizeBytes / 1e9).toFixed(1)} GB` : `${Math.round(model.sizeBytes / 1e6)} MB`;
        const choice = await vscode.window.showInformationMessage(
            `Download ${model.displayName}, ${model.sizeIsApproximate ? "about " : ""}${gb}?`,
            {
                modal: true,
                detail: `It is saved to ${dir} (setting promptsmith.modelsFolder), from ${new URL(model.url).host}. License: ${model.license}.\n\n${model.description}`,
            },
            "Download",
        );
        if (choice !== "Download") return;

        this.downloading = true;
        let file: string;
        try {
            file = await vscode.window.withProgress(
                { location: vscode.ProgressLocation.Notification, title: `Downloading ${model.displayName}`, cancellable: true },
                (progress, token) => {
                    const abort = new AbortController();
                    this.downloadAbort = abort;
                    const onCancel = token.onCancellationRequested(() => abort.abort());
                    let reported = 0;
                    return downloadModel({
                        url: model.url,
                        dir,
                        fileName: model.fileName,
                        expectedSize: exact,
                        sha256: model.sha256,
                        signal: abort.signal,
                        onProgress: (p) => {
                            const total = p.totalBytes > 0 ? ` of ${formatBytes(p.totalBytes)}` : "";
                            const speed = p.bytesPerSecond > 0 ? ` · ${formatBytes(p.bytesPerSecond)}/s` : "";
                            progress.report({ increment: Math.max(0, p.percent - reported), message: `${Math.floor(p.percent)}% · ${formatBytes(p.downloadedBytes)}${total}${speed}` });
                            reported = Math.max(reported, p.percent);
                        },
                    }).finally(() => onCancel.dispose());
                },
            );
        } catch (e) {
            const err = toPromptsmithError(e, { code: "DOWNLOAD_FAILED", file: target });
            if (err.code === "ABORTED") {
                this.services.logger.info("Download of the recommended model cancelled.");
                void vscode.window.showInformationMessage("Download cancelled; nothing was kept.");
                return;
            }
            logError(this.services, "Download failed", err);
            const text = errorText(err);
            const advice = text.includes(VSCODE_LOCAL_FILE_ADVICE) ? "" : ` To work without a download, ${VSCODE_LOCAL_FILE_ADVICE}`;
            void vscode.window.showErrorMessage(`${text}${advice}`, "Select Model…", "Open Log").then((c) => this.afterErrorChoice(c));
            return;
        } finally {
            this.downloading = false;
            this.downloadAbort = undefined;
        }
        this.services.logger.info(`Downloaded ${model.displayName} to ${file}`);
        await this.selectModelPath(file).catch(() => undefined);
    }
}
