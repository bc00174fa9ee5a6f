// The webview side of the message channel. Each UI calls connect<ToHost, ToView, State>() once with the
// types from its protocol module in src/protocol/ (shared with the extension).
export interface Message {
    type: string;
}

interface VsCodeApi<S> {
    postMessage(msg: unknown): void;
    getState(): S | undefined;
    setState(state: S): void;
}
declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export interface HostConnection<ToHost extends Message, ToView extends Message, S> {
    post(msg: ToHost): void;
    on<T extends ToView["type"]>(type: T, handler: (msg: Extract<ToView, { type: T }>) => void): void;
    /** The state saved with setState before a reload (VS Code keeps it while the view is hidden or reloaded). */
    getState(): S | undefined;
    setState(state: S): void;
}

let api: VsCodeApi<unknown> | undefined;

export function connect<ToHost extends Message, ToView extends Message, S>(): HostConnection<ToHost, ToView, S> {
    api ??= acquireVsCodeApi<unknown>();
    const vscode = api as VsCodeApi<S>;
    const handlers = new Map<string, (msg: ToView) => void>();
    window.addEventListener("message", (e: MessageEvent<unknown>) => {
        const data = e.data;
        const type = typeof data === "object" && data !== null ? (data as { type?: unknown }).type : undefined;
        if (typeof type !== "string") return;
        const h = handlers.get(type);
        if (h) h(data as ToView);
    });
    return {
        post: (msg) => vscode.postMessage(msg),
        on: (type, handler) => {
            handlers.set(type, handler as (msg: ToView) => void);
        },
        getState: () => vscode.getState(),
        setState: (s) => vscode.setState(s),
    };
}
