// The extension loads, activates quickly and registers everything its manifest declares.
import * as vscode from "vscode";
import { test, log, extension, manifest, assert, EXTENSION_ID, copyFixture, open } from "./harness.ts";

test("the extension activates", async () => {
    const ext = extension();
    const wasActive = ext.isActive;
    const t0 = performance.now();
    await ext.activate();
    const ms = performance.now() - t0;
    assert(ext.isActive, `${EXTENSION_ID} is not active after activate()`);
    // The workspace holds *.prompt.md files, so a workspaceContains event may have activated it already.
    log(`  activation: ${wasActive ? "already active at startup (workspaceContains); activate() returned" : "activate()"} in ${ms.toFixed(1)} ms`);
    assert(ms < 5_000, `activation took ${ms.toFixed(0)} ms (budget 5000 ms)`);
});

test("every command in package.json is registered", async () => {
    await extension().activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const declared = manifest().contributes.commands.map((c) => c.command);
    assert(declared.length > 0, "package.json declares no commands");
    const missing = declared.filter((c) => !registered.has(c));
    assert(missing.length === 0, `declared but not registered: ${missing.join(", ")}`);
});

test("every setting in package.json has its declared default", async () => {
    const props = manifest().contributes.configuration.properties;
    for (const [key, schema] of Object.entries(props)) {
        const [section, ...rest] = key.split(".");
        const inspected = vscode.workspace.getConfiguration(section).inspect(rest.join("."));
        assert(inspected, `setting ${key} is not known to VS Code`);
        const want = JSON.stringify((schema as { default?: unknown }).default);
        assert(JSON.stringify(inspected.defaultValue) === want, `${key}: default ${JSON.stringify(inspected.defaultValue)}, package.json says ${want}`);
    }
});

test(".prompt files open in the prompt language", async () => {
    const editor = await open(copyFixture("greeting.prompt"));
    assert(editor.document.languageId === "promptsmith", `languageId is ${editor.document.languageId}, expected promptsmith`);
    await vscode.commands.executeCommand("workbench.action.closeActiveEditor");
});
