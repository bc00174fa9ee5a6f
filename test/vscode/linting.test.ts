// Live linting: diagnostics on prompt files, quick fixes, and the lint commands.
import * as vscode from "vscode";
import type { PromptsmithApi } from "../../src/extension.ts";
import { test, log, activated, assert, codeOf, copyFixture, open, promptsmithDiagnostics, sleep, waitFor } from "./harness.ts";

const ID = "11010519491231002X";
const EXPECTED = ["pii-cn-resident-id", "secret-openai-key", "injection-override"];

function summary(uri: vscode.Uri): string {
    const all = vscode.languages.getDiagnostics(uri);
    return all.length === 0 ? "no diagnostics at all" : all.map((d) => `[${d.source ?? "no source"}] ${codeOf(d)} @${d.range.start.line + 1}:${d.range.start.character + 1}`).join("; ");
}

/** Waits until the file's Promptsmith diagnostics include every code in `codes`. */
async function diagnosticsWith(uri: vscode.Uri, codes: string[], timeoutMs = 10_000): Promise<vscode.Diagnostic[]> {
    try {
        return await waitFor(`diagnostics ${codes.join(", ")} on ${uri.fsPath}`, () => {
            const ds = promptsmithDiagnostics(uri);
            const have = new Set(ds.map(codeOf));
            return codes.every((c) => have.has(c)) ? ds : undefined;
        }, timeoutMs);
    } catch (e) {
        throw new Error(`${(e as Error).message}; found: ${summary(uri)}`);
    }
}

test("opening a prompt file with personal data, a key and an injection shows diagnostics", async () => {
    await activated();
    const uri = copyFixture("leaky.prompt.md");
    const t0 = performance.now();
    const editor = await open(uri);
    const ds = await diagnosticsWith(uri, EXPECTED);
    log(`  first diagnostics after ${Math.round(performance.now() - t0)} ms: ${ds.map(codeOf).join(", ")}`);
    const id = ds.find((d) => codeOf(d) === "pii-cn-resident-id")!;
    assert(editor.document.getText(id.range) === ID, `the ID diagnostic covers "${editor.document.getText(id.range)}", expected "${ID}"`);
    assert(id.severity === vscode.DiagnosticSeverity.Error, `the ID diagnostic has severity ${id.severity}, expected Error`);
    const key = ds.find((d) => codeOf(d) === "secret-openai-key")!;
    assert(!key.message.includes(editor.document.getText(key.range)), "the secret diagnostic's message repeats the whole key");
});

test("a prompt file without problems gets no diagnostics", async () => {
    await activated();
    const leaky = copyFixture("leaky.prompt.md");
    const clean = copyFixture("clean.prompt.md");
    await open(clean);
    await open(leaky);
    // Once the later file is linted, the earlier one has had its turn too.
    await diagnosticsWith(leaky, EXPECTED);
    await sleep(500);
    const ds = promptsmithDiagnostics(clean);
    assert(ds.length === 0, `clean.prompt.md has diagnostics: ${summary(clean)}`);
});

test("typing a secret into a prompt file flags it, deleting it clears it", async () => {
    await activated();
    const uri = copyFixture("clean.prompt.md");
    const editor = await open(uri);
    const key = "sk-proj-Qx7vT2mN9bR4kL8wZ3yH6jP1sD5fG0aC2eV4uI7oK9nM3";
    const end = editor.document.lineAt(editor.document.lineCount - 1).range.end;
    assert(await editor.edit((b) => b.insert(end, `\nAPI key: ${key}\n`)), "the edit was not applied");
    await diagnosticsWith(uri, ["secret-openai-key"]);
    const start = editor.document.getText().indexOf(key);
    assert(await editor.edit((b) => b.delete(new vscode.Range(editor.document.positionAt(start), editor.document.positionAt(start + key.length)))), "the delete was not applied");
    await waitFor("the secret diagnostic to go away", () => (promptsmithDiagnostics(uri).some((d) => codeOf(d) === "secret-openai-key") ? undefined : true));
});

test("the quick fix for a resident ID replaces it and the diagnostic goes away", async () => {
    await activated();
    const uri = copyFixture("leaky.prompt.md");
    const editor = await open(uri);
    const ds = await diagnosticsWith(uri, ["pii-cn-resident-id"]);
    const id = ds.find((d) => codeOf(d) === "pii-cn-resident-id")!;
    const actions = await vscode.commands.executeCommand<Array<vscode.CodeAction | vscode.Command>>("vscode.executeCodeActionProvider", uri, id.range);
    const fixes = (actions ?? []).filter((a): a is vscode.CodeAction => "edit" in a && a.edit !== undefined);
    const titles = (actions ?? []).map((a) => a.title);
    const fix = fixes.find((a) => /placeholder|身份证号/i.test(a.title)) ?? fixes.find((a) => /mask/i.test(a.title));
    assert(fix?.edit, `no placeholder or mask quick fix among the code actions: ${titles.length ? titles.join(" | ") : "none"}`);
    assert(fix.kind === undefined || vscode.CodeActionKind.QuickFix.contains(fix.kind), `"${fix.title}" has kind ${fix.kind?.value}, expected quickfix`);
    assert(await vscode.workspace.applyEdit(fix.edit), `applying "${fix.title}" failed`);
    assert(!editor.document.getText().includes(ID), `the text still contains the ID after "${fix.title}"`);
    await waitFor("the ID diagnostic to go away", () => (promptsmithDiagnostics(uri).some((d) => codeOf(d) === "pii-cn-resident-id") ? undefined : true));
    log(`  applied "${fix.title}"`);
});

test("Fix All Lint Problems in File fixes the ID and the key", async () => {
    await activated();
    const uri = copyFixture("leaky.prompt.md");
    const editor = await open(uri);
    await diagnosticsWith(uri, EXPECTED);
    await vscode.commands.executeCommand("promptsmith.fixAllInFile");
    await waitFor("the ID and the key to leave the text", () => {
        const text = editor.document.getText();
        return text.includes(ID) || text.includes("sk-proj-") ? undefined : true;
    });
    await waitFor("their diagnostics to go away", () =>
        promptsmithDiagnostics(uri).some((d) => ["pii-cn-resident-id", "secret-openai-key"].includes(codeOf(d))) ? undefined : true);
});

test("Lint Workspace reports problems in files that are not open", async () => {
    await activated();
    const uri = copyFixture("leaky.prompt.md");
    await vscode.commands.executeCommand("promptsmith.lintWorkspace");
    await diagnosticsWith(uri, EXPECTED, 20_000);
}, 40_000);

test("the extension's API: lintDocumentNow and promptTokenCount", async () => {
    const api = (await activated()).exports as PromptsmithApi | undefined;
    assert(api && typeof api.lintDocumentNow === "function", `activate() returned ${JSON.stringify(Object.keys(api ?? {}))}, expected the PromptsmithApi`);
    const doc = await vscode.workspace.openTextDocument(copyFixture("leaky.prompt.md"));
    const ds = await api.lintDocumentNow(doc);
    const codes = new Set(ds.map(codeOf));
    assert(EXPECTED.every((c) => codes.has(c)), `lintDocumentNow found ${[...codes].join(", ") || "nothing"}, expected ${EXPECTED.join(", ")}`);
    const tokens = await waitFor("a token count", () => api.promptTokenCount(doc));
    assert(tokens > 20 && tokens < 500, `promptTokenCount is ${tokens} for a ${doc.getText().length}-character prompt`);
    log(`  ${ds.length} findings, ${tokens} tokens`);
});

test("Lint Current File lints the active editor", async () => {
    await activated();
    const uri = copyFixture("leaky.prompt.md");
    await open(uri);
    await vscode.commands.executeCommand("promptsmith.lintFile");
    await diagnosticsWith(uri, EXPECTED);
});

test("Show Log runs", async () => {
    await activated();
    await vscode.commands.executeCommand("promptsmith.showLog");
});
