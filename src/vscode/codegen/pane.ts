// The requirements pane: a webview view in the Promptsmith activity-bar container. It renders the
// controller's state and passes the user's actions to it. The page (webview/codegen/main.ts) says
// "ready" before anything is sent; the view is not kept alive while hidden: its state comes back from
// the page's own saved state and this "state" answer.
import * as vscode from "vscode";
import {
    CODEGEN_TO_HOST_TYPES, CODEGEN_VIEW_ID, sanitizeInputs,
    type CodegenToHost, type CodegenToView,
} from "../../protocol/codegen.ts";
import type { Services } from "../services.ts";
import { WebviewChannel } from "../webview/channel.ts";
import { webviewHtml, webviewOptions } from "../webview/html.ts";
import type { CodegenController } from "./controller.ts";

export class RequirementsView implements vscode.WebviewViewProvider, vscode.Disposable {
    private view: vscode.WebviewView | undefined;
    private channel: WebviewChannel<CodegenToView, CodegenToHost> | undefined;
    private ready = false;
    private readonly viewDisposables: vscode.Disposable[] = [];
    private readonly disposables: vscode.Disposable[] = [];
    private readonly readyEmitter = new vscode.EventEmitter<void>();
    /** Fires each time the page said "ready" and got the state. */
    readonly onDidBecomeReady = this.readyEmitter.event;
    /** CSP violations reported by the page (kept for tests). */
    readonly cspViolations: string[] = [];

    constructor(
        private readonly services: Services,
        private readonly controller: CodegenController,
    ) {
        const c = controller;
        this.disposables.push(
            this.readyEmitter,
            c.onDidChangeRun((run) => this.post({ type: "run", run, generating: c.generating })),
            c.onDidChunk((ch) => this.post({ type: "chunk", seq: ch.seq, text: ch.text })),
            c.onDidChangeBudget((b) => this.post({ type: "budget", budget: b.budget, ...(b.editor ? { editor: b.editor } : {}) })),
            c.onDidChangeTurns((turns) => this.post({ type: "turns", turns })),
            c.onDidChangeModel((model) => this.post({ type: "model", model })),
            c.onDidChangeState(({ replaceInputs }) => this.post({ type: "state", state: c.state(), replaceInputs })),
            c.onDidRequestFocus(() => {
                void this.reveal(false).then(() => this.post({ type: "focus" }));
            }),
            c.onDidRequestReveal(({ preserveFocus }) => void this.reveal(preserveFocus)),
        );
    }

    get isReady(): boolean {
        return this.ready && !!this.view;
    }

    get visible(): boolean {
        return !!this.view?.visible;
    }

    resolveWebviewView(view: vscode.WebviewView): void {
        this.disposeView();
        this.view = view;
        this.ready = false;
        const { extensionUri } = this.services.context;
        view.webview.options = webviewOptions(extensionUri);
        view.webview.html = webviewHtml(view.webview, extensionUri, { name: "codegen", title: "Promptsmith requirements" });
        const channel = new WebviewChannel<CodegenToView, CodegenToHost>(view.webview, CODEGEN_TO_HOST_TYPES, (e, msg) => {
            const type = typeof msg === "object" && msg !== null ? (msg as { type?: unknown }).type : undefined;
            this.services.logger.error(`Requirements pane: ${e instanceof Error ? e.message : String(e)}${type ? ` (message ${String(type)})` : ""}`);
        });
        this.channel = channel;
        const c = this.controller;
        channel
            .on("ready", () => {
                this.ready = true;
                void channel.post({ type: "state", state: c.state(), replaceInputs: true });
                c.setPaneVisible(view.visible);
                this.readyEmitter.fire();
            })
            .on("inputs", (m) => c.setInputs(sanitizeInputs(m.inputs), { fromPane: true }))
            .on("generate", async (m) => {
                await c.generate({ ...(m.place ? { place: m.place } : {}), ...(m.sendAnyway ? { sendAnyway: true } : {}) });
            })
            .on("stop", () => void c.stop())
            .on("showDiff", async () => {
                if (!(await c.showDiff())) void vscode.window.showInformationMessage("There is no generated code to show.");
            })
            .on("accept", async () => void (await c.accept()))
            .on("reject", async () => void (await c.reject()))
            .on("rate", (m) => c.rate(m.runId, m.rating === "down" ? "down" : "up"))
            .on("correct", (m) => c.correct(m.runId, String(m.code)))
            .on("newConversation", () => c.newConversation())
            .on("command", async (m) => {
                const command = { selectModel: "promptsmith.selectModel", openHistory: "promptsmith.history.open", exportHistory: "promptsmith.history.export" }[m.command];
                if (command) await vscode.commands.executeCommand(command);
            })
            .on("cspViolation", (m) => {
                const line = `${m.directive} blocked ${m.blocked}${m.sample ? ` (${m.sample})` : ""}`;
                this.cspViolations.push(line);
                this.services.logger.warn(`Requirements pane: Content-Security-Policy violation: ${line}`);
            })
            .on("error", (m) => this.services.logger.error(`Requirements pane script error: ${m.message}`));
        this.viewDisposables.push(
            channel,
            view.onDidChangeVisibility(() => c.setPaneVisible(view.visible)),
            view.onDidDispose(() => {
                if (this.view === view) {
                    this.view = undefined;
                    this.ready = false;
                    c.setPaneVisible(false);
                    this.disposeView();
                }
            }),
        );
    }

    /** Shows the pane (resolving it when it was never opened). */
    async reveal(preserveFocus: boolean): Promise<void> {
        if (this.view) {
            this.view.show(preserveFocus);
            return;
        }
        const editor = vscode.window.activeTextEditor;
        await vscode.commands.executeCommand(`${CODEGEN_VIEW_ID}.focus`);
        if (preserveFocus && editor) await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false, selection: editor.selection });
    }

    private post(msg: CodegenToView): void {
        if (this.channel && this.ready) void this.channel.post(msg);
    }

    private disposeView(): void {
        for (const d of this.viewDisposables.splice(0)) d.dispose();
        this.channel = undefined;
    }

    dispose(): void {
        this.disposeView();
        for (const d of this.disposables.splice(0)) d.dispose();
    }
}
