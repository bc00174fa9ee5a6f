// Editor support for prompt files (*.prompt.md): format diagnostics (front matter, sampling keys,
// variables) in a collection of their own, "Run" and "Open in Playground" CodeLenses, hovers on
// {{variables}} and completion of declared variable names inside {{ }}.
//
// The file format and its checks are src/core/prompts/promptFile.ts (shared with the CLI); this adapter
// parses each open prompt file after edits (debounced like live linting), keeps the latest parse per
// document for the hover and completion providers, and publishes the parse's diagnostics.
import { basename } from "node:path";
import * as vscode from "vscode";
import { userPresets } from "../core/presets.ts";
import { parsePromptFile, type PromptFile } from "../core/prompts/promptFile.ts";
import { scanTemplate } from "../core/prompts/render.ts";
import type { Services } from "./services.ts";

/** The diagnostics collection (and the diagnostics' source): apart from the linter's "promptsmith". */
export const PROMPT_FILE_SOURCE = "promptsmith-prompt-file";
export const RUN_COMMAND = "promptsmith.promptFile.run";
export const OPEN_IN_PLAYGROUND_COMMAND = "promptsmith.promptFile.openInPlayground";

/** Documents longer than this (UTF-16 units) are parsed on open and save, not on every keystroke. */
export const LIVE_PARSE_MAX_CHARS = 1_000_000;
/** Documents longer than this are not parsed at all (no diagnostics, hovers or completions). */
export const MAX_PARSE_CHARS = 10_000_000;
const DEFAULT_DEBOUNCE_MS = 250;

export const PROMPT_FILE_SELECTOR: vscode.DocumentSelector = [{ pattern: "**/*.prompt.md" }];

/** What may be typed of a variable name (src/core/prompts/render.ts: a letter or _, then letters, digits, _ or -). */
const PARTIAL_NAME = /^(?:[A-Za-z_][A-Za-z0-9_-]*)?$/;

type ParseResult = ReturnType<typeof parsePromptFile>;
/** A variable as the hover sees it: `declared` false for a placeholder the front matter does not declare. */
type Variable = PromptFile["variables"][number] & { declared?: boolean };

const SEVERITY: Record<ParseResult["diagnostics"][number]["severity"], vscode.DiagnosticSeverity> = {
    error: vscode.DiagnosticSeverity.Error,
    warning: vscode.DiagnosticSeverity.Warning,
    info: vscode.DiagnosticSeverity.Information,
};

export function isPromptFileUri(uri: vscode.Uri): boolean {
    return uri.path.toLowerCase().endsWith(".prompt.md");
}

function docLength(doc: vscode.TextDocument): number {
    return doc.offsetAt(doc.lineAt(doc.lineCount - 1).range.end);
}

interface Parsed {
    version: number;
    result: ParseResult;
    /** The latest parse that produced a prompt: while the front matter is broken mid-edit, hovers and completions use its variables. */
    lastGood?: PromptFile;
}

class PromptFileService implements vscode.Disposable {
    readonly diagnostics = vscode.languages.createDiagnosticCollection(PROMPT_FILE_SOURCE);
    private readonly parsed = new Map<string, Parsed>();
    private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
    /** Documents already reported (once) as too large for live parsing / for parsing at all. */
    private readonly reported = new Set<string>();
    private readonly disposables: vscode.Disposable[] = [this.diagnostics];
    private readonly changed = new vscode.EventEmitter<vscode.Uri>();
    /** Fires after a document's diagnostics were published (for tests and the CodeLens refresh). */
    readonly onDidParse = this.changed.event;

    constructor(private readonly services: Services) {
        this.disposables.push(this.changed);
    }

    register(): void {
        const ws = vscode.workspace;
        this.disposables.push(
            ws.onDidOpenTextDocument((doc) => this.schedule(doc, 0, true)),
            ws.onDidChangeTextDocument((e) => {
                if (e.contentChanges.length > 0) this.schedule(e.document, this.debounceMs(e.document), false);
            }),
            ws.onDidSaveTextDocument((doc) => this.schedule(doc, 0, true)),
            ws.onDidCloseTextDocument((doc) => this.forget(doc.uri)),
            ws.onDidChangeConfiguration((e) => {
                // A `preset:` naming one of the user's presets is valid or not depending on this setting.
                if (e.affectsConfiguration("promptsmith.playground.presets")) {
                    for (const doc of ws.textDocuments) if (this.parsed.has(doc.uri.toString())) this.schedule(doc, 0, true);
                }
            }),
            vscode.languages.registerCodeLensProvider(PROMPT_FILE_SELECTOR, new PromptFileCodeLenses(this)),
            vscode.languages.registerHoverProvider(PROMPT_FILE_SELECTOR, new VariableHovers(this)),
            vscode.languages.registerCompletionItemProvider(PROMPT_FILE_SELECTOR, new VariableCompletions(this), "{"),
        );
        for (const doc of ws.textDocuments) this.schedule(doc, 0, true);
    }

    dispose(): void {
        for (const t of this.timers.values()) clearTimeout(t);
        this.timers.clear();
        this.parsed.clear();
        for (const d of this.disposables) d.dispose();
    }

    /** The prompt whose variables hovers and completions offer: the current parse's, else the last one that parsed. */
    prompt(doc: vscode.TextDocument): PromptFile | undefined {
        const result = this.current(doc);
        return result?.prompt ?? this.parsed.get(doc.uri.toString())?.lastGood;
    }

    /**
     * The parse of `doc`: the current version's (parsed now if needed), or for a document too long to
     * parse on every keystroke the latest one (possibly of an earlier version); undefined when too large.
     */
    current(doc: vscode.TextDocument): ParseResult | undefined {
        if (!isPromptFileUri(doc.uri)) return undefined;
        const key = doc.uri.toString();
        const cached = this.parsed.get(key);
        if (cached?.version === doc.version) return cached.result;
        const length = docLength(doc);
        if (length > MAX_PARSE_CHARS) return undefined;
        if (cached && length > LIVE_PARSE_MAX_CHARS) return cached.result;
        return this.parse(doc, false);
    }

    /** Parses `doc` now and publishes its diagnostics (also what the timers call). */
    parseNow(doc: vscode.TextDocument): vscode.Diagnostic[] {
        if (!isPromptFileUri(doc.uri) || doc.isClosed) return [];
        this.cancelTimer(doc.uri.toString());
        if (docLength(doc) > MAX_PARSE_CHARS) {
            this.reportOnce(doc, "large", `${basename(doc.uri.path)} is over ${MAX_PARSE_CHARS.toLocaleString("en-US")} characters: its prompt-file format is not checked.`);
            this.diagnostics.delete(doc.uri);
            return [];
        }
        // A hover or CodeLens may have parsed this version already (without publishing).
        const cached = this.parsed.get(doc.uri.toString());
        if (cached?.version === doc.version) this.publish(doc, cached.result);
        else this.parse(doc, true);
        return this.diagnostics.get(doc.uri)?.slice() ?? [];
    }

    private parse(doc: vscode.TextDocument, publish: boolean): ParseResult | undefined {
        const key = doc.uri.toString();
        let result: ParseResult;
        const started = performance.now();
        try {
            result = parsePromptFile(doc.getText(), doc.uri.scheme === "file" ? doc.uri.fsPath : doc.uri.toString(), { userPresets: this.userPresets(doc) });
        } catch (e) {
            this.services.logger.error(`Checking ${basename(doc.uri.path)} failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
            return undefined;
        }
        const ms = performance.now() - started;
        if (ms > 100) this.services.logger.debug(`Parsed ${basename(doc.uri.path)} in ${ms.toFixed(0)} ms`);
        const lastGood = result.prompt ?? this.parsed.get(key)?.lastGood;
        this.parsed.set(key, { version: doc.version, result, ...(lastGood ? { lastGood } : {}) });
        if (publish) this.publish(doc, result);
        return result;
    }

    private publish(doc: vscode.TextDocument, result: ParseResult): void {
        const diagnostics = result.diagnostics.map((d) => {
            const diagnostic = new vscode.Diagnostic(new vscode.Range(doc.positionAt(d.start), doc.positionAt(Math.max(d.start, d.end))), d.message, SEVERITY[d.severity]);
            diagnostic.source = PROMPT_FILE_SOURCE;
            diagnostic.code = d.code;
            return diagnostic;
        });
        this.diagnostics.set(doc.uri, diagnostics);
        this.changed.fire(doc.uri);
    }

    private schedule(doc: vscode.TextDocument, delay: number, openOrSave: boolean): void {
        if (!isPromptFileUri(doc.uri)) return;
        const key = doc.uri.toString();
        if (!openOrSave && docLength(doc) > LIVE_PARSE_MAX_CHARS) {
            this.reportOnce(doc, "live", `${basename(doc.uri.path)} is over ${LIVE_PARSE_MAX_CHARS.toLocaleString("en-US")} characters: its prompt-file format is checked on save, not while typing.`);
            return;
        }
        this.cancelTimer(key);
        this.timers.set(key, setTimeout(() => {
            this.timers.delete(key);
            this.parseNow(doc);
        }, delay));
    }

    private reportOnce(doc: vscode.TextDocument, kind: string, message: string): void {
        const k = `${kind} ${doc.uri.toString()}`;
        if (this.reported.has(k)) return;
        this.reported.add(k);
        this.services.logger.info(message);
    }

    private userPresets(doc: vscode.TextDocument) {
        // Errors in the setting are the playground's to report; here only the valid presets matter.
        return userPresets(vscode.workspace.getConfiguration("promptsmith.playground", doc.uri).get<unknown>("presets", {})).presets;
    }

    private debounceMs(doc: vscode.TextDocument): number {
        const v = vscode.workspace.getConfiguration("promptsmith.lint", doc.uri).get<number>("debounceMs", DEFAULT_DEBOUNCE_MS);
        return typeof v === "number" && v >= 0 ? v : DEFAULT_DEBOUNCE_MS;
    }

    private cancelTimer(key: string): void {
        const t = this.timers.get(key);
        if (t) clearTimeout(t);
        this.timers.delete(key);
    }

    private forget(uri: vscode.Uri): void {
        const key = uri.toString();
        this.cancelTimer(key);
        this.parsed.delete(key);
        this.diagnostics.delete(uri);
        for (const k of [...this.reported]) if (k.endsWith(` ${key}`)) this.reported.delete(k);
    }
}

// ---- CodeLens ----

class PromptFileCodeLenses implements vscode.CodeLensProvider {
    constructor(private readonly files: PromptFileService) {}

    provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
        if (!isPromptFileUri(doc.uri)) return [];
        // Above the first line (the front matter's opening ---, or the prompt itself). A file that does
        // not parse still gets them: running it shows what is wrong.
        const top = new vscode.Range(0, 0, 0, 0);
        const lenses = [
            new vscode.CodeLens(top, { title: "$(play) Run", tooltip: "Run this prompt in the Prompt Playground, with the model its front matter names (model:), else the selected model (Promptsmith)", command: RUN_COMMAND, arguments: [doc.uri] }),
            new vscode.CodeLens(top, { title: "$(beaker) Open in Playground", tooltip: "Open this prompt in the Prompt Playground", command: OPEN_IN_PLAYGROUND_COMMAND, arguments: [doc.uri] }),
        ];
        const variables = this.files.prompt(doc)?.variables ?? [];
        if (variables.length > 0) {
            const names = variables.map((v) => v.name);
            const shown = names.length > 4 ? `${names.slice(0, 4).join(", ")} …` : names.join(", ");
            const required = variables.filter((v) => v.required && v.default === undefined).length;
            lenses.push(new vscode.CodeLens(top, {
                title: `${variables.length} variable${variables.length === 1 ? "" : "s"}: ${shown}`,
                tooltip: required > 0 ? `${required} required without a default: Run asks for ${required === 1 ? "its value" : "their values"}` : "Every variable has a default",
                // Information only (no command): hover a {{variable}} for its default and description.
                command: "",
            }));
        }
        return lenses;
    }
}

// ---- hover and completion on {{variables}} ----

/** The {{ name }} placeholder on `line` around `character` (as the core scans templates, escapes included): its name and the name's columns. */
export function referenceAt(line: string, character: number): { name: string; start: number; end: number } | undefined {
    if (!line.includes("{{")) return undefined;
    for (const p of scanTemplate(line).parts) {
        if (p.kind !== "variable" || character < p.start || character > p.end) continue;
        const nameStart = line.indexOf(p.name, p.start + 2);
        return { name: p.name, start: nameStart, end: nameStart + p.name.length };
    }
    return undefined;
}

function escapeMarkdown(text: string): string {
    return text.replace(/[\\`*_{}[\]()#+\-.!|<>&~]/g, (c) => `\\${c}`);
}

/** True inside the front matter, where {{ }} is YAML text, not a placeholder. */
function inFrontMatter(prompt: PromptFile, offset: number): boolean {
    const fm = prompt.frontMatter;
    return fm !== undefined && offset >= fm.start && offset < fm.end;
}

/** The hover of a placeholder: its variable's kind, description and default, or that it is not declared. */
export function variableHover(v: Variable | undefined, name: string): vscode.MarkdownString {
    const md = new vscode.MarkdownString();
    md.isTrusted = false;
    md.supportHtml = false;
    if (!v || v.declared === false) {
        md.appendMarkdown(`**\\{\\{${escapeMarkdown(name)}\\}\\}** is not declared in this file's front matter: declare it under \`variables\` with a default or a description.`);
        return md;
    }
    const kind = v.default !== undefined ? "optional" : v.required ? "required" : "optional, empty by default";
    md.appendMarkdown(`**\\{\\{${escapeMarkdown(v.name)}\\}\\}** — ${kind} variable`);
    if (v.description) {
        md.appendMarkdown("\n\n");
        md.appendText(v.description);
    }
    if (v.default !== undefined) {
        md.appendMarkdown("\n\nDefault:");
        md.appendCodeblock(v.default, "text");
    }
    return md;
}

class VariableHovers implements vscode.HoverProvider {
    constructor(private readonly files: PromptFileService) {}

    provideHover(doc: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
        const line = doc.lineAt(position.line).text;
        const ref = referenceAt(line, position.character);
        if (!ref || ref.name === "") return undefined;
        const prompt = this.files.prompt(doc);
        if (!prompt || inFrontMatter(prompt, doc.offsetAt(position))) return undefined;
        const v = prompt.variables.find((x) => x.name === ref.name);
        // Undeclared placeholders are listed as required variables too; the parse flags them.
        const text = doc.getText();
        const undeclared = this.files.current(doc)?.diagnostics.some((d) => d.code === "variable-undeclared" && text.slice(d.start, d.end).includes(ref.name));
        return new vscode.Hover(variableHover(v && { ...v, declared: !undeclared }, ref.name), new vscode.Range(position.line, ref.start, position.line, ref.end));
    }
}

class VariableCompletions implements vscode.CompletionItemProvider {
    constructor(private readonly files: PromptFileService) {}

    provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] | undefined {
        const line = doc.lineAt(position.line).text;
        const before = line.slice(0, position.character);
        const open = before.lastIndexOf("{{");
        if (open < 0 || before.indexOf("}}", open) >= 0) return undefined;
        // \{{ is literal text (an odd number of backslashes before the braces).
        const backslashes = /\\*$/.exec(before.slice(0, open))?.[0].length ?? 0;
        if (backslashes % 2 === 1) return undefined;
        const typed = before.slice(open + 2).replace(/^[ \t]+/, "");
        if (!PARTIAL_NAME.test(typed)) return undefined;
        const prompt = this.files.prompt(doc);
        if (!prompt || inFrontMatter(prompt, doc.offsetAt(position))) return undefined;
        const variables = prompt.variables;
        if (variables.length === 0) return undefined;
        const after = line.slice(position.character);
        // The rest of a name already typed after the cursor is replaced too; "}}" is added when missing.
        const restOfName = /^[A-Za-z0-9_-]*/.exec(after)?.[0] ?? "";
        const closed = /^\s*\}\}/.test(after.slice(restOfName.length));
        const replace = new vscode.Range(position.line, position.character - typed.length, position.line, position.character + restOfName.length);
        return variables.map((v, i) => {
            const item = new vscode.CompletionItem(v.name, vscode.CompletionItemKind.Variable);
            item.range = replace;
            item.insertText = closed ? v.name : `${v.name}}}`;
            item.detail = v.default !== undefined ? `default: ${v.default.length > 40 ? `${v.default.slice(0, 40)}…` : v.default}` : v.required ? "required" : "optional";
            if (v.description) item.documentation = v.description;
            item.sortText = String(i).padStart(4, "0");
            return item;
        });
    }
}

let service: PromptFileService | undefined;

export function registerPromptFiles(services: Services): void {
    service = new PromptFileService(services);
    service.register();
    services.context.subscriptions.push(service);
}

/**
 * For tests: parses `uri`'s open document now and returns its prompt-file diagnostics (the ones
 * published in the "promptsmith-prompt-file" collection).
 */
export async function checkPromptFileNow(uri: vscode.Uri): Promise<vscode.Diagnostic[]> {
    if (!service) throw new Error("Promptsmith's prompt-file support is not registered");
    const doc = await vscode.workspace.openTextDocument(uri);
    return service.parseNow(doc);
}
