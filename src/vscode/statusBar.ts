// Status bar: the model's state (click to select a model) and the token count of the active prompt file.
import * as vscode from "vscode";
import { promptTokenCount } from "./linting.ts";
import { formatParameterCount } from "../core/format.ts";
import { modelDisplayName, type ModelState, type ModelStateStore } from "./modelState.ts";

const TOKEN_DEBOUNCE_MS = 300;

function escapeMd(text: string): string {
    return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~]/g, (c) => `\\${c}`);
}

export function modelStatusText(state: ModelState): string {
    switch (state.kind) {
        case "none":
            return state.path ? `$(circle-outline) ${modelDisplayName(state.path)} (not loaded)` : "$(circle-slash) No model";
        case "loading":
            return `$(loading~spin) Loading ${Math.round(state.progress * 100)}%`;
        case "ready":
            return `$(check) ${modelDisplayName(state.path)}`;
        case "generating":
            return "$(sync~spin) Generating";
        case "error":
            return "$(error) Model error";
    }
}

function modelTooltip(state: ModelState): vscode.MarkdownString {
    const md = new vscode.MarkdownString(undefined, true);
    md.isTrusted = false;
    md.supportHtml = false;
    const lines: string[] = [];
    switch (state.kind) {
        case "none":
            lines.push(state.path ? "**Model selected, not loaded yet**: it loads on first use." : "**No model selected.**");
            break;
        case "loading":
            lines.push(`**Loading model** (${Math.round(state.progress * 100)}%)`);
            break;
        case "ready": {
            const i = state.info;
            lines.push(`**Model ready**: ${escapeMd(i.name ?? modelDisplayName(state.path))}`);
            lines.push(escapeMd(`${i.architecture ?? "unknown architecture"} · ${formatParameterCount(i.parameterCount)} parameters · ${i.quantization} · context ${i.contextLength ?? "unknown"}`));
            break;
        }
        case "generating":
            lines.push("**Generating…**");
            break;
        case "error":
            lines.push(`**Model error**: ${escapeMd(state.message)}`);
            if (state.fix) lines.push(`Fix: ${escapeMd(state.fix)}`);
            break;
    }
    if (state.path) lines.push(`File: ${escapeMd(state.path)}`);
    if (!vscode.workspace.isTrusted) {
        lines.push("_Restricted Mode: a model path or models folder set by this workspace is ignored; your user setting is used._");
    }
    lines.push("Click to select a model.");
    md.appendMarkdown(lines.join("\n\n"));
    return md;
}

/** Creates both status bar items; everything returned is disposable. */
export function registerStatusBar(store: ModelStateStore): vscode.Disposable {
    const disposables: vscode.Disposable[] = [];
    const model = vscode.window.createStatusBarItem("promptsmith.model", vscode.StatusBarAlignment.Right, 100);
    model.name = "Promptsmith Model";
    model.command = "promptsmith.selectModel";
    const tokens = vscode.window.createStatusBarItem("promptsmith.tokens", vscode.StatusBarAlignment.Right, 99);
    tokens.name = "Promptsmith Prompt Tokens";
    tokens.tooltip = "Tokens in this prompt file, counted with the cl100k_base tokenizer (GPT-4's); a local model's own tokenizer may count differently";
    disposables.push(model, tokens);

    const renderModel = (state: ModelState): void => {
        model.text = modelStatusText(state);
        model.tooltip = modelTooltip(state);
        model.backgroundColor = state.kind === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    };
    renderModel(store.current);
    model.show();
    disposables.push(store.onDidChange(renderModel));
    // The Restricted Mode note in the tooltip goes away once the folder is trusted.
    disposables.push(vscode.workspace.onDidGrantWorkspaceTrust(() => renderModel(store.current)));

    let timer: ReturnType<typeof setTimeout> | undefined;
    const updateTokens = (): void => {
        const doc = vscode.window.activeTextEditor?.document;
        let n: number | undefined;
        try {
            n = doc ? promptTokenCount(doc) : undefined;
        } catch {
            n = undefined;
        }
        if (n === undefined) {
            tokens.hide();
            return;
        }
        tokens.text = `${n.toLocaleString("en-US")} ${n === 1 ? "token" : "tokens"}`;
        tokens.show();
    };
    const scheduleTokens = (): void => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => {
            timer = undefined;
            updateTokens();
        }, TOKEN_DEBOUNCE_MS);
    };
    disposables.push(
        vscode.window.onDidChangeActiveTextEditor(() => {
            if (timer) clearTimeout(timer);
            timer = undefined;
            updateTokens();
        }),
        vscode.workspace.onDidChangeTextDocument((e) => {
            if (e.document === vscode.window.activeTextEditor?.document) scheduleTokens();
        }),
        // Another document language (e.g. a file switched to "prompt") changes whether it counts.
        vscode.workspace.onDidOpenTextDocument((d) => {
            if (d === vscode.window.activeTextEditor?.document) scheduleTokens();
        }),
        { dispose: () => timer && clearTimeout(timer) },
    );
    updateTokens();

    return vscode.Disposable.from(...disposables);
}
