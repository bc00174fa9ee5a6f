// "Show Model Info": a read-only Markdown card rendered by VS Code's own Markdown preview (which runs
// no scripts and sanitises HTML). The card is served by a content provider, so it is never a dirty
// untitled document, and every value from the file is escaped: a GGUF header is untrusted input.
import * as vscode from "vscode";
import path from "node:path";
import { describeGgufInfo, type GgufInfo } from "../core/gguf/reader.ts";
import { formatBytes } from "../core/format.ts";

export const MODEL_INFO_SCHEME = "promptsmith-model-info";

/** Escapes text for a Markdown table cell: no HTML, no Markdown syntax, no line breaks, no `|`. */
export function escapeMarkdownCell(value: string): string {
    return value
        .replace(/[\r\n\t]+/g, " ")
        .replace(/&/g, "&amp;")
        .replace(/</g, "&lt;")
        .replace(/>/g, "&gt;")
        .replace(/"/g, "&quot;")
        .replace(/[\\`*_{}[\]()#+\-.!|~:]/g, (c) => `\\${c}`);
}

/** The card's Markdown. `status` is a line about whether the model is loaded. */
export function modelInfoMarkdown(info: GgufInfo, status?: string): string {
    const title = info.name ?? path.basename(info.path);
    const rows: Array<[string, string]> = describeGgufInfo(info);
    const fileIndex = rows.findIndex(([label]) => label === "File");
    const extra: Array<[string, string]> = [
        ["Tensors", info.tensorCount.toLocaleString("en-US")],
        ["GGUF version", String(info.version)],
    ];
    if (info.embeddingLength !== undefined) extra.push(["Embedding length", info.embeddingLength.toLocaleString("en-US")]);
    if (info.blockCount !== undefined) extra.push(["Layers", String(info.blockCount)]);
    if (info.headCount !== undefined) extra.push(["Attention heads", String(info.headCount)]);
    rows.splice(fileIndex >= 0 ? fileIndex : rows.length, 0, ...extra);

    const lines = [`# ${escapeMarkdownCell(title)}`, ""];
    if (status) lines.push(escapeMarkdownCell(status), "");
    lines.push("| Property | Value |", "| --- | --- |");
    for (const [label, value] of rows) lines.push(`| ${escapeMarkdownCell(label)} | ${escapeMarkdownCell(value)} |`);

    const types = Object.entries(info.tensorTypeBytes).sort((a, b) => b[1] - a[1]);
    if (types.length > 0) {
        const total = types.reduce((s, [, n]) => s + n, 0) || 1;
        lines.push("", "## Tensor data by type", "", "| Type | Size | Share |", "| --- | ---: | ---: |");
        for (const [type, bytes] of types) {
            lines.push(`| ${escapeMarkdownCell(type)} | ${escapeMarkdownCell(formatBytes(bytes))} | ${((bytes / total) * 100).toFixed(1)}% |`);
        }
    }
    lines.push("");
    return lines.join("\n");
}

/** Serves the cards; one per model file, refreshed each time it is shown. */
export class ModelInfoProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
    private readonly cards = new Map<string, string>();
    private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
    readonly onDidChange = this.emitter.event;

    provideTextDocumentContent(uri: vscode.Uri): string {
        return this.cards.get(uri.toString()) ?? "# Model info\n\nThis card is no longer available: run **Promptsmith: Show Model Info** again.\n";
    }

    /** Stores the card for `modelPath` and returns the URI to preview. */
    put(modelPath: string, markdown: string): vscode.Uri {
        const uri = vscode.Uri.from({ scheme: MODEL_INFO_SCHEME, path: `/${path.basename(modelPath)}.md`, query: modelPath });
        const key = uri.toString();
        const changed = this.cards.has(key) && this.cards.get(key) !== markdown;
        this.cards.set(key, markdown);
        if (changed) this.emitter.fire(uri);
        return uri;
    }

    dispose(): void {
        this.emitter.dispose();
        this.cards.clear();
    }
}

/** Opens the card in the Markdown preview; falls back to a read-only text editor without it. */
export async function showModelInfoCard(uri: vscode.Uri): Promise<void> {
    try {
        await vscode.commands.executeCommand("markdown.showPreview", uri);
    } catch {
        const doc = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(doc, { preview: true });
    }
}
