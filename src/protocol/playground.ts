// Messages between the extension (src/vscode/playground/) and the Prompt Playground webview
// (webview/playground/main.ts), the state the webview saves with setState, and small pure helpers both
// sides use. Types and pure functions only: no vscode, no Node APIs (the webview bundle imports this).
import type { RunMetricsRecord } from "../core/store/records.ts";
import type { SamplingParams } from "../core/sampling.ts";

/** The WebviewPanel's view type (package.json activation event onWebviewPanel:promptsmith.playground). */
export const PLAYGROUND_VIEW_TYPE = "promptsmith.playground";

/** Compare runs 1 to 4 columns; "repeat" runs each column 1 to REPEAT_MAX times with different seeds. */
export const MAX_COLUMNS = 4;
export const REPEAT_MAX = 20;
export const COLUMN_IDS = ["A", "B", "C", "D"] as const;

/** Sampling as the controls edit it: the seed, stop list and output constraint are kept apart. */
export type EditableSampling = Omit<SamplingParams, "seed" | "stop" | "jsonSchema" | "grammar">;

export type ConstraintKind = "none" | "jsonSchema" | "grammar";

/** One Compare column's settings (a single run uses column A alone). */
export interface ColumnSettings {
    /** "A" … "D". */
    id: string;
    /** The preset last applied; the controls may have been changed since (see presetMatches). */
    presetId?: string;
    /** The model file; undefined: the model selected in Promptsmith (Select Model). */
    modelPath?: string;
    sampling: EditableSampling;
    /** random: a new seed each run (reported after it); fixed: `seed`. */
    seedMode: "random" | "fixed";
    seed?: number;
    stop: string[];
    /** Constrain the output to a JSON schema (text holds the JSON) or a GBNF grammar. */
    constraint: { kind: ConstraintKind; text: string };
}

/** The prompt being edited: system and user templates with {{variables}} and the variables' values. */
export interface PromptDraft {
    system: string;
    user: string;
    /** Values typed in the variables table, by name (absent: the variable's default). */
    values: Record<string, string>;
}

/** The prompt file the playground was opened from. */
export interface PromptSource {
    /** The file's URI (string form). */
    uri: string;
    /** Workspace-relative path (the history key), or the file name outside a workspace. */
    path: string;
    /** The prompt's name from its front matter, else the file name. */
    name: string;
}

export interface VariableRow {
    name: string;
    default?: string;
    description?: string;
    required: boolean;
    /** Declared in the front matter (else only found in the text). */
    declared: boolean;
}

export interface ModelChoice {
    path: string;
    /** File name. */
    label: string;
    /** "Q4_K_M · 1.5B · ctx 32768 · 1.0 GB", or why the file cannot be used. */
    description?: string;
    /** The model selected in Promptsmith. */
    selected?: boolean;
}

/** A sampling preset as the view lists it (built-in or saved in promptsmith.playground.presets). */
export interface PresetView {
    id: string;
    name: string;
    description?: string;
    sampling: SamplingParams;
    builtin: boolean;
}

export interface OutputFinding {
    ruleId: string;
    severity: "error" | "warning" | "info";
    message: string;
    /** UTF-16 offsets into the output text. */
    start: number;
    end: number;
}

/** A cell's metrics: the same figures the history stores for the run. */
export type CellMetrics = RunMetricsRecord;

/** The outcome of one run of one column. */
export interface CellResult {
    /** The history record's id (feedback is stored against it); absent if it could not be recorded. */
    runId?: string;
    text: string;
    stopReason: "eos" | "maxTokens" | "stop" | "abort" | "error";
    error?: string;
    /** The seed used (random seeds are reported so the run can be repeated). */
    seed?: number;
    /** The model file name. */
    model?: string;
    metrics?: CellMetrics;
    findings: OutputFinding[];
    flagged: boolean;
}

export interface Spread {
    n: number;
    min: number;
    max: number;
    mean: number;
    stdev: number;
}

/** What repeat-N shows for a column: how much the runs differ. */
export interface ColumnSpread {
    column: number;
    runs: number;
    distinctOutputs: number;
    tokensPerSecond?: Spread;
    outputTokens?: Spread;
    outputChars?: Spread;
    totalMs?: Spread;
}

export interface HistoryItem {
    runId: string;
    /** ISO time. */
    at: string;
    model: string;
    column?: number;
    seed?: number;
    stopReason: CellResult["stopReason"];
    /** The first characters of the output. */
    preview: string;
    tokensPerSecond?: number;
    rating?: "up" | "down";
    flagged?: boolean;
}

export interface TokenInfo {
    /** js-tiktoken (cl100k_base) tokens of the rendered prompt. */
    tiktoken: number;
    /** The model's own tokenizer (absent when no model is available or counting failed). */
    model?: number;
    /** The model's context window (as loaded) and its training context. */
    contextSize?: number;
    trainContextSize?: number;
    /** Which model the count is for (file name). */
    modelName?: string;
}

/** A run request from the view. */
export interface RunSpec {
    draft: PromptDraft;
    columns: ColumnSettings[];
    /** Runs per column (1 = no repeat). */
    repeat: number;
    /** Answer reproducible requests (fixed seed or temperature 0) from the response cache. */
    useCache: boolean;
}

// ---- webview → extension ----
export type PlaygroundToHost =
    | { type: "ready" }
    /** The prompt or variables changed (debounced by the view): answer with promptInfo. */
    | { type: "edit"; draft: PromptDraft; modelPath?: string }
    /** `runId`: the view's id for this run; every message of the run carries it back (the view drops other runs'). */
    | { type: "run"; spec: RunSpec; runId: string }
    | { type: "stop" }
    /** Save the sampling as a user preset (the extension asks for its name). */
    | { type: "savePreset"; sampling: SamplingParams }
    /** Write a column's settings into the prompt file's front matter (an undoable edit). */
    | { type: "saveColumn"; column: ColumnSettings }
    | { type: "openRun"; runId: string }
    | { type: "export"; format: "jsonl" | "markdown" }
    | { type: "feedback"; runId: string; rating?: "up" | "down"; correction?: string }
    /** Show the prompt file in an editor. */
    | { type: "openSource" }
    /** Choose a .gguf file with the open dialog for a column. */
    | { type: "browseModel"; column: number }
    /** The view's state changed in a way the extension keeps (source, draft, columns): for tests and reopen. */
    | { type: "state"; state: PlaygroundState };

export const PLAYGROUND_TO_HOST_TYPES: ReadonlySet<PlaygroundToHost["type"]> = new Set([
    "ready", "edit", "run", "stop", "savePreset", "saveColumn", "openRun", "export", "feedback", "openSource", "browseModel", "state",
]);

// ---- extension → webview ----
export type PlaygroundToView =
    /**
     * Answer to ready; `load` replaces the view's prompt and columns (a prompt file or a past run was
     * opened); `restore` is the state the extension kept for a restored panel (used when newer than the view's).
     */
    | { type: "init"; models: ModelChoice[]; presets: PresetView[]; defaults: ColumnSettings; load?: PlaygroundLoad; restore?: PlaygroundState }
    | { type: "load"; load: PlaygroundLoad }
    /** Token counts of the rendered prompt (the view finds the variables itself, with render.ts). */
    | { type: "promptInfo"; tokens?: TokenInfo; error?: string }
    /**
     * A run's messages carry the id the view gave it (`run`): after a load, late messages of the run it
     * replaced are dropped. `replay`: the run is sent again to a rebuilt page (see PlaygroundPanel.replayRun).
     */
    | { type: "runStarted"; runId: string; columns: number; repeat: number; seeds: Array<Array<number | undefined>>; replay?: true }
    | { type: "cellStarted"; runId: string; column: number; iteration: number; seed?: number }
    | { type: "chunk"; runId: string; column: number; iteration: number; text: string }
    | { type: "cellDone"; runId: string; column: number; iteration: number; result: CellResult }
    | { type: "runFinished"; runId: string; stopped: boolean; spreads: ColumnSpread[] }
    /** The stored runs (or feedback) were cleared: the view drops its results (and feedback) and keeps only the prompt. */
    | { type: "cleared"; what: "all" | "runs" | "feedback"; /** The extension's clock at the clear; the view reports it back in state.clearedAt. */ at: number }
    | { type: "presets"; presets: PresetView[]; applied?: string }
    | { type: "models"; models: ModelChoice[]; column?: number; chosen?: string }
    | { type: "history"; items: HistoryItem[]; source?: string }
    | { type: "feedbackSaved"; runId: string; rating?: "up" | "down"; correction?: string }
    | { type: "notice"; level: "info" | "warning" | "error"; text: string };

/** What a load puts into the view. */
export interface PlaygroundLoad {
    source?: PromptSource;
    draft: PromptDraft;
    columns: ColumnSettings[];
    variables: VariableRow[];
    /** Results shown in the columns (reopening a past run). */
    results?: CellResult[][];
    /** Feedback already given on those results, by run id. */
    feedback?: PlaygroundState["feedback"];
    /** Run as soon as it is loaded (Run Prompt File). */
    autoRun?: boolean;
    /** Problems in the prompt file's front matter (the file still loads with defaults). */
    problems?: string[];
}

/** What the view keeps with setState (restored after a reload by the serializer). */
export interface PlaygroundState {
    version: 1;
    /** When the view saved it (ms since the epoch): the newer of two copies wins. */
    savedAt?: number;
    /** The last clear this view heard of (the extension's clock, from the "cleared" message): a report
     * with an older one was made before the view knew, so its results and feedback are not taken. */
    clearedAt?: number;
    source?: PromptSource;
    draft: PromptDraft;
    columns: ColumnSettings[];
    variables: VariableRow[];
    repeat: number;
    useCache: boolean;
    /** The last run's results per column (each column: one per repetition). */
    results: CellResult[][];
    /** Ratings and corrections given in this view, by run id. */
    feedback: Record<string, { rating?: "up" | "down"; correction?: string }>;
}

/** The largest state the extension keeps (as JSON, in UTF-16 code units): a bigger report is refused. */
export const MAX_STATE_CHARS = 4_000_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The shape of a state (from the view, VS Code's copy or the state file); its size is checked by the host. */
export function isPlaygroundState(v: unknown): v is PlaygroundState {
    if (!isRecord(v)) return false;
    const s = v as Partial<PlaygroundState>;
    const d = s.draft as Partial<PromptDraft> | undefined;
    return s.version === 1
        && isRecord(d) && typeof d.system === "string" && typeof d.user === "string" && isRecord(d.values)
        && Array.isArray(s.columns) && s.columns.length <= MAX_COLUMNS && s.columns.every(isRecord)
        && (s.variables === undefined || Array.isArray(s.variables))
        && (s.results === undefined || (Array.isArray(s.results) && s.results.every(Array.isArray)))
        && (s.feedback === undefined || isRecord(s.feedback))
        && (s.savedAt === undefined || typeof s.savedAt === "number")
        && (s.clearedAt === undefined || typeof s.clearedAt === "number")
        && (s.source === undefined || (isRecord(s.source) && typeof s.source.uri === "string" && typeof s.source.path === "string" && typeof s.source.name === "string"));
}

/** The shape of a run request from the view (columnSampling validates each column's values when it runs). */
export function isRunSpec(v: unknown): v is RunSpec {
    if (!isRecord(v)) return false;
    const d = v.draft as Partial<PromptDraft> | undefined;
    return isRecord(d) && typeof d.system === "string" && typeof d.user === "string" && isRecord(d.values) && Object.values(d.values).every((x) => typeof x === "string")
        && Array.isArray(v.columns) && v.columns.every((c) => isRecord(c) && isRecord(c.sampling) && (c.modelPath === undefined || typeof c.modelPath === "string"))
        && typeof v.repeat === "number" && typeof v.useCache === "boolean";
}

/** Whether a column's controls still equal a preset's sampling (else the preset shows as modified). */
export function presetMatches(column: ColumnSettings, preset: PresetView): boolean {
    for (const [k, v] of Object.entries(preset.sampling)) {
        if (k === "seed" || k === "stop" || k === "jsonSchema" || k === "grammar") continue;
        if ((column.sampling as Record<string, unknown>)[k] !== v) return false;
    }
    return true;
}

/** The sampling a column runs with (controls, seed, stop sequences, constraint); throws on an invalid JSON schema. */
export function columnSampling(column: ColumnSettings, seed?: number): SamplingParams {
    const s: SamplingParams = { ...column.sampling };
    if (seed !== undefined) s.seed = seed;
    else if (column.seedMode === "fixed" && column.seed !== undefined) s.seed = column.seed;
    const stop = column.stop.filter((x) => x.length > 0);
    if (stop.length) s.stop = stop;
    const text = column.constraint.text.trim();
    if (column.constraint.kind === "jsonSchema" && text) {
        let schema: unknown;
        try {
            schema = JSON.parse(text);
        } catch (e) {
            throw new Error(`The JSON schema of column ${column.id} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new Error(`The JSON schema of column ${column.id} must be a JSON object.`);
        s.jsonSchema = schema;
    } else if (column.constraint.kind === "grammar" && text) {
        s.grammar = column.constraint.text;
    }
    return s;
}

/** Splits a stop-sequence field: one per line; "\n" and "\t" written out stand for a newline and a tab. */
export function parseStopList(text: string): string[] {
    return text
        .split("\n")
        .map((l) => l.replace(/\\n/g, "\n").replace(/\\t/g, "\t"))
        .filter((l) => l.length > 0);
}

export function formatStopList(stop: readonly string[]): string {
    return stop.map((s) => s.replace(/\n/g, "\\n").replace(/\t/g, "\\t")).join("\n");
}
