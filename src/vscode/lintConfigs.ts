// The lint configs of the open workspace: the nearest .promptsmithrc.json of each folder (looked up
// once per folder), each config loaded once and its Linter built on first use (one Linter per config,
// so its paragraph cache serves every document under it). A change to a config file, a file it
// extends or a lexicon it names drops every cached config and fires onDidChange.
//
// An invalid config is shown as one Error diagnostic on the offending file, logged, and replaced by
// the default config meanwhile, so prompts are still linted.
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import * as vscode from "vscode";
import type { Logger } from "../core/logger.ts";
import { isPromptsmithError, type PromptsmithError } from "../core/errors.ts";
import { createLinter, knownRuleIds, type Linter } from "../core/lint/index.ts";
import { CONFIG_FILE_NAME, defaultLintConfig, findLintConfig, LintConfigError, loadLintConfig, type LintConfig } from "../core/lint/config.ts";
import { lineOf, lineStarts } from "../core/lint/suppress.ts";
import { locateJsonPath, parseJsonPath } from "./lintJsonPath.ts";

export const LINT_SOURCE = "promptsmith";

export interface LintSetup {
    config: LintConfig;
    /** The .promptsmithrc.json the config came from; undefined for the default config. */
    configFile?: string;
    /** Why the config file could not be used (the default config is used meanwhile). */
    error?: PromptsmithError;
    /** The config's Linter, built on the first call and shared by every document under the config. */
    linter(): Promise<Linter>;
}

export interface LintConfigStoreOptions {
    logger: Logger;
    /** Where config errors are shown (the linter's own collection). */
    diagnostics: vscode.DiagnosticCollection;
    /** Called with what Restricted Mode left out of a config, each time one is loaded untrusted. */
    onRestricted(messages: readonly string[]): void;
}

export class LintConfigStore implements vscode.Disposable {
    private readonly folders = new Map<string, Promise<string | undefined>>();
    private readonly setups = new Map<string, Promise<LintSetup>>();
    private readonly watchers = new Map<string, vscode.Disposable>();
    /** Files that carry a config error diagnostic (closing them must not clear it). */
    private readonly errorFiles = new Set<string>();
    /** The last problem logged for each config file (a reload after an unrelated change does not log it again). */
    private readonly logged = new Map<string, string>();
    private readonly changed = new vscode.EventEmitter<void>();
    private readonly disposables: vscode.Disposable[] = [];
    private generation = 0;
    private fireTimer: ReturnType<typeof setTimeout> | undefined;
    private disposed = false;

    /** Fires (debounced) after the configs were dropped because a file they depend on changed. */
    readonly onDidChange = this.changed.event;

    constructor(private readonly options: LintConfigStoreOptions) {
        const watcher = vscode.workspace.createFileSystemWatcher(`**/${CONFIG_FILE_NAME}`);
        this.disposables.push(
            watcher,
            watcher.onDidCreate(() => this.invalidate()),
            watcher.onDidChange(() => this.invalidate()),
            watcher.onDidDelete(() => this.invalidate()),
            this.changed,
        );
    }

    /** The setup for documents in `folder` (a file system path), or the default one when undefined. */
    async setupFor(folder: string | undefined): Promise<LintSetup> {
        let found: Promise<string | undefined> | undefined;
        if (folder !== undefined) {
            found = this.folders.get(folder);
            if (!found) {
                found = findLintConfig(folder).catch(() => undefined);
                this.folders.set(folder, found);
            }
        }
        const configFile = found ? await found : undefined;
        const key = configFile ?? "";
        let setup = this.setups.get(key);
        if (!setup) {
            setup = this.load(configFile, this.generation);
            this.setups.set(key, setup);
        }
        return setup;
    }

    /** True when `uri` carries a config error diagnostic. */
    hasConfigError(uri: vscode.Uri): boolean {
        return this.errorFiles.has(uri.toString());
    }

    /** Drops every cached config and Linter (they are rebuilt on demand) and fires onDidChange. */
    invalidate(): void {
        if (this.disposed) return;
        this.generation++;
        this.folders.clear();
        this.setups.clear();
        for (const file of this.errorFiles) this.options.diagnostics.delete(vscode.Uri.parse(file));
        this.errorFiles.clear();
        if (this.fireTimer) clearTimeout(this.fireTimer);
        // A checkout changes many files at once: relint once.
        this.fireTimer = setTimeout(() => {
            this.fireTimer = undefined;
            this.changed.fire();
        }, 100);
    }

    dispose(): void {
        this.disposed = true;
        if (this.fireTimer) clearTimeout(this.fireTimer);
        for (const d of this.disposables) d.dispose();
        for (const w of this.watchers.values()) w.dispose();
        this.watchers.clear();
    }

    private async load(configFile: string | undefined, generation: number): Promise<LintSetup> {
        const known = knownRuleIds();
        if (!configFile) return this.setup(defaultLintConfig(known), undefined, undefined, generation);
        const trusted = vscode.workspace.isTrusted;
        try {
            const config = await loadLintConfig(configFile, { knownRuleIds: known, trusted });
            this.logged.delete(configFile);
            for (const source of config.sources) this.watch(source);
            for (const lexicon of config.lexicons) this.watch(lexicon.path);
            if (config.restricted.length && generation === this.generation) this.options.onRestricted(config.restricted);
            return this.setup(config, configFile, undefined, generation);
        } catch (e) {
            const error = isPromptsmithError(e) ? e : new LintConfigError({ file: configFile, message: e instanceof Error ? e.message : String(e), fix: "See the Promptsmith log." });
            this.watch(configFile);
            if (error.file) this.watch(error.file);
            this.logOnce(configFile, `Lint config ${configFile} is not used (the default rules apply until it is fixed): ${error.describe()}`);
            if (generation === this.generation) await this.showError(error, configFile);
            return this.setup(defaultLintConfig(known), configFile, error, generation);
        }
    }

    private setup(config: LintConfig, configFile: string | undefined, error: PromptsmithError | undefined, generation: number): LintSetup {
        let linter: Promise<Linter> | undefined;
        const build = async (): Promise<Linter> => {
            try {
                return await createLinter(config);
            } catch (e) {
                // A lexicon that cannot be read: lint without the lexicons rather than not at all.
                const err = isPromptsmithError(e) ? e : undefined;
                this.logOnce(`${configFile ?? ""}#lexicons`, `Lint config ${configFile ?? "(default)"}: ${err ? err.describe() : String(e)}; linting without its lexicons.`);
                if (configFile && err && generation === this.generation) {
                    await this.showError(new LintConfigError({ file: configFile, jsonPath: "lexicons", message: err.message, fix: err.fix ?? "Fix the path in \"lexicons\"." }), configFile);
                }
                return createLinter({ ...config, lexicons: [] });
            }
        };
        return { config, ...(configFile ? { configFile } : {}), ...(error ? { error } : {}), linter: () => (linter ??= build()) };
    }

    private logOnce(file: string, message: string): void {
        if (this.logged.get(file) === message) return;
        this.logged.set(file, message);
        this.options.logger.warn(message);
    }

    /** One Error diagnostic on the file the error names, at its line/column or at its JSON path. */
    private async showError(error: PromptsmithError, configFile: string): Promise<void> {
        const file = error.file && /\.json$/i.test(error.file) ? error.file : configFile;
        const uri = vscode.Uri.file(file);
        let range = new vscode.Range(0, 0, 0, 1);
        const config = error instanceof LintConfigError ? error : undefined;
        if (config?.line !== undefined) {
            const p = new vscode.Position(Math.max(0, config.line - 1), Math.max(0, (config.column ?? 1) - 1));
            range = new vscode.Range(p, p.translate(0, 1));
        } else if (config?.jsonPath) {
            const text = await readFile(file, "utf8").catch(() => undefined);
            const span = text === undefined ? undefined : locateJsonPath(text, parseJsonPath(config.jsonPath));
            if (text !== undefined && span) {
                const starts = lineStarts(text);
                const at = (offset: number) => {
                    const line = lineOf(starts, offset);
                    return new vscode.Position(line, offset - starts[line]!);
                };
                range = new vscode.Range(at(span.start), at(span.end));
            }
        }
        const diagnostic = new vscode.Diagnostic(range, error.fix ? `${error.message}\n${error.fix}` : error.message, vscode.DiagnosticSeverity.Error);
        diagnostic.source = LINT_SOURCE;
        diagnostic.code = "config";
        this.options.diagnostics.set(uri, [diagnostic]);
        this.errorFiles.add(uri.toString());
    }

    /** Watches a file that a config depends on, when the workspace-wide config watcher does not cover it. */
    private watch(path: string): void {
        if (this.disposed || this.watchers.has(path)) return;
        const uri = vscode.Uri.file(path);
        if (basename(path) === CONFIG_FILE_NAME && vscode.workspace.getWorkspaceFolder(uri)) return;
        const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(dirname(path)), basename(path)));
        const subscriptions = [watcher.onDidCreate(() => this.invalidate()), watcher.onDidChange(() => this.invalidate()), watcher.onDidDelete(() => this.invalidate())];
        this.watchers.set(path, { dispose: () => [watcher, ...subscriptions].forEach((d) => d.dispose()) });
    }
}
