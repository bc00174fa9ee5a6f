// Code generation in the editor: one request at a time, from the requirements pane or the commands.
//
// A request: capture the target (document, version, selection or cursor) → gather the context
// candidates → plan the budget (conversation, then code) → input check (lint the requirements and the
// included context; findings at the blockOn level stop here unless the user sends anyway) → generate,
// streaming into the pane, abortable at once → extract the code → output check → record the run in the
// local history → remember the turn → propose the code as a diff (ProposalManager).
//
// The pane's inputs, the conversation and the last run are kept in workspaceState, so a reload shows
// the pane as it was (Clear History and Feedback drops the last run and the conversation too).
//
// "Send anyway" belongs to one blocked run: the block keeps the fingerprints of the blocking findings
// the user saw. Sending anyway recomputes the request (target, context, earlier turns) and checks it
// again; it is sent only when every blocking finding is one of those approved, else it is blocked again.
// Changing the requirements or the context options withdraws the offer; a run restored after a reload
// never offers it.
//
// Streamed text goes to the pane in chunks that carry their run and their offset in the answer, so the
// pane never appends text twice or to another run. The conversation has a generation counter: a run
// started before New Conversation (or Clear History) does not add its turn to the new conversation.
// A Stop before the model produced any text leaves everything as it was: the previous run and its
// preview stay, and nothing is recorded.
import * as vscode from "vscode";
import path from "node:path";
import { blocks, checkInput, checkOutput, maskTexts, matchedTexts, toBlockOn, unapproved, type CheckFinding, type CheckPart } from "../../core/codegen/checks.ts";
import { Conversation, toHistory } from "../../core/codegen/conversation.ts";
import type { EditTarget } from "../../core/codegen/edit.ts";
import { extractCode } from "../../core/codegen/extract.ts";
import { buildCodegenPrompt, type BuiltPrompt, type ContextSnippet } from "../../core/codegen/prompt.ts";
import { PromptsmithError, toPromptsmithError } from "../../core/errors.ts";
import { normalizeSampling } from "../../core/sampling.ts";
import type { GenerateResult } from "../../core/runner/protocol.ts";
import type { RunRecord } from "../../core/store/records.ts";
import {
    CODEGEN_VIEW_ID, restoreRun, sanitizeInputs,
    type BudgetView, type EditorView, type FindingView, type ModelView, type PaneInputs, type PaneState, type PlaceChoice, type RunView, type TurnView,
} from "../../protocol/codegen.ts";
import { localStore } from "../localData.ts";
import { generateWithModel, getModelState, onDidChangeModelState, resolveSelectedModelPath, type ModelState } from "../models.ts";
import { modelDisplayName } from "../modelState.ts";
import type { Services } from "../services.ts";
import { budgetShare, planContext, TokenCounter } from "./budget.ts";
import { CorrectionTracker } from "./corrections.ts";
import { contextCandidates, editorView, isTargetEditor, lineAt, snapshotTarget, type TargetSnapshot } from "./gather.ts";
import { LANGUAGE_OPTIONS, languageLabel, promptLanguage, vscodeLanguage } from "./languages.ts";
import { indentOptions, ProposalManager, type AcceptResult } from "./proposal.ts";
import { presetOptions, resolveSampling } from "./sampling.ts";
import { WorkspaceLinter } from "./workspaceLinter.ts";

const INPUTS_KEY = "promptsmith.codegen.inputs";
const CONVERSATION_KEY = "promptsmith.codegen.conversation";
const RUN_KEY = "promptsmith.codegen.lastRun";
/** The last run is kept for a reload up to this many characters of answer. */
const MAX_SAVED_ANSWER = 200_000;
/** Streamed text is sent to the pane at most this often. */
const CHUNK_MS = 40;
const MAX_TURNS = 20;

export interface GenerateRequestOptions {
    /** Where the code goes (default: the pane's choice). */
    place?: PlaceChoice;
    /** Send although the input check found something at the blockOn level. */
    sendAnyway?: boolean;
    /** Edit Selection: the instruction; the editor's selection is the code to change. */
    edit?: { instruction: string };
    /** The target editor (default: the active one, else the last one used). */
    editor?: vscode.TextEditor;
    /** Requirements instead of the pane's (they are put into the pane). */
    requirements?: string;
    /** With sendAnyway: the blocked run the user chose to send (default: the pending block). */
    blockedSeq?: number;
}

/** A blocked request waiting for "Send anyway". */
interface PendingBlock {
    /** The blocked run. */
    seq: number;
    options: GenerateRequestOptions;
    snapshot: TargetSnapshot | undefined;
    /** Fingerprints of the blocking findings the user saw. */
    approved: ReadonlySet<string>;
    /** What was checked (to log whether a request sent anyway changed since). */
    parts: string;
}

/** What the input check saw for a request, and whether it was sent (for the tests: what is sent is what was checked). */
export interface CheckEvent {
    seq: number;
    outcome: "blocked" | "sent";
    parts: CheckPart[];
    findings: FindingView[];
    /** The prompt sent to the model (outcome "sent"). */
    prompt?: { system: string; user: string; completion: string };
}

export class CodegenController implements vscode.Disposable {
    readonly proposals: ProposalManager;
    readonly corrections: CorrectionTracker;
    private readonly linter: WorkspaceLinter;
    private readonly tokens: TokenCounter;
    private readonly disposables: vscode.Disposable[] = [];

    private inputsValue: PaneInputs;
    private runValue: RunView | undefined;
    private readonly conversation: Conversation;
    private seq = 0;
    private active: { seq: number; abort: AbortController; done: Promise<RunView> } | undefined;
    private blocked: PendingBlock | undefined;
    /** Increases when the conversation is started anew: a run adds its turn only to the conversation it started in. */
    private conversationGen = 0;
    private lastEditor: vscode.TextEditor | undefined;
    /** The target of the last run, for planning its code again ("Show diff" after the preview was closed). */
    private lastTarget: { snapshot?: TargetSnapshot; mode: EditTarget["mode"] } | undefined;
    private budgetValue: BudgetView | undefined;
    private budgetTimer: ReturnType<typeof setTimeout> | undefined;
    private budgetSeq = 0;
    private paneVisible = false;
    /** Streamed text not sent to the pane yet: of run `chunkSeq`, starting at `chunkOffset` of its answer. */
    private chunkBuffer = "";
    private chunkSeq = -1;
    private chunkOffset = 0;
    private chunkTimer: ReturnType<typeof setTimeout> | undefined;

    private readonly emitters = {
        run: new vscode.EventEmitter<RunView>(),
        chunk: new vscode.EventEmitter<{ seq: number; offset: number; text: string }>(),
        check: new vscode.EventEmitter<CheckEvent>(),
        budget: new vscode.EventEmitter<{ budget: BudgetView; editor?: EditorView }>(),
        turns: new vscode.EventEmitter<TurnView[]>(),
        model: new vscode.EventEmitter<ModelView>(),
        state: new vscode.EventEmitter<{ replaceInputs: boolean }>(),
        focus: new vscode.EventEmitter<void>(),
        reveal: new vscode.EventEmitter<{ preserveFocus: boolean }>(),
    };
    readonly onDidChangeRun = this.emitters.run.event;
    readonly onDidChunk = this.emitters.chunk.event;
    readonly onDidCheck = this.emitters.check.event;
    readonly onDidChangeBudget = this.emitters.budget.event;
    readonly onDidChangeTurns = this.emitters.turns.event;
    readonly onDidChangeModel = this.emitters.model.event;
    /** The whole state changed (a past request reopened): the pane re-renders, with the inputs when asked. */
    readonly onDidChangeState = this.emitters.state.event;
    readonly onDidRequestFocus = this.emitters.focus.event;
    readonly onDidRequestReveal = this.emitters.reveal.event;

    constructor(private readonly services: Services) {
        const ws = services.context.workspaceState;
        this.inputsValue = sanitizeInputs(ws.get(INPUTS_KEY));
        this.conversation = restoreConversation(ws.get(CONVERSATION_KEY));
        // After a reload nothing is running, no preview is open and no block is pending.
        const saved = restoreRun(ws.get(RUN_KEY));
        if (saved) {
            this.runValue = saved;
            this.seq = saved.seq;
        }
        this.linter = new WorkspaceLinter(services.logger);
        this.tokens = new TokenCounter(services.logger);
        this.proposals = new ProposalManager(services.logger);
        const store = localStore(services);
        this.corrections = new CorrectionTracker(async (runId, correction) => {
            await store.addFeedback({ runId, correction });
        }, services.logger);
        this.lastEditor = isTargetEditor(vscode.window.activeTextEditor) ? vscode.window.activeTextEditor : undefined;
        this.disposables.push(
            this.linter,
            this.proposals,
            this.corrections,
            ...Object.values(this.emitters),
            vscode.window.onDidChangeActiveTextEditor((e) => {
                if (isTargetEditor(e)) this.lastEditor = e;
                this.scheduleBudget();
            }),
            vscode.window.onDidChangeTextEditorSelection((e) => {
                if (isTargetEditor(e.textEditor)) {
                    this.lastEditor = e.textEditor;
                    this.scheduleBudget();
                }
            }),
            vscode.workspace.onDidChangeTextDocument((e) => {
                if (e.document === this.lastEditor?.document) this.scheduleBudget(600);
            }),
            vscode.workspace.onDidChangeConfiguration((e) => {
                if (["promptsmith.codegen", "promptsmith.sampling", "promptsmith.contextSize", "promptsmith.playground.presets", "promptsmith.modelPath"].some((k) => e.affectsConfiguration(k))) {
                    if (e.affectsConfiguration("promptsmith.contextSize") || e.affectsConfiguration("promptsmith.modelPath")) this.tokens.reset();
                    this.emitters.state.fire({ replaceInputs: false });
                    this.scheduleBudget();
                }
            }),
            onDidChangeModelState((s) => {
                this.emitters.model.fire(modelView(s));
                if (s.kind === "ready") this.scheduleBudget();
            }),
            this.proposals.onDidChange((p) => {
                if (!p || !this.runValue || p.runSeq !== this.runValue.seq) return;
                this.updateRun({ proposal: p.status, ...(p.note ? { proposalNote: p.note } : { proposalNote: undefined }) });
            }),
            this.corrections.onDidStore((ev) => {
                if (this.runValue?.runId === ev.runId) this.updateRun({ corrected: true });
            }),
            store.onDidChange(() => void this.syncFeedback()),
        );
        this.setGenerating(false);
    }

    // ---- state ----

    get inputs(): PaneInputs {
        return this.inputsValue;
    }

    get run(): RunView | undefined {
        return this.runValue;
    }

    get generating(): boolean {
        return this.active !== undefined;
    }

    /** The whole state for the pane. */
    state(): PaneState {
        // Text still buffered goes out first (as a chunk the pane drops when this state already has it).
        this.flushChunks();
        return {
            inputs: this.inputsValue,
            ...(this.runValue ? { run: this.runValue } : {}),
            turns: this.turnViews(),
            ...(this.currentEditorView() ? { editor: this.currentEditorView()! } : {}),
            model: modelView(getModelState()),
            presets: presetOptions(),
            languages: [...LANGUAGE_OPTIONS],
            ...(this.budgetValue ? { budget: this.budgetValue } : {}),
            blockOn: toBlockOn(vscode.workspace.getConfiguration("promptsmith.codegen").get("blockOn")),
            generating: this.generating,
        };
    }

    /** The form changed in the pane (or through the API). */
    setInputs(inputs: Partial<PaneInputs>, options: { fromPane?: boolean } = {}): void {
        const before = this.inputsValue;
        this.inputsValue = sanitizeInputs({ ...this.inputsValue, ...inputs, include: { ...this.inputsValue.include, ...(inputs.include ?? {}) } });
        const now = this.inputsValue;
        if (this.blocked && (before.requirements !== now.requirements || JSON.stringify(before.include) !== JSON.stringify(now.include))) {
            this.withdrawBlock("The requirements or the context options changed since: Generate checks them again.");
        }
        void this.services.context.workspaceState.update(INPUTS_KEY, this.inputsValue);
        if (!options.fromPane) this.emitters.state.fire({ replaceInputs: true });
        this.scheduleBudget();
    }

    setPaneVisible(visible: boolean): void {
        this.paneVisible = visible;
        if (visible) this.scheduleBudget(0);
    }

    private turnViews(): TurnView[] {
        return this.conversation.turns.map((t) => ({ requirements: t.requirements, answer: t.answer.slice(0, 2000), at: t.at }));
    }

    private currentEditorView(): EditorView | undefined {
        return editorView(this.targetEditor());
    }

    /** The editor code goes into: the active one when it can take code, else the last one that could. */
    targetEditor(): vscode.TextEditor | undefined {
        const active = vscode.window.activeTextEditor;
        if (isTargetEditor(active)) return active;
        if (this.lastEditor && !this.lastEditor.document.isClosed) {
            // The same document may be shown by another editor object now.
            return vscode.window.visibleTextEditors.find((e) => e.document === this.lastEditor!.document) ?? this.lastEditor;
        }
        return undefined;
    }

    // ---- the live budget ----

    scheduleBudget(delayMs = 250): void {
        if (!this.paneVisible) return;
        if (this.budgetTimer) clearTimeout(this.budgetTimer);
        this.budgetTimer = setTimeout(() => {
            this.budgetTimer = undefined;
            void this.refreshBudget();
        }, delayMs);
    }

    /** Recounts the budget for the pane's inputs and the current editor (and, once, with the loaded model's tokenizer). */
    async refreshBudget(exact = false): Promise<BudgetView | undefined> {
        const seq = ++this.budgetSeq;
        try {
            const editor = this.targetEditor();
            const snapshot = editor ? snapshotTarget(editor) : undefined;
            const modelPath = await resolveSelectedModelPath().catch(() => undefined);
            // Empty requirements still get a budget (for what the instructions take). Large files that
            // were not counted yet are estimated while typing ("live"); Generate counts exactly.
            const plan = await this.plan(this.inputsValue.requirements.trim() ? this.inputsValue.requirements : "…", snapshot, this.inputsValue, undefined, modelPath, exact ? "exact" : "live");
            if (seq !== this.budgetSeq) return this.budgetValue;
            this.budgetValue = plan.view;
            this.emitters.budget.fire({ budget: plan.view, ...(snapshot ? { editor: editorView(editor)! } : {}) });
            // Scale the estimate to the model's tokenizer when that model is loaded (never loads it).
            if (modelPath && !this.tokens.calibrated(modelPath) && !this.generating) {
                const sample = [plan.sample, ...contextCandidates(snapshot, this.inputsValue.include).map((c) => c.code.slice(0, 8000))];
                if (await this.tokens.calibrate(modelPath, sample)) this.scheduleBudget(0);
            }
            return plan.view;
        } catch (e) {
            this.services.logger.debug(`Budget: ${e instanceof Error ? e.message : String(e)}`);
            return this.budgetValue;
        }
    }

    private async plan(requirements: string, snapshot: TargetSnapshot | undefined, inputs: PaneInputs, edit: { code: string; instruction: string } | undefined, modelPath: string | undefined, mode: "exact" | "live" = "exact") {
        const language = promptLanguage(inputs.language || snapshot?.languageId);
        const { sampling } = resolveSampling(inputs.preset);
        const maxTokens = normalizeSampling(sampling).maxTokens;
        const bare = buildCodegenPrompt({ requirements, ...(language ? { language } : {}), ...(edit ? { edit } : {}) });
        const { count, counter, approximated } = this.tokens.counterFor(modelPath, mode);
        const contextSize = await this.tokens.contextSize(modelPath);
        const candidates = contextCandidates(snapshot, inputs.include, { skipSelection: !!edit });
        const planned = planContext({ prompt: bare, candidates, conversation: this.conversation, contextSize, maxTokens, share: budgetShare(), count, counter, approximated });
        return { ...planned, language, sampling, sample: `${bare.system}\n${bare.user}` };
    }

    // ---- a request ----

    /** Runs a request; resolves with the run as the pane shows it when it ended (done, stopped, blocked or error). */
    async generate(options: GenerateRequestOptions = {}): Promise<RunView> {
        if (this.active) {
            void vscode.window.showInformationMessage("Promptsmith is already generating: stop it first (Escape in the pane, or Promptsmith: Stop Generation).");
            return this.active.done;
        }
        let resolveDone!: (r: RunView) => void;
        const done = new Promise<RunView>((r) => (resolveDone = r));
        const seq = ++this.seq;
        const abort = new AbortController();
        this.active = { seq, abort, done };
        this.setGenerating(true);
        // The pane's progress bar while the request runs (checks, model load, generation).
        void vscode.window.withProgress({ location: { viewId: CODEGEN_VIEW_ID } }, () => done);
        try {
            const run = await this.runRequest(seq, abort, options);
            resolveDone(run);
            return run;
        } catch (e) {
            // runRequest reports its own errors; this is a bug.
            const err = toPromptsmithError(e);
            this.services.logger.error(`Code generation failed unexpectedly: ${err.stack ?? err.message}`);
            const run = this.setRun({ ...this.baseRun(seq, options, ""), status: "error", error: { code: err.code, message: err.message } });
            resolveDone(run);
            return run;
        } finally {
            if (this.active?.seq === seq) this.active = undefined;
            this.setGenerating(false);
            // The run's last update went out while it still counted as running: tell the pane it ended.
            if (this.runValue) this.emitters.run.fire(this.runValue);
            this.scheduleBudget();
        }
    }

    /** Stops the running request at once (the runner stops within a token). */
    stop(): boolean {
        if (!this.active) return false;
        this.services.logger.info("Code generation: stopped by the user.");
        this.active.abort.abort();
        return true;
    }

    /** Stops the running request (if any) and waits until it has ended. */
    private async stopAndWait(why: string): Promise<void> {
        const active = this.active;
        if (!active) return;
        this.services.logger.info(`Code generation: stopped ${why}.`);
        active.abort.abort();
        await active.done;
    }

    private baseRun(seq: number, options: GenerateRequestOptions, target: string): RunView {
        return {
            seq,
            kind: options.edit ? "edit" : "generate",
            status: "streaming",
            requirements: options.edit ? options.edit.instruction : this.inputsValue.requirements,
            ...(options.edit ? { instruction: options.edit.instruction } : {}),
            language: "",
            target,
            answer: "",
            inputFindings: [],
            outputFindings: [],
            proposal: "none",
        };
    }

    /** The pending block that a "Send anyway" of run `blockedSeq` (or of the pending one) may use. */
    private takeBlock(options: GenerateRequestOptions): PendingBlock | undefined {
        const b = this.blocked;
        if (!options.sendAnyway || !b) return undefined;
        if (options.blockedSeq !== undefined && options.blockedSeq !== b.seq) return undefined;
        return b;
    }

    /** The blocked request's target as it is now: the same place while the document is unchanged, else its editor's current selection. */
    private targetNow(s: TargetSnapshot | undefined): TargetSnapshot | undefined {
        if (!s) return undefined;
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === s.uri.toString());
        if (!doc || doc.isClosed || doc.version === s.version) return s;
        const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
        return editor ? snapshotTarget(editor) : s;
    }

    /** The pending block no longer matches what the pane shows: no "Send anyway" for it. */
    private withdrawBlock(note: string): void {
        const b = this.blocked;
        this.blocked = undefined;
        if (b && this.runValue?.seq === b.seq && this.runValue.status === "blocked") this.updateRun({ canSendAnyway: false, blockNote: note });
    }

    private async runRequest(seq: number, abort: AbortController, options: GenerateRequestOptions): Promise<RunView> {
        const previous = { run: this.runValue, block: this.blocked };
        const conversationGen = this.conversationGen;
        if (options.requirements !== undefined) this.setInputs({ requirements: options.requirements });
        // "Send anyway" repeats the blocked request (its target and options), recomputed and checked again.
        const pending = this.takeBlock(options);
        if (options.sendAnyway && !pending) this.services.logger.info("Code generation: Send anyway without a pending block: the input is checked as for Generate.");
        this.blocked = undefined;
        const opts: GenerateRequestOptions = pending ? pending.options : { ...(options.place ? { place: options.place } : {}), ...(options.edit ? { edit: options.edit } : {}), ...(options.editor ? { editor: options.editor } : {}) };
        const inputs = this.inputsValue;
        let snapshot: TargetSnapshot | undefined;
        if (pending) snapshot = this.targetNow(pending.snapshot);
        else {
            const editor = opts.editor ?? this.targetEditor();
            snapshot = editor ? snapshotTarget(editor) : undefined;
        }
        const editor = snapshot ? vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === snapshot!.uri.toString()) : undefined;
        const place: PlaceChoice = opts.place ?? inputs.place;
        const edit = opts.edit && snapshot && snapshot.end > snapshot.start ? { code: snapshot.text.slice(snapshot.start, snapshot.end), instruction: opts.edit.instruction } : undefined;
        const requirements = edit ? edit.instruction : inputs.requirements;
        const mode: EditTarget["mode"] = edit ? "replace" : place === "newFile" || !snapshot ? "newFile" : snapshot.end > snapshot.start ? "replace" : "insert";
        const targetText = describeTarget(mode, snapshot, inputs.language);
        const base = this.baseRun(seq, opts, targetText);

        if (opts.edit && !edit) {
            return this.setRun({ ...base, status: "error", error: { code: "INVALID_ARGUMENT", message: "Edit Selection needs selected code.", fix: "Select the code to change, then run Edit Selection with Instruction." } });
        }
        if (!requirements.trim()) {
            this.emitters.focus.fire();
            return this.setRun({ ...base, status: "error", error: { code: "INVALID_ARGUMENT", message: "The requirements are empty.", fix: "Write what the code must do in the Requirements box, then Generate." } });
        }

        // The model and the budget.
        let modelPath: string | undefined;
        try {
            modelPath = await resolveSelectedModelPath();
        } catch (e) {
            const err = toPromptsmithError(e, { code: "MODEL_NOT_FOUND" });
            return this.setRun({ ...base, status: "error", error: { code: err.code, message: err.message, ...(err.fix ? { fix: err.fix } : {}) } });
        }
        if (!modelPath) {
            return this.setRun({ ...base, status: "error", error: { code: "NO_MODEL", message: "No model is selected.", fix: "Click “Select model…” above (or run Promptsmith: Select Model) to pick a local GGUF file." } });
        }
        let planned: Awaited<ReturnType<CodegenController["plan"]>>;
        try {
            planned = await this.plan(requirements, snapshot, inputs, edit, modelPath, "exact");
        } catch (e) {
            const err = toPromptsmithError(e, { code: "INTERNAL" });
            return this.setRun({ ...base, status: "error", error: { code: err.code, message: err.message, ...(err.fix ? { fix: err.fix } : {}) } });
        }
        const language = planned.language;
        base.language = language;

        // Input check: the requirements, the code to edit, the included context and the earlier turns
        // the prompt repeats (everything that reaches the model).
        const folder = (snapshot ? vscode.workspace.getWorkspaceFolder(snapshot.uri) : undefined) ?? vscode.workspace.workspaceFolders?.[0];
        const linter = await this.linter.get(folder?.uri.fsPath);
        if (abort.signal.aborted) return this.stoppedBeforeStart(previous, base);
        const blockOn = toBlockOn(vscode.workspace.getConfiguration("promptsmith.codegen").get("blockOn"));
        const turns = planned.conversation.turns;
        const parts: CheckPart[] = [
            { source: edit ? "Instruction" : "Requirements", text: requirements },
            ...(edit ? [{ source: `Selection in ${snapshot!.label}`, text: edit.code }] : []),
            ...planned.packed.snippets.map((s) => ({ source: s.label, text: s.code })),
            ...turns.flatMap((t, i) => [{ source: `Earlier request ${i + 1}`, text: t.requirements }, { source: `Earlier answer ${i + 1}`, text: t.answer }]),
        ];
        const input = checkInput(linter, parts, blockOn);
        const inputFindings = input.findings.map(findingView);
        const partsKey = JSON.stringify(parts);
        if (input.blocked) {
            const fresh = pending ? unapproved(input, blockOn, pending.approved) : input.findings.filter((f) => blocks(f, blockOn));
            if (fresh.length > 0) {
                this.blocked = { seq, options: opts, snapshot, approved: new Set(input.findings.filter((f) => blocks(f, blockOn)).map((f) => f.fingerprint)), parts: partsKey };
                this.services.logger.info(`Code generation blocked by the input check: ${input.findings.map((f) => `${f.source}: ${f.ruleId}`).join(", ")}`);
                this.emitters.check.fire({ seq, outcome: "blocked", parts, findings: inputFindings });
                const again = pending ? `Checked again before sending: ${fresh.length === 1 ? "a finding" : `${fresh.length} findings`} you had not seen (${[...new Set(fresh.map((f) => `${f.source}: ${f.ruleId}`))].join(", ")}).` : undefined;
                return this.setRun({ ...base, status: "blocked", inputFindings, canSendAnyway: true, ...(again ? { blockNote: again } : {}) });
            }
            this.services.logger.info(`Code generation sent anyway despite ${input.findings.length} input finding(s)${pending && pending.parts !== partsKey ? " (the request changed since it was blocked; no new blocking finding)" : ""}.`);
        }

        // The prompt, with the turns and the context that fit.
        const history = toHistory(turns);
        const prompt: BuiltPrompt = buildCodegenPrompt({
            requirements,
            ...(language ? { language } : {}),
            context: planned.packed.snippets,
            ...(history.length ? { history } : {}),
            ...(edit ? { edit } : {}),
        });
        const { sampling } = planned;
        this.setRun({ ...base, status: "streaming", inputFindings });
        this.emitters.check.fire({ seq, outcome: "sent", parts, findings: inputFindings, prompt: { system: prompt.system, user: prompt.user, completion: prompt.completion } });
        this.services.logger.info(
            `Code generation: ${path.basename(modelPath)}, ${language || "any language"}, target ${mode}, context ${planned.view.used}/${planned.view.budget} tokens (${planned.packed.snippets.length} snippets, ${turns.length} earlier turns)`,
        );

        let answer = "";
        let result: GenerateResult | undefined;
        let failure: PromptsmithError | undefined;
        const started = Date.now();
        try {
            if (abort.signal.aborted) throw new PromptsmithError({ code: "ABORTED", message: "Stopped before the model was asked." });
            result = await generateWithModel(
                { modelPath, prompt: { system: prompt.system, user: prompt.user, completion: prompt.completion, mode: "auto" }, sampling },
                {
                    signal: abort.signal,
                    onText: (t) => {
                        // The previous proposal goes once this run has an answer (a Stop before that keeps it).
                        if (answer === "" && t) void this.proposals.discard("new request");
                        answer += t;
                        this.pushChunk(seq, t);
                    },
                },
            );
        } catch (e) {
            failure = toPromptsmithError(e, { code: "INTERNAL" });
        }
        this.flushChunks();
        const text = result?.text ?? answer;
        const stopped = result?.stopReason === "abort" || failure?.code === "ABORTED";
        if (stopped && text === "") return this.stoppedBeforeStart(previous, base);
        await this.proposals.discard("new request");
        const full = result?.mode === "completion" ? prompt.responsePrefix + text : text;
        const extracted = text.trim() ? extractCode(full, language ? { language } : {}) : undefined;
        const output = text.trim() ? checkOutput(linter, text, "answer") : undefined;
        const outputFindings = (output?.findings ?? []).map(findingView);

        let run: RunView = {
            ...base,
            status: failure && !stopped ? "error" : stopped ? "stopped" : "done",
            answer: text,
            ...(extracted?.code ? { code: extracted.code, truncated: extracted.truncated } : {}),
            language: extracted?.language ?? language,
            inputFindings,
            outputFindings,
            ...(result ? { stopReason: result.stopReason } : {}),
            ...(result ? { metrics: { outputTokens: result.metrics.outputTokens, promptTokens: result.metrics.promptTokens, totalMs: result.metrics.totalMs, timeToFirstTokenMs: result.metrics.timeToFirstTokenMs, tokensPerSecond: result.metrics.tokensPerSecond } } : {}),
            ...(failure && !stopped ? { error: { code: failure.code, message: failure.message, ...(failure.fix ? { fix: failure.fix } : {}) } } : {}),
        };
        if (failure && !stopped) this.services.logger.warn(`Code generation failed after ${Date.now() - started} ms: [${failure.code}] ${failure.message}`);
        this.lastTarget = { ...(snapshot ? { snapshot } : {}), mode };

        // Every run that reached the model is recorded (done, stopped, error), with the output check's
        // findings; the stored request names the context instead of holding it, and secrets are masked.
        const secrets = matchedTexts(parts, input.findings);
        const record = await this.record({
            modelPath, prompt, stored: storedPrompt(prompt, { requirements, language, snippets: planned.packed.snippets, history, edit }), secrets,
            requirements, language, sampling, result, text, code: extracted?.code, output, failure: stopped ? undefined : failure, stopped,
        });
        if (record) run = { ...run, runId: record.id };

        if (run.status === "done") {
            if (conversationGen === this.conversationGen) {
                // A turn keeps the code answered (what a follow-up prompt shows), or the text when there was no code.
                this.conversation.add({ requirements, ...(run.language ? { language: run.language } : {}), answer: run.code || text, at: Date.now() });
                void this.services.context.workspaceState.update(CONVERSATION_KEY, this.conversation.toJSON());
                this.emitters.turns.fire(this.turnViews());
            } else {
                this.services.logger.info("Code generation: the conversation was started anew during the run; its turn is not added.");
            }
        }
        this.setRun(run);

        // The diff preview of a finished answer (a stopped one can be previewed from the pane).
        if (run.status === "done" && run.code) await this.propose(run, snapshot, mode, editor);
        return this.runValue?.seq === seq ? this.runValue : run;
    }

    /**
     * A Stop before the model produced any text: nothing happened. The pane shows the previous run again
     * (its preview, if any, is still open) and nothing is recorded. Resolves with the stopped run.
     */
    private stoppedBeforeStart(previous: { run: RunView | undefined; block: PendingBlock | undefined }, base: RunView): RunView {
        const stopped: RunView = { ...base, status: "stopped", stopReason: "abort" };
        this.services.logger.info("Code generation: stopped before the model answered; nothing was recorded.");
        void vscode.window.setStatusBarMessage("$(debug-stop) Promptsmith: stopped before the model answered; nothing was recorded.", 5000);
        const run = previous.run;
        if (!run) {
            this.setRun(stopped);
            return stopped;
        }
        this.blocked = previous.block;
        const p = this.proposals.current;
        const proposal = p && p.runSeq === run.seq ? p.status : run.proposal === "open" || run.proposal === "conflict" ? "none" : run.proposal;
        this.setRun({ ...run, proposal });
        return stopped;
    }

    private async record(o: {
        modelPath: string; prompt: BuiltPrompt; stored: BuiltPrompt; secrets: string[]; requirements: string; language: string; sampling: ReturnType<typeof resolveSampling>["sampling"];
        result: GenerateResult | undefined; text: string; code: string | undefined; output: ReturnType<typeof checkOutput> | undefined; failure: PromptsmithError | undefined; stopped: boolean;
    }): Promise<RunRecord | undefined> {
        const r = o.result;
        const findings = (o.output?.findings ?? []).map((f) => ({ ruleId: f.ruleId, severity: f.severity }));
        const mask = (t: string): string => maskTexts(t, o.secrets);
        try {
            return await localStore(this.services).addRun({
                kind: "codegen",
                model: path.basename(o.modelPath),
                modelPath: o.modelPath,
                request: {
                    system: r?.mode === "completion" ? undefined : mask(o.stored.system),
                    user: mask(r?.mode === "completion" ? o.stored.completion : o.stored.user),
                    requirements: mask(o.requirements),
                    ...(o.language ? { language: o.language } : {}),
                },
                sampling: o.sampling,
                ...(r?.seed !== undefined ? { seed: r.seed } : {}),
                output: mask(o.text),
                ...(o.code ? { code: mask(o.code) } : {}),
                stopReason: o.failure ? "error" : o.stopped ? "abort" : r?.stopReason ?? "abort",
                ...(o.failure ? { error: `[${o.failure.code}] ${o.failure.message}` } : {}),
                ...(r ? {
                    metrics: {
                        totalMs: r.metrics.totalMs,
                        timeToFirstTokenMs: r.metrics.timeToFirstTokenMs,
                        tokensPerSecond: r.metrics.tokensPerSecond,
                        promptTokens: r.metrics.promptTokens,
                        outputTokens: r.metrics.outputTokens,
                        cacheHit: r.metrics.cacheHit,
                        loadMs: r.metrics.loadMs,
                        // Monitoring's latency leaves out runner start-up and model load.
                        ...(r.metrics.startupMs ? { startupMs: r.metrics.startupMs } : {}),
                    },
                } : {}),
                findings,
                flagged: findings.some((f) => f.severity === "error" || f.severity === "warning"),
            });
        } catch (e) {
            this.services.logger.warn(`Could not record the run in the history: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
        }
    }

    private async propose(run: RunView, snapshot: TargetSnapshot | undefined, mode: EditTarget["mode"], editor: vscode.TextEditor | undefined): Promise<void> {
        if (!run.code) return;
        const target: EditTarget = mode === "newFile" || !snapshot
            ? { mode: "newFile", languageId: vscodeLanguage(run.language) !== "plaintext" ? vscodeLanguage(run.language) : this.inputsValue.language || snapshot?.languageId || "plaintext" }
            : {
                mode,
                uri: snapshot.uri.toString(),
                // The text as it was when the request started; propose() re-bases it onto the live document.
                documentText: snapshot.text,
                version: snapshot.version,
                start: mode === "insert" ? snapshot.cursor : snapshot.start,
                end: mode === "insert" ? snapshot.cursor : snapshot.end,
                languageId: snapshot.languageId,
                ...indentOptions(editor),
            };
        const label = target.mode === "newFile" ? `Untitled (${languageLabel(target.languageId ?? "plaintext")})` : snapshot!.label;
        try {
            await this.proposals.propose(target, run.code, { runSeq: run.seq, ...(run.runId ? { runId: run.runId } : {}), label });
        } catch (e) {
            const err = toPromptsmithError(e);
            this.services.logger.warn(`Could not open the diff preview: ${err.message}`);
            this.updateRun({ proposal: "conflict", proposalNote: err.message });
        }
    }

    /**
     * "Show diff": the open proposal again, or the last run's code planned again at the place it was
     * generated for (its document opened by URI when no editor shows it, the place found again in the
     * current text). A run reopened from the history goes to the current editor's selection.
     */
    async showDiff(): Promise<boolean> {
        if (await this.proposals.showDiff()) return true;
        const run = this.runValue;
        if (!run?.code || (run.status !== "done" && run.status !== "stopped")) return false;
        const t = this.lastTarget;
        if (t) {
            const editor = t.snapshot ? vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === t.snapshot!.uri.toString()) : undefined;
            await this.propose(run, t.snapshot, t.mode, editor);
            return true;
        }
        const editor = this.targetEditor();
        const current = editor && !editor.document.isClosed ? snapshotTarget(editor) : undefined;
        const place = this.inputsValue.place;
        const mode: EditTarget["mode"] = place === "newFile" || !current ? "newFile" : current.end > current.start ? "replace" : "insert";
        this.updateRun({ target: describeTarget(mode, current, this.inputsValue.language) });
        await this.propose(this.runValue!, current, mode, editor);
        return true;
    }

    /** Accept (`uri`: the command's argument; when it is a URI, it must name the current proposal). */
    async accept(options: { confirmReplan?: () => Thenable<boolean>; uri?: unknown } = {}): Promise<AcceptResult> {
        if (!this.proposals.isCurrent(options.uri)) return { status: "none", message: "That preview is not the current proposal." };
        const p = this.proposals.current;
        const result = await this.proposals.accept(options);
        if (result.status === "accepted" && p && result.uri && result.range) {
            this.services.logger.info(`Accepted generated code into ${p.label} (${result.range.end - result.range.start} characters).`);
            const runId = p.runId ?? (this.runValue?.seq === p.runSeq ? this.runValue.runId : undefined);
            if (runId) {
                const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result.uri!.toString());
                await this.corrections.track(runId, result.uri, result.range.start, result.range.end, doc?.getText().slice(result.range.start, result.range.end) ?? "");
            }
        } else if (result.status === "cancelled") {
            // A second Accept while the first applies: nothing to say.
        } else if (result.message && result.status !== "none") {
            void vscode.window.showWarningMessage(result.message);
        } else if (result.status === "none") {
            void vscode.window.showInformationMessage(result.message ?? "There is no proposal to accept.");
        }
        return result;
    }

    /** Reject (`uri` as for accept). */
    async reject(uri?: unknown): Promise<boolean> {
        if (!this.proposals.isCurrent(uri)) return false;
        return this.proposals.reject();
    }

    newConversation(): void {
        this.conversation.clear();
        this.conversationGen++;
        void this.services.context.workspaceState.update(CONVERSATION_KEY, this.conversation.toJSON());
        this.emitters.turns.fire([]);
        this.scheduleBudget(0);
        this.services.logger.info("Code generation: new conversation.");
    }

    /** Shows a past code generation run in the pane (its requirements in the form, its answer as the result). A running generation is stopped first. */
    async reopen(record: RunRecord): Promise<void> {
        await this.stopAndWait("to reopen a past request");
        const language = record.request.language ? vscodeLanguage(record.request.language) : "";
        this.setInputs({
            requirements: record.request.requirements ?? record.request.user,
            language: LANGUAGE_OPTIONS.some((l) => l.id === language) ? language : "",
        });
        const fb = await localStore(this.services).feedbackFor(record.id).catch(() => undefined);
        const seq = ++this.seq;
        this.lastTarget = undefined;
        this.blocked = undefined;
        await this.proposals.discard("reopened");
        this.setRun({
            seq,
            runId: record.id,
            kind: "generate",
            status: record.stopReason === "error" ? "error" : record.stopReason === "abort" ? "stopped" : "done",
            requirements: record.request.requirements ?? record.request.user,
            language: record.request.language ?? "",
            target: `from the history (${new Date(record.at).toLocaleString()}, ${record.model}); Show diff places it in the current editor`,
            answer: record.output,
            ...(record.code ? { code: record.code } : {}),
            inputFindings: [],
            outputFindings: (record.findings ?? []).map((f) => ({ source: "answer", ruleId: f.ruleId, severity: f.severity, message: f.ruleId, line: 0, column: 0, excerpt: "" })),
            ...(record.error ? { error: { code: "HISTORY", message: record.error } } : {}),
            ...(record.stopReason !== "error" ? { stopReason: record.stopReason } : {}),
            ...(record.metrics ? { metrics: { outputTokens: record.metrics.outputTokens, promptTokens: record.metrics.promptTokens, totalMs: record.metrics.totalMs, timeToFirstTokenMs: record.metrics.timeToFirstTokenMs, tokensPerSecond: record.metrics.tokensPerSecond } } : {}),
            ...(fb?.rating ? { rating: fb.rating } : {}),
            ...(fb?.correction ? { corrected: true } : {}),
            proposal: "none",
        });
        this.emitters.state.fire({ replaceInputs: true });
        this.emitters.reveal.fire({ preserveFocus: false });
    }

    /**
     * The history was cleared: the copies kept for the pane go too (the last run and the conversation in
     * workspaceState, the pane's own copy) and the accepted code is no longer followed for corrections.
     * Clearing only the feedback forgets the last run's rating and correction.
     */
    async historyCleared(what: "all" | "runs" | "feedback"): Promise<void> {
        if (what === "feedback") {
            if (this.runValue?.rating || this.runValue?.corrected) this.updateRun({ rating: undefined, corrected: undefined });
            return;
        }
        await this.stopAndWait("because the history was cleared");
        this.corrections.forget();
        this.runValue = undefined;
        this.lastTarget = undefined;
        this.blocked = undefined;
        this.conversation.clear();
        this.conversationGen++;
        const ws = this.services.context.workspaceState;
        await Promise.all([ws.update(RUN_KEY, undefined), ws.update(CONVERSATION_KEY, undefined)]);
        this.emitters.turns.fire([]);
        this.emitters.state.fire({ replaceInputs: false });
        this.scheduleBudget(0);
        this.services.logger.info(`Code generation: the last run and the conversation were forgotten with the history (${what}).`);
    }

    // ---- feedback ----

    async rate(runId: string, rating: "up" | "down"): Promise<void> {
        await localStore(this.services).addFeedback({ runId, rating });
        if (this.runValue?.runId === runId) this.updateRun({ rating });
    }

    async correct(runId: string, code: string): Promise<void> {
        if (!code.trim()) return;
        await localStore(this.services).addFeedback({ runId, correction: code });
        if (this.runValue?.runId === runId) this.updateRun({ corrected: true });
    }

    /** The history was cleared (here or in another window): forget ratings of runs that are gone. */
    private async syncFeedback(): Promise<void> {
        const run = this.runValue;
        if (!run?.runId || (!run.rating && !run.corrected)) return;
        const fb = await localStore(this.services).feedbackFor(run.runId).catch(() => undefined);
        if (!fb || this.runValue !== run) return;
        if (run.rating !== fb.rating || !!run.corrected !== !!fb.correction) this.updateRun({ rating: fb.rating, corrected: !!fb.correction });
    }

    // ---- plumbing ----

    private setRun(run: RunView): RunView {
        this.runValue = run;
        this.emitters.run.fire(run);
        this.saveRun();
        return run;
    }

    private updateRun(patch: Partial<RunView>): void {
        if (!this.runValue) return;
        const next = { ...this.runValue, ...patch };
        for (const [k, v] of Object.entries(patch)) if (v === undefined) delete (next as Record<string, unknown>)[k];
        this.setRun(next);
    }

    private saveRun(): void {
        const run = this.runValue;
        if (!run || run.status === "streaming") return;
        const saved = run.answer.length > MAX_SAVED_ANSWER ? { ...run, answer: run.answer.slice(0, MAX_SAVED_ANSWER) } : run;
        void this.services.context.workspaceState.update(RUN_KEY, saved);
    }

    private pushChunk(seq: number, text: string): void {
        if (!this.runValue || this.runValue.seq !== seq || !text) return;
        if (this.chunkSeq !== seq || !this.chunkBuffer) {
            // A new buffer starts where the answer ends now (text of another run is never carried over).
            this.chunkSeq = seq;
            this.chunkBuffer = "";
            this.chunkOffset = this.runValue.answer.length;
        }
        this.runValue = { ...this.runValue, answer: this.runValue.answer + text };
        this.chunkBuffer += text;
        if (!this.chunkTimer) this.chunkTimer = setTimeout(() => this.flushChunks(), CHUNK_MS);
    }

    /** Sends the buffered text (only while its run is still the one shown). */
    private flushChunks(): void {
        if (this.chunkTimer) clearTimeout(this.chunkTimer);
        this.chunkTimer = undefined;
        const text = this.chunkBuffer;
        this.chunkBuffer = "";
        if (!text || this.runValue?.seq !== this.chunkSeq) return;
        this.emitters.chunk.fire({ seq: this.chunkSeq, offset: this.chunkOffset, text });
    }

    private setGenerating(on: boolean): void {
        void vscode.commands.executeCommand("setContext", "promptsmith.generating", on);
    }

    /** Shows the pane with the keyboard focus in the requirements. */
    requestFocus(): void {
        this.emitters.focus.fire();
    }

    dispose(): void {
        this.active?.abort.abort();
        if (this.budgetTimer) clearTimeout(this.budgetTimer);
        if (this.chunkTimer) clearTimeout(this.chunkTimer);
        void vscode.commands.executeCommand("setContext", "promptsmith.generating", false);
        for (const d of this.disposables.splice(0)) d.dispose();
    }
}

function restoreConversation(saved: unknown): Conversation {
    try {
        const turns = Array.isArray(saved) ? saved : typeof saved === "object" && saved !== null && Array.isArray((saved as { turns?: unknown }).turns) ? (saved as { turns: unknown[] }).turns : [];
        return new Conversation(turns as ConstructorParameters<typeof Conversation>[0], MAX_TURNS);
    } catch {
        return new Conversation([], MAX_TURNS);
    }
}

/**
 * The prompt as the history stores it: the context files named, not copied (the requirements, the
 * earlier turns and the code to edit stay; secrets are masked by the caller).
 */
function storedPrompt(sent: BuiltPrompt, o: { requirements: string; language: string; snippets: readonly (ContextSnippet & { tokens: number })[]; history: ReturnType<typeof toHistory>; edit: { code: string; instruction: string } | undefined }): BuiltPrompt {
    if (o.snippets.length === 0) return sent;
    return buildCodegenPrompt({
        requirements: o.requirements,
        ...(o.language ? { language: o.language } : {}),
        context: o.snippets.map((s) => ({ label: s.label, code: `(not stored in the history: ${s.tokens} tokens of ${s.label} were sent)`, ...(s.language ? { language: s.language } : {}) })),
        ...(o.history.length ? { history: o.history } : {}),
        ...(o.edit ? { edit: o.edit } : {}),
    });
}

function findingView(f: CheckFinding): FindingView {
    return { source: f.source, ruleId: f.ruleId, severity: f.severity, message: f.message, line: f.line, column: f.column, excerpt: f.excerpt };
}

function modelView(s: ModelState): ModelView {
    const name = s.path ? modelDisplayName(s.path) : undefined;
    return {
        ...(name ? { name } : {}),
        state: s.kind,
        ...(s.kind === "error" ? { detail: `${s.message}${s.fix ? ` ${s.fix}` : ""}` } : s.path ? { detail: s.path } : {}),
    };
}

/** The target in words, for the pane. */
function describeTarget(mode: EditTarget["mode"], snapshot: TargetSnapshot | undefined, language: string): string {
    if (mode === "newFile" || !snapshot) {
        const lang = language || snapshot?.languageId;
        return `a new untitled ${lang ? `${languageLabel(lang)} ` : ""}file`;
    }
    if (mode === "replace") {
        const from = lineAt(snapshot.text, snapshot.start);
        const to = lineAt(snapshot.text, snapshot.end);
        return `replace the selection in ${snapshot.label} (line${from === to ? ` ${from}` : `s ${from}–${to}`})`;
    }
    return `insert at the cursor in ${snapshot.label} (line ${lineAt(snapshot.text, snapshot.cursor)})`;
}
