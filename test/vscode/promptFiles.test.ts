// Prompt files (*.prompt.md) in the editor: format diagnostics with positions, the Run / Open in
// Playground CodeLenses, hovers and completion of {{variables}}.
import * as vscode from "vscode";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, log, activated, assert, codeOf, open, waitFor, workspaceRoot } from "./harness.ts";

const SOURCE = "promptsmith-prompt-file";

let files = 0;
/** Writes a prompt file into the workspace (each test its own) and returns its URI. */
function promptFile(name: string, text: string): vscode.Uri {
    const path = join(workspaceRoot(), `${name}-${++files}.prompt.md`);
    writeFileSync(path, text);
    return vscode.Uri.file(path);
}

function ours(uri: vscode.Uri): vscode.Diagnostic[] {
    return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE);
}

function describe(ds: readonly vscode.Diagnostic[]): string {
    return ds.length === 0 ? "none" : ds.map((d) => `${codeOf(d)} @${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} "${d.message}"`).join("; ");
}

async function diagnosticWith(uri: vscode.Uri, code: string): Promise<vscode.Diagnostic> {
    try {
        return await waitFor(`a ${code} diagnostic on ${uri.fsPath}`, () => ours(uri).find((d) => codeOf(d) === code));
    } catch (e) {
        throw new Error(`${(e as Error).message}; found: ${describe(ours(uri))}`);
    }
}

const GREETING = [
    "---", // 1
    "name: Greeting", // 2
    "variables:", // 3
    "  name:", // 4
    "    default: World", // 5
    "    description: Who to greet", // 6
    "  tone: friendly", // 7
    "---", // 8
    "## System", // 9
    "Answer in a {{tone}} way.", // 10
    "## User", // 11
    "Say hello to {{ name }} and {{other}}.", // 12
    "",
].join("\n");

test("a YAML error in the front matter is a diagnostic at its line and column", async () => {
    await activated();
    const text = ["---", "name: Greeting", "variables:", "  name: World", "  bad key here", "---", "Hello {{name}}", ""].join("\n");
    const uri = promptFile("yaml-error", text);
    const editor = await open(uri);
    const d = await diagnosticWith(uri, "front-matter-syntax");
    // Line 5, column 3: "bad key here" is a key without a value.
    assert(d.range.start.line === 4 && d.range.start.character === 2, `the YAML error starts at ${d.range.start.line + 1}:${d.range.start.character + 1}, expected 5:3`);
    assert(editor.document.getText(d.range) === "bad key here", `the YAML error covers "${editor.document.getText(d.range)}", expected "bad key here"`);
    assert(d.severity === vscode.DiagnosticSeverity.Error, `severity ${d.severity}, expected Error`);
    assert(/YAML/.test(d.message), `message "${d.message}" does not say it is YAML`);
    // The linter's own collection ("promptsmith") does not report the format.
    const lint = vscode.languages.getDiagnostics(uri).filter((x) => x.source === "promptsmith" && codeOf(x).startsWith("front-matter"));
    assert(lint.length === 0, `the linter's collection has format diagnostics too: ${describe(lint)}`);
    log(`  ${describe([d])}`);
});

test("a sampling value of the wrong type is an error on its key's line; fixing it clears it", async () => {
    await activated();
    const text = ["---", "name: Greeting", "sampling:", "  temperature: hot", "  maxTokens: 64", "---", "Hello there.", ""].join("\n");
    const uri = promptFile("sampling-type", text);
    const editor = await open(uri);
    const d = await diagnosticWith(uri, "front-matter-invalid");
    assert(d.range.start.line === 3, `the error is on line ${d.range.start.line + 1}, expected 4 (temperature: hot)`);
    assert(editor.document.getText(d.range) === "hot", `the error covers "${editor.document.getText(d.range)}", expected the value "hot"`);
    assert(/temperature/.test(d.message), `the message "${d.message}" does not name temperature`);
    assert(d.severity === vscode.DiagnosticSeverity.Error, `severity ${d.severity}, expected Error`);
    assert(ours(uri).length === 1, `expected only this diagnostic, found: ${describe(ours(uri))}`);

    assert(await editor.edit((b) => b.replace(d.range, "0.7")), "the edit was not applied");
    const t0 = performance.now();
    await waitFor("the sampling error to go away", () => (ours(uri).length === 0 ? true : undefined));
    log(`  cleared ${Math.round(performance.now() - t0)} ms after the edit`);
});

test("Run and Open in Playground CodeLenses sit above the prompt file", async () => {
    await activated();
    const uri = promptFile("codelens", GREETING);
    await open(uri);
    const lenses = await waitFor("CodeLenses", async () => {
        const l = await vscode.commands.executeCommand<vscode.CodeLens[]>("vscode.executeCodeLensProvider", uri);
        return l && l.some((x) => x.command?.command === "promptsmith.promptFile.run") ? l : undefined;
    });
    const run = lenses.find((l) => l.command?.command === "promptsmith.promptFile.run");
    const playground = lenses.find((l) => l.command?.command === "promptsmith.promptFile.openInPlayground");
    assert(run && playground, `lenses: ${lenses.map((l) => `${l.command?.title} → ${l.command?.command}`).join(" | ")}`);
    for (const l of [run, playground]) {
        assert(l.range.start.line === 0, `"${l.command!.title}" is on line ${l.range.start.line + 1}, expected the first`);
        const arg = l.command!.arguments?.[0] as vscode.Uri | undefined;
        assert(arg instanceof vscode.Uri && arg.toString() === uri.toString(), `"${l.command!.title}" passes ${String(arg)}, expected the file's URI`);
    }
    assert(/Run/.test(run.command!.title) && /Playground/.test(playground.command!.title), `titles "${run.command!.title}", "${playground.command!.title}"`);
    const vars = lenses.find((l) => /variables?:/.test(l.command?.title ?? ""));
    assert(vars && /name/.test(vars.command!.title) && /tone/.test(vars.command!.title), `no lens listing the variables name and tone: ${lenses.map((l) => l.command?.title).join(" | ")}`);
    log(`  ${lenses.map((l) => l.command?.title).join(" | ")}`);
});

/** The hovers' Markdown as plain text (MarkdownString.appendText escapes punctuation and writes spaces as &nbsp;). */
function hoverText(hovers: vscode.Hover[] | undefined): string {
    const md = (hovers ?? []).flatMap((h) => h.contents.map((c) => (typeof c === "string" ? c : c.value))).join("\n");
    return md.replace(/&nbsp;/g, " ").replace(/\\([\\`*_{}[\]()#+\-.!|<>&~])/g, "$1");
}

test("hovering a {{variable}} shows its default and description; an undeclared one says so", async () => {
    await activated();
    const uri = promptFile("hover", GREETING);
    const editor = await open(uri);
    const line = editor.document.lineAt(11).text;
    const at = (s: string): vscode.Position => new vscode.Position(11, line.indexOf(s) + 1);
    const name = await waitFor("a hover on {{ name }}", async () => {
        const t = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, at("name }}")));
        return t.includes("Who to greet") ? t : undefined;
    });
    assert(name.includes("World"), `the hover on {{ name }} lacks the default "World": ${name}`);
    const tone = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(9, editor.document.lineAt(9).text.indexOf("tone") + 1)));
    assert(tone.includes("friendly"), `the hover on {{tone}} lacks its default "friendly": ${tone}`);
    const other = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, at("other")));
    assert(/not declared/.test(other), `the hover on {{other}} does not say it is undeclared: ${other}`);
    const plain = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, at("Say")));
    assert(!/variable/.test(plain), `a hover on plain text mentions a variable: ${plain}`);
    log(`  {{ name }}: ${name.replace(/\s+/g, " ").slice(0, 120)}`);
});

test("typing {{ offers the declared variables; the completion closes the braces", async () => {
    await activated();
    const uri = promptFile("completion", GREETING);
    const editor = await open(uri);
    const end = editor.document.lineAt(11).range.end;
    assert(await editor.edit((b) => b.insert(end, " Also {{to")), "the edit was not applied");
    const pos = editor.document.lineAt(11).range.end;
    const list = await vscode.commands.executeCommand<vscode.CompletionList>("vscode.executeCompletionItemProvider", uri, pos, "{");
    const vars = list.items.filter((i) => i.kind === vscode.CompletionItemKind.Variable);
    const labels = vars.map((i) => (typeof i.label === "string" ? i.label : i.label.label));
    for (const n of ["name", "tone", "other"]) assert(labels.includes(n), `completion lacks ${n}: ${labels.join(", ") || "no variables"}`);
    const tone = vars.find((i) => (typeof i.label === "string" ? i.label : i.label.label) === "tone")!;
    const insert = typeof tone.insertText === "string" ? tone.insertText : tone.insertText?.value;
    assert(insert === "tone}}", `"tone" inserts ${JSON.stringify(insert)}, expected "tone}}" (no closing braces after the cursor)`);
    const range = tone.range instanceof vscode.Range ? tone.range : tone.range?.replacing;
    assert(range && editor.document.getText(range) === "to", `"tone" replaces "${range ? editor.document.getText(range) : "nothing"}", expected the typed "to"`);
    assert(tone.detail?.includes("friendly"), `"tone" detail ${JSON.stringify(tone.detail)} lacks its default`);

    // Outside {{ }} there are no variable completions.
    const outside = await vscode.commands.executeCommand<vscode.CompletionList>("vscode.executeCompletionItemProvider", uri, new vscode.Position(11, 3));
    const stray = outside.items.filter((i) => i.kind === vscode.CompletionItemKind.Variable && ["name", "tone"].includes(typeof i.label === "string" ? i.label : i.label.label));
    assert(stray.length === 0, `variable completions outside {{ }}: ${stray.map((i) => i.label).join(", ")}`);
    log(`  {{to → ${labels.join(", ")}`);
});

test("hover and completion keep the last variables while the front matter is broken mid-edit", async () => {
    await activated();
    const uri = promptFile("broken-mid-edit", GREETING);
    const editor = await open(uri);
    await diagnosticWith(uri, "variable-undeclared");
    // Break the YAML: name: [Greeting (an unclosed flow list).
    assert(await editor.edit((b) => b.insert(new vscode.Position(1, "name: ".length), "[")), "the edit was not applied");
    await diagnosticWith(uri, "front-matter-syntax");
    const line = editor.document.lineAt(11).text;
    const t = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", uri, new vscode.Position(11, line.indexOf("name }}") + 1)));
    assert(t.includes("Who to greet"), `no variable hover while the YAML is broken: ${t}`);
    const end = editor.document.lineAt(11).range.end;
    assert(await editor.edit((b) => b.insert(end, " {{")), "the edit was not applied");
    const list = await vscode.commands.executeCommand<vscode.CompletionList>("vscode.executeCompletionItemProvider", uri, editor.document.lineAt(11).range.end, "{");
    const labels = list.items.filter((i) => i.kind === vscode.CompletionItemKind.Variable).map((i) => (typeof i.label === "string" ? i.label : i.label.label));
    assert(labels.includes("name") && labels.includes("tone"), `no variable completions while the YAML is broken: ${labels.join(", ") || "none"}`);
});
