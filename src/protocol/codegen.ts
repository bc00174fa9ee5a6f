// The message protocol of the requirements pane (code generation), imported by both sides: the
// extension (src/vscode/codegen/pane.ts) and the webview (webview/codegen/main.ts). Types and pure
// helpers only: no vscode, no Node APIs.
//
// The extension owns the state. After the page's "ready" it sends the whole state ("state"), then
// small updates ("budget", "chunk" while generating, "run" when a run changes). The page sends what the
// user typed or clicked. Model output is plain text in these messages; the page renders it as text.

export const CODEGEN_VIEW_ID = "promptsmith.requirements";
/** URI scheme of the proposal documents shown on the right side of the diff preview. */
export const PROPOSAL_SCHEME = "promptsmith-proposal";

export type ContextKind = "selection" | "currentFile" | "openFile";
export type Rating = "up" | "down";
export type FindingSeverity = "error" | "warning" | "info";
export type BlockOn = "error" | "warning" | "never";

/** What to include as context, chosen in the pane. */
export interface IncludeOptions {
    selection: boolean;
    currentFile: boolean;
    openFiles: boolean;
}

/** Where the code goes: "editor" = replace the selection when there is one, else insert at the cursor. */
export type PlaceChoice = "editor" | "newFile";

/** What the user set in the pane; kept per workspace (workspaceState) and in the webview's state. */
export interface PaneInputs {
    requirements: string;
    /** Target language id; "" = the active editor's language. */
    language: string;
    include: IncludeOptions;
    /** Sampling preset id; "" = the promptsmith.sampling.* settings. */
    preset: string;
    place: PlaceChoice;
}

export const DEFAULT_INPUTS: PaneInputs = {
    requirements: "",
    language: "",
    include: { selection: true, currentFile: true, openFiles: false },
    preset: "",
    place: "editor",
};

/** A lint finding as the pane shows it. `excerpt` is masked by the linter layer (never a whole secret). */
export interface FindingView {
    /** Where it was found: "requirements", a context label, or "answer". */
    source: string;
    ruleId: string;
    severity: FindingSeverity;
    message: string;
    line: number;
    column: number;
    excerpt: string;
}

export interface BudgetItem {
    id: string;
    kind: ContextKind | "conversation";
    label: string;
    tokens: number;
    included: boolean;
    truncated: boolean;
    /** Why it was left out or cut. */
    reason?: string;
}

/** The context budget, shown live against the model's context window. */
export interface BudgetView {
    /** Tokens of the included context and earlier turns. */
    used: number;
    /** What context and earlier turns may use (promptsmith.codegen.contextBudgetShare of what is left). */
    budget: number;
    /** The model's context window. */
    contextSize: number;
    /** The instructions and the requirements. */
    promptTokens: number;
    /** Kept free for the answer. */
    maxTokens: number;
    items: BudgetItem[];
    /** "model": counted with the model's tokenizer; "estimate": cl100k_base, until the model counts. */
    counter: "estimate" | "model";
    /**
     * Some large file was estimated from its length while typing (shown with "≈"); Generate counts
     * exactly.
     */
    approximate?: boolean;
}

export interface EditorView {
    /** The target editor's file name (workspace-relative when possible). */
    label: string;
    languageId: string;
    /** The selection's line count; 0 when nothing is selected. */
    selectionLines: number;
}

export interface ModelView {
    /** The selected model's file name without .gguf; undefined when none is selected. */
    name?: string;
    state: "none" | "loading" | "ready" | "generating" | "error";
    detail?: string;
}

export interface OptionView {
    id: string;
    name: string;
    description?: string;
}

export type RunStatus = "blocked" | "streaming" | "done" | "stopped" | "error";
export type ProposalStatus = "open" | "accepted" | "rejected" | "conflict" | "none";

export interface RunMetricsView {
    outputTokens: number;
    promptTokens: number;
    totalMs: number;
    timeToFirstTokenMs: number;
    tokensPerSecond: number;
}

/** One generation as the pane shows it. */
export interface RunView {
    /** Increases with every run of this window (the page ignores chunks of an older run). */
    seq: number;
    /** The run's id in the local history, once recorded. */
    runId?: string;
    kind: "generate" | "edit";
    status: RunStatus;
    requirements: string;
    /** Edit Selection: the instruction typed in the input box. */
    instruction?: string;
    language: string;
    /** Where the code goes, in words ("replace the selection in app.py, lines 3–7"). */
    target: string;
    answer: string;
    code?: string;
    /** The code was cut off before its closing fence (token limit or Stop). */
    truncated?: boolean;
    inputFindings: FindingView[];
    outputFindings: FindingView[];
    error?: { code: string; message: string; fix?: string };
    metrics?: RunMetricsView;
    stopReason?: string;
    rating?: Rating;
    corrected?: boolean;
    proposal: ProposalStatus;
    /** Why the proposal is in conflict, or what re-basing did. */
    proposalNote?: string;
    /**
     * A blocked run: "Send anyway" is offered (only while this block is pending: not after the inputs
     * changed, nor for a run restored after a reload).
     */
    canSendAnyway?: boolean;
    /** A blocked run: why Send anyway is not offered, or what a repeated check found. */
    blockNote?: string;
}

export interface TurnView {
    requirements: string;
    answer: string;
    at: number;
}

/** Everything the pane shows. */
export interface PaneState {
    inputs: PaneInputs;
    run?: RunView;
    /** The conversation so far (earlier requests and answers that follow-ups can refer to). */
    turns: TurnView[];
    editor?: EditorView;
    model: ModelView;
    presets: OptionView[];
    languages: OptionView[];
    budget?: BudgetView;
    blockOn: BlockOn;
    generating: boolean;
}

// ---- extension → page ----
export type CodegenToView =
    /** The whole state; `replaceInputs`: put its inputs into the form (after "ready", or when a past request is reopened). */
    | { type: "state"; state: PaneState; replaceInputs: boolean }
    | { type: "budget"; budget: BudgetView; editor?: EditorView }
    /**
     * Streamed text of run `seq`; `offset` is the answer's length before it. The page appends it only
     * where its copy of the answer ends (a chunk it already has, from a "state", is dropped).
     */
    | { type: "chunk"; seq: number; offset: number; text: string }
    | { type: "run"; run: RunView; generating: boolean }
    | { type: "turns"; turns: TurnView[] }
    | { type: "model"; model: ModelView }
    /** Move the keyboard focus to the requirements. */
    | { type: "focus" };

// ---- page → extension ----
export type CodegenToHost =
    | { type: "ready" }
    /** The form changed (sent on every edit; the extension saves it and recounts the budget). */
    | { type: "inputs"; inputs: PaneInputs }
    /** `sendAnyway` with `blockedSeq`: the blocked run whose findings the user saw and chose to send. */
    | { type: "generate"; place?: PlaceChoice; sendAnyway?: boolean; blockedSeq?: number }
    | { type: "stop" }
    | { type: "showDiff" }
    | { type: "accept" }
    | { type: "reject" }
    | { type: "rate"; runId: string; rating: Rating }
    /** "Correct this answer": the user's corrected code, pasted in the pane. */
    | { type: "correct"; runId: string; code: string }
    | { type: "newConversation" }
    | { type: "command"; command: "selectModel" | "openHistory" | "exportHistory" }
    /** A Content-Security-Policy violation seen by the page (logged by the extension). */
    | { type: "cspViolation"; directive: string; blocked: string; sample?: string }
    | { type: "error"; message: string };

export const CODEGEN_TO_HOST_TYPES: ReadonlySet<CodegenToHost["type"]> = new Set<CodegenToHost["type"]>([
    "ready", "inputs", "generate", "stop", "showDiff", "accept", "reject", "rate", "correct", "newConversation", "command", "cspViolation", "error",
]);

/** The commands the page may ask for (the "command" message), by name. */
export const PANE_COMMANDS = {
    selectModel: "promptsmith.selectModel",
    openHistory: "promptsmith.history.open",
    exportHistory: "promptsmith.history.export",
} as const satisfies Record<Extract<CodegenToHost, { type: "command" }>["command"], string>;

const MAX_TEXT = 1_000_000;
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
const optional = <T>(v: unknown, ok: (v: unknown) => v is T): v is T | undefined => v === undefined || ok(v);
const isStr = (max: number) => (v: unknown): v is string => typeof v === "string" && v.length <= max;
const isRunId = (v: unknown): v is string => typeof v === "string" && /^[A-Za-z0-9-]{1,64}$/.test(v);

/**
 * Checks a message from the page field by field; a clean copy, or undefined when anything is missing,
 * of the wrong type or out of range (the page is ours, but what arrives is still only data).
 */
export function parseCodegenToHost(raw: unknown): CodegenToHost | undefined {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
    const m = raw as Record<string, unknown>;
    switch (m.type) {
        case "ready": case "stop": case "showDiff": case "accept": case "reject": case "newConversation":
            return { type: m.type };
        case "inputs":
            return typeof m.inputs === "object" && m.inputs !== null ? { type: "inputs", inputs: sanitizeInputs(m.inputs) } : undefined;
        case "generate": {
            if (!optional(m.place, (v): v is PlaceChoice => v === "editor" || v === "newFile")) return undefined;
            if (!optional(m.sendAnyway, (v): v is boolean => typeof v === "boolean") || !optional(m.blockedSeq, isInt)) return undefined;
            return { type: "generate", ...(m.place ? { place: m.place } : {}), ...(m.sendAnyway ? { sendAnyway: true } : {}), ...(m.blockedSeq !== undefined ? { blockedSeq: m.blockedSeq } : {}) };
        }
        case "rate":
            return isRunId(m.runId) && (m.rating === "up" || m.rating === "down") ? { type: "rate", runId: m.runId, rating: m.rating } : undefined;
        case "correct":
            return isRunId(m.runId) && isStr(MAX_TEXT)(m.code) ? { type: "correct", runId: m.runId, code: m.code } : undefined;
        case "command":
            return typeof m.command === "string" && Object.hasOwn(PANE_COMMANDS, m.command) ? { type: "command", command: m.command as keyof typeof PANE_COMMANDS } : undefined;
        case "cspViolation":
            if (!isStr(2000)(m.directive) || !isStr(2000)(m.blocked) || !optional(m.sample, isStr(2000))) return undefined;
            return { type: "cspViolation", directive: m.directive, blocked: m.blocked, ...(m.sample !== undefined ? { sample: m.sample } : {}) };
        case "error":
            return isStr(10_000)(m.message) ? { type: "error", message: m.message } : undefined;
        default:
            return undefined;
    }
}

/**
 * The last run as saved in workspaceState, for the pane after a reload: nothing is running and no
 * preview is open any more, and a blocked run offers no "Send anyway" (Generate checks the input again).
 * Undefined when the saved value is not a run.
 */
export function restoreRun(saved: unknown): RunView | undefined {
    if (typeof saved !== "object" || saved === null) return undefined;
    const r = saved as RunView;
    if (typeof r.answer !== "string" || !isInt(r.seq) || typeof r.status !== "string") return undefined;
    const run: RunView = {
        ...r,
        status: r.status === "streaming" ? "stopped" : r.status,
        proposal: r.proposal === "open" || r.proposal === "conflict" ? "none" : r.proposal,
    };
    delete run.canSendAnyway;
    if (run.status === "blocked") run.blockNote = "Restored after a reload: Generate checks the input again.";
    return run;
}

/** What the page keeps with setState (restored before the extension answers "ready"). */
export interface CodegenViewState {
    state: PaneState;
}

/** Checks and fills a PaneInputs from anything (a message or saved state), never throwing. */
export function sanitizeInputs(raw: unknown): PaneInputs {
    const o = typeof raw === "object" && raw !== null ? (raw as Record<string, unknown>) : {};
    const inc = typeof o.include === "object" && o.include !== null ? (o.include as Record<string, unknown>) : {};
    const bool = (v: unknown, d: boolean): boolean => (typeof v === "boolean" ? v : d);
    const str = (v: unknown, d: string, max = 200): string => (typeof v === "string" ? v.slice(0, max) : d);
    return {
        requirements: str(o.requirements, "", 1_000_000),
        language: str(o.language, DEFAULT_INPUTS.language),
        include: {
            selection: bool(inc.selection, DEFAULT_INPUTS.include.selection),
            currentFile: bool(inc.currentFile, DEFAULT_INPUTS.include.currentFile),
            openFiles: bool(inc.openFiles, DEFAULT_INPUTS.include.openFiles),
        },
        preset: str(o.preset, DEFAULT_INPUTS.preset),
        place: o.place === "newFile" ? "newFile" : "editor",
    };
}

/** "1,234" style token counts for the budget line. */
export function formatTokens(n: number): string {
    return Math.round(n).toLocaleString("en-US");
}
