// VS Code entry point. Thin by design: it builds the services and registers commands; the work is
// done by src/core (shared with the CLI). The editor features (model picker, live linting,
// requirements pane, playground, the model runner's lifecycle) arrive with their own issues; this
// shell shows a GGUF model's metadata.
import * as vscode from "vscode";
import { readGgufInfo, describeGgufInfo } from "./core/gguf/reader.ts";
import { isPromptsmithError } from "./core/errors.ts";
import type { Logger } from "./core/logger.ts";

export function activate(context: vscode.ExtensionContext): void {
    const channel = vscode.window.createOutputChannel("Promptsmith", { log: true });
    const logger: Logger = { debug: (m) => channel.debug(m), info: (m) => channel.info(m), warn: (m) => channel.warn(m), error: (m) => channel.error(m) };
    context.subscriptions.push(channel);

    context.subscriptions.push(vscode.commands.registerCommand("promptsmith.showModelInfo", async (uri?: vscode.Uri) => {
        const configured = vscode.workspace.getConfiguration("promptsmith").get<string>("modelPath")?.trim() || process.env.PROMPTSMITH_MODEL?.trim() || undefined;
        const path = uri?.fsPath ?? configured ?? (await vscode.window.showOpenDialog({ filters: { "GGUF models": ["gguf"] }, canSelectMany: false, title: "Show info of a GGUF model" }))?.[0]?.fsPath;
        if (!path) return;
        try {
            const rows = describeGgufInfo(await readGgufInfo(path));
            const doc = await vscode.workspace.openTextDocument({ language: "markdown", content: `# Model info\n\n| | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v.replace(/\|/g, "\\|")} |`).join("\n")}\n` });
            await vscode.window.showTextDocument(doc, { preview: true });
        } catch (e) {
            const msg = isPromptsmithError(e) ? e.describe() : String(e);
            logger.error(msg);
            void vscode.window.showErrorMessage(msg.split("\n").join(" "));
        }
    }));
}

export function deactivate(): void {}
