// Live prompt linting: diagnostics for prompt files as they are opened, edited and saved, quick fixes,
// and the lintFile / fixAllInFile / lintWorkspace commands.
//
// A document is a prompt file when its language is "promptsmith" (ours: .prompt, .prompty) or VS Code's
// built-in "prompt" (.prompt.md), or its path matches the `files` globs of
// its .promptsmithrc.json (when the config sets them; relative to the config's folder) or else the
// promptsmith.lint.files setting (relative to the workspace folder), and not the config's `ignore`
// globs. Each config has one Linter (lintConfigs.ts); relinting the whole text after an edit is cheap
// because the Linter caches paragraph results.
import { basename, dirname, isAbsolute, relative, sep } from "node:path";
import picomatch from "picomatch";
import * as vscode from "vscode";
import { DEFAULT_FILES, type LintConfig } from "../core/lint/config.ts";
import type { Linter } from "../core/lint/index.ts";
import { countTokens } from "../core/lint/rules/tokenLimit.ts";
import { lineOf, lineStarts } from "../core/lint/suppress.ts";
import type { Finding } from "../core/lint/types.ts";
import { FIX_ALL_COMMAND, fixAllEdit, LintCodeActionProvider, SUPPRESS_COMMAND, suppressOnLine } from "./lintActions.ts";
import { LINT_SOURCE, LintConfigStore, type LintSetup } from "./lintConfigs.ts";
import type { Services } from "./services.ts";

export { LINT_SOURCE } from "./lintConfigs.ts";

/** Files (and documents) larger than this are not linted. */
export const MAX_LINT_BYTES = 20 * 1024 * 1024;

/**
 * Documents longer than this (UTF-16 characters) are linted on open, save and command, not on every
 * keystroke, and get no live token count: a full lint of a few MB takes about a second.
 */
export const LIVE_LINT_MAX_CHARS = 1_000_000;

/** Length of a document without copying its text. */
function docLength(doc: vscode.TextDocument): number {
    return doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
}

const SEVERITY: Record<Finding["severity"], vscode.DiagnosticSeverity> = {
    error: vscode.DiagnosticSeverity.Error,
    warning: vscode.DiagnosticSeverity.Warning,
    info: vscode.DiagnosticSeverity.Information,
};

const CODE_ACTION_SELECTOR: vscode.DocumentSelector = [
    { language: "prompt" },
    { language: "promptsmith" },
    { pattern: "**/*.{prompt.md,prompt,prompty}" },
    { language: "markdown" },
    // Files matched by custom `files` globs, and documents linted with "Lint Current File", can be of any
    // language: the provider answers only for documents it has linted (a map lookup).
    { scheme: "file" },
    { scheme: "untitled" },
];

export function toDiagnostic(finding: Finding, positionAt: (offset: number) => vscode.Position): vscode.Diagnostic {
    const d = new vscode.Diagnostic(new vscode.Range(positionAt(finding.start), positionAt(finding.end)), finding.message, SEVERITY[finding.severity]);
    d.source = LINT_SOURCE;
    d.code = finding.ruleId;
    if (finding.ruleId === "unused-suppression") d.tags = [vscode.DiagnosticTag.Unnecessary];
    return d;
}

interface DocResult {
    version: number;
    findings: Finding[];
    linter: Linter;
}

class LintingService implements vscode.Disposable {
    readonly diagnostics = vscode.languages.createDiagnosticCollection(LINT_SOURCE);
    private readonly configs: LintConfigStore;
    private readonly results = new Map<string, DocResult>();
    /** Whether a document is a prompt file, as decided by its last lint. */
    private readonly verdicts = new Map<string, boolean>();
    private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
    /** Documents linted with "Lint Current File" although they are not prompt files: kept linted until closed. */
    private readonly forced = new Set<string>();
    private readonly tokenCounts = new Map<string, { version: number; count: number }>();
    private readonly matchers = new Map<string, picomatch.Matcher>();
    private readonly restrictedShown = new Set<string>();
    private readonly tooLarge = new Set<string>();
    private readonly liveTooLarge = new Set<string>();
    /** Latest lint request per document (see lintDocument). */
    private readonly seqs = new Map<string, number>();
    private readonly disposables: vscode.Disposable[] = [];
    private disposed = false;

    constructor(private readonly services: Services) {
        const logger = services.logger;
        this.configs = new LintConfigStore({ logger, diagnostics: this.diagnostics, onRestricted: (m) => this.showRestricted(m) });
        this.disposables.push(this.diagnostics, this.configs);
    }

    register(): void {
        const ws = vscode.workspace;
        this.disposables.push(
            ws.onDidOpenTextDocument((doc) => this.schedule(doc, 0)),
            ws.onDidChangeTextDocument((e) => {
                if (e.contentChanges.length > 0) this.schedule(e.document, this.setting(e.document, "debounceMs", 250));
            }),
            ws.onDidSaveTextDocument((doc) => this.schedule(doc, 0)),
            ws.onDidCloseTextDocument((doc) => this.forget(doc, true)),
            ws.onDidChangeConfiguration((e) => {
                if (e.affectsConfiguration("promptsmith.lint")) this.relintAll();
            }),
            ws.onDidGrantWorkspaceTrust(() => this.configs.invalidate()),
            this.configs.onDidChange(() => this.relintAll()),
            vscode.languages.registerCodeActionsProvider(CODE_ACTION_SELECTOR, new LintCodeActionProvider(this), LintCodeActionProvider.metadata),
            vscode.commands.registerCommand("promptsmith.lintFile", () => this.lintFileCommand()),
            vscode.commands.registerCommand(FIX_ALL_COMMAND, (uri?: vscode.Uri) => this.fixAllCommand(uri)),
            vscode.commands.registerCommand("promptsmith.lintWorkspace", () => this.lintWorkspaceCommand()),
            vscode.commands.registerCommand(SUPPRESS_COMMAND, (uri: vscode.Uri, line: number, ruleId: string) => this.guard("suppress", () => suppressOnLine(uri, line, ruleId))),
        );
        // Documents already open when the extension starts; linted from a timer so activation stays cheap.
        for (const doc of ws.textDocuments) this.schedule(doc, 0);
    }

    dispose(): void {
        this.disposed = true;
        for (const t of this.timers.values()) clearTimeout(t);
        this.timers.clear();
        for (const d of this.disposables) d.dispose();
        this.results.clear();
        this.tokenCounts.clear();
    }

    // --- linting ---------------------------------------------------------------------------------

    /**
     * Lints `doc` now and publishes its diagnostics. Returns them, or [] when `doc` is not a prompt file
     * (and `force` is not set) or too large. `force`: lint it even if it is not a prompt file.
     */
    async lintDocument(doc: vscode.TextDocument, force = false): Promise<vscode.Diagnostic[]> {
        const key = doc.uri.toString();
        this.cancelTimer(key);
        // Only the latest request for a document may publish: an earlier one that finishes late (after a
        // config change, or after linting was turned off) would bring back stale diagnostics.
        const seq = (this.seqs.get(key) ?? 0) + 1;
        this.seqs.set(key, seq);
        const stale = (): boolean => doc.isClosed || this.disposed || this.seqs.get(key) !== seq || (!force && !this.autoLint(doc));
        if (!force && !this.autoLint(doc)) {
            this.forget(doc, false);
            return [];
        }
        const setup = await this.configs.setupFor(this.folderOf(doc));
        if (stale()) return [];
        const prompt = this.forced.has(key) || this.isPromptFile(doc.uri, doc.languageId, setup.config);
        this.verdicts.set(key, prompt);
        if (!prompt && !force) {
            this.forget(doc, false);
            return [];
        }
        const linter = await setup.linter();
        if (stale()) return [];
        return this.lintWith(doc, linter);
    }

    /** Findings of the document's current version (relinted synchronously when it changed), for the quick fixes. */
    currentFindings(doc: vscode.TextDocument): Finding[] | undefined {
        const key = doc.uri.toString();
        const result = this.results.get(key);
        if (!result) return undefined;
        if (result.version !== doc.version) {
            // Code actions are asked for on every cursor move: relint a large stale document only via the timer.
            if (docLength(doc) > LIVE_LINT_MAX_CHARS / 5) return undefined;
            this.cancelTimer(key); // this relint replaces the pending one
            this.lintWith(doc, result.linter);
        }
        return this.results.get(key)?.findings;
    }

    /** Token count (cl100k_base) of a prompt file; undefined for other documents. */
    tokenCount(doc: vscode.TextDocument): number | undefined {
        const key = doc.uri.toString();
        if (!(this.verdicts.get(key) ?? this.looksLikePrompt(doc))) return undefined;
        const cached = this.tokenCounts.get(key);
        if (cached?.version === doc.version) return cached.count;
        if (docLength(doc) > LIVE_LINT_MAX_CHARS) return undefined;
        const count = countTokens(doc.getText());
        this.tokenCounts.set(key, { version: doc.version, count });
        return count;
    }

    private lintWith(doc: vscode.TextDocument, linter: Linter): vscode.Diagnostic[] {
        const key = doc.uri.toString();
        const text = doc.getText();
        // UTF-8 takes at least one byte per UTF-16 unit and at most three.
        if (text.length > MAX_LINT_BYTES / 3 && Buffer.byteLength(text, "utf8") > MAX_LINT_BYTES) {
            if (!this.tooLarge.has(key)) this.services.logger.info(`Not linting ${basename(doc.uri.path)}: larger than ${MAX_LINT_BYTES / 1024 / 1024} MB.`);
            this.tooLarge.add(key);
            this.forget(doc, false);
            return [];
        }
        const started = performance.now();
        let findings: Finding[];
        try {
            findings = linter.lint(text).findings;
        } catch (e) {
            this.services.logger.error(`Linting ${basename(doc.uri.path)} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
            return [];
        }
        const ms = performance.now() - started;
        if (ms > 200) this.services.logger.debug(`Linted ${basename(doc.uri.path)} (${text.length} chars) in ${ms.toFixed(0)} ms`);
        this.results.set(key, { version: doc.version, findings, linter });
        const diagnostics = findings.map((f) => toDiagnostic(f, (o) => doc.positionAt(o)));
        this.diagnostics.set(doc.uri, diagnostics);
        fireLinted(doc.uri);
        return diagnostics;
    }

    private schedule(doc: vscode.TextDocument, delay: number): void {
        if (!this.autoLint(doc)) return;
        if (docLength(doc) > LIVE_LINT_MAX_CHARS) {
            const key = doc.uri.toString();
            if (!this.liveTooLarge.has(key)) {
                this.liveTooLarge.add(key);
                this.services.logger.info(`${basename(doc.uri.path)} is over ${LIVE_LINT_MAX_CHARS.toLocaleString("en-US")} characters: linted on save and on request, not while typing.`);
            }
            return;
        }
        const key = doc.uri.toString();
        this.cancelTimer(key);
        this.timers.set(key, setTimeout(() => {
            this.timers.delete(key);
            if (!doc.isClosed) void this.guard("lint", () => this.lintDocument(doc));
        }, delay));
    }

    private cancelTimer(key: string): void {
        const t = this.timers.get(key);
        if (t) clearTimeout(t);
        this.timers.delete(key);
    }

    /** Linted as you type: a file or untitled document (or one linted on request), with promptsmith.lint.enable on. */
    private autoLint(doc: vscode.TextDocument): boolean {
        const key = doc.uri.toString();
        if (doc.uri.scheme !== "file" && doc.uri.scheme !== "untitled" && !this.forced.has(key)) return false;
        return this.setting(doc, "enable", true);
    }

    /** Drops what is known about a document; `closed` also forgets "Lint Current File" and the verdict. */
    private forget(doc: vscode.TextDocument, closed: boolean): void {
        const key = doc.uri.toString();
        this.cancelTimer(key);
        this.results.delete(key);
        this.tokenCounts.delete(key);
        if (closed) {
            this.forced.delete(key);
            this.verdicts.delete(key);
            this.tooLarge.delete(key);
            this.liveTooLarge.delete(key);
            this.seqs.delete(key);
        }
        if (!this.configs.hasConfigError(doc.uri)) this.diagnostics.delete(doc.uri);
    }

    /** After a config, setting or trust change: lint every open document again; drop results of closed files. */
    private relintAll(): void {
        const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
        const stale: vscode.Uri[] = [];
        this.diagnostics.forEach((uri) => {
            if (!open.has(uri.toString()) && !this.configs.hasConfigError(uri)) stale.push(uri);
        });
        for (const uri of stale) this.diagnostics.delete(uri);
        for (const doc of vscode.workspace.textDocuments) {
            if (this.autoLint(doc)) this.schedule(doc, 0);
            else this.forget(doc, false);
        }
    }

    // --- which files are prompts -----------------------------------------------------------------

    private folderOf(doc: vscode.TextDocument): string | undefined {
        if (doc.uri.scheme === "file") return dirname(doc.uri.fsPath);
        const folder = vscode.workspace.getWorkspaceFolder(doc.uri) ?? vscode.workspace.workspaceFolders?.[0];
        return folder?.uri.scheme === "file" ? folder.uri.fsPath : undefined;
    }

    /** The globs a path must match, and the folder they are relative to. */
    private includeGlobs(uri: vscode.Uri, config: LintConfig): { globs: readonly string[]; base: string | undefined } {
        const configSetsFiles = config.root !== undefined && !sameList(config.files, DEFAULT_FILES);
        if (configSetsFiles) return { globs: config.files, base: config.root };
        const folder = vscode.workspace.getWorkspaceFolder(uri);
        const globs = vscode.workspace.getConfiguration("promptsmith.lint", uri).get<string[]>("files") ?? [...DEFAULT_FILES];
        return { globs, base: folder?.uri.scheme === "file" ? folder.uri.fsPath : config.root };
    }

    isPromptFile(uri: vscode.Uri, languageId: string | undefined, config: LintConfig): boolean {
        if (uri.scheme !== "file") return isPromptLanguage(languageId);
        const path = uri.fsPath;
        const { globs, base } = this.includeGlobs(uri, config);
        if (/[\\/](node_modules|\.git)[\\/]/.test(path)) return false; // always skipped, as in the CLI
        if (this.matches(config.ignore, config.root ?? base ?? dirname(path), path, true)) return false;
        if (isPromptLanguage(languageId)) return true;
        return this.matches(globs, base ?? dirname(path), path);
    }

    /** Without loading the config (for the token count before the first lint): language or setting globs. */
    private looksLikePrompt(doc: vscode.TextDocument): boolean {
        if (isPromptLanguage(doc.languageId)) return true;
        if (doc.uri.scheme !== "file") return false;
        const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
        const globs = vscode.workspace.getConfiguration("promptsmith.lint", doc.uri).get<string[]>("files") ?? [...DEFAULT_FILES];
        return this.matches(globs, folder?.uri.fsPath ?? dirname(doc.uri.fsPath), doc.uri.fsPath);
    }

    private matches(globs: readonly string[], base: string, path: string, orParentFolders = false): boolean {
        if (globs.length === 0) return false;
        const rel = relative(base, path);
        if (!rel || rel.startsWith("..") || isAbsolute(rel)) return false;
        const key = JSON.stringify(globs);
        let matcher = this.matchers.get(key);
        if (!matcher) {
            matcher = picomatch([...globs], { dot: true });
            this.matchers.set(key, matcher);
        }
        const parts = rel.split(sep);
        if (matcher(parts.join("/"))) return true;
        // An ignore glob naming a folder ("drafts", "**/fixtures") covers what is inside it, as in the CLI.
        if (orParentFolders) for (let i = parts.length - 1; i > 0; i--) if (matcher(parts.slice(0, i).join("/"))) return true;
        return false;
    }

    private setting<T>(doc: vscode.TextDocument, name: "enable" | "debounceMs", fallback: T): T {
        return vscode.workspace.getConfiguration("promptsmith.lint", doc.uri).get<T>(name) ?? fallback;
    }

    // --- Restricted Mode -------------------------------------------------------------------------

    private showRestricted(messages: readonly string[]): void {
        const fresh = messages.filter((m) => !this.restrictedShown.has(m));
        if (fresh.length === 0) return;
        for (const m of fresh) {
            this.restrictedShown.add(m);
            this.services.logger.info(m);
        }
        void vscode.window.showInformationMessage(fresh.join(" "), "Manage Workspace Trust").then((choice) => {
            if (choice) void vscode.commands.executeCommand("workbench.trust.manage");
        });
    }

    // --- commands --------------------------------------------------------------------------------

    private async lintFileCommand(): Promise<void> {
        const doc = vscode.window.activeTextEditor?.document;
        if (!doc) {
            void vscode.window.showInformationMessage("Promptsmith: open a file to lint it.");
            return;
        }
        await this.guard("lint the file", async () => {
            this.forced.add(doc.uri.toString());
            const diagnostics = await this.lintDocument(doc, true);
            vscode.window.setStatusBarMessage(`Promptsmith: ${describeCounts(diagnostics)} in ${basename(doc.uri.path)}`, 5000);
        });
    }

    private async fixAllCommand(uri?: vscode.Uri): Promise<void> {
        const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
        if (!doc) {
            void vscode.window.showInformationMessage("Promptsmith: open a file to fix it.");
            return;
        }
        await this.guard("fix the file", async () => {
            const key = doc.uri.toString();
            const result = this.results.get(key);
            if (!result || result.version !== doc.version) await this.lintDocument(doc, true);
            const findings = this.currentFindings(doc) ?? [];
            const { edit, applied, skipped } = fixAllEdit(doc, findings);
            if (applied === 0) {
                void vscode.window.showInformationMessage(findings.length ? (findings.length === 1 ? "Promptsmith: the problem has no automatic fix." : `Promptsmith: none of the ${plural(findings.length, "problem")} has an automatic fix.`) : "Promptsmith: no problems to fix.");
                return;
            }
            if (!(await vscode.workspace.applyEdit(edit))) {
                void vscode.window.showWarningMessage("Promptsmith: the fixes could not be applied (the file changed or is read-only).");
                return;
            }
            void vscode.window.showInformationMessage(`Promptsmith fixed ${plural(applied, "problem")}${skipped ? `; ${skipped} left (no automatic fix, or a rerun is needed)` : ""}.`);
        });
    }

    private async lintWorkspaceCommand(): Promise<void> {
        const folders = vscode.workspace.workspaceFolders?.filter((f) => f.uri.scheme === "file") ?? [];
        if (folders.length === 0) {
            void vscode.window.showInformationMessage("Promptsmith: open a folder to lint its prompt files.");
            return;
        }
        await this.guard("lint the workspace", () =>
            vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "Promptsmith: linting prompt files", cancellable: true }, async (progress, token) => {
                const uris = await this.findPromptFiles(folders, token);
                const open = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
                let linted = 0;
                let problems = 0;
                let withProblems = 0;
                let tooLarge = 0;
                for (const [i, uri] of uris.entries()) {
                    if (token.isCancellationRequested) break;
                    progress.report({ increment: 100 / uris.length, message: `${i + 1}/${uris.length} ${basename(uri.path)}` });
                    const n = await this.lintWorkspaceFile(uri, open.get(uri.toString()));
                    if (n === undefined) continue;
                    if (n < 0) {
                        tooLarge++;
                        continue;
                    }
                    linted++;
                    problems += n;
                    if (n > 0) withProblems++;
                }
                const large = tooLarge ? `; ${plural(tooLarge, "file")} over ${MAX_LINT_BYTES / 1024 / 1024} MB skipped` : "";
                const summary = token.isCancellationRequested
                    ? `Promptsmith: linting cancelled after ${linted} of ${plural(uris.length, "prompt file")}: ${plural(problems, "problem")} so far${large}.`
                    : uris.length === 0
                        ? "Promptsmith: no prompt files found (see promptsmith.lint.files or the \"files\" of .promptsmithrc.json)."
                        : `Promptsmith linted ${plural(linted, "prompt file")}: ${plural(problems, "problem")} in ${plural(withProblems, "file")}${large}.`;
                this.services.logger.info(summary);
                void vscode.window.showInformationMessage(summary);
            }),
        );
    }

    /** The files of the workspace that match the prompt globs (node_modules excluded), sorted. */
    private async findPromptFiles(folders: readonly vscode.WorkspaceFolder[], token: vscode.CancellationToken): Promise<vscode.Uri[]> {
        const found = new Map<string, vscode.Uri>();
        for (const folder of folders) {
            const { config } = await this.configs.setupFor(folder.uri.fsPath);
            const { globs, base } = this.includeGlobs(folder.uri, config);
            // Never search above the workspace folder (a config in the home folder would make that the whole
            // home folder); the globs are then applied from the folder and every hit is checked exactly.
            const inside = base !== undefined && !relative(folder.uri.fsPath, base).startsWith("..") && !isAbsolute(relative(folder.uri.fsPath, base));
            const root = vscode.Uri.file(inside ? base : folder.uri.fsPath);
            for (const glob of globs) {
                if (token.isCancellationRequested) return [];
                // No exclude argument: the user's files.exclude applies; node_modules is dropped by isPromptFile.
                for (const uri of await vscode.workspace.findFiles(new vscode.RelativePattern(root, glob), undefined, undefined, token)) {
                    if (this.isPromptFile(uri, undefined, config)) found.set(uri.toString(), uri);
                }
            }
        }
        return [...found.values()].sort((a, b) => a.fsPath.localeCompare(b.fsPath));
    }

    /** Lints one file of the workspace: its problem count, -1 when too large, undefined when not a prompt file (e.g. ignored). */
    private async lintWorkspaceFile(uri: vscode.Uri, doc: vscode.TextDocument | undefined): Promise<number | undefined> {
        const setup: LintSetup = await this.configs.setupFor(dirname(uri.fsPath));
        const languageId = doc?.languageId ?? (/\.(prompt|prompty)$/i.test(uri.path) ? "promptsmith" : undefined);
        if (!this.isPromptFile(uri, languageId, setup.config)) return undefined;
        if (doc && !doc.isClosed) return (await this.lintDocument(doc, true)).length;
        const stat = await vscode.workspace.fs.stat(uri);
        if (stat.size > MAX_LINT_BYTES) return -1;
        const text = new TextDecoder("utf-8").decode(await vscode.workspace.fs.readFile(uri));
        const linter = await setup.linter();
        if (this.disposed) return undefined;
        let findings: Finding[];
        try {
            findings = linter.lint(text).findings;
        } catch (e) {
            this.services.logger.error(`Linting ${uri.fsPath} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
            return undefined;
        }
        const starts = lineStarts(text);
        const positionAt = (offset: number) => {
            const line = lineOf(starts, offset);
            return new vscode.Position(line, offset - starts[line]!);
        };
        this.diagnostics.set(uri, findings.map((f) => toDiagnostic(f, positionAt)));
        fireLinted(uri);
        return findings.length;
    }

    /** Runs a command's work; failures are logged and shown with a way to the log. */
    private async guard<T>(what: string, work: () => Thenable<T>): Promise<T | undefined> {
        try {
            return await work();
        } catch (e) {
            this.services.logger.error(`Could not ${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
            if (what !== "lint") {
                void vscode.window.showErrorMessage(`Promptsmith could not ${what}. See its log for details.`, "Open Log").then((choice) => {
                    if (choice) this.services.channel.show();
                });
            }
            return undefined;
        }
    }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
    return a.length === b.length && a.every((x, i) => x === b[i]);
}

function plural(n: number, word: string): string {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function describeCounts(diagnostics: readonly vscode.Diagnostic[]): string {
    if (diagnostics.length === 0) return "no problems";
    const count = (s: vscode.DiagnosticSeverity) => diagnostics.filter((d) => d.severity === s).length;
    const parts = [
        [count(vscode.DiagnosticSeverity.Error), "error"],
        [count(vscode.DiagnosticSeverity.Warning), "warning"],
        [count(vscode.DiagnosticSeverity.Information), "info"],
    ] as const;
    return `${plural(diagnostics.length, "problem")} (${parts.filter(([n]) => n > 0).map(([n, w]) => (w === "info" ? `${n} info` : plural(n, w))).join(", ")})`;
}

// --- the module's API ------------------------------------------------------------------------------

let service: LintingService | undefined;
let linted: vscode.EventEmitter<vscode.Uri> | undefined;

function fireLinted(uri: vscode.Uri): void {
    linted?.fire(uri);
}

/** Registers live linting, the quick fixes and the lint commands; everything is disposed with the extension. */
export function registerLinting(services: Services): void {
    const s = new LintingService(services);
    service = s;
    services.context.subscriptions.push(s, {
        dispose: () => {
            if (service === s) service = undefined;
            linted?.dispose();
            linted = undefined;
        },
    });
    s.register();
}

/**
 * Lints a document now (cancelling a pending debounced lint) and returns its Promptsmith diagnostics:
 * [] when it is not a prompt file, unless `force` (as "Lint Current File" does). For tests and other features.
 */
export async function lintDocumentNow(doc: vscode.TextDocument, options: { force?: boolean } = {}): Promise<vscode.Diagnostic[]> {
    if (!service) throw new Error("Promptsmith linting is not registered.");
    return service.lintDocument(doc, options.force ?? false);
}

/** The "promptsmith" diagnostic collection (undefined before registerLinting). */
export function lintDiagnostics(): vscode.DiagnosticCollection | undefined {
    return service?.diagnostics;
}

/** Fires with a document's (or workspace file's) URI each time its Promptsmith diagnostics were published. */
export const onDidLintDocument: vscode.Event<vscode.Uri> = (listener, thisArgs, disposables) => (linted ??= new vscode.EventEmitter<vscode.Uri>()).event(listener, thisArgs, disposables);

/** Token count (cl100k_base, exact) of a prompt file; undefined when `doc` is not a prompt file or linting is not registered. Cached per version. */
export function promptTokenCount(doc: vscode.TextDocument): number | undefined {
    return service?.tokenCount(doc);
}

/** Our language (.prompt, .prompty) and VS Code's built-in one for .prompt.md files. */
function isPromptLanguage(languageId: string | undefined): boolean {
    return languageId === "promptsmith" || languageId === "prompt";
}
