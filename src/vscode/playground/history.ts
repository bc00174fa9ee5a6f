// The playground's history for one prompt file: its recent runs from the local store (newest first, with
// their ratings), a past run turned back into what the view shows (prompt, values, settings, output and
// its findings), and Export (JSONL or Markdown through a save dialog).
import * as vscode from "vscode";
import path from "node:path";
import { checkOutput } from "../../core/codegen/checks.ts";
import type { Linter } from "../../core/lint/index.ts";
import { summarizeFeedback, type LocalStore, type RunRecord } from "../../core/store/localStore.ts";
import type { HistoryItem, PlaygroundLoad, VariableRow } from "../../protocol/playground.ts";
import { cellFromRecord } from "./runs.ts";
import { columnFrom } from "./settings.ts";
import { loadPromptFile, restrictedModelNote, uriOfSource } from "./source.ts";

/** How many runs the history list shows (the store keeps promptsmith.history.maxEntries in all). */
export const HISTORY_LIST_LIMIT = 50;
const PREVIEW_CHARS = 140;

/** Playground runs of a prompt file (with no file: every playground run), newest first. */
export function playgroundRuns(store: LocalStore, source: string | undefined, limit = HISTORY_LIST_LIMIT): Promise<RunRecord[]> {
    return store.runs({ kind: "playground", ...(source !== undefined ? { source } : {}), limit });
}

export async function historyItems(store: LocalStore, source: string | undefined): Promise<HistoryItem[]> {
    const [runs, feedback] = await Promise.all([playgroundRuns(store, source), store.feedback()]);
    const ids = new Set(runs.map((r) => r.id));
    const byRun = new Map<string, typeof feedback>();
    for (const f of feedback) {
        if (!ids.has(f.runId)) continue;
        const list = byRun.get(f.runId);
        if (list) list.push(f);
        else byRun.set(f.runId, [f]);
    }
    return runs.map((r) => {
        const rating = summarizeFeedback(byRun.get(r.id) ?? []).rating;
        const preview = r.output.replace(/\s+/g, " ").trim();
        return {
            runId: r.id,
            at: r.at,
            model: r.model,
            ...(r.column !== undefined ? { column: r.column } : {}),
            ...(r.seed !== undefined ? { seed: r.seed } : {}),
            stopReason: r.stopReason,
            preview: preview.length > PREVIEW_CHARS ? `${preview.slice(0, PREVIEW_CHARS - 1)}…` : preview,
            ...(r.metrics && !r.metrics.cacheHit ? { tokensPerSecond: r.metrics.tokensPerSecond } : {}),
            ...(rating ? { rating } : {}),
            ...(r.flagged ? { flagged: true } : {}),
        };
    });
}

/**
 * A past run as the view shows it: its prompt templates and variable values, its settings as column A
 * (the seed it used fixed, so running again reproduces it), its output with findings, its feedback.
 * The prompt file's declared variables come from the file when it still exists.
 */
export async function loadFromRecord(store: LocalStore, record: RunRecord, linter: Linter | undefined): Promise<{ load: PlaygroundLoad; uri?: vscode.Uri }> {
    const uri = record.source ? await uriOfSource(record.source) : undefined;
    let variables: VariableRow[] = [];
    let source: PlaygroundLoad["source"];
    if (uri) {
        const file = await loadPromptFile(uri).catch(() => undefined);
        variables = file?.load.variables ?? [];
        source = file?.load.source;
    }
    const { seed: _seed, ...sampling } = record.sampling;
    const problems: string[] = [];
    if (record.source && !uri) problems.push(`The run's prompt file ${record.source} is not in this workspace; the run is shown on its own.`);
    // The history may come from the workspace: its model path is not used in Restricted Mode.
    const modelPath = record.modelPath && vscode.workspace.isTrusted ? record.modelPath : undefined;
    if (record.modelPath && !modelPath) problems.push(restrictedModelNote(record.modelPath));
    const column = columnFrom({ ...sampling, ...(record.seed !== undefined ? { seed: record.seed } : {}) }, modelPath ? { modelPath } : {});
    const cell = cellFromRecord(record);
    if (linter && cell.text) {
        try {
            cell.findings = checkOutput(linter, cell.text, "Output").findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity, message: f.message, start: f.start, end: f.end }));
        } catch {
            // shown without highlights
        }
    }
    const fb = await store.feedbackFor(record.id).catch(() => undefined);
    const values = { ...(record.request.variables ?? {}) };
    // Values equal to a declared default stay empty (the table shows the default).
    for (const v of variables) if (v.default !== undefined && values[v.name] === v.default) delete values[v.name];
    return {
        uri,
        load: {
            ...(source ? { source } : {}),
            draft: { system: record.request.system ?? "", user: record.request.user, values },
            columns: [column],
            variables,
            results: [[cell]],
            feedback: { [record.id]: { ...(fb?.rating ? { rating: fb.rating } : {}), ...(fb?.correction !== undefined ? { correction: fb.correction } : {}) } },
            ...(problems.length ? { problems } : {}),
        },
    };
}

/** Export: asks where, writes the prompt file's playground runs (every playground run without a file) with their feedback. Resolves with the file written. */
export async function exportHistory(store: LocalStore, source: string | undefined, format: "jsonl" | "markdown"): Promise<vscode.Uri | undefined> {
    const runs = await playgroundRuns(store, source, Number.MAX_SAFE_INTEGER);
    if (runs.length === 0) {
        void vscode.window.showInformationMessage(source ? `No playground runs of ${source} to export yet.` : "No playground runs to export yet.");
        return undefined;
    }
    const base = source ? path.basename(source).replace(/\.prompt\.md$/i, "").replace(/\.[^.]+$/, "") : "playground";
    const ext = format === "jsonl" ? "jsonl" : "md";
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
        title: `Export ${runs.length} playground run${runs.length === 1 ? "" : "s"}`,
        saveLabel: "Export",
        filters: format === "jsonl" ? { "JSON Lines": ["jsonl"] } : { Markdown: ["md"] },
        ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${base}-history.${ext}`) } : {}),
    });
    if (!target) return undefined;
    const text = await store.export(format, { kind: "playground", ...(source !== undefined ? { source } : {}) });
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
    return target;
}
