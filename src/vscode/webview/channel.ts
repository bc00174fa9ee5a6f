// A typed, disposable wrapper around one webview's message channel (extension side). The message types
// come from a protocol module in src/protocol/, imported by both the extension and the webview.
import * as vscode from "vscode";

export interface Message {
    type: string;
}

export class WebviewChannel<ToView extends Message, ToHost extends Message> implements vscode.Disposable {
    private readonly subscription: vscode.Disposable;
    private readonly handlers = new Map<string, (msg: ToHost) => void | Promise<void>>();
    private disposed = false;

    /**
     * @param types   every ToHost type the extension accepts; anything else from the page is logged and dropped
     * @param onError called when a handler throws or rejects
     */
    constructor(
        private readonly webview: vscode.Webview,
        private readonly types: ReadonlySet<ToHost["type"]>,
        private readonly onError: (e: unknown, msg: ToHost | unknown) => void,
    ) {
        this.subscription = webview.onDidReceiveMessage((raw: unknown) => this.receive(raw));
    }

    on<T extends ToHost["type"]>(type: T, handler: (msg: Extract<ToHost, { type: T }>) => void | Promise<void>): this {
        this.handlers.set(type, handler as (msg: ToHost) => void | Promise<void>);
        return this;
    }

    /** Posts a message; false when the webview is gone (disposed or hidden without retained context). */
    async post(msg: ToView): Promise<boolean> {
        if (this.disposed) return false;
        try {
            return await this.webview.postMessage(msg);
        } catch {
            return false;
        }
    }

    private receive(raw: unknown): void {
        const type = typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined;
        if (typeof type !== "string" || !this.types.has(type as ToHost["type"])) {
            this.onError(new Error(`Unknown message from the webview: ${JSON.stringify(type)}`), raw);
            return;
        }
        const handler = this.handlers.get(type);
        if (!handler) return;
        try {
            void Promise.resolve(handler(raw as ToHost)).catch((e: unknown) => this.onError(e, raw));
        } catch (e) {
            this.onError(e, raw);
        }
    }

    dispose(): void {
        this.disposed = true;
        this.subscription.dispose();
        this.handlers.clear();
    }
}
