// The Prompt Playground's host side with the real test model (stories260K.gguf), through the extension's
// playground API (the same code the panel runs): seeds reproduce, random seeds are reported, Compare runs
// every column with metrics, repeat-N reports the spread, a grammar constraint and the output linter,
// runs are recorded in the history, a column saved into the prompt file is an undoable edit, and the
// panel opened by "Run Prompt File" runs the file and can reopen a past run.
import * as vscode from "vscode";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PromptsmithApi } from "../../src/extension.ts";
import type { CellResult } from "../../src/protocol/playground.ts";
import { test, log, activated, assert, driverInfo, open, waitFor, workspaceRoot } from "./harness.ts";

let files = 0;
function promptFile(name: string, text: string): vscode.Uri {
    const path = join(workspaceRoot(), `${name}-${++files}.prompt.md`);
    writeFileSync(path, text);
    return vscode.Uri.file(path);
}

const STORY = [
    "---",
    "name: Playground story",
    "sampling:",
    "  temperature: 0.9",
    "  maxTokens: 48",
    "variables:",
    "  hero: { default: Lily }",
    "---",
    "## System",
    "You tell short stories.",
    "## User",
    "Once upon a time, {{hero}} found a ball.",
    "",
].join("\n");

async function api(): Promise<PromptsmithApi> {
    const ext = await activated();
    const a = ext.exports as PromptsmithApi;
    assert(a?.playground && typeof a.playground.run === "function", "activate() returned no playground API");
    const { model } = driverInfo();
    if (a.getModelState().path !== model || a.getModelState().kind !== "ready") await a.selectModelPath(model);
    return a;
}

function only(results: CellResult[][]): CellResult {
    const r = results[0]?.[0];
    assert(r, `no result: ${JSON.stringify(results)}`);
    assert(r.stopReason !== "error", `the run failed: ${r.error}`);
    return r;
}

function brief(r: CellResult): string {
    return `seed ${r.seed}, ${r.metrics?.outputTokens} tokens, ${r.metrics?.tokensPerSecond.toFixed(0)} tok/s, "${r.text.slice(0, 50).replace(/\n/g, " ")}…"`;
}

test("playground: token counts of the rendered prompt: js-tiktoken and the model's own tokenizer against its context window", async () => {
    const { playground } = await api();
    const uri = promptFile("tokens", STORY);
    const short = await playground.tokenInfo({ system: "You tell short stories.", user: "Once upon a time, {{hero}} found a ball.", values: {} }, { uri });
    const long = await playground.tokenInfo({ system: "You tell short stories.", user: "Once upon a time, {{hero}} found a ball.", values: { hero: "a very curious and rather talkative little green dragon" } }, { uri });
    assert(short.tiktoken > 5 && short.model !== undefined && short.model > 5, `counts: ${JSON.stringify(short)}`);
    assert(short.contextSize === 2048 && short.modelName === "stories260K.gguf", `context window: ${JSON.stringify(short)}`);
    assert(long.tiktoken > short.tiktoken && long.model! > short.model!, `a longer value did not count more: ${JSON.stringify({ short, long })}`);
    log(`  default value: ${short.tiktoken} (tiktoken) / ${short.model} (model) of ${short.contextSize}; long value: ${long.tiktoken} / ${long.model}`);
}, 30_000);

test("playground: a fixed seed gives the same text twice (cache off); another seed gives another text", async () => {
    const { playground } = await api();
    const uri = promptFile("seed", STORY);
    const run = (seed: number) => playground.run({ uri, columns: [{ seedMode: "fixed", seed, sampling: { temperature: 0.9 } }], useCache: false });
    const a = only((await run(1234)).results);
    const b = only((await run(1234)).results);
    const c = only((await run(99)).results);
    assert(a.text.length > 0, "the first run wrote nothing");
    assert(a.seed === 1234 && b.seed === 1234, `seeds reported ${a.seed}, ${b.seed}, expected 1234`);
    assert(a.text === b.text, `seed 1234 gave two texts:\n${a.text}\n---\n${b.text}`);
    assert(!a.metrics?.cacheHit && !b.metrics?.cacheHit, "the cache answered although useCache was false");
    assert(c.text !== a.text, `seeds 1234 and 99 gave the same text at temperature 0.9: ${a.text}`);
    log(`  1234 twice: ${brief(a)}; 99: ${brief(c)}`);
}, 60_000);

test("playground: a random seed is reported, and running with it reproduces the text", async () => {
    const { playground } = await api();
    const uri = promptFile("random", STORY);
    const first = only((await playground.run({ uri, columns: [{ seedMode: "random" }], useCache: false })).results);
    assert(typeof first.seed === "number", `no seed reported for a random-seed run: ${JSON.stringify(first)}`);
    const again = only((await playground.run({ uri, columns: [{ seedMode: "fixed", seed: first.seed }], useCache: false })).results);
    assert(again.text === first.text, `seed ${first.seed} did not reproduce:\n${first.text}\n---\n${again.text}`);
    // With the cache on, the second identical request is a cache hit with the same text.
    only((await playground.run({ uri, columns: [{ seedMode: "fixed", seed: first.seed }], useCache: true })).results);
    const cached = only((await playground.run({ uri, columns: [{ seedMode: "fixed", seed: first.seed }], useCache: true })).results);
    assert(cached.metrics?.cacheHit === true && cached.text === first.text, `the repeated fixed-seed request was not a cache hit with the same text (${JSON.stringify(cached.metrics)})`);
    log(`  random: ${brief(first)}; reproduced; cache hit in ${cached.metrics.totalMs.toFixed(1)} ms`);
}, 60_000);

test("playground: Compare with two columns streams both and reports metrics for each", async () => {
    const { playground } = await api();
    const uri = promptFile("compare", STORY);
    const chunks = [0, 0];
    const outcome = await playground.run({
        uri,
        columns: [
            { sampling: { temperature: 0, maxTokens: 32 } },
            { sampling: { temperature: 1.2, topK: 0, maxTokens: 64 }, seedMode: "fixed", seed: 7 },
        ],
        useCache: false,
        onChunk: (column) => chunks[column]!++,
    });
    assert(outcome.results.length === 2, `${outcome.results.length} columns of results, expected 2`);
    for (const [i, rs] of outcome.results.entries()) {
        const r = rs[0];
        assert(r && r.stopReason !== "error", `column ${i}: ${r?.error ?? "no result"}`);
        assert(r.text.length > 0 && chunks[i]! > 0, `column ${i} streamed ${chunks[i]} chunks and wrote ${r.text.length} characters`);
        const m = r.metrics;
        assert(m && m.outputTokens > 0 && m.promptTokens > 0 && m.totalMs > 0 && m.timeToFirstTokenMs >= 0 && m.tokensPerSecond > 0, `column ${i} metrics: ${JSON.stringify(m)}`);
        assert(r.runId, `column ${i} was not recorded in the history`);
    }
    assert(outcome.results[0]![0]!.seed === undefined || typeof outcome.results[0]![0]!.seed === "number", "column A's seed");
    assert(outcome.results[1]![0]!.seed === 7, `column B reported seed ${outcome.results[1]![0]!.seed}, expected 7`);
    assert(outcome.results[0]![0]!.metrics!.outputTokens <= 32 && outcome.results[1]![0]!.metrics!.outputTokens <= 64, "a column ignored its max tokens");
    log(`  A: ${brief(outcome.results[0]![0]!)} (${chunks[0]} chunks); B: ${brief(outcome.results[1]![0]!)} (${chunks[1]} chunks)`);
}, 60_000);

test("playground: repeat 4 times with random seeds reports the spread", async () => {
    const { playground } = await api();
    const uri = promptFile("repeat", STORY);
    const outcome = await playground.run({ uri, columns: [{ seedMode: "random", sampling: { temperature: 1 } }], repeat: 4, useCache: false });
    const rs = outcome.results[0]!;
    assert(rs.length === 4, `${rs.length} runs, expected 4`);
    const seeds = new Set(rs.map((r) => r.seed));
    assert(seeds.size === 4, `the 4 runs used seeds ${[...seeds].join(", ")}`);
    const s = outcome.spreads[0];
    assert(s && s.runs === 4 && s.outputTokens && s.outputTokens.n === 4 && s.tokensPerSecond && s.distinctOutputs >= 2, `spread: ${JSON.stringify(s)}`);
    log(`  ${s.distinctOutputs} distinct outputs; output tokens ${s.outputTokens.min}–${s.outputTokens.max}; ${s.tokensPerSecond.mean.toFixed(0)} ± ${s.tokensPerSecond.stdev.toFixed(0)} tok/s`);
}, 60_000);

test("playground: a grammar constrains the output and the output linter flags the e-mail address it contains", async () => {
    const { playground } = await api();
    const uri = promptFile("grammar", STORY);
    const outcome = await playground.run({
        uri,
        columns: [{ constraint: { kind: "grammar", text: 'root ::= "Write to lily.tan@northwind-mail.com today."' }, sampling: { temperature: 0.5, maxTokens: 40 } }],
        useCache: false,
    });
    const r = only(outcome.results);
    assert(r.text === "Write to lily.tan@northwind-mail.com today.", `the grammar did not force the text: ${JSON.stringify(r.text)}`);
    const email = r.findings.find((f) => f.ruleId === "pii-email");
    assert(email && r.text.slice(email.start, email.end) === "lily.tan@northwind-mail.com", `no pii-email finding on the address: ${JSON.stringify(r.findings)}`);
    assert(r.flagged, "the output was not flagged");
    const items = await playground.history(vscode.workspace.asRelativePath(uri));
    const item = items.find((h) => h.runId === r.runId);
    assert(item?.flagged, `the history does not show the run as flagged: ${JSON.stringify(item)}`);
    log(`  ${JSON.stringify(r.text)}: ${r.findings.map((f) => `${f.ruleId} [${f.start}, ${f.end})`).join(", ")}`);
}, 60_000);

test("playground: a missing variable or an invalid JSON schema stops the run before the model", async () => {
    const { playground } = await api();
    const uri = promptFile("missing", STORY.replace("Once upon a time, {{hero}} found a ball.", "{{hero}} found a {{thing}}."));
    const before = (await playground.history(vscode.workspace.asRelativePath(uri))).length;
    const missing = await playground.run({ uri }).then(() => undefined, (e: Error & { code?: string }) => e);
    assert(missing && missing.code === "PROMPT_VARIABLE_MISSING" && /\{\{thing\}\}/.test(missing.message), `expected PROMPT_VARIABLE_MISSING naming {{thing}}, got ${missing?.code}: ${missing?.message}`);
    const bad = await playground.run({ uri, draft: { values: { thing: "kite" } }, columns: [{ constraint: { kind: "jsonSchema", text: "{ not json" } }] }).then(() => undefined, (e: Error) => e);
    assert(bad && /JSON schema of column A is not valid JSON/.test(bad.message), `expected an invalid-schema error, got ${bad?.message}`);
    const ok = only((await playground.run({ uri, draft: { values: { thing: "kite" } }, columns: [{ sampling: { maxTokens: 8 } }] })).results);
    const after = await playground.history(vscode.workspace.asRelativePath(uri));
    assert(after.length === before + 1 && after[0]?.runId === ok.runId, `history has ${after.length} runs (was ${before}); newest ${after[0]?.runId}, expected ${ok.runId}`);
    log(`  missing: "${missing.message}"; schema: "${bad.message}"`);
}, 60_000);

test("playground: runs are recorded per prompt file with model, seed, sampling, metrics and output", async () => {
    const a = await api();
    const uri = promptFile("recorded", STORY);
    const r = only((await a.playground.run({ uri, columns: [{ seedMode: "fixed", seed: 5, sampling: { temperature: 0.7, topP: 0.8 } }], draft: { values: { hero: "Tom" } }, useCache: false })).results);
    const source = vscode.workspace.asRelativePath(uri);
    const store = a.monitoringStore();
    const record = await store.getRun(r.runId!);
    assert(record, `run ${r.runId} is not in the store`);
    assert(record.kind === "playground" && record.source === source && record.model === "stories260K.gguf", `record: ${JSON.stringify({ kind: record.kind, source: record.source, model: record.model })}`);
    assert(record.seed === 5 && record.sampling.temperature === 0.7 && record.sampling.topP === 0.8, `sampling recorded: ${JSON.stringify(record.sampling)} seed ${record.seed}`);
    assert(record.request.user.includes("{{hero}}") && record.request.variables?.hero === "Tom", `request recorded: ${JSON.stringify(record.request)}`);
    assert(record.output === r.text && record.metrics?.outputTokens === r.metrics?.outputTokens, "output or metrics differ from the result");
    const items = await a.playground.history(source);
    assert(items[0]?.runId === r.runId && items[0]?.seed === 5, `history list: ${JSON.stringify(items.slice(0, 2))}`);
    log(`  ${source}: ${items.length} run(s); newest ${items[0]!.model} seed ${items[0]!.seed}`);
}, 60_000);

test("playground: Save to prompt file changes the front matter in one undoable edit", async () => {
    const { playground } = await api();
    const uri = promptFile("save", STORY);
    const editor = await open(uri);
    const original = editor.document.getText();
    const column = await playground.columnFor(uri);
    assert(column.sampling.temperature === 0.9 && column.sampling.maxTokens === 48, `the file loads as ${JSON.stringify(column.sampling)}`);
    const changed = await playground.saveColumn(uri, { ...column, sampling: { ...column.sampling, temperature: 0.35, topP: 0.85 }, seedMode: "fixed", seed: 4242, stop: ["THE END"] });
    assert(changed, "saveColumn reported no change");
    const text = editor.document.getText();
    const front = text.slice(0, text.indexOf("\n---", 4));
    assert(/temperature: 0\.35/.test(front) && /topP: 0\.85/.test(front) && /seed: 4242/.test(front) && /THE END/.test(front), `the front matter was not updated:\n${front}`);
    assert(text.endsWith("Once upon a time, {{hero}} found a ball.\n"), "the body changed");
    assert(editor.document.isDirty && readFileSync(uri.fsPath, "utf8") === original, "the edit was written to disk instead of being an unsaved edit");
    const reread = await playground.columnFor(uri);
    assert(reread.sampling.temperature === 0.35 && reread.seedMode === "fixed" && reread.seed === 4242 && reread.stop[0] === "THE END", `reloaded column: ${JSON.stringify(reread)}`);
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand("undo");
    await waitFor("the undo to restore the file", () => (editor.document.getText() === original ? true : undefined), 5_000);
    log(`  front matter after save:\n${front.split("\n").map((l) => `      ${l}`).join("\n")}`);
}, 30_000);

test("playground: Run Prompt File opens the panel, runs the file and records the run; the history reopens it", async () => {
    const a = await api();
    const uri = promptFile("panel", STORY);
    await open(uri);
    const finished = new Promise<Parameters<Parameters<typeof a.playground.onDidFinishRun>[0]>[0]>((resolve) => {
        const d = a.playground.onDidFinishRun((o) => {
            d.dispose();
            resolve(o);
        });
    });
    await vscode.commands.executeCommand("promptsmith.promptFile.run", uri);
    const outcome = await Promise.race([finished, new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the panel's run did not finish within 30 s")), 30_000))]);
    const source = vscode.workspace.asRelativePath(uri);
    assert(outcome.source === source, `the panel ran ${outcome.source}, expected ${source}`);
    const r = only(outcome.results);
    assert(r.text.length > 0 && r.metrics && typeof r.seed === "number", `panel result: ${JSON.stringify(r)}`);
    const info = a.playground.panelInfo();
    assert(info?.source?.path === source, `the panel shows ${info?.source?.path}`);
    // The view saves its state (results included) and sends it to the extension.
    await waitFor("the view's state with the result", () => (a.playground.panelInfo()?.state?.results[0]?.[0]?.runId === r.runId ? true : undefined), 10_000);

    // Reopen another run of the file (made without the panel) from the history: its prompt, seed and output come back.
    const other = only((await a.playground.run({ uri, columns: [{ seedMode: "fixed", seed: 3 }], draft: { values: { hero: "Sam" } } })).results);
    assert(other.runId && other.runId !== r.runId, "the second run has no id of its own");
    await vscode.commands.executeCommand("promptsmith.playground.open", { runId: other.runId });
    const reopened = await waitFor("the reopened run in the view", () => {
        const s = a.playground.panelInfo()?.state;
        return s?.results[0]?.[0]?.runId === other.runId ? s : undefined;
    }, 10_000);
    const col = reopened.columns[0]!;
    assert(reopened.results[0]![0]!.text === other.text && col.seedMode === "fixed" && col.seed === 3, `reopened state: seed ${col.seedMode} ${col.seed}, same text ${reopened.results[0]![0]!.text === other.text}`);
    assert(reopened.draft.values.hero === "Sam" && reopened.draft.user.includes("{{hero}}") && reopened.source?.path === source, `reopened prompt: ${JSON.stringify(reopened.draft)} from ${reopened.source?.path}`);
    log(`  panel run ${brief(r)}; reopened run ${other.runId} with seed ${col.seed} fixed and hero=Sam`);
}, 60_000);

test("playground: a run that finishes while the panel is hidden shows its answer when the panel comes back", async () => {
    const a = await api();
    const uri = promptFile("hidden", STORY.replace("maxTokens: 48", "maxTokens: 1500"));
    const editor = await open(uri);
    const finished = new Promise<Parameters<Parameters<typeof a.playground.onDidFinishRun>[0]>[0]>((resolve) => {
        const d = a.playground.onDidFinishRun((o) => {
            d.dispose();
            resolve(o);
        });
    });
    await vscode.commands.executeCommand("promptsmith.promptFile.run", uri);
    await waitFor("the panel running", () => (a.playground.panelInfo()?.running ? true : undefined), 10_000);
    // Hide the panel: show the prompt file in the panel's group (the page is dropped: no retained context).
    const column = vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => (t.input as { viewType?: string })?.viewType?.endsWith("promptsmith.playground")))?.viewColumn;
    assert(column !== undefined, "no editor group shows the playground");
    await vscode.window.showTextDocument(editor.document, { viewColumn: column, preview: false });
    const hiddenWhileRunning = a.playground.panelInfo()?.visible === false && a.playground.panelInfo()?.running === true;
    const outcome = await finished;
    const r = only(outcome.results);
    await vscode.commands.executeCommand("promptsmith.playground.open");
    const state = await waitFor("the hidden run's answer in the view", () => {
        const s = a.playground.panelInfo()?.state;
        return s?.results[0]?.[0]?.runId === r.runId ? s : undefined;
    }, 10_000);
    assert(state.results[0]![0]!.text === r.text, "the view shows another text than the run's");
    log(`  ${r.metrics?.outputTokens} tokens; hidden while running: ${hiddenWhileRunning}; the answer came back after the panel was shown again`);
}, 60_000);

test("playground: reopening a past run while a run goes on stops it, and the stopped run's late messages do not overwrite the reopened result", async () => {
    const a = await api();
    const uri = promptFile("reopen-during-run", STORY.replace("maxTokens: 48", "maxTokens: 1500"));
    await open(uri);
    const other = only((await a.playground.run({ uri, columns: [{ seedMode: "fixed", seed: 5 }], draft: { values: { hero: "Tom" } } })).results);
    const finished = new Promise<Parameters<Parameters<typeof a.playground.onDidFinishRun>[0]>[0]>((resolve) => {
        const d = a.playground.onDidFinishRun((o) => {
            d.dispose();
            resolve(o);
        });
    });
    await vscode.commands.executeCommand("promptsmith.promptFile.run", uri);
    await waitFor("the panel running", () => (a.playground.panelInfo()?.running ? true : undefined), 10_000);
    await vscode.commands.executeCommand("promptsmith.playground.open", { runId: other.runId });
    const stopped = await finished;
    const wasRunning = stopped.stopped;
    await waitFor("the reopened run in the view", () => (a.playground.panelInfo()?.state?.results[0]?.[0]?.runId === other.runId ? true : undefined), 10_000);
    // Give any late message of the stopped run time to arrive; the view must still show the reopened run.
    await new Promise((r) => setTimeout(r, 1500));
    const s = a.playground.panelInfo()?.state;
    const shown = s?.results[0]?.[0];
    assert(shown?.runId === other.runId && shown?.text === other.text, `after the stopped run's messages the view shows run ${shown?.runId} (${shown?.stopReason}), expected the reopened ${other.runId}`);
    assert(!a.playground.panelInfo()?.running, "the panel still runs after the reopen");
    log(`  the panel run was ${wasRunning ? "stopped by the reopen" : "already done before the reopen (nothing stale to drop this time)"}; the view shows ${other.runId}`);
}, 60_000);

test("playground: Clear Local Data deletes the panel's kept state and the view drops its outputs; shown again, it has none", async () => {
    const a = await api();
    const uri = promptFile("clear", STORY);
    const editor = await open(uri);
    const finished = new Promise<void>((resolve) => {
        const d = a.playground.onDidFinishRun(() => {
            d.dispose();
            resolve();
        });
    });
    await vscode.commands.executeCommand("promptsmith.promptFile.run", uri);
    await finished;
    const stateFile = a.playground.panelInfo()!.stateFile;
    await waitFor("the kept state file with the run's output", () => (existsSync(stateFile) && readFileSync(stateFile, "utf8").includes('"runId"') ? true : undefined), 10_000);
    await vscode.commands.executeCommand("promptsmith.monitoring.clear", { skipConfirmation: true });
    await waitFor("the kept state file to be deleted", () => (existsSync(stateFile) ? undefined : true), 10_000);
    const outputs = (s: { results: CellResult[][] } | undefined): number => (s?.results ?? []).flat().filter(Boolean).length;
    assert(outputs(a.playground.panelInfo()?.state) === 0, "the panel's state still has results after Clear");
    // Rebuild the page (hide the panel, show it again): it comes back from its own saved copy and reports it.
    const column = vscode.window.tabGroups.all.find((g) => g.tabs.some((t) => (t.input as { viewType?: string })?.viewType?.endsWith("promptsmith.playground")))?.viewColumn;
    assert(column !== undefined, "no editor group shows the playground");
    await vscode.window.showTextDocument(editor.document, { viewColumn: column, preview: false });
    await vscode.commands.executeCommand("promptsmith.playground.open");
    const text = await waitFor("the rebuilt page to report its state", () => (existsSync(stateFile) ? readFileSync(stateFile, "utf8") : undefined), 15_000);
    const kept = JSON.parse(text) as { results: CellResult[][]; feedback: Record<string, unknown> };
    assert(outputs(kept) === 0 && Object.keys(kept.feedback).length === 0, `the rebuilt page still has ${outputs(kept)} outputs and ${Object.keys(kept.feedback).length} feedback entries`);
    assert(outputs(a.playground.panelInfo()?.state) === 0, "the view reported results again after Clear");
    log("  after Clear: the state file was deleted, and the rebuilt page reported no outputs");
}, 60_000);

test("playground: Compare with repeats on two different models runs each column's repeats together (one model load per column)", async () => {
    const a = await api();
    const { model } = driverInfo();
    const copy = join(workspaceRoot(), "copy-of-test-model.gguf");
    copyFileSync(model, copy);
    const uri = promptFile("two-models", STORY.replace("maxTokens: 48", "maxTokens: 8"));
    const order: string[] = [];
    const outcome = await a.playground.run({
        uri,
        columns: [{ modelPath: model }, { modelPath: copy }],
        repeat: 2,
        useCache: false,
        onChunk: (c, i) => {
            const key = `${c}/${i}`;
            if (order.at(-1) !== key) order.push(key);
        },
    });
    assert(outcome.results.every((rs) => rs.length === 2 && rs.every((r) => r.stopReason !== "error")), `results: ${JSON.stringify(outcome.results.map((rs) => rs.map((r) => r.stopReason)))}`);
    assert(order.join(" ") === "0/0 0/1 1/0 1/1", `cells streamed in the order ${order.join(" ")}; expected column A's two runs, then column B's`);
    log(`  order ${order.join(" ")}`);
}, 60_000);

test("playground: the view's saved state keeps feedback only for the runs it shows", async () => {
    const a = await api();
    const uri = promptFile("feedback-prune", STORY);
    const x = only((await a.playground.run({ uri, columns: [{ seedMode: "fixed", seed: 11 }] })).results);
    const y = only((await a.playground.run({ uri, columns: [{ seedMode: "fixed", seed: 12 }] })).results);
    await a.monitoringStore().addFeedback({ runId: x.runId!, rating: "up" });
    await vscode.commands.executeCommand("promptsmith.playground.open", { runId: x.runId });
    await waitFor("run X with its feedback in the view's state", () => (a.playground.panelInfo()?.state?.feedback[x.runId!]?.rating === "up" ? true : undefined), 10_000);
    await vscode.commands.executeCommand("promptsmith.playground.open", { runId: y.runId });
    const s = await waitFor("run Y in the view's state", () => {
        const st = a.playground.panelInfo()?.state;
        return st?.results[0]?.[0]?.runId === y.runId ? st : undefined;
    }, 10_000);
    const kept = Object.keys(s.feedback);
    assert(kept.every((id) => id === y.runId), `the state keeps feedback for ${kept.join(", ")}; it shows only ${y.runId}`);
    log(`  feedback kept for ${kept.length ? kept.join(", ") : "no run"} after reopening another run`);
}, 60_000);
