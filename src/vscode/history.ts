// History commands: Open History… (a quick pick of past runs, newest first: a code generation run
// reopens in the requirements pane, a playground run in the playground), Export History and Feedback…
// (JSONL or Markdown, to a file the user picks) and Clear History and Feedback… (with confirmation).
// The history lives in the extension's storage on this machine (src/vscode/localData.ts); nothing is
// sent anywhere.
//
// Export and Clear are for the user only: the commands take no arguments (any extension can run a
// command), always ask where to write and always ask before deleting. Tests use exportHistoryTo() and
// clearHistoryNow() through the extension's API instead.
import * as vscode from "vscode";
import { writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { RunRecord } from "../core/store/records.ts";
import { localStore } from "./localData.ts";
import type { Services } from "./services.ts";

export interface HistoryHandlers {
    /** Shows a past code generation run in the requirements pane. */
    reopen(record: RunRecord): Promise<void>;
    /** The history was cleared: copies kept elsewhere (the pane's last run, the conversation) go too. */
    cleared(what: ClearWhat): Promise<void>;
}

export type ClearWhat = "all" | "runs" | "feedback";
export type ExportFormat = "jsonl" | "markdown";

interface RunItem extends vscode.QuickPickItem {
    run: RunRecord;
}

/** The first line of a run's request, for the list. */
function title(run: RunRecord): string {
    const text = (run.request.requirements ?? run.request.user ?? "").trim();
    const first = text.split(/\r?\n/).find((l) => l.trim() !== "") ?? "(empty request)";
    return first.length > 90 ? `${first.slice(0, 89)}…` : first;
}

function describe(run: RunRecord): string {
    const when = new Date(run.at).toLocaleString();
    const outcome = run.stopReason === "error" ? "error" : run.stopReason === "abort" ? "stopped" : run.flagged ? "flagged" : "";
    return [run.kind === "codegen" ? "code" : "playground", when, run.model, outcome].filter(Boolean).join(" · ");
}

export function registerHistory(services: Services, handlers: HistoryHandlers): void {
    const cmd = vscode.commands.registerCommand;
    services.context.subscriptions.push(
        cmd("promptsmith.history.open", (arg?: unknown) => openHistory(services, handlers, arg)),
        cmd("promptsmith.history.export", () => exportHistory(services)),
        cmd("promptsmith.history.clear", () => clearHistory(services, handlers)),
    );
}

/** Open History…: picks a run (or takes { runId }) and reopens it where it came from. */
async function openHistory(services: Services, handlers: HistoryHandlers, arg: unknown): Promise<RunRecord | undefined> {
    const store = localStore(services);
    const runId = typeof arg === "string" ? arg : typeof arg === "object" && arg !== null ? (arg as { runId?: unknown }).runId : undefined;
    let run: RunRecord | undefined;
    if (typeof runId === "string") {
        run = await store.getRun(runId);
        if (!run) {
            void vscode.window.showWarningMessage("That run is no longer in the history.");
            return undefined;
        }
    } else {
        const runs = await store.runs({ limit: 500 });
        if (runs.length === 0) {
            void vscode.window.showInformationMessage("The history is empty: code generation and playground runs appear here.");
            return undefined;
        }
        const items: RunItem[] = runs.map((r) => ({ label: title(r), description: describe(r), detail: r.code ? r.code.split("\n")[0]?.slice(0, 120) : undefined, run: r }));
        const picked = await vscode.window.showQuickPick(items, { title: "Promptsmith History", placeHolder: "Reopen a past request (newest first)", matchOnDescription: true, matchOnDetail: true });
        run = picked?.run;
    }
    if (!run) return undefined;
    if (run.kind === "codegen") await handlers.reopen(run);
    else await vscode.commands.executeCommand("promptsmith.playground.open", { runId: run.id });
    return run;
}

/** Export…: JSONL (one run per line with its feedback) or Markdown, written to a file the user picks. */
async function exportHistory(services: Services): Promise<string | undefined> {
    const pick = await vscode.window.showQuickPick(
        [
            { label: "JSON Lines", description: "runs.jsonl: one run per line with its feedback (for scripts and evaluation)", format: "jsonl" as const },
            { label: "Markdown", description: "a readable document of the requests, answers, ratings and corrections", format: "markdown" as const },
        ],
        { title: "Export History and Feedback", placeHolder: "Format" },
    );
    const format = pick?.format;
    if (!format) return undefined;
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const uri = await vscode.window.showSaveDialog({
        title: "Export History and Feedback",
        defaultUri: vscode.Uri.joinPath(folder, `promptsmith-history.${format === "jsonl" ? "jsonl" : "md"}`),
        filters: format === "jsonl" ? { "JSON Lines": ["jsonl"] } : { Markdown: ["md"] },
    });
    const file = uri?.fsPath;
    if (!file) return undefined;
    await exportHistoryTo(services, format, file);
    void vscode.window.showInformationMessage(`History exported to ${path.basename(file)}.`, "Open").then((c) => {
        if (c) void vscode.window.showTextDocument(vscode.Uri.file(file));
    });
    return file;
}

/** Writes the history as `format` to `file` (the command after its questions; the tests through the API). */
export async function exportHistoryTo(services: Services, format: ExportFormat, file: string): Promise<void> {
    const text = await localStore(services).export(format);
    await writeFile(file, text, "utf8");
    const count = format === "jsonl" ? text.split("\n").filter(Boolean).length : undefined;
    services.logger.info(`History exported to ${file}${count !== undefined ? ` (${count} runs)` : ""}.`);
}

/** Clear…: everything, only the runs, or only the feedback, always after a modal confirmation. */
async function clearHistory(services: Services, handlers: HistoryHandlers): Promise<boolean> {
    const stats = await localStore(services).stats().catch(() => undefined);
    const pick = await vscode.window.showQuickPick(
        [
            { label: "History and feedback", description: stats ? `${stats.runs} runs, ${stats.feedback} feedback entries` : undefined, what: "all" as const },
            { label: "History only", description: "past runs (their feedback is kept)", what: "runs" as const },
            { label: "Feedback only", description: "ratings and corrections", what: "feedback" as const },
        ],
        { title: "Clear History and Feedback", placeHolder: "What to delete from this machine" },
    );
    const what = pick?.what;
    if (!what) return false;
    const words = { all: "all runs and feedback", runs: "all runs", feedback: "all ratings and corrections" }[what];
    const ok = await vscode.window.showWarningMessage(`Delete ${words} stored by Promptsmith on this machine?`, { modal: true, detail: "This cannot be undone. Export first to keep a copy." }, "Delete");
    if (ok !== "Delete") return false;
    await clearHistoryNow(services, handlers, what);
    return true;
}

/** Deletes `what` without asking (the command after its confirmation; the tests through the API), and the copies kept elsewhere. */
export async function clearHistoryNow(services: Services, handlers: HistoryHandlers, what: ClearWhat): Promise<void> {
    await localStore(services).clear(what);
    await handlers.cleared(what);
    services.logger.info(`History cleared (${what}).`);
}
