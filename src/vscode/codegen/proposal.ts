// The diff preview of generated code, and Accept / Reject.
//
// The preview is VS Code's own diff editor: the target document on the left (the live document, or an
// empty one for a new file) and a read-only `promptsmith-proposal:` document on the right holding the
// whole document as it would be after the edit (PlannedEdit.after). Accept applies exactly that as one
// WorkspaceEdit (one Undo restores the document). While the preview is open, a change to the target
// re-bases the proposal (rebaseEdit finds the same place again by its anchor) and the right side
// follows; when the place cannot be found again the proposal is in conflict and Accept asks before
// re-planning against the current text. Nothing is ever written to a place the preview did not show.
//
// The code is planned against the target as it was when the request started; when the document was
// edited while the model generated, the plan is re-based onto the live document before the preview
// opens (with a note), or the proposal starts in conflict (no preview of a stale text is shown).
// Closing the preview's tab rejects the proposal (Show diff in the pane plans it again), so Accept can
// never apply something that is no longer on screen. Proposal documents are named per window session
// (a random part), so a preview restored from another session never shows this session's text.
import * as vscode from "vscode";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { planEdit, rebaseEdit, type EditTarget, type PlannedEdit } from "../../core/codegen/edit.ts";
import type { Logger } from "../../core/logger.ts";
import { PROPOSAL_SCHEME, type ProposalStatus } from "../../protocol/codegen.ts";


export interface Proposal {
    id: number;
    /** The run this proposal came from. */
    runSeq: number;
    runId?: string;
    code: string;
    plan: PlannedEdit;
    /** Right side of the diff (the document after the edit). */
    right: vscode.Uri;
    /** Left side: the target document, or an empty proposal document for a new file. */
    left: vscode.Uri;
    /** "app.py" / "Untitled (Python)" */
    label: string;
    status: ProposalStatus;
    note?: string;
    /** The diff preview has been opened (Accept never writes what was not previewed). */
    shown: boolean;
}

export interface AcceptResult {
    status: "accepted" | "rebased" | "conflict" | "cancelled" | "failed" | "none";
    /** The document the code went into. */
    uri?: vscode.Uri;
    /** Offsets of the inserted code in the document after the edit. */
    range?: { start: number; end: number };
    text?: string;
    message?: string;
}

/** Serves the proposal documents (read-only virtual documents). */
class ProposalDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly texts = new Map<string, string>();
    private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.emitter.event;

    set(uri: vscode.Uri, text: string): void {
        this.texts.set(uri.toString(), text);
        // Always: a document VS Code still holds under this name must show this text.
        this.emitter.fire(uri);
    }

    delete(uri: vscode.Uri): void {
        this.texts.delete(uri.toString());
    }

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.texts.get(uri.toString()) ?? "";
    }

    dispose(): void {
        this.emitter.dispose();
        this.texts.clear();
    }
}

const CONTEXT_KEY = "promptsmith.proposalOpen";

export class ProposalManager implements vscode.Disposable {
    private readonly docs = new ProposalDocuments();
    private readonly disposables: vscode.Disposable[] = [];
    private readonly changed = new vscode.EventEmitter<Proposal | undefined>();
    /** Fires when the proposal is opened, re-based, in conflict, accepted or rejected. */
    readonly onDidChange = this.changed.event;
    private currentProposal: Proposal | undefined;
    private nextId = 1;
    private rebaseTimer: ReturnType<typeof setTimeout> | undefined;
    private accepting = false;
    /** Distinguishes this window session's proposal documents from any other's. */
    private readonly session = randomUUID().slice(0, 8);

    constructor(private readonly logger: Logger) {
        this.disposables.push(
            this.docs,
            this.changed,
            vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, this.docs),
            vscode.workspace.onDidChangeTextDocument((e) => {
                const p = this.currentProposal;
                if (!p || this.accepting || p.status !== "open" && p.status !== "conflict" || !p.plan.uri || e.document.uri.toString() !== p.plan.uri) return;
                if (e.contentChanges.length === 0) return;
                if (this.rebaseTimer) clearTimeout(this.rebaseTimer);
                this.rebaseTimer = setTimeout(() => this.followTarget(e.document), 120);
            }),
            vscode.window.tabGroups.onDidChangeTabs((e) => {
                const p = this.currentProposal;
                if (!p || this.accepting || (p.status !== "open" && p.status !== "conflict") || !e.closed.some((t) => showsProposal(t, p))) return;
                // A tab moved to another group is closed and opened again: decide once the tabs settled.
                setTimeout(() => void this.previewClosed(p), 50);
            }),
        );
        void vscode.commands.executeCommand("setContext", CONTEXT_KEY, false);
    }

    get current(): Proposal | undefined {
        return this.currentProposal;
    }

    /**
     * Plans the edit and opens the diff preview. Replaces any earlier proposal (its preview is closed).
     * `target` is the document as it was when the request started: when it changed since, the plan is
     * re-based onto the live document first, or the proposal starts in conflict without a preview.
     */
    async propose(target: EditTarget, code: string, info: { runSeq: number; runId?: string; label: string }): Promise<Proposal> {
        await this.discard("replaced");
        let plan = planEdit(target, code);
        let status: ProposalStatus = "open";
        let note: string | undefined;
        if (plan.mode !== "newFile" && plan.uri) {
            const live = await vscode.workspace.openTextDocument(vscode.Uri.parse(plan.uri)).then((d) => d, (e: unknown) => e instanceof Error ? e : new Error(String(e)));
            if (live instanceof Error) {
                status = "conflict";
                note = `${info.label} cannot be opened any more (${live.message}).`;
            } else if (live.getText() !== plan.before || live.version !== plan.version) {
                const r = rebaseEdit(plan, live.getText(), live.version, { since: "request" });
                if (r.status === "conflict") {
                    status = "conflict";
                    note = r.reason;
                } else {
                    plan = r.plan;
                    if (r.status === "rebased") note = r.note;
                }
            }
        }
        const id = this.nextId++;
        const name = proposalFileName(target, info.label);
        const right = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${this.session}/${id}/${name}` });
        const left = plan.mode === "newFile" || !plan.uri ? vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${this.session}/${id}/empty/${name}` }) : vscode.Uri.parse(plan.uri);
        const proposal: Proposal = { id, runSeq: info.runSeq, ...(info.runId ? { runId: info.runId } : {}), code, plan, right, left, label: info.label, status, ...(note ? { note } : {}), shown: false };
        this.docs.set(right, plan.after);
        if (plan.mode === "newFile") this.docs.set(left, "");
        this.currentProposal = proposal;
        await this.setContext(true);
        if (status === "conflict") this.logger.info(`Proposal for ${info.label}: conflict before the preview (${note})`);
        // A conflict shows no preview: it would show the text as it was, not as it is.
        else await this.showDiff();
        this.changed.fire(proposal);
        return proposal;
    }

    /** Whether `arg` (a command's argument) names the current proposal; anything but a URI names no particular one. */
    isCurrent(arg: unknown): boolean {
        if (!(arg instanceof vscode.Uri)) return true;
        const p = this.currentProposal;
        return !!p && (arg.toString() === p.right.toString() || arg.toString() === p.left.toString());
    }

    /** Opens (again) the diff of the current proposal. */
    async showDiff(): Promise<boolean> {
        const p = this.currentProposal;
        if (!p || (p.status !== "open" && p.status !== "conflict")) return false;
        if (p.status === "conflict" && !p.shown) {
            // Its text is planned against a document that is not there any more: say why instead.
            void vscode.window.showWarningMessage(`The code cannot be placed where it was generated for: ${p.note ?? "the target changed."} Accept plans it again against the current text (you see the preview first).`);
            return true;
        }
        // The proposal document takes the target's language (an untitled target has no file extension to go by).
        const language = p.plan.languageId;
        if (language) {
            for (const uri of p.plan.mode === "newFile" ? [p.right, p.left] : [p.right]) {
                const doc = await vscode.workspace.openTextDocument(uri);
                if (doc.languageId !== language) await vscode.languages.setTextDocumentLanguage(doc, language).then(undefined, () => undefined);
            }
        }
        const title = p.plan.mode === "newFile" ? `${p.label} (new file) ↔ proposed by Promptsmith` : `${p.label} ↔ proposed by Promptsmith`;
        await vscode.commands.executeCommand("vscode.diff", p.left, p.right, title, { preview: false, preserveFocus: false });
        p.shown = true;
        return true;
    }

    /**
     * Accept: re-checks the target (re-basing or asking when it changed), then applies the previewed
     * document as one edit and closes the preview.
     */
    async accept(options: { confirmReplan?: () => Thenable<boolean> } = {}): Promise<AcceptResult> {
        // A second Accept (a double Ctrl+Enter) while the first is applying does nothing.
        if (this.accepting) return { status: "cancelled", message: "Accept is already being applied." };
        const p = this.currentProposal;
        if (!p || (p.status !== "open" && p.status !== "conflict")) return { status: "none", message: "There is no proposal to accept." };
        if (this.rebaseTimer) {
            clearTimeout(this.rebaseTimer);
            this.rebaseTimer = undefined;
        }
        this.accepting = true;
        try {
            if (p.plan.mode === "newFile") return await this.acceptNewFile(p);
            const uri = vscode.Uri.parse(p.plan.uri!);
            let doc: vscode.TextDocument;
            try {
                doc = await vscode.workspace.openTextDocument(uri);
            } catch (e) {
                return this.conflict(p, `${p.label} cannot be opened any more (${e instanceof Error ? e.message : String(e)}).`);
            }
            // The document as it is now decides (a conflict marked earlier may have been undone since).
            const check = rebaseEdit(p.plan, doc.getText(), doc.version);
            if (check.status === "conflict") {
                const reason = check.reason;
                this.setConflict(p, reason);
                const replan = await (options.confirmReplan ?? (() => askReplan(reason)))();
                if (!replan) return { status: "conflict", message: reason };
                await this.replan(p, doc);
                return { status: "rebased", message: "The proposal was planned again against the current text: review it and Accept again." };
            }
            if (!p.shown) {
                // Never previewed (it was in conflict from the start, and the place is found now): show it first.
                p.status = "open";
                this.update(p, check.plan, check.status === "rebased" ? check.note : undefined);
                await this.showDiff();
                return { status: "rebased", message: "The preview shows where the code goes now: Accept again to apply it." };
            }
            p.status = "open";
            if (check.status === "rebased" && check.plan.after !== p.plan.after) {
                // The preview showed something else than what would be written now: show the new one first.
                this.update(p, check.plan, check.note);
                await this.showDiff();
                return { status: "rebased", message: `${check.note} The preview shows the new place: Accept again to apply it.` };
            }
            const plan = check.plan;
            const edit = new vscode.WorkspaceEdit();
            edit.replace(uri, new vscode.Range(doc.positionAt(plan.start), doc.positionAt(plan.end)), plan.newText);
            const ok = await vscode.workspace.applyEdit(edit);
            if (!ok) return this.failed(p, `${p.label} changed while the code was being applied; nothing was written.`);
            const range = { start: plan.start, end: plan.start + plan.newText.length };
            const text = doc.getText();
            if (text !== plan.after) this.logger.warn(`Accept: ${p.label} differs from the preview after the edit (another extension changed it at the same time?).`);
            p.status = "accepted";
            p.plan = plan;
            await this.finish(p);
            const editor = await vscode.window.showTextDocument(doc, { preview: false });
            editor.selection = new vscode.Selection(doc.positionAt(range.start), doc.positionAt(range.end));
            editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
            return { status: "accepted", uri, range, text };
        } finally {
            this.accepting = false;
        }
    }

    private async acceptNewFile(p: Proposal): Promise<AcceptResult> {
        const doc = await vscode.workspace.openTextDocument({ language: p.plan.languageId ?? "plaintext", content: "" });
        const edit = new vscode.WorkspaceEdit();
        edit.insert(doc.uri, new vscode.Position(0, 0), p.plan.newText);
        if (!(await vscode.workspace.applyEdit(edit))) return this.failed(p, "The new file could not be written.");
        p.status = "accepted";
        await this.finish(p);
        const editor = await vscode.window.showTextDocument(doc, { preview: false });
        editor.selection = new vscode.Selection(doc.positionAt(0), doc.positionAt(doc.getText().length));
        return { status: "accepted", uri: doc.uri, range: { start: 0, end: doc.getText().length }, text: doc.getText() };
    }

    /** Reject: closes the preview; nothing changes. */
    async reject(): Promise<boolean> {
        const p = this.currentProposal;
        if (!p || (p.status !== "open" && p.status !== "conflict")) return false;
        p.status = "rejected";
        await this.finish(p);
        return true;
    }

    /** The preview's tab was closed (by the user): the proposal is rejected, unless the preview is open in another tab. */
    private async previewClosed(p: Proposal): Promise<void> {
        if (this.currentProposal !== p || this.accepting || (p.status !== "open" && p.status !== "conflict")) return;
        if (vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => showsProposal(t, p)))) return;
        p.status = "rejected";
        p.note = "The preview was closed: nothing was changed. Show diff opens it again.";
        this.logger.info(`Proposal for ${p.label}: the preview was closed (rejected).`);
        await this.finish(p);
    }

    /** Drops the proposal without an outcome (a new generation replaces it). */
    async discard(_why: string): Promise<void> {
        const p = this.currentProposal;
        if (!p || (p.status !== "open" && p.status !== "conflict")) return;
        p.status = "none";
        await this.finish(p);
    }

    /** The target changed while the preview is open: re-base, or mark a conflict. */
    private followTarget(doc: vscode.TextDocument): void {
        this.rebaseTimer = undefined;
        const p = this.currentProposal;
        if (!p || (p.status !== "open" && p.status !== "conflict") || doc.isClosed) return;
        const r = rebaseEdit(p.plan, doc.getText(), doc.version);
        if (r.status === "conflict") this.setConflict(p, r.reason);
        else {
            p.status = "open";
            this.update(p, r.plan, r.status === "rebased" ? r.note : undefined);
        }
    }

    private update(p: Proposal, plan: PlannedEdit, note: string | undefined): void {
        p.plan = plan;
        p.note = note;
        this.docs.set(p.right, plan.after);
        this.changed.fire(p);
    }

    private setConflict(p: Proposal, reason: string): void {
        if (p.status === "conflict" && p.note === reason) return;
        p.status = "conflict";
        p.note = reason;
        this.logger.info(`Proposal for ${p.label}: conflict (${reason})`);
        this.changed.fire(p);
    }

    /** Plans the same code again against the document as it is now, at its editor's selection (or the old place, clamped). */
    private async replan(p: Proposal, doc: vscode.TextDocument): Promise<void> {
        const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc);
        const sel = editor?.selection;
        const start = sel ? doc.offsetAt(sel.start) : Math.min(p.plan.start, doc.getText().length);
        const end = sel ? doc.offsetAt(sel.end) : start;
        const mode = end > start ? "replace" : "insert";
        const plan = planEdit({
            mode,
            uri: doc.uri.toString(),
            documentText: doc.getText(),
            version: doc.version,
            start,
            end,
            languageId: doc.languageId,
            ...indentOptions(editor),
        }, p.code);
        p.status = "open";
        this.update(p, plan, `Planned again against the current text (${mode === "replace" ? "replacing the selection" : "at the cursor"}).`);
        await this.showDiff();
    }

    private conflict(p: Proposal, reason: string): AcceptResult {
        this.setConflict(p, reason);
        return { status: "conflict", message: reason };
    }

    private failed(p: Proposal, message: string): AcceptResult {
        this.logger.warn(`Accept failed for ${p.label}: ${message}`);
        return { status: "failed", message };
    }

    /** Closes the preview tabs of a finished proposal and clears the context key. */
    private async finish(p: Proposal): Promise<void> {
        const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => showsProposal(t, p));
        if (tabs.length) await vscode.window.tabGroups.close(tabs).then(undefined, () => undefined);
        this.docs.delete(p.right);
        this.docs.delete(p.left);
        if (this.currentProposal === p) await this.setContext(false);
        this.changed.fire(p);
    }

    private async setContext(open: boolean): Promise<void> {
        await vscode.commands.executeCommand("setContext", CONTEXT_KEY, open);
    }

    dispose(): void {
        if (this.rebaseTimer) clearTimeout(this.rebaseTimer);
        void vscode.commands.executeCommand("setContext", CONTEXT_KEY, false);
        for (const d of this.disposables.splice(0)) d.dispose();
    }
}

/** Whether a tab shows the proposal's document (its diff, or the proposal document alone). */
function showsProposal(t: vscode.Tab, p: Proposal): boolean {
    const input = t.input;
    if (input instanceof vscode.TabInputTextDiff) return input.modified.toString() === p.right.toString();
    if (input instanceof vscode.TabInputText) return input.uri.toString() === p.right.toString();
    return false;
}

/** The editor's indentation options, for planEdit. */
export function indentOptions(editor: vscode.TextEditor | undefined): { insertSpaces?: boolean; tabSize?: number } {
    if (!editor) return {};
    const { insertSpaces, tabSize } = editor.options;
    return {
        ...(typeof insertSpaces === "boolean" ? { insertSpaces } : {}),
        ...(typeof tabSize === "number" ? { tabSize } : {}),
    };
}

function proposalFileName(target: EditTarget, label: string): string {
    if (target.uri) {
        const uri = vscode.Uri.parse(target.uri);
        return uri.scheme === "untitled" ? uri.path.replace(/[/\\]/g, "_") : path.basename(uri.path);
    }
    return label.replace(/[/\\]/g, "_") || "proposal";
}

async function askReplan(reason: string): Promise<boolean> {
    const choice = await vscode.window.showWarningMessage(
        "The code cannot be placed where it was generated for.",
        { modal: true, detail: `${reason}\n\nPlan it again against the current text? You will see the new preview before anything changes.` },
        "Plan Again",
    );
    return choice === "Plan Again";
}

