// The Monitoring view (a webview view in the Promptsmith sidebar): per model and per prompt file, the
// request count, latency P50/P95/P99, speed, cache hit rate, flagged-output rate and acceptance, computed
// from the local history (src/vscode/localData.ts) with src/core/metrics.ts. Nothing leaves the machine;
// "Clear" deletes the stored runs and feedback after a confirmation.
import { basename } from "node:path";
import * as vscode from "vscode";
import { aggregateRuns, NO_SOURCE_KEY, type MonitorRow } from "../core/metrics.ts";
import type { FeedbackRecord, RunRecord } from "../core/store/records.ts";
import {
    DEFAULT_WINDOW,
    isTimeWindow,
    TIME_WINDOWS,
    TO_HOST_TYPES,
    type MonitoringModel,
    type MonitoringRow,
    type TimeWindow,
    type ToHost,
    type ToView,
} from "../protocol/monitoring.ts";
import { localStore, type LocalStore } from "./localData.ts";
import type { Services } from "./services.ts";
import { WebviewChannel } from "./webview/channel.ts";
import { webviewHtml, webviewOptions } from "./webview/html.ts";

export const MONITORING_VIEW_ID = "promptsmith.monitoring";
export const SHOW_COMMAND = "promptsmith.monitoring.show";
export const CLEAR_COMMAND = "promptsmith.monitoring.clear";
const EXPORT_COMMAND = "promptsmith.history.export";
/** The bySource row of code generation runs. */
export const CODEGEN_KEY = "codegen";
/** Store changes arrive in bursts (a Compare run writes up to 4 × 20 runs): one refresh per burst. */
const REFRESH_DEBOUNCE_MS = 300;

function toRow(r: MonitorRow, label: string, detail?: string): MonitoringRow {
    return {
        key: r.key,
        label,
        ...(detail && detail !== label ? { detail } : {}),
        requests: r.requests,
        errors: r.errors,
        stopped: r.stopped,
        ...(r.latencyMs ? { latencyMs: r.latencyMs } : {}),
        ...(r.tokensPerSecond !== undefined ? { tokensPerSecond: r.tokensPerSecond } : {}),
        ...(r.cacheHitRate !== undefined ? { cacheHitRate: r.cacheHitRate } : {}),
        ...(r.flaggedRate !== undefined ? { flaggedRate: r.flaggedRate } : {}),
        up: r.acceptance.up,
        down: r.acceptance.down,
        ...(r.acceptance.rate !== undefined ? { acceptanceRate: r.acceptance.rate } : {}),
    };
}

/**
 * What the view shows for `runs` (newest first, as the store returns them) and `feedback` in `window`,
 * counted back from `now`. By model: every run. By prompt file: the playground's runs per prompt file
 * (those typed into the playground without a file under "Playground (no prompt file)"), and all code
 * generation runs in one "Code generation" row.
 */
export function buildMonitoringModel(runs: readonly RunRecord[], feedback: readonly FeedbackRecord[], window: TimeWindow, now = Date.now()): MonitoringModel {
    const span = TIME_WINDOWS.find((w) => w.id === window)?.ms;
    const since = span === undefined ? -Infinity : now - span;
    const inWindow = runs.filter((r) => {
        const t = Date.parse(r.at);
        return span === undefined || (!Number.isNaN(t) && t >= since);
    });
    // The full path of each model (the newest run's), for the row's tooltip.
    const modelPaths = new Map<string, string>();
    for (const r of inWindow) if (r.modelPath && !modelPaths.has(r.model)) modelPaths.set(r.model, r.modelPath);
    const byModel = aggregateRuns(inWindow, feedback, "model").map((r) => toRow(r, r.key || "(unknown model)", modelPaths.get(r.key)));

    const playground = inWindow.filter((r) => r.kind !== "codegen");
    const codegen = inWindow.filter((r) => r.kind === "codegen");
    const sourceRows = aggregateRuns(playground, feedback, "source");
    // The file name, or the whole (workspace-relative) path where two files share a name.
    const names = new Map<string, number>();
    for (const r of sourceRows) names.set(basename(r.key), (names.get(basename(r.key)) ?? 0) + 1);
    const bySource = sourceRows.map((r) =>
        r.key === NO_SOURCE_KEY ? toRow(r, "Playground (no prompt file)") : toRow(r, names.get(basename(r.key))! > 1 ? r.key : basename(r.key), r.key));
    if (codegen.length > 0) {
        const [row] = aggregateRuns(codegen, feedback, "kind");
        if (row) bySource.push(toRow({ ...row, key: CODEGEN_KEY }, "Code generation", "Code generation from requirements"));
        bySource.sort((a, b) => b.requests - a.requests || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
    }
    let newestAt: number | undefined;
    for (const r of inWindow) {
        const t = Date.parse(r.at);
        if (!Number.isNaN(t) && (newestAt === undefined || t > newestAt)) newestAt = t;
    }
    return { window, runs: inWindow.length, storedRuns: runs.length, byModel, bySource, ...(newestAt !== undefined ? { newestAt } : {}), updatedAt: now };
}

class MonitoringView implements vscode.WebviewViewProvider, vscode.Disposable {
    private view: vscode.WebviewView | undefined;
    private channel: WebviewChannel<ToView, ToHost> | undefined;
    private viewDisposables: vscode.Disposable[] = [];
    private window: TimeWindow;
    private timer: ReturnType<typeof setTimeout> | undefined;
    /** The store changed while the view was hidden: refresh when it shows. */
    private stale = false;
    private storeSubscription: { dispose(): void } | undefined;
    /** The last model sent to the view (for tests). */
    lastPosted: MonitoringModel | undefined;
    private readonly posted = new vscode.EventEmitter<MonitoringModel>();
    readonly onDidPost = this.posted.event;

    constructor(private readonly services: Services) {
        const saved = services.context.globalState.get<unknown>("promptsmith.monitoring.window");
        this.window = isTimeWindow(saved) ? saved : DEFAULT_WINDOW;
    }

    resolveWebviewView(view: vscode.WebviewView): void {
        this.disposeView();
        this.view = view;
        const { extensionUri } = this.services.context;
        view.webview.options = webviewOptions(extensionUri);
        view.webview.html = webviewHtml(view.webview, extensionUri, { name: "monitoring", title: "Promptsmith Monitoring" });
        const channel = new WebviewChannel<ToView, ToHost>(view.webview, TO_HOST_TYPES, (e) => this.reportError(e));
        this.channel = channel;
        channel
            .on("ready", (msg) => {
                if (isTimeWindow(msg.window)) this.setWindow(msg.window);
                return this.refresh();
            })
            .on("setWindow", (msg) => {
                if (!isTimeWindow(msg.window)) return;
                this.setWindow(msg.window);
                return this.refresh();
            })
            .on("refresh", () => this.refresh())
            .on("clear", async () => {
                await vscode.commands.executeCommand(CLEAR_COMMAND);
            })
            .on("export", async () => {
                await vscode.commands.executeCommand(EXPORT_COMMAND);
            });
        // The numbers follow the store while the view exists (debounced); a hidden view catches up when shown.
        this.storeSubscription = localStore(this.services).onDidChange(() => this.scheduleRefresh());
        this.viewDisposables.push(
            channel,
            view.onDidChangeVisibility(() => {
                if (view.visible && this.stale) this.scheduleRefresh(0);
            }),
            view.onDidDispose(() => {
                if (this.view === view) this.disposeView();
            }),
        );
    }

    /** Builds the model for the view's window (or `window`) from the store. */
    async model(window: TimeWindow = this.window): Promise<MonitoringModel> {
        const store = localStore(this.services);
        const [runs, feedback] = await Promise.all([store.runs(), store.feedback()]);
        return buildMonitoringModel(runs, feedback, window);
    }

    async refresh(): Promise<void> {
        this.cancelTimer();
        const channel = this.channel;
        if (!channel || !this.view) return;
        if (!this.view.visible) {
            this.stale = true;
            return;
        }
        this.stale = false;
        try {
            const model = await this.model();
            if (channel !== this.channel) return;
            if (await channel.post({ type: "model", model })) {
                this.lastPosted = model;
                this.posted.fire(model);
            }
        } catch (e) {
            this.reportError(e);
            await channel.post({ type: "error", message: `Could not read the local history: ${e instanceof Error ? e.message : String(e)}` });
        }
    }

    private scheduleRefresh(delay = REFRESH_DEBOUNCE_MS): void {
        if (!this.view) return;
        if (!this.view.visible) {
            this.stale = true;
            return;
        }
        this.cancelTimer();
        this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.refresh();
        }, delay);
    }

    private setWindow(window: TimeWindow): void {
        if (window === this.window) return;
        this.window = window;
        void this.services.context.globalState.update("promptsmith.monitoring.window", window);
    }

    private cancelTimer(): void {
        if (this.timer) clearTimeout(this.timer);
        this.timer = undefined;
    }

    private reportError(e: unknown): void {
        this.services.logger.error(`Monitoring view: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }

    private disposeView(): void {
        this.cancelTimer();
        this.storeSubscription?.dispose();
        this.storeSubscription = undefined;
        for (const d of this.viewDisposables) d.dispose();
        this.viewDisposables = [];
        this.channel = undefined;
        this.view = undefined;
    }

    dispose(): void {
        this.disposeView();
        this.posted.dispose();
    }
}

/**
 * Asks, then deletes every stored run and all feedback (the history uses the same data). Returns whether
 * it deleted. `skipConfirmation` is for scripts and tests.
 */
async function clearMonitoringData(services: Services, skipConfirmation: boolean): Promise<boolean> {
    const store = localStore(services);
    const { runs, feedback } = await store.stats();
    if (runs === 0 && feedback === 0) {
        if (!skipConfirmation) void vscode.window.showInformationMessage("There are no stored runs or feedback to clear.");
        return false;
    }
    if (!skipConfirmation) {
        const what = [`${runs} run${runs === 1 ? "" : "s"}`, feedback > 0 ? `${feedback} feedback entr${feedback === 1 ? "y" : "ies"}` : ""].filter(Boolean).join(" and ");
        const choice = await vscode.window.showWarningMessage(
            `Delete ${what} stored on this machine?`,
            { modal: true, detail: "The monitoring numbers and the history of code generation and playground runs are cleared. This cannot be undone; export them first to keep a copy." },
            "Delete",
        );
        if (choice !== "Delete") return false;
    }
    await store.clear("all");
    services.logger.info(`Monitoring: cleared ${runs} runs and ${feedback} feedback entries.`);
    return true;
}

let view: MonitoringView | undefined;
let registeredServices: Services | undefined;

export function registerMonitoring(services: Services): void {
    const provider = new MonitoringView(services);
    view = provider;
    registeredServices = services;
    services.context.subscriptions.push(
        provider,
        { dispose: () => (view = view === provider ? undefined : view) },
        vscode.window.registerWebviewViewProvider(MONITORING_VIEW_ID, provider),
        vscode.commands.registerCommand(SHOW_COMMAND, async () => {
            await vscode.commands.executeCommand(`${MONITORING_VIEW_ID}.focus`);
        }),
        vscode.commands.registerCommand(CLEAR_COMMAND, async (options?: { skipConfirmation?: boolean }) => {
            try {
                return await clearMonitoringData(services, options?.skipConfirmation === true);
            } catch (e) {
                services.logger.error(`Clearing the history failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
                void vscode.window.showErrorMessage(`Could not clear the stored runs: ${e instanceof Error ? e.message : String(e)}`);
                return false;
            }
        }),
    );
}

/** For tests: the local history store the view reads (the extension's one, shared with the history). */
export function monitoringStore(): LocalStore {
    if (!registeredServices) throw new Error("Promptsmith's Monitoring view is not registered");
    return localStore(registeredServices);
}

/** For tests: the view's numbers for `window` (default: the view's window), built from the store now. */
export function monitoringModel(window?: TimeWindow): Promise<MonitoringModel> {
    if (!view) throw new Error("Promptsmith's Monitoring view is not registered");
    return view.model(window);
}

/** For tests: the model last sent to the visible view, waiting for the next one when `next` is set. */
export async function monitoringViewModel(next = false, timeoutMs = 10_000): Promise<MonitoringModel | undefined> {
    const v = view;
    if (!v) throw new Error("Promptsmith's Monitoring view is not registered");
    if (!next) return v.lastPosted;
    return new Promise((resolve) => {
        const timer = setTimeout(() => {
            sub.dispose();
            resolve(undefined);
        }, timeoutMs);
        const sub = v.onDidPost((m) => {
            clearTimeout(timer);
            sub.dispose();
            resolve(m);
        });
    });
}
