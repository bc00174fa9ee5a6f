// What the VS Code adapters share: built once in activate(), disposed with the extension.
import * as vscode from "vscode";
import { redact } from "../core/redact.ts";
import type { Logger } from "../core/logger.ts";
import { RunnerClient } from "../core/runner/client.ts";

export interface Services {
    context: vscode.ExtensionContext;
    channel: vscode.LogOutputChannel;
    /** Logs to the "Promptsmith" output channel with personal data and secrets redacted. */
    logger: Logger;
    /** The model runner, started on first use (its process starts with the first request) and stopped with the extension. */
    runner(): RunnerClient;
}

export function createServices(context: vscode.ExtensionContext): Services {
    const channel = vscode.window.createOutputChannel("Promptsmith", { log: true });
    const logger: Logger = {
        debug: (m) => channel.debug(redact(m)),
        info: (m) => channel.info(redact(m)),
        warn: (m) => channel.warn(redact(m)),
        error: (m) => channel.error(redact(m)),
    };
    let runner: RunnerClient | undefined;
    context.subscriptions.push(channel, { dispose: () => void runner?.dispose() });
    return {
        context,
        channel,
        logger,
        runner: () => (runner ??= new RunnerClient({ workerPath: context.asAbsolutePath("dist/runner.mjs"), logger })),
    };
}
