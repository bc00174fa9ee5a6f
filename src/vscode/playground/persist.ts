// The open playground's state in a file of the extension's workspace storage, besides the webview state
// VS Code keeps: a browser reload (code-server) can restore a webview with state older than its last
// setState, while a file the extension host wrote survives. Written when the view reports a change,
// read when the serializer restores the panel, deleted when the user closes the panel.
import * as vscode from "vscode";
import { isPlaygroundState, type PlaygroundState } from "../../protocol/playground.ts";
import type { Logger } from "../../core/logger.ts";

const FILE = "playground-state.json";

export class StateFile {
    readonly uri: vscode.Uri;
    private writing: Promise<void> = Promise.resolve();

    constructor(context: vscode.ExtensionContext, private readonly logger: Logger) {
        this.uri = vscode.Uri.joinPath(context.storageUri ?? context.globalStorageUri, FILE);
    }

    /** Writes the state (writes are queued, the newest wins). */
    save(state: PlaygroundState): Promise<void> {
        const text = JSON.stringify(state);
        this.writing = this.writing.then(async () => {
            try {
                await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(this.uri, ".."));
                await vscode.workspace.fs.writeFile(this.uri, new TextEncoder().encode(text));
            } catch (e) {
                this.logger.debug(`Playground: could not keep its state in ${this.uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
            }
        });
        return this.writing;
    }

    async load(): Promise<PlaygroundState | undefined> {
        await this.writing;
        try {
            const value: unknown = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(this.uri)));
            return isPlaygroundState(value) ? value : undefined;
        } catch {
            return undefined;
        }
    }

    async delete(): Promise<void> {
        await this.writing;
        await Promise.resolve(vscode.workspace.fs.delete(this.uri)).catch(() => undefined);
    }
}
