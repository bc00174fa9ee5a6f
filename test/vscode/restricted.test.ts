// Restricted Mode (an untrusted workspace). scripts/vscode-test.mjs runs this file alone, in a second
// pass: the server starts without --disable-workspace-trust and opens a copy of fixtures-restricted/,
// whose .promptsmithrc.json has a custom regex rule, a lexicon file and an allowlist pattern, none of
// which may be used until the folder is trusted. The driver sets PROMPTSMITH_VSCODE_TEST_MODE=restricted;
// in any other run this file registers nothing.
//
// Trust cannot be granted from the extension host (workbench.trust.manage only opens the editor), so the
// last test asks the driver to do it the way a user does: the test logs GRANT_TRUST_REQUEST, the driver
// finds the extension's one Restricted Mode notification, clicks its "Manage Workspace Trust" button and
// then "Trust" in the Workspace Trust editor.
import * as vscode from "vscode";
import { writeFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PromptsmithApi } from "../../src/extension.ts";
import { test, log, assert, codeOf, extension, manifest, open, promptsmithDiagnostics, waitFor, workspaceRoot } from "./harness.ts";

/** The line the driver (scripts/vscode-test.mjs) acts on; keep the two in step. */
export const GRANT_TRUST_REQUEST = "driver: grant workspace trust";

const PROMPT = "notice.prompt.md";
const CUSTOM = "custom/no-internal-host";
const TERM = "sensitive-term";
/** Built-in findings; pii-email is on press@acme.io, whose allowlist entry is a pattern (dropped untrusted). */
const BUILT_IN = ["injection-override", "injection-prompt-extraction", "pii-email"];

function summary(uri: vscode.Uri): string {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const ds = promptsmithDiagnostics(uri);
    return ds.length === 0 ? "none" : ds.map((d) => `${codeOf(d)} "${doc?.getText(d.range) ?? "?"}"`).join("; ");
}

function codes(uri: vscode.Uri): Set<string> {
    return new Set(promptsmithDiagnostics(uri).map(codeOf));
}

async function diagnosticsWith(uri: vscode.Uri, want: string[], timeoutMs = 10_000): Promise<void> {
    try {
        await waitFor(`diagnostics ${want.join(", ")}`, () => (want.every((c) => codes(uri).has(c)) ? true : undefined), timeoutMs);
    } catch (e) {
        throw new Error(`${(e as Error).message}; found: ${summary(uri)}`);
    }
}

/** The restricted expectations: the built-in findings, on the right texts, and nothing from the workspace config. */
function assertRestricted(doc: vscode.TextDocument, where: string, builtIn = BUILT_IN): void {
    const ds = promptsmithDiagnostics(doc.uri);
    const have = new Set(ds.map(codeOf));
    for (const c of builtIn) assert(have.has(c), `${where}: no ${c} diagnostic; found: ${summary(doc.uri)}`);
    assert(!have.has(CUSTOM), `${where}: the workspace's custom regex rule ran in Restricted Mode; found: ${summary(doc.uri)}`);
    assert(!have.has(TERM), `${where}: the workspace's lexicon was read in Restricted Mode; found: ${summary(doc.uri)}`);
    const emails = ds.filter((d) => codeOf(d) === "pii-email").map((d) => doc.getText(d.range));
    assert(emails.length === 1 && emails[0] === "press@acme.io", `${where}: expected one pii-email on press@acme.io (its allowlist pattern is dropped, info@acme.io's exact text still applies), found ${JSON.stringify(emails)}`);
}

if (process.env.PROMPTSMITH_VSCODE_TEST_MODE === "restricted") {
    test("the folder opens in Restricted Mode", () => {
        const trust = vscode.workspace.getConfiguration("security.workspace.trust");
        log(`  security.workspace.trust.enabled = ${trust.get("enabled")}, startupPrompt = ${trust.get("startupPrompt")}`);
        assert(vscode.workspace.isTrusted === false, "vscode.workspace.isTrusted is true: the driver did not open the folder untrusted");
    });

    test("the extension activates by itself in Restricted Mode (untrustedWorkspaces: limited)", async () => {
        const caps = (manifest() as unknown as { capabilities?: { untrustedWorkspaces?: { supported?: unknown } } }).capabilities;
        assert(caps?.untrustedWorkspaces?.supported === "limited", `package.json capabilities.untrustedWorkspaces.supported is ${JSON.stringify(caps?.untrustedWorkspaces?.supported)}, expected "limited"`);
        const ext = extension();
        // No activate() call: the workspace's .promptsmithrc.json (workspaceContains) must start it.
        await waitFor("the extension to activate on its own", () => (ext.isActive ? true : undefined), 15_000);
        const commands = await vscode.commands.getCommands(true);
        for (const c of ["promptsmith.lintFile", "promptsmith.lintWorkspace", "promptsmith.fixAllInFile"]) assert(commands.includes(c), `${c} is not registered in Restricted Mode`);
    });

    test("a prompt file gets the built-in findings only: no custom rule, lexicon term or allowlist pattern", async () => {
        const uri = vscode.Uri.file(join(workspaceRoot(), PROMPT));
        const t0 = performance.now();
        const editor = await open(uri);
        await diagnosticsWith(uri, BUILT_IN);
        log(`  diagnostics after ${Math.round(performance.now() - t0)} ms: ${summary(uri)}`);
        assertRestricted(editor.document, "live diagnostics");
        // The API lints from scratch: same answer.
        const api = extension().exports as PromptsmithApi;
        const fresh = await api.lintDocumentNow(editor.document, { force: true });
        const freshCodes = fresh.map(codeOf);
        assert(!freshCodes.includes(CUSTOM) && !freshCodes.includes(TERM), `lintDocumentNow found ${freshCodes.join(", ")}`);
        assert(BUILT_IN.every((c) => freshCodes.includes(c)), `lintDocumentNow found ${freshCodes.join(", ")}, expected ${BUILT_IN.join(", ")}`);
    });

    test("a changed config is reloaded, still restricted", async () => {
        const uri = vscode.Uri.file(join(workspaceRoot(), PROMPT));
        const doc = (await open(uri)).document;
        // A change to .promptsmithrc.json drops the cached config. Turning a built-in rule off shows that the
        // reload happened; it must be untrusted again, and must not show the Restricted Mode message a second
        // time (the driver counts the notifications before granting trust, and the log lines at the end).
        const config = join(workspaceRoot(), ".promptsmithrc.json");
        const json = JSON.parse(readFileSync(config, "utf8")) as Record<string, unknown>;
        writeFileSync(config, JSON.stringify({ ...json, rules: { "injection-prompt-extraction": "off" } }, null, 2) + "\n");
        try {
            await waitFor("injection-prompt-extraction to go away after the config change", () => (codes(uri).has("injection-prompt-extraction") ? undefined : true), 10_000);
        } catch (e) {
            throw new Error(`${(e as Error).message}; found: ${summary(uri)}`);
        }
        assertRestricted(doc, "after the config changed", BUILT_IN.filter((c) => c !== "injection-prompt-extraction"));
    });

    test("a prompt file's model: is ignored in Restricted Mode (the playground's column has no model of its own)", async () => {
        const uri = vscode.Uri.file(join(workspaceRoot(), "model.prompt.md"));
        writeFileSync(uri.fsPath, "---\nmodel: ./evil.gguf\n---\nTell a story.\n");
        const api = extension().exports as PromptsmithApi;
        const column = await api.playground.columnFor(uri);
        assert(column.modelPath === undefined, `the column's model is ${JSON.stringify(column.modelPath)}: a workspace-supplied model path applied untrusted`);
    });

    test("trusting the folder in the Workspace Trust editor relints with the workspace's rules", async () => {
        const uri = vscode.Uri.file(join(workspaceRoot(), PROMPT));
        const doc = (await open(uri)).document;
        assert(!vscode.workspace.isTrusted, "the folder is trusted already: nothing to grant");
        const granted = new Promise<void>((resolve) => vscode.workspace.onDidGrantWorkspaceTrust(() => resolve()));
        // The driver counts the Restricted Mode notifications in the notification center.
        await vscode.commands.executeCommand("notifications.showList");
        log(GRANT_TRUST_REQUEST);
        const t0 = performance.now();
        await Promise.race([granted, waitFor("workspace trust (the driver clicks Manage Workspace Trust, then Trust)", () => (vscode.workspace.isTrusted ? true : undefined), 25_000)]);
        log(`  trusted after ${Math.round(performance.now() - t0)} ms`);
        assert(vscode.workspace.isTrusted, "onDidGrantWorkspaceTrust fired but isTrusted is false");
        try {
            await waitFor(`${CUSTOM} and ${TERM}, and no pii-email`, () => {
                const have = codes(uri);
                return have.has(CUSTOM) && have.has(TERM) && !have.has("pii-email") ? true : undefined;
            }, 10_000);
        } catch (e) {
            throw new Error(`${(e as Error).message}; found: ${summary(uri)}`);
        }
        log(`  relinted after ${Math.round(performance.now() - t0)} ms: ${summary(uri)}`);
        const host = promptsmithDiagnostics(uri).find((d) => codeOf(d) === CUSTOM)!;
        assert(doc.getText(host.range) === "corp.acme.internal", `${CUSTOM} covers "${doc.getText(host.range)}"`);
    }, 40_000);
}
