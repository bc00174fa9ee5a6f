// The linter that code generation's input and output checks use: the workspace's .promptsmithrc.json
// (nearest to the workspace folder, as the CLI finds it; in Restricted Mode without the workspace's
// custom rules, lexicons and allowlist patterns) or the recommended preset. One Linter per config,
// rebuilt when a config file changes or the folder becomes trusted. A broken config is logged and the
// recommended preset is used meanwhile: the checks never silently stop.
import * as vscode from "vscode";
import { CONFIG_FILE_NAME, defaultLintConfig } from "../../core/lint/config.ts";
import { createLinter, knownRuleIds, loadConfigFor, type Linter } from "../../core/lint/index.ts";
import type { Logger } from "../../core/logger.ts";

export class WorkspaceLinter implements vscode.Disposable {
    private readonly linters = new Map<string, Promise<Linter>>();
    private readonly disposables: vscode.Disposable[] = [];

    constructor(private readonly logger: Logger) {
        const watcher = vscode.workspace.createFileSystemWatcher(`**/${CONFIG_FILE_NAME}`);
        const drop = (): void => this.linters.clear();
        this.disposables.push(watcher, watcher.onDidChange(drop), watcher.onDidCreate(drop), watcher.onDidDelete(drop), vscode.workspace.onDidGrantWorkspaceTrust(drop));
    }

    /** The Linter for a workspace folder (a file system path), or the recommended one without a folder. */
    get(folder: string | undefined): Promise<Linter> {
        const key = folder ?? "";
        let linter = this.linters.get(key);
        if (!linter) {
            linter = this.build(folder);
            this.linters.set(key, linter);
            // A failure is not cached: the next check tries again.
            linter.catch(() => this.linters.delete(key));
        }
        return linter;
    }

    private async build(folder: string | undefined): Promise<Linter> {
        if (folder === undefined) return createLinter(defaultLintConfig(knownRuleIds()));
        try {
            const { config, configFile } = await loadConfigFor(undefined, folder, vscode.workspace.isTrusted);
            if (configFile) this.logger.info(`Code generation checks use ${configFile}.`);
            return await createLinter(config);
        } catch (e) {
            this.logger.warn(`Code generation checks: the lint config could not be used (${e instanceof Error ? e.message : String(e)}); using the recommended rules.`);
            return createLinter(defaultLintConfig(knownRuleIds()));
        }
    }

    dispose(): void {
        for (const d of this.disposables.splice(0)) d.dispose();
        this.linters.clear();
    }
}
