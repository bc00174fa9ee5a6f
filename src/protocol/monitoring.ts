// Messages between the extension (src/vscode/monitoring.ts) and the Monitoring view
// (webview/monitoring/main.ts), plus the pure helpers both sides use to name and format its numbers.
// Types and pure functions only: no vscode, no Node APIs (the webview bundle imports this file).

/** The time window the tables cover, counted back from now. */
export type TimeWindow = "hour" | "day" | "week" | "all";

export const TIME_WINDOWS: ReadonlyArray<{ id: TimeWindow; label: string; ms?: number }> = [
    { id: "hour", label: "Last hour", ms: 60 * 60 * 1000 },
    { id: "day", label: "Last 24 hours", ms: 24 * 60 * 60 * 1000 },
    { id: "week", label: "Last 7 days", ms: 7 * 24 * 60 * 60 * 1000 },
    { id: "all", label: "All time" },
];

export const DEFAULT_WINDOW: TimeWindow = "all";

export function isTimeWindow(v: unknown): v is TimeWindow {
    return typeof v === "string" && TIME_WINDOWS.some((w) => w.id === v);
}

/** One row of a table: the runs of one model, prompt file or "Code generation". Absent numbers have no data. */
export interface MonitoringRow {
    /** What the row groups by (model file name, prompt file path, "codegen"); unique within its table. */
    key: string;
    /** What the row shows in its first column. */
    label: string;
    /** A longer description for the row's tooltip (full path of the model or prompt file). */
    detail?: string;
    requests: number;
    errors: number;
    /** Runs stopped by the user (left out of latency, speed and the rates). */
    stopped: number;
    /** Latency of the completed, generated requests (total less model start-up and load; cache hits and stopped runs left out), in milliseconds (percentiles). */
    latencyMs?: { p50: number; p95: number; p99: number };
    /** Output tokens per second (generation speed): the median over the requests that generated (cache hits left out). */
    tokensPerSecond?: number;
    /** Share of requests answered from the response cache, 0–1. */
    cacheHitRate?: number;
    /** Share of outputs the output linter flagged (refusals, personal data, secrets …), 0–1. */
    flaggedRate?: number;
    /** Thumbs up and down given to these runs. */
    up: number;
    down: number;
    /** up / (up + down), 0–1; absent without feedback. */
    acceptanceRate?: number;
}

/** Everything the view shows. */
export interface MonitoringModel {
    window: TimeWindow;
    /** Runs in the window (all kinds). */
    runs: number;
    /** Runs stored on this machine, in any window. */
    storedRuns: number;
    byModel: MonitoringRow[];
    /** By prompt file; code generation runs form one "Code generation" row. */
    bySource: MonitoringRow[];
    /** When the newest run in the window started (ms since the epoch). */
    newestAt?: number;
    /** When the model was built (ms since the epoch). */
    updatedAt: number;
}

/** Extension → view. */
export type ToView =
    | { type: "model"; model: MonitoringModel }
    | { type: "error"; message: string };

/** View → extension. */
export type ToHost =
    /** The page loaded; `window`: the one it had before a reload (absent: the extension's saved choice). */
    | { type: "ready"; window?: TimeWindow }
    | { type: "setWindow"; window: TimeWindow }
    | { type: "refresh" }
    | { type: "clear" }
    | { type: "export" };

export const TO_HOST_TYPES: ReadonlySet<ToHost["type"]> = new Set(["ready", "setWindow", "refresh", "clear", "export"]);

/** What the view saves with setState and gets back after a reload. */
export interface MonitoringViewState {
    window: TimeWindow;
    /** The last model shown, so a reloaded view paints at once (then refreshes). */
    model?: MonitoringModel;
}

// ---- formatting (shared so the tests can check what the view shows) ----

/** Shown where a number has no data. */
export const NO_DATA = "—";

const grouped = (n: number, digits: number): string =>
    n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Milliseconds: "0.4", "8.5", "12", "312", "1,204" (a decimal only below 10). */
export function formatMs(ms: number | undefined): string {
    if (ms === undefined || !Number.isFinite(ms)) return NO_DATA;
    return grouped(ms, ms < 10 ? 1 : 0);
}

/** Tokens per second: "0.8", "8.3", "80", "412" (a decimal only below 10). */
export function formatRate(v: number | undefined): string {
    if (v === undefined || !Number.isFinite(v)) return NO_DATA;
    return grouped(v, v < 10 ? 1 : 0);
}

/** A share 0–1 as a percentage without the sign (the header says %): "0", "2.5", "100". */
export function formatPercent(share: number | undefined): string {
    if (share === undefined || !Number.isFinite(share)) return NO_DATA;
    const p = share * 100;
    // One decimal only where rounding would hide something (0.4 % is not 0 %, 99.6 % is not 100 %).
    const digits = (p > 0 && p < 10) || (p > 99 && p < 100) ? 1 : 0;
    return grouped(p, digits);
}

export function formatCount(n: number): string {
    return grouped(n, 0);
}

/** A column of both tables: its header (with the unit), a longer description and the cell's text. */
export interface MonitoringColumn {
    id: string;
    header: string;
    /** For the header's tooltip and screen readers. */
    description: string;
    cell(row: MonitoringRow): string;
}

/** How latency is defined (the P50/P95/P99 tooltips; docs/monitoring in the README says the same). */
const LATENCY = "Latency: a request's total time less the model process's start-up and the model's load, over the runs that completed and were generated (failed and stopped runs and cache hits are left out).";

export const METRIC_COLUMNS: readonly MonitoringColumn[] = [
    { id: "requests", header: "Requests", description: "Runs in the time window", cell: (r) => formatCount(r.requests) },
    { id: "errors", header: "Errors", description: "Runs that ended with an error (left out of every number to the right)", cell: (r) => formatCount(r.errors) },
    { id: "stopped", header: "Stopped", description: "Runs stopped before they finished (left out of every number to the right: their times are cut short)", cell: (r) => formatCount(r.stopped) },
    { id: "p50", header: "P50 (ms)", description: `Median latency, in milliseconds. ${LATENCY}`, cell: (r) => formatMs(r.latencyMs?.p50) },
    { id: "p95", header: "P95 (ms)", description: `95th percentile latency, in milliseconds. ${LATENCY}`, cell: (r) => formatMs(r.latencyMs?.p95) },
    { id: "p99", header: "P99 (ms)", description: `99th percentile latency, in milliseconds. ${LATENCY}`, cell: (r) => formatMs(r.latencyMs?.p99) },
    { id: "tps", header: "Speed (tok/s)", description: "Output tokens per second (median of the completed runs; cache hits left out)", cell: (r) => formatRate(r.tokensPerSecond) },
    { id: "cache", header: "Cache hits (%)", description: "Share of the completed runs answered from the response cache", cell: (r) => formatPercent(r.cacheHitRate) },
    { id: "flagged", header: "Flagged (%)", description: "Share of the completed runs' outputs flagged by the output linter (refusals, personal data, secrets)", cell: (r) => formatPercent(r.flaggedRate) },
    {
        id: "accepted",
        header: "Accepted (%)",
        description: "Thumbs up among the runs that got feedback",
        cell: (r) => (r.acceptanceRate === undefined ? NO_DATA : `${formatPercent(r.acceptanceRate)} (${r.up}/${r.up + r.down})`),
    },
];
