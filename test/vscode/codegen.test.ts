// Code generation in the editor, with the real test model (stories260K.gguf: it writes stories, not
// code, so these tests check the mechanics, never the code): the requirements pane loads under its
// strict CSP, Generate streams, Stop stops at once, the diff preview shows exactly what Accept writes
// and one Undo restores the document, a secret in the requirements blocks the run, Edit Selection
// replaces only the selection, a killed runner is an error and the next Generate works, the target
// changing under the preview re-bases or refuses, follow-ups carry the conversation, and feedback and
// history are stored locally as JSONL and can be exported, reopened and cleared.
import * as vscode from "vscode";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PromptsmithApi } from "../../src/extension.ts";
import type { RunView } from "../../src/protocol/codegen.ts";
import { activated, assert, copyFixture, driverInfo, log, open, sleep, test, waitFor, workspaceRoot } from "./harness.ts";

async function api(): Promise<PromptsmithApi> {
    const ext = await activated();
    const a = ext.exports as PromptsmithApi | undefined;
    assert(a?.codegen, `activate() returned no codegen API: ${JSON.stringify(Object.keys(a ?? {}))}`);
    return a;
}

const sampling = () => vscode.workspace.getConfiguration("promptsmith.sampling");

/** Sets promptsmith.sampling.maxTokens (user settings) for the following runs. */
async function maxTokens(n: number): Promise<void> {
    await sampling().update("maxTokens", n, vscode.ConfigurationTarget.Global);
}

/** A fresh copy of the Python fixture, open in the editor. */
async function target(): Promise<{ editor: vscode.TextEditor; doc: vscode.TextDocument; original: string }> {
    const editor = await open(copyFixture("codegen-target.py"));
    return { editor, doc: editor.document, original: editor.document.getText() };
}

/** Starts a run and resolves when its first streamed text arrived (with the run's promise). */
async function startStreaming(a: PromptsmithApi): Promise<{ done: Promise<RunView>; firstChunk: string; startedAt: number }> {
    const startedAt = performance.now();
    let first: string | undefined;
    const sub = a.codegen.onDidChunk((c) => {
        first ??= c.text;
    });
    const done = a.codegen.generate();
    try {
        const firstChunk = await waitFor("the first streamed text", () => first, 30_000);
        return { done, firstChunk, startedAt };
    } finally {
        sub.dispose();
    }
}

function activeProposalText(a: PromptsmithApi): Promise<string> {
    const p = a.codegen.proposal();
    assert(p, "no proposal is open");
    return Promise.resolve(vscode.workspace.openTextDocument(p.right)).then((d) => d.getText());
}

test("code generation: the pane loads under the strict CSP and its commands are registered", async () => {
    const a = await api();
    const commands = new Set(await vscode.commands.getCommands(true));
    for (const c of ["generate", "generateIntoNewFile", "editSelection", "stop", "accept", "reject", "newConversation"]) {
        assert(commands.has(`promptsmith.codegen.${c}`), `promptsmith.codegen.${c} is not registered`);
    }
    for (const c of ["open", "export", "clear"]) assert(commands.has(`promptsmith.history.${c}`), `promptsmith.history.${c} is not registered`);
    await vscode.commands.executeCommand("promptsmith.requirements.focus");
    await waitFor("the requirements pane's page to say ready", () => (a.codegen.paneReady() ? true : undefined), 20_000);
    // Give the components time to render (a CSP violation is reported when an inline style is refused).
    await sleep(1500);
    assert(a.codegen.cspViolations().length === 0, `the pane reported CSP violations: ${a.codegen.cspViolations().join("; ")}`);
    await a.selectModelPath(driverInfo().model);
    assert(a.getModelState().kind === "ready", `model state ${a.getModelState().kind}`);
    log("  pane ready, no CSP violations, model loaded");
}, 60_000);

test("code generation: the live budget counts the included context against the model's window", async () => {
    const a = await api();
    const { editor } = await target();
    editor.selection = new vscode.Selection(3, 0, 7, 0);
    a.codegen.setInputs({ requirements: "Add a function that counts the items.", language: "", include: { selection: true, currentFile: true, openFiles: false }, preset: "", place: "editor" });
    let budget = await a.codegen.refreshBudget();
    // Once the model is loaded the estimate is scaled by the model's own count: ask again after it calibrated.
    budget = await waitFor("the budget counted with the model's tokenizer", async () => {
        const b = await a.codegen.refreshBudget();
        return b?.counter === "model" ? b : undefined;
    }, 15_000).catch(() => budget);
    assert(budget, "no budget");
    const file = budget.items.find((i) => i.kind === "currentFile");
    const sel = budget.items.find((i) => i.kind === "selection");
    assert(file && file.tokens > 0, `no current-file item in ${JSON.stringify(budget.items)}`);
    assert(sel && sel.included && sel.tokens > 0, `no selection item in ${JSON.stringify(budget.items)}`);
    assert(budget.used <= budget.budget, `used ${budget.used} > budget ${budget.budget}`);
    assert(budget.contextSize === 2048, `context window ${budget.contextSize}, expected 2048 (stories260K trains on 2048)`);
    log(`  budget: ${budget.used}/${budget.budget} ${budget.counter} tokens, window ${budget.contextSize}, prompt ${budget.promptTokens}, items ${budget.items.map((i) => `${i.kind}:${i.tokens}${i.included ? "" : "(out)"}`).join(", ")}`);
});

test("code generation: Generate streams, Stop stops at once and records the run", async () => {
    const a = await api();
    await maxTokens(1500);
    await target();
    a.codegen.setInputs({ requirements: "Write a function that returns the total weight of the items.", include: { selection: false, currentFile: true, openFiles: false }, place: "editor" });
    const runsBefore = (await a.codegen.store().runs({ kind: "codegen" })).length;
    const { done, firstChunk, startedAt } = await startStreaming(a);
    assert(a.codegen.generating, "not generating after the first chunk");
    assert(a.codegen.state().run?.status === "streaming", `run status ${a.codegen.state().run?.status} while streaming`);
    const t0 = performance.now();
    const stopped = await vscode.commands.executeCommand<boolean>("promptsmith.codegen.stop");
    assert(stopped === true, "Stop Generation said nothing was running");
    const run = await done;
    const stopMs = performance.now() - t0;
    assert(run.status === "stopped", `status after Stop: ${run.status} ${JSON.stringify(run.error ?? {})}`);
    assert(run.answer.startsWith(firstChunk), "the answer does not start with the first streamed chunk");
    assert((run.metrics?.outputTokens ?? 0) < 1500, `the run was not cut short: ${run.metrics?.outputTokens} tokens`);
    assert(stopMs < 2000, `Stop took ${stopMs.toFixed(0)} ms`);
    assert(!a.codegen.generating, "still generating after Stop");
    assert(a.codegen.proposal() === undefined, "a stopped run opened a preview");
    const runs = await a.codegen.store().runs({ kind: "codegen" });
    assert(runs.length === runsBefore + 1 && runs[0]!.stopReason === "abort" && runs[0]!.output === run.answer, `the stopped run was not recorded: ${JSON.stringify(runs[0] ?? {}).slice(0, 300)}`);
    log(`  first text after ${(t0 - startedAt).toFixed(0)} ms; stopped in ${stopMs.toFixed(0)} ms with ${run.metrics?.outputTokens} tokens`);
}, 60_000);

test("code generation: Generate again → diff preview → Accept writes exactly the preview; one Undo restores", async () => {
    const a = await api();
    await maxTokens(48);
    const { editor, doc, original } = await target();
    editor.selection = new vscode.Selection(9, 0, 9, 0); // the empty line between the two functions
    a.codegen.setInputs({ requirements: "Write a function that returns the total weight of the items.", place: "editor" });
    const t0 = performance.now();
    const run = await a.codegen.generate();
    assert(run.status === "done", `status ${run.status} ${JSON.stringify(run.error ?? {})}`);
    assert(run.code && run.code.length > 0, "no code extracted");
    assert(run.runId, "the run was not recorded");
    const p = await waitFor("the diff preview", () => a.codegen.proposal());
    assert(p.mode === "insert" && p.targetUri === doc.uri.toString(), `proposal ${JSON.stringify({ mode: p.mode, target: p.targetUri })}`);
    const diffTab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === p.right.toString());
    assert(diffTab, "no diff editor tab shows the proposal");
    assert((diffTab.input as vscode.TabInputTextDiff).original.toString() === doc.uri.toString(), "the diff's left side is not the target document");
    const preview = await activeProposalText(a);
    assert(preview === p.after && preview !== original, "the preview document is not the planned result");
    assert(doc.getText() === original, "the document changed before Accept");
    const result = await vscode.commands.executeCommand<{ status: string }>("promptsmith.codegen.accept");
    assert(result?.status === "accepted", `accept: ${JSON.stringify(result)}`);
    assert(doc.getText() === preview, "after Accept the editor does not hold exactly the previewed text");
    assert(a.codegen.proposal() === undefined, "the proposal is still open after Accept");
    assert(!vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === p.right.toString()), "the diff tab stayed open");
    assert(a.codegen.state().run?.proposal === "accepted", `pane shows proposal ${a.codegen.state().run?.proposal}`);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand("undo");
    assert(doc.getText() === original, "one Undo did not restore the document");
    log(`  generated and previewed in ${(performance.now() - t0).toFixed(0)} ms; ${run.code.split("\n").length} lines accepted, undone`);
}, 60_000);

test("code generation: a requirement containing a secret is blocked with the finding shown; Send anyway runs it", async () => {
    const a = await api();
    await maxTokens(16);
    await target();
    const key = "sk-proj-" + "T4q9Zk2LmX7vB3nR8wYc5HdJ6pF1sG0aQe2Uo9Ki";
    a.codegen.setInputs({ requirements: `Call the orders service with the API key ${key} and print the result.` });
    const before = (await a.codegen.store().runs()).length;
    const run = await vscode.commands.executeCommand<RunView>("promptsmith.codegen.generate");
    assert(run?.status === "blocked", `status ${run?.status}`);
    const f = run.inputFindings.find((x) => x.ruleId.startsWith("secret") && x.severity === "error");
    assert(f, `no error-level secret finding: ${JSON.stringify(run.inputFindings)}`);
    assert(f.source === "Requirements" && f.line === 1, `finding location ${f.source}:${f.line}`);
    assert(!f.excerpt.includes(key) && !JSON.stringify(run.inputFindings).includes(key.slice(8)), "the finding shows the whole key");
    assert((await a.codegen.store().runs()).length === before, "a blocked run reached the model (it was recorded)");
    assert(a.codegen.state().run?.status === "blocked", "the pane does not show the blocked run");
    const sent = await a.codegen.generate({ sendAnyway: true });
    assert(sent.status === "done", `send anyway: ${sent.status} ${JSON.stringify(sent.error ?? {})}`);
    assert(sent.inputFindings.some((x) => x.ruleId === f.ruleId), "the findings are not shown with the run sent anyway");
    await a.codegen.reject();
    log(`  blocked by ${f.ruleId} (${f.excerpt}); sent anyway → ${sent.status}`);
}, 60_000);

test("code generation: Edit Selection replaces only the selection (shown as a diff first)", async () => {
    const a = await api();
    await maxTokens(48);
    const { editor, doc, original } = await target();
    // Select the body of describe() (its last line).
    const line = doc.lineCount - 2;
    editor.selection = new vscode.Selection(line, 0, line + 1, 0);
    const start = doc.offsetAt(editor.selection.start);
    const end = doc.offsetAt(editor.selection.end);
    const run = await vscode.commands.executeCommand<RunView>("promptsmith.codegen.editSelection", "Use str.format instead of an f-string.");
    assert(run?.kind === "edit" && run.status === "done", `edit run ${run?.kind}/${run?.status} ${JSON.stringify(run?.error ?? {})}`);
    const p = await waitFor("the diff preview", () => a.codegen.proposal());
    assert(p.mode === "replace", `mode ${p.mode}`);
    assert(p.after.startsWith(original.slice(0, start)) && p.after.endsWith(original.slice(end)), "the preview changes text outside the selection");
    const rec = await a.codegen.store().getRun(run.runId!);
    assert(rec?.request.user.includes("str.format") || rec?.request.system?.includes("str.format"), "the instruction is not in the recorded prompt");
    const result = await a.codegen.accept();
    assert(result.status === "accepted", JSON.stringify(result));
    const text = doc.getText();
    assert(text === p.after, "the document is not the preview");
    assert(text.startsWith(original.slice(0, start)) && text.endsWith(original.slice(end)), "text outside the selection changed");
    log(`  selection ${start}–${end} replaced by ${result.range!.end - result.range!.start} characters; the rest unchanged`);
}, 60_000);

test("code generation: killing the runner mid-generation shows RUNNER_CRASHED; the next Generate works", async () => {
    const a = await api();
    await maxTokens(1500);
    await target();
    a.codegen.setInputs({ requirements: "Write a function that sorts the items by price.", place: "editor" });
    const { done } = await startStreaming(a);
    const pid = a.codegen.runnerPid();
    assert(pid, "no runner process");
    process.kill(pid, "SIGKILL");
    const run = await done;
    assert(run.status === "error" && run.error?.code === "RUNNER_CRASHED", `after the kill: ${run.status} ${JSON.stringify(run.error ?? {})}`);
    assert(a.codegen.state().run?.error?.code === "RUNNER_CRASHED", "the pane does not show the error");
    const recorded = await a.codegen.store().getRun(run.runId!);
    assert(recorded?.stopReason === "error" && /RUNNER_CRASHED/.test(recorded.error ?? ""), "the failed run was not recorded as an error");
    await maxTokens(24);
    const next = await a.codegen.generate();
    assert(next.status === "done", `the next Generate: ${next.status} ${JSON.stringify(next.error ?? {})}`);
    assert(a.codegen.runnerPid() !== pid, "the runner was not restarted");
    await a.codegen.reject();
    log(`  killed runner ${pid}: ${run.error?.message}; next run done with a new runner ${a.codegen.runnerPid()}`);
}, 60_000);

test("code generation: Generate into New File previews against an empty file; Accept opens it; Undo empties it", async () => {
    const a = await api();
    await maxTokens(32);
    await target();
    a.codegen.setInputs({ requirements: "Write a function that prints a greeting.", language: "python" });
    const run = await vscode.commands.executeCommand<RunView>("promptsmith.codegen.generateIntoNewFile");
    assert(run?.status === "done", `status ${run?.status}`);
    const p = await waitFor("the diff preview", () => a.codegen.proposal());
    assert(p.mode === "newFile" && (await vscode.workspace.openTextDocument(p.left)).getText() === "", "the left side is not an empty document");
    const result = await a.codegen.accept();
    assert(result.status === "accepted" && result.uri?.scheme === "untitled", JSON.stringify(result));
    const doc = await vscode.workspace.openTextDocument(result.uri!);
    assert(doc.getText() === p.after, "the new file is not the preview");
    assert(doc.languageId === "python", `language ${doc.languageId}`);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand("undo");
    assert(doc.getText() === "", "Undo did not empty the new file");
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
    a.codegen.setInputs({ language: "" });
});

test("code generation: the target changing under the preview re-bases it, and a conflict is never written", async () => {
    const a = await api();
    await maxTokens(32);
    const { editor, doc } = await target();
    editor.selection = new vscode.Selection(9, 0, 9, 0);
    a.codegen.setInputs({ requirements: "Write a function that returns the cheapest item." });
    const run = await a.codegen.generate();
    assert(run.status === "done", `status ${run.status}`);
    const p = await waitFor("the diff preview", () => a.codegen.proposal());
    // A line added at the top moves the place the code goes.
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(0, 0), "# moved\n");
    await vscode.workspace.applyEdit(edit);
    const moved = await waitFor("the proposal to follow the document", () => {
        const q = a.codegen.proposal();
        return q && q.after !== p.after ? q : undefined;
    });
    assert(moved.after.startsWith("# moved\n") && moved.after === "# moved\n" + p.after, "the re-based preview is not the old one below the new line");
    assert(/changed/.test(moved.note ?? ""), `no note about the change: ${moved.note}`);
    await waitFor("the diff's right side to follow", async () => ((await activeProposalText(a)) === moved.after ? true : undefined), 5_000);
    const ok = await a.codegen.accept();
    assert(ok.status === "accepted" && doc.getText() === moved.after, `accept after re-base: ${JSON.stringify(ok)}`);

    // Replace mode, then the selected text is edited: a conflict, and Accept (declining to plan again) writes nothing.
    const again = await vscode.window.showTextDocument(doc);
    again.selection = new vscode.Selection(4, 0, 8, 0);
    assert(doc.lineAt(6).text.includes("for item in items"), `line 7 is ${JSON.stringify(doc.lineAt(6).text)}`);
    const second = await a.codegen.generate();
    assert(second.status === "done" && /replace the selection/.test(second.target), `status ${second.status}, target ${second.target}`);
    await waitFor("the second preview", () => a.codegen.proposal());
    const e2 = new vscode.WorkspaceEdit();
    e2.replace(doc.uri, new vscode.Range(6, 0, 6, doc.lineAt(6).text.length), "    for thing in items:");
    await vscode.workspace.applyEdit(e2);
    const conflict = await waitFor("the conflict", () => (a.codegen.proposal()?.status === "conflict" ? a.codegen.proposal() : undefined));
    const before = doc.getText();
    const refused = await a.codegen.accept({ replan: false });
    assert(refused.status === "conflict", JSON.stringify(refused));
    assert(doc.getText() === before, "a conflicting proposal was written");
    assert(a.codegen.state().run?.proposal === "conflict", `pane shows ${a.codegen.state().run?.proposal}`);
    await a.codegen.reject();
    log(`  re-based: "${moved.note}"; conflict: "${conflict.note}"`);
}, 60_000);

test("code generation: follow-ups carry the previous request and answer; New Conversation clears them", async () => {
    const a = await api();
    await maxTokens(24);
    await target();
    await vscode.commands.executeCommand("promptsmith.codegen.newConversation");
    assert(a.codegen.state().turns.length === 0, "New Conversation left turns");
    a.codegen.setInputs({ requirements: "Write a function named compute_discount." });
    const first = await a.codegen.generate();
    assert(first.status === "done", `first: ${first.status}`);
    await a.codegen.reject();
    assert(a.codegen.state().turns.length === 1, `turns after one run: ${a.codegen.state().turns.length}`);
    a.codegen.setInputs({ requirements: "Now add tests for it." });
    const second = await a.codegen.generate();
    assert(second.status === "done", `second: ${second.status}`);
    await a.codegen.reject();
    const rec = await a.codegen.store().getRun(second.runId!);
    const prompt = `${rec?.request.system ?? ""}\n${rec?.request.user ?? ""}`;
    assert(prompt.includes("compute_discount") && prompt.includes("Now add tests for it."), "the follow-up prompt does not carry the previous request");
    assert(a.codegen.state().turns.length === 2, `turns: ${a.codegen.state().turns.length}`);
    await vscode.commands.executeCommand("promptsmith.codegen.newConversation");
    assert(a.codegen.state().turns.length === 0, "turns after New Conversation");
    a.codegen.setInputs({ requirements: "Write a function named shipping_cost." });
    const third = await a.codegen.generate();
    await a.codegen.reject();
    const rec3 = await a.codegen.store().getRun(third.runId!);
    assert(!`${rec3?.request.system}\n${rec3?.request.user}`.includes("compute_discount"), "a new conversation still carries the old request");
});

test("code generation: ratings, pasted corrections and edits of accepted code are stored as local JSONL", async () => {
    const a = await api();
    await maxTokens(32);
    const { editor, doc } = await target();
    editor.selection = new vscode.Selection(9, 0, 9, 0);
    a.codegen.setInputs({ requirements: "Write a function that returns the most expensive item." });
    const run = await a.codegen.generate();
    assert(run.status === "done" && run.runId, `status ${run.status}`);
    await a.codegen.rate(run.runId, "down");
    assert(a.codegen.state().run?.rating === "down", "the pane does not show the rating");
    await a.codegen.correct(run.runId, "def most_expensive(items):\n    return max(items, key=lambda i: i['price'])\n");
    const accepted = await a.codegen.accept();
    assert(accepted.status === "accepted" && accepted.range, JSON.stringify(accepted));
    const tracked = a.codegen.trackedCorrection();
    assert(tracked?.runId === run.runId, "the accepted code is not followed for corrections");
    // The user edits the accepted code: a comment line at its start.
    const at = doc.positionAt(tracked.start);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, at, "# corrected by hand\n");
    await vscode.workspace.applyEdit(edit);
    const stored = await a.codegen.flushCorrection();
    assert(stored?.correction.startsWith("# corrected by hand\n"), `stored correction: ${JSON.stringify(stored)}`);
    const fb = (await a.codegen.store().feedback()).filter((f) => f.runId === run.runId);
    assert(fb.some((f) => f.rating === "down"), "no rating stored");
    assert(fb.some((f) => f.correction?.includes("most_expensive")), "no pasted correction stored");
    assert(fb.some((f) => f.correction?.startsWith("# corrected by hand")), "no captured edit stored");
    const file = a.codegen.store().files.feedback;
    assert(existsSync(file), `feedback file ${file} does not exist`);
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    for (const l of lines) JSON.parse(l);
    assert(!file.startsWith(workspaceRoot()), "the feedback is stored in the workspace instead of the extension's storage");
    log(`  ${fb.length} feedback records for the run in ${file} (${lines.length} JSONL lines)`);
});

test("history: export as JSONL and Markdown, reopen a past request in the pane, clear", async () => {
    const a = await api();
    // The runs above changed the user's maxTokens: back to the default for the suites that follow.
    await sampling().update("maxTokens", undefined, vscode.ConfigurationTarget.Global);
    assert(sampling().get("maxTokens") === 512, `maxTokens is ${sampling().get("maxTokens")} after the reset`);
    const runs = await a.codegen.store().runs({ kind: "codegen" });
    assert(runs.length >= 5, `only ${runs.length} codegen runs in the history`);
    const jsonl = join(workspaceRoot(), "history-export.jsonl");
    const md = join(workspaceRoot(), "history-export.md");
    await vscode.commands.executeCommand("promptsmith.history.export", { format: "jsonl", file: jsonl });
    await vscode.commands.executeCommand("promptsmith.history.export", { format: "markdown", file: md });
    const exported = readFileSync(jsonl, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { id: string; feedback: unknown[] });
    const all = await a.codegen.store().runs();
    assert(exported.length === all.length, `exported ${exported.length} of ${all.length} runs`);
    assert(exported.some((r) => r.feedback.length > 0), "the export has no feedback");
    assert(readFileSync(md, "utf8").includes("Write a function"), "the Markdown export lacks the requests");

    const past = runs.find((r) => r.stopReason !== "error" && r.output.length > 0)!;
    a.codegen.setInputs({ requirements: "something else" });
    const reopened = await vscode.commands.executeCommand<{ id: string }>("promptsmith.history.open", { runId: past.id });
    assert(reopened?.id === past.id, "history.open did not reopen the run");
    const st = a.codegen.state();
    assert(st.inputs.requirements === past.request.requirements, `the pane's requirements are ${JSON.stringify(st.inputs.requirements)}`);
    assert(st.run?.runId === past.id && st.run.answer === past.output, "the pane does not show the past answer");

    const cleared = await vscode.commands.executeCommand<boolean>("promptsmith.history.clear", { what: "all", confirm: false });
    assert(cleared === true, "clear returned false");
    assert((await a.codegen.store().runs()).length === 0 && (await a.codegen.store().feedback()).length === 0, "the history is not empty after Clear");
    log(`  exported ${exported.length} runs (JSONL + Markdown), reopened ${past.id}, cleared`);
});
