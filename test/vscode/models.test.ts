// The model commands with the real test model (stories260K.gguf): select it, load it in the runner
// process, show its info card, and refuse a file that is not a GGUF model.
import * as vscode from "vscode";
import { basename } from "node:path";
import type { PromptsmithApi } from "../../src/extension.ts";
import { test, log, activated, assert, copyFixture, driverInfo, waitFor } from "./harness.ts";

interface State {
    kind: string;
    path?: string;
    message?: string;
}

test("the extension's API: selectModelPath makes the model ready", async () => {
    const ext = await activated();
    const api = ext.exports as PromptsmithApi | undefined;
    assert(api && typeof api.selectModelPath === "function", `activate() returned ${JSON.stringify(Object.keys(api ?? {}))}, expected the PromptsmithApi`);
    const { model } = driverInfo();
    const t0 = performance.now();
    await api.selectModelPath(model);
    const state = api.getModelState();
    assert(state.kind === "ready" && state.path === model, `model state after selectModelPath: ${JSON.stringify({ ...state, info: undefined })}`);
    log(`  model loaded in ${Math.round(performance.now() - t0)} ms (${state.info.architecture ?? "?"}, ${state.info.contextLength ?? "?"} context)`);
}, 60_000);

test("Select Model with a path loads the model and makes it ready", async () => {
    await activated();
    const { model } = driverInfo();
    assert(process.env.PROMPTSMITH_TEST_MODEL === model, `the extension host's PROMPTSMITH_TEST_MODEL is ${process.env.PROMPTSMITH_TEST_MODEL}, the driver passed ${model}`);
    const t0 = performance.now();
    const state = await vscode.commands.executeCommand<State | undefined>("promptsmith.selectModel", model);
    assert(state, "promptsmith.selectModel returned no model state");
    assert(state.kind === "ready", `model state after selecting ${model}: ${JSON.stringify(state)}`);
    assert(state.path === model, `the ready model is ${state.path}, expected ${model}`);
    log(`  promptsmith.selectModel returned "ready" after ${Math.round(performance.now() - t0)} ms`);
    const saved = vscode.workspace.getConfiguration("promptsmith").inspect<string>("modelPath")?.globalValue;
    assert(saved === model, `promptsmith.modelPath (user) is ${JSON.stringify(saved)} after selecting, expected ${model}`);
}, 60_000);

test("Select Model with a file that is not a GGUF model keeps the loaded one", async () => {
    await activated();
    const { model } = driverInfo();
    const notAModel = copyFixture("clean.prompt.md").fsPath;
    const state = await vscode.commands.executeCommand<State | undefined>("promptsmith.selectModel", notAModel);
    assert(state?.kind === "ready" && state.path === model, `state after selecting a Markdown file: ${JSON.stringify(state)}, expected the test model still ready`);
    const saved = vscode.workspace.getConfiguration("promptsmith").inspect<string>("modelPath")?.globalValue;
    assert(saved === model, `promptsmith.modelPath changed to ${JSON.stringify(saved)}`);
});

test("Show Model Info opens a card with the model's metadata", async () => {
    await activated();
    const { model } = driverInfo();
    const name = basename(model).replace(/\.gguf$/, "");
    await vscode.commands.executeCommand("promptsmith.showModelInfo", model);
    // The card is a virtual (read-only) Markdown document, shown in the Markdown preview.
    const card = await waitFor("the model info card among the open documents", () =>
        vscode.workspace.textDocuments.find((d) => d.uri.scheme !== "file" && d.uri.path.includes(name) && d.getText().length > 0)).catch((e: Error) => {
        const docs = vscode.workspace.textDocuments.map((d) => `${d.uri.toString()} (${d.getText().slice(0, 30).replace(/\n/g, " ")})`);
        const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => `${t.label} [${(t.input as { viewType?: string })?.viewType ?? (t.input as { uri?: vscode.Uri })?.uri?.toString()}]`);
        throw new Error(`${e.message}\n  documents: ${docs.join("; ")}\n  tabs: ${tabs.join("; ")}`);
    });
    const text = card.getText();
    assert(/llama/i.test(text), `the model info card does not name the architecture (llama):\n${text.slice(0, 400)}`);
    assert(/loaded/i.test(text), `the card does not say that the selected model is loaded:\n${text.slice(0, 600)}`);
    log(`  card ${card.uri.scheme}:${card.uri.path}, ${text.split("\n").length} lines`);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.label.includes(name));
    assert(tabs.length > 0, `no editor tab shows ${name} after Show Model Info`);
    await vscode.window.tabGroups.close(tabs);
});
