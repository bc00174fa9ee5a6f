// Code generation in the editor: the requirements pane, the commands, the diff preview with
// Accept/Reject, the conversation, feedback and history. registerCodegen(services) registers all of
// it and returns the small API the in-editor tests use.
import * as vscode from "vscode";
import { CODEGEN_VIEW_ID, type PaneInputs, type PaneState, type RunView } from "../../protocol/codegen.ts";
import { localStore, type LocalStore } from "../localData.ts";
import type { Services } from "../services.ts";
import { clearHistoryNow, exportHistoryTo, registerHistory, type ClearWhat, type ExportFormat, type HistoryHandlers } from "../history.ts";
import { CodegenController, type CheckEvent, type GenerateRequestOptions } from "./controller.ts";
import { isTargetEditor } from "./gather.ts";
import { RequirementsView } from "./pane.ts";
import type { AcceptResult } from "./proposal.ts";

export interface CodegenApi {
    /** The pane's state (inputs, last run, conversation, budget). */
    state(): PaneState;
    /** Sets the pane's inputs as if typed. */
    setInputs(inputs: Partial<PaneInputs>): void;
    /** Runs a request as the pane's Generate (or Send anyway) does; resolves when it ended. */
    generate(options?: Pick<GenerateRequestOptions, "place" | "sendAnyway" | "requirements" | "blockedSeq">): Promise<RunView>;
    stop(): boolean;
    readonly generating: boolean;
    /** Streamed text, as the pane receives it (`offset`: the answer's length before it). */
    onDidChunk: vscode.Event<{ seq: number; offset: number; text: string }>;
    onDidChangeRun: vscode.Event<RunView>;
    /** The input check of each request: what was checked, and whether (and which prompt) was sent. */
    onDidCheck: vscode.Event<CheckEvent>;
    /** The open proposal: its documents and the text the target will hold after Accept. */
    proposal(): { right: vscode.Uri; left: vscode.Uri; after: string; mode: string; targetUri?: string; status: string; note?: string } | undefined;
    /** Accept; `replan` answers the question asked when the target changed where the code goes (default: ask). */
    accept(options?: { replan?: boolean }): Promise<AcceptResult>;
    reject(): Promise<boolean>;
    /** The pane's Show diff. */
    showDiff(): Promise<boolean>;
    /** Recounts the live budget now (`exact`: as Generate counts, no estimate for large files). */
    refreshBudget(options?: { exact?: boolean }): Promise<PaneState["budget"]>;
    /** The range of accepted code followed for corrections. */
    trackedCorrection(): { runId: string; uri: string; start: number; end: number } | undefined;
    /** Stores a pending correction from edits of accepted code now. */
    flushCorrection(): Promise<{ runId: string; correction: string } | undefined>;
    /** Thumbs up/down and "correct this answer", as the pane sends them. */
    rate(runId: string, rating: "up" | "down"): Promise<void>;
    correct(runId: string, code: string): Promise<void>;
    /** The model runner's process id, while it runs. */
    runnerPid(): number | undefined;
    /** The local history store. */
    store(): LocalStore;
    /** Whether the pane's page has loaded and said "ready". */
    paneReady(): boolean;
    /** Content-Security-Policy violations the pane reported. */
    cspViolations(): readonly string[];
    /** Export History and Feedback without its questions (the command asks for the format and the file). */
    exportHistory(format: ExportFormat, file: string): Promise<void>;
    /** Clear History and Feedback without its questions (the command always asks). */
    clearHistory(what: ClearWhat): Promise<void>;
}

export function registerCodegen(services: Services): CodegenApi {
    const controller = new CodegenController(services);
    const pane = new RequirementsView(services, controller);
    const cmd = vscode.commands.registerCommand;

    const generateCommand = async (place: "editor" | "newFile" | undefined, arg: unknown): Promise<RunView | undefined> => {
        const requirements = typeof arg === "string" ? arg : typeof arg === "object" && arg !== null && typeof (arg as { requirements?: unknown }).requirements === "string" ? (arg as { requirements: string }).requirements : undefined;
        if (requirements === undefined && !controller.inputs.requirements.trim()) {
            // Nothing to generate from yet: open the pane at the requirements box.
            controller.requestFocus();
            void vscode.window.showInformationMessage("Write the requirements in the Promptsmith pane, then Generate (Ctrl+Enter).");
            return undefined;
        }
        await pane.reveal(true);
        return controller.generate({ ...(place ? { place } : {}), ...(requirements !== undefined ? { requirements } : {}) });
    };

    services.context.subscriptions.push(
        controller,
        pane,
        vscode.window.registerWebviewViewProvider(CODEGEN_VIEW_ID, pane),
        cmd("promptsmith.codegen.generate", (arg?: unknown) => generateCommand(undefined, arg)),
        cmd("promptsmith.codegen.generateIntoNewFile", (arg?: unknown) => generateCommand("newFile", arg)),
        cmd("promptsmith.codegen.editSelection", async (arg?: unknown) => {
            // Never the Output panel, a read-only document or a proposal: the editor code can go into.
            const active = vscode.window.activeTextEditor;
            const editor = isTargetEditor(active) ? active : controller.targetEditor();
            if (!editor || editor.selection.isEmpty) {
                void vscode.window.showInformationMessage("Select the code to change first, then run Edit Selection with Instruction.");
                return undefined;
            }
            const given = typeof arg === "string" ? arg : typeof arg === "object" && arg !== null && typeof (arg as { instruction?: unknown }).instruction === "string" ? (arg as { instruction: string }).instruction : undefined;
            const instruction = given ?? (await vscode.window.showInputBox({
                title: "Edit Selection with Instruction",
                prompt: `How should the ${editor.selection.end.line - editor.selection.start.line + 1} selected line(s) change? The result is shown as a diff first.`,
                placeHolder: "e.g. add input validation and a docstring",
                ignoreFocusOut: true,
                validateInput: (v) => (v.trim() ? undefined : "Type an instruction, or press Escape to cancel."),
            }));
            if (!instruction?.trim()) return undefined;
            await pane.reveal(true);
            return controller.generate({ edit: { instruction: instruction.trim() }, editor });
        }),
        cmd("promptsmith.codegen.stop", () => controller.stop()),
        // From the diff's title bar the argument is the preview's URI: it must be the current proposal's.
        cmd("promptsmith.codegen.accept", (uri?: unknown) => controller.accept({ uri })),
        cmd("promptsmith.codegen.reject", (uri?: unknown) => controller.reject(uri)),
        cmd("promptsmith.codegen.newConversation", () => controller.newConversation()),
    );
    const history: HistoryHandlers = { reopen: (record) => controller.reopen(record), cleared: (what) => controller.historyCleared(what) };
    registerHistory(services, history);
    // Monitoring's Clear (or any other caller of LocalStore.clear) must drop the pane's copies as well.
    services.context.subscriptions.push(localStore(services).onDidClear((what) => void controller.historyCleared(what)));

    return {
        state: () => controller.state(),
        setInputs: (inputs) => controller.setInputs(inputs),
        generate: (options = {}) => controller.generate(options),
        stop: () => controller.stop(),
        get generating() {
            return controller.generating;
        },
        onDidChunk: controller.onDidChunk,
        onDidChangeRun: controller.onDidChangeRun,
        onDidCheck: controller.onDidCheck,
        proposal: () => {
            const p = controller.proposals.current;
            if (!p || (p.status !== "open" && p.status !== "conflict")) return undefined;
            return { right: p.right, left: p.left, after: p.plan.after, mode: p.plan.mode, ...(p.plan.uri ? { targetUri: p.plan.uri } : {}), status: p.status, ...(p.note ? { note: p.note } : {}) };
        },
        accept: (options = {}) => controller.accept(options.replan === undefined ? {} : { confirmReplan: () => Promise.resolve(options.replan!) }),
        reject: () => controller.reject(),
        showDiff: () => controller.showDiff(),
        refreshBudget: (options = {}) => controller.refreshBudget(!!options.exact),
        trackedCorrection: () => controller.corrections.current,
        flushCorrection: () => controller.corrections.flush(),
        rate: (runId, rating) => controller.rate(runId, rating),
        correct: (runId, code) => controller.correct(runId, code),
        runnerPid: () => services.runner().pid,
        store: () => localStore(services),
        paneReady: () => pane.isReady,
        cspViolations: () => pane.cspViolations,
        exportHistory: (format, file) => exportHistoryTo(services, format, file),
        clearHistory: (what) => clearHistoryNow(services, history, what),
    };
}
