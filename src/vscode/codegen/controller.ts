// Code generation in the editor: one request at a time, from the requirements pane or the commands.
//
// A request: capture the target (document, version, selection or cursor) → gather the context
// candidates → plan the budget (conversation, then code) → input check (lint the requirements and the
// included context; findings at the blockOn level stop here unless the user sends anyway) → generate,
// streaming into the pane, abortable at once → extract the code → output check → record the run in the
// local history → remember the turn → propose the code as a diff (ProposalManager).
//
// The pane's inputs, the conversation and the last run are kept in workspaceState, so a reload shows
// the pane as it was.
import * as vscode from "vscode";
import path from "node:path";
import { checkInput, checkOutput, toBlockOn, type CheckFinding } from "../../core/codegen/checks.ts";
import { Conversation, toHistory } from "../../core/codegen/conversation.ts";
import type { EditTarget } from "../../core/codegen/edit.ts";
import { extractCode } from "../../core/codegen/extract.ts";
import { buildCodegenPrompt, type BuiltPrompt } from "../../core/codegen/prompt.ts";
import { PromptsmithError, toPromptsmithError } from "../../core/errors.ts";
import { normalizeSampling } from "../../core/sampling.ts";
import type { GenerateResult } from "../../core/runner/protocol.ts";
import type { RunRecord } from "../../core/store/records.ts";
import {
    CODEGEN_VIEW_ID, sanitizeInputs,
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
}

interface PendingBlocked {
    options: GenerateRequestOptions;
    snapshot: TargetSnapshot | undefined;
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
    private blocked: PendingBlocked | undefined;
    private lastEditor: vscode.TextEditor | undefined;
    /** The target of the last run, for planning its code again ("Show diff" after the preview was closed). */
    private lastTarget: { snapshot?: TargetSnapshot; place: PlaceChoice; edit: boolean; language: string } | undefined;
    private budgetValue: BudgetView | undefined;
    private budgetTimer: ReturnType<typeof setTimeout> | undefined;
    private budgetSeq = 0;
    private paneVisible = false;
    private chunkBuffer = "";
    private chunkTimer: ReturnType<typeof setTimeout> | undefined;

    private readonly emitters = {
        run: new vscode.EventEmitter<RunView>(),
        chunk: new vscode.EventEmitter<{ seq: number; text: string }>(),
        budget: new vscode.EventEmitter<{ budget: BudgetView; editor?: EditorView }>(),
        turns: new vscode.EventEmitter<TurnView[]>(),
        model: new vscode.EventEmitter<ModelView>(),
        state: new vscode.EventEmitter<{ replaceInputs: boolean }>(),
        focus: new vscode.EventEmitter<void>(),
        reveal: new vscode.EventEmitter<{ preserveFocus: boolean }>(),
    };
    readonly onDidChangeRun = this.emitters.run.event;
    readonly onDidChunk = this.emitters.chunk.event;
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
        const saved = ws.get<RunView>(RUN_KEY);
        if (saved && typeof saved === "object" && typeof saved.answer === "string") {
            // After a reload nothing is running and no preview is open.
            this.runValue = { ...saved, status: saved.status === "streaming" ? "stopped" : saved.status, proposal: saved.proposal === "open" || saved.proposal === "conflict" ? "none" : saved.proposal };
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
        this.inputsValue = sanitizeInputs({ ...this.inputsValue, ...inputs, include: { ...this.inputsValue.include, ...(inputs.include ?? {}) } });
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
    async refreshBudget(): Promise<BudgetView | undefined> {
        const seq = ++this.budgetSeq;
        try {
            const editor = this.targetEditor();
            const snapshot = editor ? snapshotTarget(editor) : undefined;
            const modelPath = await resolveSelectedModelPath().catch(() => undefined);
            // Empty requirements still get a budget (for what the instructions take).
            const plan = await this.plan(this.inputsValue.requirements.trim() ? this.inputsValue.requirements : "…", snapshot, this.inputsValue, undefined, modelPath);
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

    private async plan(requirements: string, snapshot: TargetSnapshot | undefined, inputs: PaneInputs, edit: { code: string; instruction: string } | undefined, modelPath: string | undefined) {
        const language = promptLanguage(inputs.language || snapshot?.languageId);
        const { sampling } = resolveSampling(inputs.preset);
        const maxTokens = normalizeSampling(sampling).maxTokens;
        const bare = buildCodegenPrompt({ requirements, ...(language ? { language } : {}), ...(edit ? { edit } : {}) });
        const { count, counter } = this.tokens.counterFor(modelPath);
        const contextSize = await this.tokens.contextSize(modelPath);
        const candidates = contextCandidates(snapshot, inputs.include, { skipSelection: !!edit });
        const planned = planContext({ prompt: bare, candidates, conversation: this.conversation, contextSize, maxTokens, share: budgetShare(), count, counter });
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

    private async runRequest(seq: number, abort: AbortController, options: GenerateRequestOptions): Promise<RunView> {
        if (options.requirements !== undefined) this.setInputs({ requirements: options.requirements });
        const inputs = this.inputsValue;
        // A "send anyway" repeats the blocked request with its own target.
        const repeat = options.sendAnyway && this.blocked ? this.blocked : undefined;
        const opts: GenerateRequestOptions = repeat ? { ...repeat.options, sendAnyway: true } : options;
        this.blocked = undefined;
        let snapshot: TargetSnapshot | undefined;
        if (repeat) snapshot = repeat.snapshot;
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
            planned = await this.plan(requirements, snapshot, inputs, edit, modelPath);
        } catch (e) {
            const err = toPromptsmithError(e, { code: "INTERNAL" });
            return this.setRun({ ...base, status: "error", error: { code: err.code, message: err.message, ...(err.fix ? { fix: err.fix } : {}) } });
        }
        const language = planned.language;
        base.language = language;

        // Input check: the requirements, the code to edit and the included context.
        const folder = (snapshot ? vscode.workspace.getWorkspaceFolder(snapshot.uri) : undefined) ?? vscode.workspace.workspaceFolders?.[0];
        const linter = await this.linter.get(folder?.uri.fsPath);
        const blockOn = toBlockOn(vscode.workspace.getConfiguration("promptsmith.codegen").get("blockOn"));
        const parts = [
            { source: edit ? "Instruction" : "Requirements", text: requirements },
            ...(edit ? [{ source: `Selection in ${snapshot!.label}`, text: edit.code }] : []),
            ...planned.packed.snippets.map((s) => ({ source: s.label, text: s.code })),
        ];
        const input = checkInput(linter, parts, blockOn);
        const inputFindings = input.findings.map(findingView);
        if (input.blocked && !opts.sendAnyway) {
            this.blocked = { options: opts, snapshot };
            this.services.logger.info(`Code generation blocked by the input check: ${input.findings.map((f) => `${f.source}: ${f.ruleId}`).join(", ")}`);
            return this.setRun({ ...base, status: "blocked", inputFindings });
        }
        if (input.blocked) this.services.logger.info(`Code generation sent anyway despite ${input.findings.length} input finding(s).`);

        // The prompt, with the turns and the context that fit.
        const history = toHistory(planned.conversation.turns);
        const prompt: BuiltPrompt = buildCodegenPrompt({
            requirements,
            ...(language ? { language } : {}),
            context: planned.packed.snippets,
            ...(history.length ? { history } : {}),
            ...(edit ? { edit } : {}),
        });
        const { sampling } = planned;
        this.lastTarget = { ...(snapshot ? { snapshot } : {}), place, edit: !!edit, language: inputs.language || snapshot?.languageId || "" };
        await this.proposals.discard("new request");
        this.setRun({ ...base, status: "streaming", inputFindings });
        this.services.logger.info(
            `Code generation: ${path.basename(modelPath)}, ${language || "any language"}, target ${mode}, context ${planned.view.used}/${planned.view.budget} tokens (${planned.packed.snippets.length} snippets, ${planned.conversation.turns.length} earlier turns)`,
        );

        let answer = "";
        let result: GenerateResult | undefined;
        let failure: PromptsmithError | undefined;
        const started = Date.now();
        try {
            result = await generateWithModel(
                { modelPath, prompt: { system: prompt.system, user: prompt.user, completion: prompt.completion, mode: "auto" }, sampling },
                {
                    signal: abort.signal,
                    onText: (t) => {
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

        // Every run is recorded (done, stopped, error), with the output check's findings.
        const record = await this.record({ modelPath, prompt, requirements, language, sampling, result, text, code: extracted?.code, output, failure: stopped ? undefined : failure, stopped });
        if (record) run = { ...run, runId: record.id };

        if (run.status === "done") {
            // A turn keeps the code answered (what a follow-up prompt shows), or the text when there was no code.
            this.conversation.add({ requirements, ...(run.language ? { language: run.language } : {}), answer: run.code || text, at: Date.now() });
            void this.services.context.workspaceState.update(CONVERSATION_KEY, this.conversation.toJSON());
            this.emitters.turns.fire(this.turnViews());
        }
        this.setRun(run);

        // The diff preview of a finished answer (a stopped one can be previewed from the pane).
        if (run.status === "done" && run.code) await this.propose(run, snapshot, mode, editor);
        return this.runValue ?? run;
    }

    private async record(o: {
        modelPath: string; prompt: BuiltPrompt; requirements: string; language: string; sampling: ReturnType<typeof resolveSampling>["sampling"];
        result: GenerateResult | undefined; text: string; code: string | undefined; output: ReturnType<typeof checkOutput> | undefined; failure: PromptsmithError | undefined; stopped: boolean;
    }): Promise<RunRecord | undefined> {
        const r = o.result;
        const findings = (o.output?.findings ?? []).map((f) => ({ ruleId: f.ruleId, severity: f.severity }));
        try {
            return await localStore(this.services).addRun({
                kind: "codegen",
                model: path.basename(o.modelPath),
                modelPath: o.modelPath,
                request: {
                    system: r?.mode === "completion" ? undefined : o.prompt.system,
                    user: r?.mode === "completion" ? o.prompt.completion : o.prompt.user,
                    requirements: o.requirements,
                    ...(o.language ? { language: o.language } : {}),
                },
                sampling: o.sampling,
                ...(r?.seed !== undefined ? { seed: r.seed } : {}),
                output: o.text,
                ...(o.code ? { code: o.code } : {}),
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

    /** "Show diff": the open proposal again, or the last run's code planned against the target as it is now. */
    async showDiff(): Promise<boolean> {
        if (await this.proposals.showDiff()) return true;
        const run = this.runValue;
        if (!run?.code || (run.status !== "done" && run.status !== "stopped")) return false;
        const t = this.lastTarget;
        const editor = t?.snapshot ? vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === t.snapshot!.uri.toString()) : this.targetEditor();
        const current = editor && !editor.document.isClosed ? snapshotTarget(editor) : undefined;
        const place = t?.place ?? this.inputsValue.place;
        const mode: EditTarget["mode"] = t?.edit && current && current.end > current.start ? "replace" : place === "newFile" || !current ? "newFile" : current.end > current.start ? "replace" : "insert";
        this.updateRun({ target: describeTarget(mode, current, this.inputsValue.language) });
        await this.propose(this.runValue!, current, mode, editor);
        return true;
    }

    async accept(options: { confirmReplan?: () => Thenable<boolean> } = {}): Promise<AcceptResult> {
        const p = this.proposals.current;
        const result = await this.proposals.accept(options);
        if (result.status === "accepted" && p && result.uri && result.range) {
            this.services.logger.info(`Accepted generated code into ${p.label} (${result.range.end - result.range.start} characters).`);
            const runId = p.runId ?? (this.runValue?.seq === p.runSeq ? this.runValue.runId : undefined);
            if (runId) {
                const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result.uri!.toString());
                await this.corrections.track(runId, result.uri, result.range.start, result.range.end, doc?.getText().slice(result.range.start, result.range.end) ?? "");
            }
        } else if (result.message && result.status !== "none") {
            void vscode.window.showWarningMessage(result.message);
        } else if (result.status === "none") {
            void vscode.window.showInformationMessage(result.message ?? "There is no proposal to accept.");
        }
        return result;
    }

    async reject(): Promise<boolean> {
        return this.proposals.reject();
    }

    newConversation(): void {
        this.conversation.clear();
        void this.services.context.workspaceState.update(CONVERSATION_KEY, this.conversation.toJSON());
        this.emitters.turns.fire([]);
        this.scheduleBudget(0);
        this.services.logger.info("Code generation: new conversation.");
    }

    /** Shows a past code generation run in the pane (its requirements in the form, its answer as the result). */
    async reopen(record: RunRecord): Promise<void> {
        const language = record.request.language ? vscodeLanguage(record.request.language) : "";
        this.setInputs({
            requirements: record.request.requirements ?? record.request.user,
            language: LANGUAGE_OPTIONS.some((l) => l.id === language) ? language : "",
        });
        const fb = await localStore(this.services).feedbackFor(record.id).catch(() => undefined);
        const seq = ++this.seq;
        this.lastTarget = undefined;
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
        if (!this.runValue || this.runValue.seq !== seq) return;
        this.runValue = { ...this.runValue, answer: this.runValue.answer + text };
        this.chunkBuffer += text;
        if (!this.chunkTimer) this.chunkTimer = setTimeout(() => this.flushChunks(), CHUNK_MS);
    }

    private flushChunks(): void {
        if (this.chunkTimer) clearTimeout(this.chunkTimer);
        this.chunkTimer = undefined;
        if (!this.chunkBuffer || !this.runValue) return;
        const text = this.chunkBuffer;
        this.chunkBuffer = "";
        this.emitters.chunk.fire({ seq: this.runValue.seq, text });
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
