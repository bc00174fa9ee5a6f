// Code generation in the editor, with the real test model (stories260K.gguf: it writes stories, not
// code, so these tests check the mechanics, never the code): the requirements pane loads under its
// strict CSP, Generate streams, Stop stops at once, the diff preview shows exactly what Accept writes
// and one Undo restores the document, a secret in the requirements blocks the run, Edit Selection
// replaces only the selection, a killed runner is an error and the next Generate works, the target
// changing under the preview re-bases or refuses, follow-ups carry the conversation, and feedback and
// history are stored locally as JSONL and can be exported, reopened and cleared.
import * as vscode from "vscode";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PromptsmithApi } from "../../src/extension.ts";
import type { RunView } from "../../src/protocol/codegen.ts";
import type { CheckEvent } from "../../src/vscode/codegen/controller.ts";
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

const GITHUB = "ghp_" + "8fK2mQ7xL4vB9nR1tY6wEa3Zc5Hd0Jg2Ps4U";

test("code generation: Send anyway sends exactly what was blocked (history keeps file names, masked secrets); a secret added after the block blocks again", async () => {
    const a = await api();
    await maxTokens(16);
    const { doc } = await target();
    await vscode.commands.executeCommand("promptsmith.codegen.newConversation");
    const key = "sk-proj-" + "Hq8Lm2Xv9Tz4Bn6Rc1Wd5Ys7Pk3Gf0Ja8Ue2Oi6";
    a.codegen.setInputs({ requirements: `Call the orders service with the API key ${key} and print the result.`, include: { selection: false, currentFile: true, openFiles: false }, place: "editor" });
    const checks: CheckEvent[] = [];
    const sub = a.codegen.onDidCheck((e) => checks.push(e));
    try {
        const blocked = await a.codegen.generate();
        assert(blocked.status === "blocked" && blocked.canSendAnyway === true, `first: ${blocked.status}, canSendAnyway ${blocked.canSendAnyway}`);
        const seen = checks.at(-1);
        assert(seen?.outcome === "blocked" && seen.seq === blocked.seq, `check event ${JSON.stringify(seen?.outcome)}`);
        const sent = await a.codegen.generate({ sendAnyway: true, blockedSeq: blocked.seq });
        assert(sent.status === "done", `send anyway: ${sent.status} ${JSON.stringify(sent.error ?? {})}`);
        const out = checks.at(-1);
        assert(out?.outcome === "sent" && out.seq === sent.seq && out.prompt, "no sent check event");
        assert(JSON.stringify(out.parts) === JSON.stringify(seen.parts), `what was sent is not what was blocked:\n${JSON.stringify(out.parts).slice(0, 400)}\n${JSON.stringify(seen.parts).slice(0, 400)}`);
        for (const p of seen.parts) assert(out.prompt.user.includes(p.text.trim().split("\n")[0]!), `the prompt lacks the part ${p.source}`);
        await a.codegen.reject();
        // The history names the context file instead of copying it, and the key is masked everywhere.
        const rec = await a.codegen.store().getRun(sent.runId!);
        assert(rec, "the run sent anyway was not recorded");
        assert(!JSON.stringify(rec).includes(key), "the stored run holds the whole key");
        assert(rec.request.requirements?.includes(key.slice(0, 4)) && rec.request.requirements.includes("*"), `stored requirements: ${rec.request.requirements}`);
        assert(!rec.request.user.includes('total += item["price"] * item["quantity"]') && rec.request.user.includes("not stored in the history"), `the stored prompt copies the file: ${rec.request.user.slice(0, 300)}`);

        // Blocked again; then a second secret is written into the target file (the context), not in the pane.
        const again = await a.codegen.generate();
        assert(again.status === "blocked" && again.canSendAnyway, `second block: ${again.status}`);
        const sentBefore = checks.filter((c) => c.outcome === "sent").length;
        const edit = new vscode.WorkspaceEdit();
        edit.insert(doc.uri, doc.positionAt(doc.getText().length), `\nGITHUB_TOKEN = "${GITHUB}"\n`);
        assert(await vscode.workspace.applyEdit(edit), "the edit was not applied");
        const third = await a.codegen.generate({ sendAnyway: true, blockedSeq: again.seq });
        assert(third.status === "blocked", `a new secret after the block was sent: ${third.status}`);
        assert(third.inputFindings.some((f) => f.ruleId === "secret-github-token"), `findings: ${third.inputFindings.map((f) => f.ruleId).join(", ")}`);
        assert(/Checked again/.test(third.blockNote ?? ""), `note: ${third.blockNote}`);
        assert(checks.filter((c) => c.outcome === "sent").length === sentBefore, "something was sent");
        // Changing the requirements withdraws Send anyway; a stale Send anyway is checked like Generate.
        a.codegen.setInputs({ requirements: `Call the orders service with the API key ${key} and print the orders.` });
        assert(a.codegen.state().run?.canSendAnyway === false && /changed/.test(a.codegen.state().run?.blockNote ?? ""), `after the edit: ${JSON.stringify({ can: a.codegen.state().run?.canSendAnyway, note: a.codegen.state().run?.blockNote })}`);
        const stale = await a.codegen.generate({ sendAnyway: true, blockedSeq: third.seq });
        assert(stale.status === "blocked" && checks.filter((c) => c.outcome === "sent").length === sentBefore, `stale Send anyway: ${stale.status}`);
        log(`  sent anyway: ${out.parts.length} parts, identical to the blocked ones; stored "${rec.request.requirements?.slice(0, 60)}…"; a new secret in the file → blocked again ("${third.blockNote}")`);
    } finally {
        sub.dispose();
    }
}, 60_000);

test("code generation: a secret in an earlier turn (sent anyway) blocks a follow-up that repeats it", async () => {
    const a = await api();
    await maxTokens(16);
    await target();
    // The test model's small vocabulary spends many tokens on a key: room for the earlier turn.
    const codegenConfig = () => vscode.workspace.getConfiguration("promptsmith.codegen");
    await codegenConfig().update("contextBudgetShare", 0.9, vscode.ConfigurationTarget.Global);
    try {
        await vscode.commands.executeCommand("promptsmith.codegen.newConversation");
        a.codegen.setInputs({ requirements: `Use the token ${GITHUB} to list the repositories.`, include: { selection: false, currentFile: false, openFiles: false } });
        const first = await a.codegen.generate();
        assert(first.status === "blocked", `first: ${first.status}`);
        const sent = await a.codegen.generate({ sendAnyway: true, blockedSeq: first.seq });
        assert(sent.status === "done", `sent anyway: ${sent.status}`);
        await a.codegen.reject();
        assert(a.codegen.state().turns.length === 1, `turns: ${a.codegen.state().turns.length}`);
        a.codegen.setInputs({ requirements: "Now add error handling." });
        const checks: CheckEvent[] = [];
        const sub = a.codegen.onDidCheck((e) => checks.push(e));
        const follow = await a.codegen.generate().finally(() => sub.dispose());
        assert(follow.status === "blocked", `the follow-up was sent: ${follow.status}; checked ${JSON.stringify(checks.map((c) => c.parts.map((p) => `${p.source}: ${p.text.slice(0, 60)}`)))}`);
        const f = follow.inputFindings.find((x) => x.ruleId === "secret-github-token");
        assert(f && f.source === "Earlier request 1", `findings: ${JSON.stringify(follow.inputFindings.map((x) => [x.source, x.ruleId]))}`);
        await vscode.commands.executeCommand("promptsmith.codegen.newConversation");
        const clean = await a.codegen.generate();
        assert(clean.status === "done", `after New Conversation: ${clean.status}`);
        await a.codegen.reject();
        log(`  follow-up blocked by ${f.ruleId} in "${f.source}"; after New Conversation: ${clean.status}`);
    } finally {
        await codegenConfig().update("contextBudgetShare", undefined, vscode.ConfigurationTarget.Global);
    }
}, 60_000);

test("code generation: the target edited while the model generates: the preview is planned against the live text, with a note", async () => {
    const a = await api();
    await maxTokens(400);
    const { editor, doc } = await target();
    editor.selection = new vscode.Selection(9, 0, 9, 0);
    a.codegen.setInputs({ requirements: "Write a function that returns the cheapest item.", include: { selection: false, currentFile: true, openFiles: false }, place: "editor" });
    const { done } = await startStreaming(a);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, new vscode.Position(0, 0), "# edited while generating\n");
    assert(await vscode.workspace.applyEdit(edit), "the edit was not applied");
    assert(a.codegen.generating, "the run ended before the edit: nothing was edited during the generation");
    const run = await done;
    assert(run.status === "done" && run.code, `status ${run.status} ${JSON.stringify(run.error ?? {})}`);
    const p = await waitFor("the diff preview", () => a.codegen.proposal());
    const live = doc.getText();
    // The code goes at the start of line 11 now (it was line 10): everything else is the live text.
    const at = doc.offsetAt(new vscode.Position(10, 0));
    assert(p.after.startsWith(live.slice(0, at)) && p.after.endsWith(live.slice(at)) && p.after.length > live.length, `the preview is not the live text with the code at line 11:\n${p.after.slice(0, 300)}`);
    assert(/while the code was being generated/.test(p.note ?? ""), `note: ${p.note}`);
    assert(/while the code was being generated/.test(a.codegen.state().run?.proposalNote ?? ""), `pane note: ${a.codegen.state().run?.proposalNote}`);
    assert((await activeProposalText(a)) === p.after, "the diff's right side is not the re-based plan");
    const ok = await a.codegen.accept();
    assert(ok.status === "accepted" && doc.getText() === p.after, `accept: ${JSON.stringify(ok)}`);
    log(`  "${p.note}"`);
}, 60_000);

test("code generation: closing the diff tab rejects the proposal; Show diff plans it again at the same place, also when another file is in front", async () => {
    const a = await api();
    await maxTokens(16);
    const { editor, doc, original } = await target();
    editor.selection = new vscode.Selection(9, 0, 9, 0);
    a.codegen.setInputs({ requirements: "Write a function that returns the lightest item.", include: { selection: false, currentFile: true, openFiles: false }, place: "editor" });
    const run = await a.codegen.generate();
    assert(run.status === "done", `status ${run.status}`);
    const p = await waitFor("the diff preview", () => a.codegen.proposal());
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === p.right.toString());
    assert(tab, "no diff tab");
    await vscode.window.tabGroups.close(tab);
    await waitFor("the proposal rejected by closing its tab", () => (a.codegen.proposal() === undefined && a.codegen.state().run?.proposal === "rejected" ? true : undefined), 5_000);
    assert(a.codegen.state().run?.proposal === "rejected" && /closed/.test(a.codegen.state().run?.proposalNote ?? ""), `pane: ${a.codegen.state().run?.proposal} ${a.codegen.state().run?.proposalNote}`);
    const refused = await a.codegen.accept();
    assert(refused.status === "none" && doc.getText() === original, `accept after closing: ${JSON.stringify(refused)}`);
    // Another file in front (the target is not visible): Show diff still targets the original file and place.
    await open(copyFixture("codegen-target.py"));
    assert(!vscode.window.visibleTextEditors.some((e) => e.document === doc), "the target is still visible");
    assert(await a.codegen.showDiff(), "Show diff did nothing");
    const q = await waitFor("the preview again", () => a.codegen.proposal());
    assert(q.mode === "insert" && q.targetUri === doc.uri.toString() && q.after === p.after, `Show diff: ${JSON.stringify({ mode: q.mode, target: q.targetUri, same: q.after === p.after })}`);
    await a.codegen.reject();
    log(`  closing the tab → "${a.codegen.state().run?.proposalNote ?? ""}"; Show diff with another file in front → ${q.mode} into ${q.targetUri?.split("/").pop()}`);
}, 60_000);

test("code generation: chunks carry their offset (the pane's state plus later chunks is the answer, never text twice); Generate while generating joins the run", async () => {
    const a = await api();
    await maxTokens(400);
    await target();
    a.codegen.setInputs({ requirements: "Write a function that returns the total weight of the items.", include: { selection: false, currentFile: true, openFiles: false } });
    const runsBefore = (await a.codegen.store().runs({ kind: "codegen" })).length;
    const chunks: Array<{ seq: number; offset: number; text: string }> = [];
    const sub = a.codegen.onDidChunk((c) => chunks.push(c));
    try {
        const { done } = await startStreaming(a);
        await sleep(30);
        // What the pane gets when it is shown again mid-stream, then the chunks that follow it.
        const mid = a.codegen.state().run!;
        const from = chunks.length;
        assert(a.codegen.generating && mid.status === "streaming", "the run ended too early");
        const second = a.codegen.generate();
        const run = await done;
        const joined = await second;
        assert(joined.seq === run.seq, `Generate while generating started run ${joined.seq} besides ${run.seq}`);
        assert(run.status === "done" || run.status === "stopped", `status ${run.status}`);
        const later = chunks.slice(from).filter((c) => c.seq === run.seq);
        let page = mid.answer;
        for (const c of later) {
            assert(c.offset === page.length, `a chunk at offset ${c.offset} after ${page.length} characters (text twice or missing)`);
            page += c.text;
        }
        assert(page === run.answer, `state + later chunks (${page.length}) differs from the answer (${run.answer.length})`);
        const all = chunks.filter((c) => c.seq === run.seq);
        assert(all.map((c) => c.text).join("") === run.answer && all.every((c, i) => c.offset === (i === 0 ? 0 : all[i - 1]!.offset + all[i - 1]!.text.length)), "the chunks are not contiguous");
        assert((await a.codegen.store().runs({ kind: "codegen" })).length === runsBefore + 1, "Generate while generating recorded another run");
        await a.codegen.reject();
        log(`  state at ${mid.answer.length} characters, then ${later.length} chunks → ${run.answer.length} characters; the second Generate joined run ${run.seq}`);
    } finally {
        sub.dispose();
    }
}, 60_000);

test("code generation: New Conversation during a generation is not undone by it; reopening a past request stops the generation", async () => {
    const a = await api();
    await maxTokens(400);
    await target();
    await vscode.commands.executeCommand("promptsmith.codegen.newConversation");
    a.codegen.setInputs({ requirements: "Write a function named first_turn.", include: { selection: false, currentFile: false, openFiles: false } });
    const first = await a.codegen.generate();
    assert(first.status === "done" && first.runId, `first: ${first.status}`);
    await a.codegen.reject();
    a.codegen.setInputs({ requirements: "Write a function named second_turn." });
    const s1 = await startStreaming(a);
    await vscode.commands.executeCommand("promptsmith.codegen.newConversation");
    assert(a.codegen.generating, "the run ended before New Conversation");
    const second = await s1.done;
    assert(second.status === "done", `second: ${second.status}`);
    assert(a.codegen.state().turns.length === 0, `New Conversation was undone: ${a.codegen.state().turns.length} turns`);
    await a.codegen.reject();

    await maxTokens(1500);
    const past = await a.codegen.store().getRun(first.runId);
    assert(past, "the first run is not in the history");
    const s2 = await startStreaming(a);
    await vscode.commands.executeCommand("promptsmith.history.open", { runId: past.id });
    const stopped = await s2.done;
    assert(stopped.status === "stopped", `the running generation was not stopped: ${stopped.status}`);
    await sleep(300);
    const st = a.codegen.state();
    assert(!a.codegen.generating && st.run?.runId === past.id && st.run.answer === past.output, `the pane does not show the reopened run: ${st.run?.runId} (${st.run?.status})`);
    log(`  turns after New Conversation mid-stream: ${st.turns.length}; reopen stopped run ${stopped.seq} and shows ${past.id}`);
}, 60_000);

test("code generation: Stop before the first token keeps the previous run and its preview, and records nothing", async () => {
    const a = await api();
    await maxTokens(16);
    const { editor } = await target();
    editor.selection = new vscode.Selection(9, 0, 9, 0);
    a.codegen.setInputs({ requirements: "Write a function that returns the heaviest item.", include: { selection: false, currentFile: true, openFiles: false } });
    const run = await a.codegen.generate();
    assert(run.status === "done", `status ${run.status}`);
    const p = await waitFor("the diff preview", () => a.codegen.proposal());
    const runsBefore = (await a.codegen.store().runs()).length;
    const pending = a.codegen.generate();
    assert(a.codegen.stop(), "Stop said nothing was running");
    const stopped = await pending;
    assert(stopped.status === "stopped" && stopped.answer === "", `after Stop: ${stopped.status} "${stopped.answer.slice(0, 40)}"`);
    const q = a.codegen.proposal();
    assert(q && q.right.toString() === p.right.toString(), "the previous preview was discarded");
    const st = a.codegen.state();
    assert(st.run?.seq === run.seq && st.run.proposal === "open", `the pane shows run ${st.run?.seq} (${st.run?.status}, proposal ${st.run?.proposal})`);
    assert((await a.codegen.store().runs()).length === runsBefore, "an empty run was recorded");
    await a.codegen.reject();
    log(`  stopped run ${stopped.seq} before the model answered; run ${run.seq} and its preview kept`);
});

test("code generation: Edit Selection uses the editor code can go into, not a read-only document in front", async () => {
    const a = await api();
    await maxTokens(48);
    const { editor, doc } = await target();
    const line = doc.lineCount - 2;
    editor.selection = new vscode.Selection(line, 0, line + 1, 0);
    const scheme = "promptsmith-test-readonly";
    const provider = vscode.workspace.registerTextDocumentContentProvider(scheme, { provideTextDocumentContent: () => "read-only text\nsecond line\n" });
    try {
        const ro = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme, path: "/notes.txt" }));
        const roEditor = await vscode.window.showTextDocument(ro, { viewColumn: vscode.ViewColumn.Beside, preview: false });
        roEditor.selection = new vscode.Selection(0, 0, 1, 0);
        assert(vscode.window.activeTextEditor?.document === ro, "the read-only document is not in front");
        const run = await vscode.commands.executeCommand<RunView>("promptsmith.codegen.editSelection", "Use str.format instead of an f-string.");
        assert(run?.kind === "edit" && run.status === "done", `edit run ${run?.kind}/${run?.status} ${JSON.stringify(run?.error ?? {})}`);
        const p = await waitFor("the diff preview", () => a.codegen.proposal());
        assert(p.mode === "replace" && p.targetUri === doc.uri.toString(), `the edit targets ${p.targetUri}`);
        await a.codegen.reject();
        log(`  Edit Selection with a read-only document in front → ${run.target}`);
    } finally {
        const roTabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === scheme);
        await vscode.window.tabGroups.close(roTabs);
        provider.dispose();
    }
}, 60_000);

test("code generation: Accept runs once when invoked twice, ignores another preview's URI, and decides a stale conflict from the text as it is", async () => {
    const a = await api();
    await maxTokens(16);
    const { editor, doc, original } = await target();
    editor.selection = new vscode.Selection(9, 0, 9, 0);
    a.codegen.setInputs({ requirements: "Write a function that counts the items.", include: { selection: false, currentFile: true, openFiles: false } });
    const run = await a.codegen.generate();
    assert(run.status === "done", `status ${run.status}`);
    const p = await waitFor("the diff preview", () => a.codegen.proposal());
    assert(/^\/[0-9a-f]{8}\/\d+\//.test(p.right.path), `the proposal URI has no session part: ${p.right.path}`);
    const other = await vscode.commands.executeCommand<{ status: string }>("promptsmith.codegen.accept", vscode.Uri.from({ scheme: "promptsmith-proposal", path: "/00000000/1/codegen-target.py" }));
    assert(other?.status === "none" && doc.getText() === original && a.codegen.proposal(), `accept with another URI: ${JSON.stringify(other)}`);
    const results = await Promise.all([a.codegen.accept(), a.codegen.accept()]);
    assert(results.map((r) => r.status).sort().join() === "accepted,cancelled", `two Accepts: ${results.map((r) => r.status).join(", ")}`);
    assert(doc.getText() === p.after, "the document is not the preview (the code went in twice?)");

    // Replace mode; the selected text is edited (a conflict), then the edit is undone: Accept applies.
    const again = await vscode.window.showTextDocument(doc);
    again.selection = new vscode.Selection(4, 0, 8, 0);
    const second = await a.codegen.generate();
    assert(second.status === "done", `second: ${second.status}`);
    const q = await waitFor("the second preview", () => a.codegen.proposal());
    const line6 = doc.lineAt(6).text;
    const e1 = new vscode.WorkspaceEdit();
    e1.replace(doc.uri, new vscode.Range(6, 0, 6, line6.length), "    for thing in items:");
    await vscode.workspace.applyEdit(e1);
    await waitFor("the conflict", () => (a.codegen.proposal()?.status === "conflict" ? true : undefined));
    const e2 = new vscode.WorkspaceEdit();
    e2.replace(doc.uri, new vscode.Range(6, 0, 6, doc.lineAt(6).text.length), line6);
    await vscode.workspace.applyEdit(e2);
    const ok = await a.codegen.accept({ replan: false });
    assert(ok.status === "accepted" && doc.getText() === q.after, `accept after the conflict was undone: ${JSON.stringify(ok)}`);
    log(`  two Accepts → ${results.map((r) => r.status).join(" + ")}; stale conflict → ${ok.status}`);
}, 60_000);

test("code generation: the live budget estimates a 390,000-character file while typing (≈) and counts it exactly for Generate", async () => {
    const a = await api();
    // Varied text (a fixed pseudo-random sequence), so no line is in any token cache yet.
    let x = 12345;
    const rnd = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
    const words = ["items", "total", "price", "weight", "value", "count", "name", "index", "result", "cache", "order", "amount"];
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 390_000; i++) {
        const l = `    v${i}_${Math.floor(rnd() * 1e9).toString(36)} = ${words[Math.floor(rnd() * words.length)]}_${Math.floor(rnd() * 1e6)} + ${Math.floor(rnd() * 1e7)}  # ${words[Math.floor(rnd() * words.length)]}`;
        lines.push(l);
        size += l.length + 1;
    }
    const file = join(workspaceRoot(), "big-module.py");
    writeFileSync(file, `def big():\n${lines.join("\n")}\n`);
    const editor = await open(vscode.Uri.file(file));
    editor.selection = new vscode.Selection(5000, 0, 5000, 0);
    a.codegen.setInputs({ requirements: "Add a function that sums the values.", include: { selection: false, currentFile: true, openFiles: false } });
    let t = performance.now();
    const live = await a.codegen.refreshBudget();
    const liveMs = performance.now() - t;
    assert(live?.approximate === true, `the live budget is not marked as an estimate: ${JSON.stringify(live)}`);
    assert(live.items.some((i) => i.kind === "currentFile"), "no item for the file");
    t = performance.now();
    const exact = await a.codegen.refreshBudget({ exact: true });
    const exactMs = performance.now() - t;
    assert(exact && !exact.approximate, "the exact count is marked as an estimate");
    const e = new vscode.WorkspaceEdit();
    e.insert(editor.document.uri, new vscode.Position(3000, 4), "z");
    await vscode.workspace.applyEdit(e);
    t = performance.now();
    const edited = await a.codegen.refreshBudget();
    const editedMs = performance.now() - t;
    assert(edited, "no budget after the edit");
    // Before this change every live recount counted exactly, as the exact count does now.
    t = performance.now();
    await a.codegen.refreshBudget({ exact: true });
    const exactEditedMs = performance.now() - t;
    log(`  ${size.toLocaleString("en-US")}-character file, live recount before → after: first ${exactMs.toFixed(0)} → ${liveMs.toFixed(0)} ms${live.approximate ? " (≈)" : ""}; after an edit ${exactEditedMs.toFixed(0)} → ${editedMs.toFixed(0)} ms${edited.approximate ? " (≈)" : ""}; ${exact.used} exact vs ≈${live.used} tokens used`);
    assert(liveMs < exactMs, `the live budget (${liveMs.toFixed(0)} ms) took longer than the exact count (${exactMs.toFixed(0)} ms)`);
    await vscode.commands.executeCommand("workbench.action.revertAndCloseActiveEditor");
}, 60_000);

test("history: export as JSONL and Markdown, reopen a past request in the pane, clear", async () => {
    const a = await api();
    // The runs above changed the user's maxTokens: back to the default for the suites that follow.
    await sampling().update("maxTokens", undefined, vscode.ConfigurationTarget.Global);
    assert(sampling().get("maxTokens") === 512, `maxTokens is ${sampling().get("maxTokens")} after the reset`);
    const runs = await a.codegen.store().runs({ kind: "codegen" });
    assert(runs.length >= 5, `only ${runs.length} codegen runs in the history`);
    const jsonl = join(workspaceRoot(), "history-export.jsonl");
    const md = join(workspaceRoot(), "history-export.md");
    await a.codegen.exportHistory("jsonl", jsonl);
    await a.codegen.exportHistory("markdown", md);
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

    a.codegen.setInputs({ requirements: "Write a function that returns the item names." });
    const last = await a.codegen.generate({ requirements: "Write a function that returns the item names." });
    assert(last.status === "done" && a.codegen.state().turns.length > 0, `a last run before Clear: ${last.status}`);
    await a.codegen.reject();
    await a.codegen.clearHistory("all");
    assert((await a.codegen.store().runs()).length === 0 && (await a.codegen.store().feedback()).length === 0, "the history is not empty after Clear");
    const after = a.codegen.state();
    assert(after.run === undefined && after.turns.length === 0, `Clear left the last run (${after.run?.runId}) or ${after.turns.length} turns in the pane`);
    log(`  exported ${exported.length} runs (JSONL + Markdown), reopened ${past.id}, cleared`);
});
