// VS Code entry point. Thin by design: it builds the services and registers commands; the work is
// done by src/core (shared with the CLI). The editor features (model picker, live linting,
// requirements pane, playground) arrive with their own issues; this shell already runs the model in
// its own process and shows a model's metadata.
import * as vscode from "vscode";
import { readGgufInfo, describeGgufInfo } from "./core/gguf/reader.ts";
import { RunnerClient } from "./core/runner/client.ts";
import { isPromptsmithError } from "./core/errors.ts";
import type { Logger } from "./core/logger.ts";

export function activate(context: vscode.ExtensionContext): void {
    const channel = vscode.window.createOutputChannel("Promptsmith", { log: true });
    const logger: Logger = { debug: (m) => channel.debug(m), info: (m) => channel.info(m), warn: (m) => channel.warn(m), error: (m) => channel.error(m) };
    // The runner process starts on first use and stops with the extension.
    const runner = new RunnerClient({ workerPath: context.asAbsolutePath("dist/runner.mjs"), logger });
    context.subscriptions.push(channel, { dispose: () => void runner.dispose() });

    context.subscriptions.push(vscode.commands.registerCommand("promptsmith.showModelInfo", async (uri?: vscode.Uri) => {
        const configured = vscode.workspace.getConfiguration("promptsmith").get<string>("modelPath") || process.env.PROMPTSMITH_MODEL;
        const path = uri?.fsPath ?? configured ?? (await vscode.window.showOpenDialog({ filters: { "GGUF models": ["gguf"] }, canSelectMany: false }))?.[0]?.fsPath;
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
