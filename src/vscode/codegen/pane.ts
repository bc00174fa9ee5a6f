// The requirements pane: a webview view in the Promptsmith activity-bar container. It renders the
// controller's state and passes the user's actions to it. The page (webview/codegen/main.ts) says
// "ready" before anything is sent; the view is not kept alive while hidden: its state comes back from
// the page's own saved state and this "state" answer.
//
// Every message from the page is checked field by field (parseCodegenToHost) before it is acted on;
// one that does not pass is logged and dropped.
import * as vscode from "vscode";
import {
    CODEGEN_TO_HOST_TYPES, CODEGEN_VIEW_ID, PANE_COMMANDS, parseCodegenToHost,
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
            c.onDidChunk((ch) => this.post({ type: "chunk", seq: ch.seq, offset: ch.offset, text: ch.text })),
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
        /** A handler that gets the checked copy of the message, or logs and drops it. */
        const checked = <T extends CodegenToHost["type"]>(handler: (m: Extract<CodegenToHost, { type: T }>) => unknown) => async (raw: Extract<CodegenToHost, { type: T }>): Promise<void> => {
            const m = parseCodegenToHost(raw);
            if (!m || m.type !== raw.type) {
                this.services.logger.warn(`Requirements pane: dropped a malformed "${String(raw.type)}" message.`);
                return;
            }
            await handler(m as Extract<CodegenToHost, { type: T }>);
        };
        channel
            .on("ready", checked(() => {
                this.ready = true;
                void channel.post({ type: "state", state: c.state(), replaceInputs: true });
                c.setPaneVisible(view.visible);
                this.readyEmitter.fire();
            }))
            .on("inputs", checked<"inputs">((m) => c.setInputs(m.inputs, { fromPane: true })))
            .on("generate", checked<"generate">(async (m) => {
                await c.generate({ ...(m.place ? { place: m.place } : {}), ...(m.sendAnyway ? { sendAnyway: true } : {}), ...(m.blockedSeq !== undefined ? { blockedSeq: m.blockedSeq } : {}) });
            }))
            .on("stop", checked(() => void c.stop()))
            .on("showDiff", checked(async () => {
                if (!(await c.showDiff())) void vscode.window.showInformationMessage("There is no generated code to show.");
            }))
            .on("accept", checked(async () => void (await c.accept())))
            .on("reject", checked(async () => void (await c.reject())))
            .on("rate", checked<"rate">((m) => c.rate(m.runId, m.rating)))
            .on("correct", checked<"correct">((m) => c.correct(m.runId, m.code)))
            .on("newConversation", checked(() => c.newConversation()))
            .on("command", checked<"command">(async (m) => {
                if (Object.hasOwn(PANE_COMMANDS, m.command)) await vscode.commands.executeCommand(PANE_COMMANDS[m.command]);
            }))
            .on("cspViolation", checked<"cspViolation">((m) => {
                const line = `${m.directive} blocked ${m.blocked}${m.sample ? ` (${m.sample})` : ""}`;
                this.cspViolations.push(line);
                this.services.logger.warn(`Requirements pane: Content-Security-Policy violation: ${line}`);
            }))
            .on("error", checked<"error">((m) => this.services.logger.error(`Requirements pane script error: ${m.message}`)));
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
