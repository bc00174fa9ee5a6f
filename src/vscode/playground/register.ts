// The Prompt Playground's commands, its panel serializer (restores the panel after a reload) and the small
// API the in-editor tests drive: headless runs through the same code as the panel, saving a column into
// a prompt file, the history, and the open panel's state.
import * as vscode from "vscode";
import { isPromptsmithError } from "../../core/errors.ts";
import { createLinter, knownRuleIds, type Linter } from "../../core/lint/index.ts";
import { defaultLintConfig } from "../../core/lint/config.ts";
import {
    COLUMN_IDS,
    isPlaygroundState,
    PLAYGROUND_VIEW_TYPE,
    type ColumnSettings,
    type HistoryItem,
    type PlaygroundState,
    type PromptDraft,
    type PromptSource,
    type TokenInfo,
} from "../../protocol/playground.ts";
import { WorkspaceLinter } from "../codegen/workspaceLinter.ts";
import { localStore } from "../localData.ts";
import { countModelTokens, generateWithModel, getModelState, getSelectedModelPath, modelLoadOptions, resolveSelectedModelPath } from "../models.ts";
import type { Services } from "../services.ts";
import { historyItems } from "./history.ts";
import { PlaygroundPanel, type PanelDeps } from "./panel.ts";
import { StateFile } from "./persist.ts";
import { runSpec, type RunOutcome } from "./runs.ts";
import { defaultColumn, ModelList } from "./settings.ts";
import { loadPromptFile, saveColumnToFile, sourcePath } from "./source.ts";
import { countPromptTokens, renderedTexts, type ModelCounter } from "./tokens.ts";

const OPEN_COMMAND = "promptsmith.playground.open";
const RUN_FILE_COMMAND = "promptsmith.promptFile.run";
const OPEN_FILE_COMMAND = "promptsmith.promptFile.openInPlayground";

/** A headless run (tests): the prompt file's prompt and settings, with overrides. */
export interface PlaygroundRunRequest {
    /** The prompt file: its prompt, variables and settings are the base, and its runs are recorded under it. */
    uri?: vscode.Uri;
    draft?: Partial<PromptDraft>;
    /** Columns: each one's fields and sampling override the file's (or the settings') column. */
    columns?: Array<Partial<Omit<ColumnSettings, "sampling">> & { sampling?: ColumnSettings["sampling"] }>;
    repeat?: number;
    useCache?: boolean;
    onChunk?: (column: number, iteration: number, text: string) => void;
    signal?: AbortSignal;
}

export interface PlaygroundApi {
    /** Opens the playground (on a prompt file, a past run, or empty); `run` runs the file at once. */
    open(options?: { uri?: vscode.Uri; runId?: string; run?: boolean }): Promise<void>;
    /** Runs without the panel, through the same code (recorded in the history, checked by the output linter). */
    run(request: PlaygroundRunRequest): Promise<RunOutcome>;
    /** The column a prompt file loads as (its model and sampling over the settings), or the settings' column. */
    columnFor(uri?: vscode.Uri): Promise<ColumnSettings>;
    /** "Save to prompt file": writes the column into the file's front matter (an undoable edit); false when nothing changed. */
    saveColumn(uri: vscode.Uri, column: ColumnSettings): Promise<boolean>;
    /** The prompt's token counts as the view shows them: js-tiktoken, and the model's own with its context window. */
    tokenInfo(draft: PromptDraft, options?: { uri?: vscode.Uri; modelPath?: string }): Promise<TokenInfo>;
    /** The history list of a prompt file (workspace-relative path; undefined: every playground run). */
    history(source?: string): Promise<HistoryItem[]>;
    /** The open panel: its prompt file, the view's last saved state, whether it runs. */
    panelInfo(): { source?: PromptSource; state?: PlaygroundState; running: boolean; visible: boolean; stateFile: string } | undefined;
    /** Fires when a run made from the panel finished (stopped and failed runs included). */
    onDidFinishRun: vscode.Event<RunOutcome & { source?: string }>;
}

export function registerPlayground(services: Services): PlaygroundApi {
    const { context, logger } = services;
    const workspaceLinter = new WorkspaceLinter(logger);
    const finished = new vscode.EventEmitter<RunOutcome & { source?: string }>();
    const models = new ModelList();
    const stateFile = new StateFile(context, logger);
    let panel: PlaygroundPanel | undefined;

    const linter = (_source: string | undefined): Promise<Linter> => {
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        return workspaceLinter.get(folder).catch(() => createLinter(defaultLintConfig(knownRuleIds())));
    };
    // The model's own token count: the selected model (loaded for it if need be, as countModelTokens does);
    // a column's own model only while it is the one loaded (counting never swaps the loaded model).
    const countTokens: ModelCounter = async (texts, modelPath, signal) => {
        const selected = getSelectedModelPath();
        if (!modelPath || modelPath === selected) {
            const counts = await countModelTokens(texts, signal);
            const file = selected ?? getModelState().path;
            return counts && { ...counts, ...(file ? { modelPath: file } : {}) };
        }
        const state = getModelState();
        if (state.path !== modelPath || (state.kind !== "ready" && state.kind !== "generating")) return undefined;
        return { ...(await services.runner().countTokens({ modelPath, load: modelLoadOptions(), texts }, { signal })), modelPath };
    };
    const deps: PanelDeps = {
        services,
        logger,
        store: () => localStore(services),
        linter,
        generate: (request, options) => generateWithModel(request, options),
        selectedModel: () => resolveSelectedModelPath(),
        models,
        countModelTokens: countTokens,
        stateFile,
        onRunFinished: (o) => finished.fire(o),
    };

    const adopt = (p: PlaygroundPanel): PlaygroundPanel => {
        panel = p;
        p.onDidDispose(() => {
            if (panel === p) panel = undefined;
        });
        return p;
    };
    const ensurePanel = (): PlaygroundPanel => {
        if (panel) {
            // Run from a prompt file in the playground's own group: show the playground beside the file.
            const editorColumn = vscode.window.activeTextEditor?.viewColumn;
            panel.reveal(editorColumn !== undefined && editorColumn === panel.panel.viewColumn ? vscode.ViewColumn.Beside : undefined);
            return panel;
        }
        return adopt(PlaygroundPanel.create(deps, vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active));
    };

    const promptFileArg = (arg: unknown): vscode.Uri | undefined => {
        if (arg instanceof vscode.Uri) return arg;
        const doc = vscode.window.activeTextEditor?.document;
        return doc && /\.prompt\.md$/i.test(doc.uri.path) ? doc.uri : undefined;
    };

    const open = async (options: { uri?: vscode.Uri; runId?: string; run?: boolean } = {}): Promise<void> => {
        const p = ensurePanel();
        try {
            if (options.runId) await p.loadRun(options.runId);
            else if (options.uri) await p.loadFile(options.uri, options.run ?? false);
        } catch (e) {
            const message = isPromptsmithError(e) ? [e.message, e.fix].filter(Boolean).join(" ") : e instanceof Error ? e.message : String(e);
            logger.error(`Playground: ${message}`);
            void vscode.window.showErrorMessage(`Prompt Playground: ${message}`);
        }
    };

    const openFileCommand = (run: boolean) => async (arg?: unknown): Promise<void> => {
        const uri = promptFileArg(arg);
        if (!uri) {
            void vscode.window.showInformationMessage("Open a *.prompt.md file first, or use “Open Prompt Playground” for an empty playground.");
            return;
        }
        await open({ uri, run });
    };

    context.subscriptions.push(
        // Clear Local Data: no copy of a run or its feedback outlives the history (the runner's response
        // cache would answer the same prompt with the cleared output; the panel's state file keeps outputs).
        localStore(services).onDidClear((what) => {
            if (what !== "feedback") services.runner().cache?.clear();
            void (panel ? panel.forgetStored(what) : stateFile.delete());
        }),
        finished,
        workspaceLinter,
        { dispose: () => panel?.shutdown() },
        vscode.commands.registerCommand(OPEN_COMMAND, async (arg?: unknown) => {
            const runId = typeof arg === "object" && arg !== null && typeof (arg as { runId?: unknown }).runId === "string" ? (arg as { runId: string }).runId : undefined;
            await open({ ...(runId ? { runId } : {}), ...(arg instanceof vscode.Uri ? { uri: arg } : {}) });
        }),
        vscode.commands.registerCommand(RUN_FILE_COMMAND, openFileCommand(true)),
        vscode.commands.registerCommand(OPEN_FILE_COMMAND, openFileCommand(false)),
        vscode.window.registerWebviewPanelSerializer(PLAYGROUND_VIEW_TYPE, {
            deserializeWebviewPanel: async (webviewPanel, state: unknown) => {
                panel?.dispose();
                const kept = await stateFile.load();
                adopt(new PlaygroundPanel(webviewPanel, deps, isPlaygroundState(state) ? state : undefined, kept));
            },
        }),
    );

    const merge = (base: ColumnSettings, o: NonNullable<PlaygroundRunRequest["columns"]>[number], i: number): ColumnSettings => ({
        ...structuredClone(base),
        ...o,
        id: o.id ?? COLUMN_IDS[i] ?? String(i + 1),
        sampling: { ...base.sampling, ...(o.sampling ?? {}) },
        stop: o.stop ?? base.stop,
        constraint: o.constraint ?? base.constraint,
    });

    return {
        open,
        async run(request) {
            const file = request.uri ? await loadPromptFile(request.uri) : undefined;
            const base = file?.load.columns[0] ?? defaultColumn();
            const draft: PromptDraft = { ...(file?.load.draft ?? { system: "", user: "", values: {} }), ...(request.draft ?? {}) };
            const columns = (request.columns?.length ? request.columns : [{}]).map((c, i) => merge(base, c, i));
            return runSpec(deps, { draft, columns, repeat: request.repeat ?? 1, useCache: request.useCache ?? true }, {
                ...(request.uri ? { source: sourcePath(request.uri), sourceFile: request.uri.fsPath } : {}),
                variables: file?.load.variables ?? [],
            }, { chunk: request.onChunk }, request.signal ?? new AbortController().signal);
        },
        async columnFor(uri) {
            return uri ? ((await loadPromptFile(uri)).load.columns[0] ?? defaultColumn()) : defaultColumn();
        },
        saveColumn: (uri, column) => saveColumnToFile(uri, column),
        async tokenInfo(draft, options = {}) {
            const variables = options.uri ? (await loadPromptFile(options.uri)).load.variables : [];
            return countPromptTokens(renderedTexts(draft, variables), options.modelPath, countTokens, new AbortController().signal);
        },
        history: (source) => historyItems(localStore(services), source),
        panelInfo() {
            if (!panel) return undefined;
            return { ...(panel.currentSource ? { source: panel.currentSource } : {}), ...(panel.state ? { state: panel.state } : {}), running: panel.isRunning, visible: panel.panel.visible, stateFile: stateFile.uri.fsPath };
        },
        onDidFinishRun: finished.event,
    };
}
