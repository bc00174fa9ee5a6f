// The Prompt Playground's WebviewPanel: one at a time, restored after a reload by the serializer
// (its state comes back from the view's setState; no retainContextWhenHidden). It answers the view's
// messages: runs (runs.ts), token counts (tokens.ts), presets and models (settings.ts), saving a column
// into the prompt file (source.ts), history, reopen and export (history.ts), feedback.
import * as vscode from "vscode";
import { toPromptsmithError } from "../../core/errors.ts";
import type { Linter } from "../../core/lint/index.ts";
import type { LocalStore } from "../../core/store/localStore.ts";
import {
    isPlaygroundState,
    isRunSpec,
    MAX_STATE_CHARS,
    PLAYGROUND_TO_HOST_TYPES,
    PLAYGROUND_VIEW_TYPE,
    type CellResult,
    type ColumnSpread,
    type PlaygroundLoad,
    type PlaygroundState,
    type PlaygroundToHost,
    type PlaygroundToView,
    type PromptSource,
    type RunSpec,
    type VariableRow,
} from "../../protocol/playground.ts";
import type { Services } from "../services.ts";
import { getModelState, getSelectedModelPath, onDidChangeModelState } from "../models.ts";
import { WebviewChannel } from "../webview/channel.ts";
import { webviewHtml, webviewOptions } from "../webview/html.ts";
import { exportHistory, historyItems, loadFromRecord } from "./history.ts";
import { runSpec, type RunDeps, type RunOutcome } from "./runs.ts";
import { defaultColumn, ModelList, presetViews, savePresetInteractive } from "./settings.ts";
import { loadPromptFile, promptSourceOf, saveColumnToFile } from "./source.ts";
import { countPromptTokens, renderedTexts, type ModelCounter } from "./tokens.ts";
import type { StateFile } from "./persist.ts";

/** The longest correction kept with a thumbs down (a whole answer, rewritten, fits many times over). */
const MAX_CORRECTION_CHARS = 200_000;

/** The model's own count waits at most this long (a model being loaded for it, a busy runner). */
const MODEL_COUNT_TIMEOUT_MS = 20_000;

export interface PanelDeps extends RunDeps {
    services: Services;
    store: () => LocalStore;
    linter: (source: string | undefined) => Promise<Linter>;
    models: ModelList;
    countModelTokens?: ModelCounter;
    /** Where the open panel's state is kept across reloads. */
    stateFile: StateFile;
    /** Fired after every run the panel made (for tests and the API). */
    onRunFinished: (outcome: RunOutcome & { source?: string }) => void;
}

export class PlaygroundPanel implements vscode.Disposable {
    private readonly channel: WebviewChannel<PlaygroundToView, PlaygroundToHost>;
    private readonly disposables: vscode.Disposable[] = [];
    private ready = false;
    /** What to load once the view is ready (a newer request replaces an older one). */
    private pendingLoad: PlaygroundLoad | undefined;
    private source: PromptSource | undefined;
    /** The prompt file's declared variables (from the last load or the view's state). */
    private variables: VariableRow[] = [];
    private lastState: PlaygroundState | undefined;
    private running: AbortController | undefined;
    /** Resolves when the current run has posted its runFinished (a load waits for it). */
    private settled: Promise<void> = Promise.resolve();
    private countAbort: AbortController | undefined;
    private historyTimer: ReturnType<typeof setTimeout> | undefined;
    /** The latest run as far as it got, to send again to a page that was rebuilt (see replayRun). */
    private replay: {
        runId: string;
        started: { columns: number; repeat: number; seeds: Array<Array<number | undefined>> };
        cells: Map<string, { column: number; iteration: number; seed?: number; text: string; result?: CellResult }>;
        finished?: { stopped: boolean; spreads: ColumnSpread[] };
    } | undefined;
    private disposed = false;
    /** The last clear of the local history (see forgetStored). */
    private cleared: { at: number; what: "all" | "runs" | "feedback" } | undefined;
    private selectedModel = getSelectedModelPath();
    /** The extension is shutting down (a reload): the kept state stays for the restored panel. */
    private shuttingDown = false;
    private readonly disposedEmitter = new vscode.EventEmitter<void>();
    readonly onDidDispose = this.disposedEmitter.event;

    static create(deps: PanelDeps, column: vscode.ViewColumn = vscode.ViewColumn.Beside): PlaygroundPanel {
        const panel = vscode.window.createWebviewPanel(PLAYGROUND_VIEW_TYPE, "Prompt Playground", { viewColumn: column, preserveFocus: false }, {
            ...webviewOptions(deps.services.context.extensionUri),
            enableFindWidget: true,
        });
        return new PlaygroundPanel(panel, deps, undefined);
    }

    /**
     * @param restored the state VS Code kept for a restored panel
     * @param kept     the state the extension kept in its storage (sent to the view, which takes the newer one)
     */
    constructor(readonly panel: vscode.WebviewPanel, private readonly deps: PanelDeps, restored: PlaygroundState | undefined, private kept?: PlaygroundState) {
        const { services } = deps;
        const icon = vscode.Uri.joinPath(services.context.extensionUri, "media", "promptsmith.svg");
        panel.iconPath = { light: icon, dark: icon };
        panel.webview.options = webviewOptions(services.context.extensionUri);
        const newest = [restored, kept].filter((x): x is PlaygroundState => !!x).sort((a, b) => (b.savedAt ?? 0) - (a.savedAt ?? 0))[0];
        if (newest) this.adoptState(newest, this.restoredSource(newest.source));
        this.channel = new WebviewChannel<PlaygroundToView, PlaygroundToHost>(panel.webview, PLAYGROUND_TO_HOST_TYPES, (e) => this.fail("The playground", e));
        this.channel
            .on("ready", () => this.onReady())
            .on("edit", (m) => this.countTokens(m.draft, m.modelPath))
            .on("run", (m) => {
                if (!isRunSpec(m.spec)) return this.refuse("run");
                return this.run(m.spec, typeof m.runId === "string" ? m.runId : `host-${Date.now()}`);
            })
            .on("stop", () => this.running?.abort())
            .on("savePreset", (m) => this.savePreset(m.sampling))
            .on("saveColumn", (m) => this.saveColumn(m.column))
            .on("openRun", (m) => void this.loadRun(m.runId))
            .on("export", (m) => this.exportHistory(m.format))
            .on("feedback", (m) => {
                const ok = typeof m.runId === "string" && m.runId.length <= 200
                    && (m.rating === undefined || m.rating === "up" || m.rating === "down")
                    && (m.correction === undefined || (typeof m.correction === "string" && m.correction.length <= MAX_CORRECTION_CHARS));
                return ok ? this.feedback(m.runId, m.rating, m.correction) : this.refuse("feedback");
            })
            .on("openSource", () => this.openSource())
            .on("browseModel", (m) => this.browseModel(m.column))
            .on("state", (m) => {
                if (!isPlaygroundState(m.state) || JSON.stringify(m.state).length > MAX_STATE_CHARS) return this.refuse("state");
                // A report the view sent before it heard of a clear is not written back (see forgetStored).
                const stale = this.cleared !== undefined && (m.state.clearedAt ?? 0) < this.cleared.at;
                // The prompt file is the host's: the view cannot point the panel (and Save to prompt file) elsewhere.
                const state = { ...this.afterClear(m.state), source: this.source };
                if (!state.source) delete state.source;
                this.adoptState(state, this.source);
                if (!stale) void deps.stateFile.save(state);
            });
        this.disposables.push(
            this.channel,
            this.disposedEmitter,
            // A hidden panel's page is gone (no retainContextWhenHidden): loads wait for its next "ready".
            panel.onDidChangeViewState((e) => {
                if (!e.webviewPanel.visible) this.ready = false;
            }),
            panel.onDidDispose(() => {
                // Closed by the user (not by a reload): nothing to restore.
                if (!this.shuttingDown) void deps.stateFile.delete();
                this.dispose();
            }),
            vscode.workspace.onDidChangeConfiguration((e) => {
                if (e.affectsConfiguration("promptsmith.playground.presets")) void this.channel.post({ type: "presets", presets: presetViews() });
            }),
            deps.store().onDidChange(() => this.scheduleHistory()),
            // "Selected model (…)" follows Select Model.
            onDidChangeModelState(() => {
                const now = getSelectedModelPath();
                if (now === this.selectedModel) return;
                this.selectedModel = now;
                if (this.ready) void this.deps.models.list().then((models) => this.channel.post({ type: "models", models }), () => undefined);
            }),
        );
        panel.webview.html = webviewHtml(panel.webview, services.context.extensionUri, { name: "playground", title: "Prompt Playground" });
    }

    get currentSource(): PromptSource | undefined {
        return this.source;
    }

    get state(): PlaygroundState | undefined {
        return this.lastState;
    }

    get isRunning(): boolean {
        return this.running !== undefined;
    }

    reveal(column?: vscode.ViewColumn): void {
        this.panel.reveal(column, false);
    }

    /** Shows a prompt file (and runs it when `run`). */
    async loadFile(uri: vscode.Uri, run = false): Promise<void> {
        const { load } = await loadPromptFile(uri);
        this.permitModels(load);
        await this.stopRun();
        this.load({ ...load, ...(run ? { autoRun: true } : {}) });
    }

    /** Shows a past run from the history. */
    async loadRun(runId: string): Promise<boolean> {
        const record = await this.deps.store().getRun(runId);
        if (!record) {
            void vscode.window.showWarningMessage("That run is no longer in the history (it was cleared or dropped by promptsmith.history.maxEntries).");
            return false;
        }
        const linter = await this.deps.linter(record.source).catch(() => undefined);
        const { load } = await loadFromRecord(this.deps.store(), record, linter);
        this.permitModels(load);
        await this.stopRun();
        this.load(load);
        return true;
    }

    /** The models the host itself read from a prompt file or a run record (only set when trusted, see source.ts). */
    private permitModels(load: PlaygroundLoad): void {
        for (const c of load.columns) if (c.modelPath) this.deps.models.permit(c.modelPath);
    }

    /**
     * The first column whose model the host did not offer or read itself (a path that came only from the
     * view or its saved state): such a model is not loaded. In a trusted folder the prompt file's own
     * `model:` is read again, so a restored panel still runs it.
     */
    private async refusedModel(spec: RunSpec): Promise<{ id: string; modelPath: string } | undefined> {
        if (vscode.workspace.isTrusted && this.source && spec.columns.some((c) => c.modelPath)) {
            const file = await loadPromptFile(vscode.Uri.parse(this.source.uri)).catch(() => undefined);
            if (file) this.permitModels(file.load);
        }
        for (const c of spec.columns) {
            if (c.modelPath && !(await this.deps.models.allows(c.modelPath))) return { id: c.id, modelPath: c.modelPath };
        }
        return undefined;
    }

    /** Stops the run going on, if any, and waits until its last message (runFinished) was posted. */
    private async stopRun(): Promise<void> {
        this.running?.abort();
        await this.settled;
    }

    private load(load: PlaygroundLoad): void {
        // What the view shows now replaces the last run.
        this.replay = undefined;
        this.source = load.source;
        this.variables = load.variables;
        this.panel.title = load.source ? `Playground: ${load.source.name}` : "Prompt Playground";
        if (this.ready) {
            void this.channel.post({ type: "load", load });
            void this.sendHistory();
        } else {
            this.pendingLoad = load;
        }
    }

    /**
     * The view's copy of the state, with the prompt file the host chose: `source` is set only by the
     * host (a load, a reopened run, a checked restore), and the declared variables come with it.
     */
    private adoptState(state: PlaygroundState, source: PromptSource | undefined): void {
        this.lastState = state;
        if (source?.uri !== this.source?.uri || !this.source) {
            this.source = source;
            // Restored: the variables the prompt file declared when the state was saved (the next load reads them again).
            this.variables = source ? (state.variables ?? []).filter((v) => typeof v?.name === "string") : [];
        }
        this.panel.title = this.source ? `Playground: ${this.source.name}` : "Prompt Playground";
    }

    /** A restored state's prompt file, when it is a *.prompt.md file in an open workspace folder. */
    private restoredSource(source: PromptSource | undefined): PromptSource | undefined {
        if (!source) return undefined;
        try {
            const uri = vscode.Uri.parse(source.uri, true);
            if (uri.scheme !== "file" || !/\.prompt\.md$/i.test(uri.path) || !vscode.workspace.getWorkspaceFolder(uri)) return undefined;
            return { ...promptSourceOf(uri), name: String(source.name).slice(0, 200) || promptSourceOf(uri).name };
        } catch {
            return undefined;
        }
    }

    /** A message that does not have the shape the protocol promises is dropped (and logged). */
    private refuse(what: string): void {
        this.deps.services.logger.warn(`Playground: ignored a "${what}" message from the view that is malformed or too large.`);
    }

    private async onReady(): Promise<void> {
        this.ready = true;
        const load = this.pendingLoad;
        this.pendingLoad = undefined;
        const models = await this.deps.models.list().catch(() => []);
        await this.channel.post({ type: "init", models, presets: presetViews(), defaults: defaultColumn(), ...(load ? { load } : {}), ...(this.kept && !load ? { restore: this.kept } : {}) });
        if (!load) await this.replayRun();
        await this.sendHistory();
    }

    /**
     * The page was rebuilt (the panel was hidden and shown again: its messages meanwhile went nowhere):
     * the latest run is sent again, as far as it got, so the view shows its answers and a run still going.
     */
    private async replayRun(): Promise<void> {
        const r = this.replay;
        if (!r) return;
        const { runId } = r;
        await this.channel.post({ type: "runStarted", runId, ...r.started, replay: true });
        for (const c of r.cells.values()) {
            if (c.result) await this.channel.post({ type: "cellDone", runId, column: c.column, iteration: c.iteration, result: c.result });
            else {
                await this.channel.post({ type: "cellStarted", runId, column: c.column, iteration: c.iteration, ...(c.seed !== undefined ? { seed: c.seed } : {}) });
                if (c.text) await this.channel.post({ type: "chunk", runId, column: c.column, iteration: c.iteration, text: c.text });
            }
        }
        if (r.finished) await this.channel.post({ type: "runFinished", runId, ...r.finished });
    }

    // ---- running ----

    private async run(spec: RunSpec, runId: string): Promise<void> {
        if (this.running) {
            void this.channel.post({ type: "notice", level: "warning", text: "A run is in progress: stop it first (Escape)." });
            return;
        }
        const abort = new AbortController();
        this.running = abort;
        let settle!: () => void;
        this.settled = new Promise<void>((resolve) => (settle = resolve));
        try {
            await this.runNow(spec, runId, abort);
        } finally {
            settle();
        }
    }

    private async runNow(spec: RunSpec, runId: string, abort: AbortController): Promise<void> {
        const refused = await this.refusedModel(spec).catch(() => undefined);
        if (refused) {
            this.running = undefined;
            const why = vscode.workspace.isTrusted ? "" : " Model paths from the workspace are ignored until you trust the folder.";
            void this.channel.post({ type: "notice", level: "error", text: `Not run: column ${refused.id}'s model ${refused.modelPath} is not one the playground offers. Choose it in the column's model list or with Browse….${why}` });
            await this.channel.post({ type: "runFinished", runId, stopped: true, spreads: [] });
            return;
        }
        const source = this.source;
        let outcome: RunOutcome = { results: [], spreads: [], stopped: false };
        try {
            const uri = source ? vscode.Uri.parse(source.uri) : undefined;
            outcome = await runSpec(this.deps, spec, { ...(source ? { source: source.path } : {}), ...(uri ? { sourceFile: uri.fsPath } : {}), variables: this.variables }, {
                started: (i) => {
                    this.replay = { runId, started: i, cells: new Map() };
                    void this.channel.post({ type: "runStarted", runId, ...i });
                },
                cellStarted: (column, iteration, seed) => {
                    this.replay?.cells.set(`${column}/${iteration}`, { column, iteration, seed, text: "" });
                    void this.channel.post({ type: "cellStarted", runId, column, iteration, ...(seed !== undefined ? { seed } : {}) });
                },
                chunk: (column, iteration, text) => {
                    const cell = this.replay?.cells.get(`${column}/${iteration}`);
                    if (cell) cell.text += text;
                    void this.channel.post({ type: "chunk", runId, column, iteration, text });
                },
                cellDone: (column, iteration, result) => {
                    const cell = this.replay?.cells.get(`${column}/${iteration}`);
                    if (cell) cell.result = result;
                    void this.channel.post({ type: "cellDone", runId, column, iteration, result });
                },
            }, abort.signal);
        } catch (e) {
            const err = toPromptsmithError(e);
            void this.channel.post({ type: "notice", level: "error", text: [err.message, err.fix].filter(Boolean).join(" ") });
        } finally {
            this.running = undefined;
            if (this.replay) this.replay.finished = { stopped: outcome.stopped, spreads: outcome.spreads };
            await this.channel.post({ type: "runFinished", runId, stopped: outcome.stopped, spreads: outcome.spreads });
            this.deps.onRunFinished({ ...outcome, ...(source ? { source: source.path } : {}) });
        }
    }

    /** js-tiktoken's count at once; the model's own count (and context window) follows when it arrives. */
    private async countTokens(draft: RunSpec["draft"], modelPath: string | undefined): Promise<void> {
        this.countAbort?.abort();
        const abort = new AbortController();
        this.countAbort = abort;
        const vars = this.variables;
        let texts: string[];
        try {
            texts = renderedTexts(draft, vars);
            const quick = await countPromptTokens(texts, modelPath, undefined, abort.signal);
            if (abort.signal.aborted) return;
            await this.channel.post({ type: "promptInfo", tokens: quick });
        } catch (e) {
            if (!abort.signal.aborted) await this.channel.post({ type: "promptInfo", error: `Tokens could not be counted: ${e instanceof Error ? e.message : String(e)}` });
            return;
        }
        if (!this.deps.countModelTokens) return;
        // While a run goes on, the model's own count only comes from the model already loaded: loading
        // another one for a count would make the runner swap models under the run.
        if (this.running) {
            const state = getModelState();
            if (state.path !== (modelPath ?? getSelectedModelPath())) return;
        }
        const timer = setTimeout(() => abort.abort(), MODEL_COUNT_TIMEOUT_MS);
        try {
            const full = await countPromptTokens(texts, modelPath, this.deps.countModelTokens, abort.signal);
            if (!abort.signal.aborted && full.model !== undefined) await this.channel.post({ type: "promptInfo", tokens: full });
        } finally {
            clearTimeout(timer);
        }
    }

    // ---- settings and the prompt file ----

    private async savePreset(sampling: Parameters<typeof savePresetInteractive>[0]): Promise<void> {
        const name = await savePresetInteractive(sampling, this.deps.services.logger);
        await this.channel.post({ type: "presets", presets: presetViews(), ...(name ? { applied: name } : {}) });
    }

    private async saveColumn(column: Parameters<typeof saveColumnToFile>[1]): Promise<void> {
        const source = this.source;
        if (!source) {
            void this.channel.post({ type: "notice", level: "warning", text: "This playground is not linked to a prompt file: open a *.prompt.md file in the playground first." });
            return;
        }
        const uri = vscode.Uri.parse(source.uri);
        try {
            const changed = await saveColumnToFile(uri, column);
            const text = changed
                ? `Saved column ${column.id}'s settings into ${source.path} (not saved to disk yet; Ctrl+Z in its editor undoes it).`
                : `${source.path} already has column ${column.id}'s settings.`;
            void this.channel.post({ type: "notice", level: "info", text });
            if (changed) {
                const choice = await vscode.window.showInformationMessage(`Saved column ${column.id}'s settings into ${source.path}.`, "Show File");
                if (choice) await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, preview: false });
            }
        } catch (e) {
            const err = toPromptsmithError(e);
            void this.channel.post({ type: "notice", level: "error", text: `Not saved: ${[err.message, err.fix].filter(Boolean).join(" ")}` });
        }
    }

    private async openSource(): Promise<void> {
        if (!this.source) return;
        await vscode.window.showTextDocument(vscode.Uri.parse(this.source.uri), { viewColumn: vscode.ViewColumn.One, preview: false });
    }

    private async browseModel(column: number): Promise<void> {
        const uris = await vscode.window.showOpenDialog({
            title: "Choose a GGUF model for this column",
            openLabel: "Use Model",
            canSelectFiles: true,
            canSelectMany: false,
            filters: { "GGUF models": ["gguf"], "All files": ["*"] },
        });
        const file = uris?.[0]?.fsPath;
        if (!file) return;
        this.deps.models.add(file);
        await this.channel.post({ type: "models", models: await this.deps.models.list(), column, chosen: file });
    }

    // ---- history and feedback ----

    private scheduleHistory(): void {
        if (this.historyTimer) return;
        this.historyTimer = setTimeout(() => {
            this.historyTimer = undefined;
            void this.sendHistory();
        }, 200);
    }

    private async sendHistory(): Promise<void> {
        if (!this.ready || this.disposed) return;
        const items = await historyItems(this.deps.store(), this.source?.path).catch((e: unknown) => {
            this.deps.services.logger.warn(`Playground: the history could not be read: ${e instanceof Error ? e.message : String(e)}`);
            return [];
        });
        await this.channel.post({ type: "history", items, ...(this.source ? { source: this.source.path } : {}) });
    }

    private async exportHistory(format: "jsonl" | "markdown"): Promise<void> {
        const target = await exportHistory(this.deps.store(), this.source?.path, format);
        if (!target) return;
        const choice = await vscode.window.showInformationMessage(`Exported the playground history to ${vscode.workspace.asRelativePath(target)}.`, "Open");
        if (choice) await vscode.window.showTextDocument(target, { preview: false });
    }

    private async feedback(runId: string, rating: "up" | "down" | undefined, correction: string | undefined): Promise<void> {
        if (rating === undefined && correction === undefined) return;
        await this.deps.store().addFeedback({ runId, ...(rating ? { rating } : {}), ...(correction !== undefined ? { correction } : {}) });
        await this.channel.post({ type: "feedbackSaved", runId, ...(rating ? { rating } : {}), ...(correction !== undefined ? { correction } : {}) });
    }

    private fail(what: string, e: unknown): void {
        const err = toPromptsmithError(e);
        this.deps.services.logger.error(`${what}: [${err.code}] ${err.message}${err.detail ? `\n${err.detail}` : ""}`);
        void this.channel.post({ type: "notice", level: "error", text: [err.message, err.fix].filter(Boolean).join(" ") });
    }

    /**
     * The local history was cleared (Clear Local Data, whoever ran it): the kept state file is deleted
     * and the view drops the results and feedback it holds (its own saved copy included).
     */
    async forgetStored(what: "all" | "runs" | "feedback"): Promise<void> {
        const at = Math.max(Date.now(), (this.cleared?.at ?? 0) + 1);
        this.cleared = { at, what };
        this.replay = undefined;
        this.kept = undefined;
        if (this.lastState) {
            this.lastState = { ...this.lastState, ...(what !== "feedback" ? { results: [] } : {}), feedback: {} };
        }
        await this.deps.stateFile.delete();
        await this.channel.post({ type: "cleared", what, at });
    }

    /** A state the view saved before it heard of the last clear comes without what was cleared. */
    private afterClear(state: PlaygroundState): PlaygroundState {
        const c = this.cleared;
        // Compared on the extension's own clock: the view's savedAt may be later than the clear even
        // though the view had not heard of it yet (its report was on the way).
        if (!c || (state.clearedAt ?? 0) >= c.at) return state;
        return { ...state, ...(c.what !== "feedback" ? { results: [] } : {}), feedback: {} };
    }

    /** The extension is deactivating: keep the stored state for the panel VS Code restores next time. */
    shutdown(): void {
        this.shuttingDown = true;
        this.dispose();
    }

    dispose(): void {
        if (this.disposed) return;
        this.disposed = true;
        this.running?.abort();
        this.countAbort?.abort();
        if (this.historyTimer) clearTimeout(this.historyTimer);
        this.disposedEmitter.fire();
        for (const d of this.disposables.splice(0)) d.dispose();
        this.panel.dispose();
    }
}

