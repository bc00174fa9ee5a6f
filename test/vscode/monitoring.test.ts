// The Monitoring view: runs written by the extension's real history store → the view's numbers (latency
// percentiles, speed, cache hits, flagged outputs, acceptance) per model and per prompt file, the time
// window, refresh on new runs, and Clear deleting the stored files.
import * as vscode from "vscode";
import { existsSync } from "node:fs";
import type { PromptsmithApi } from "../../src/extension.ts";
import type { RunRecord } from "../../src/core/store/records.ts";
import { METRIC_COLUMNS, type MonitoringModel, type MonitoringRow } from "../../src/protocol/monitoring.ts";
import { test, log, activated, assert, waitFor } from "./harness.ts";

async function api(): Promise<PromptsmithApi> {
    const ext = await activated();
    const a = ext.exports as PromptsmithApi | undefined;
    assert(a && typeof a.monitoringStore === "function" && typeof a.monitoringModel === "function", "activate() does not return the monitoring test API");
    return a;
}

type NewRun = Parameters<ReturnType<PromptsmithApi["monitoringStore"]>["addRun"]>[0];

function run(over: Partial<NewRun> & { totalMs?: number; tps?: number; cacheHit?: boolean }): NewRun {
    const { totalMs, tps, cacheHit, ...rest } = over;
    return {
        kind: "playground",
        model: "alpha.gguf",
        modelPath: "/models/alpha.gguf",
        source: "prompts/summary.prompt.md",
        request: { user: "Summarise the text." },
        sampling: { temperature: 0 },
        output: "A summary.",
        stopReason: "eos",
        ...(totalMs !== undefined ? { metrics: { totalMs, timeToFirstTokenMs: totalMs / 10, tokensPerSecond: tps ?? 50, promptTokens: 12, outputTokens: 20, cacheHit: cacheHit ?? false } } : {}),
        ...rest,
    } as NewRun;
}

function row(rows: MonitoringRow[], key: string): MonitoringRow {
    const r = rows.find((x) => x.key === key);
    assert(r, `no row "${key}" among ${rows.map((x) => x.key).join(", ") || "no rows"}`);
    return r;
}

function cell(r: MonitoringRow, id: string): string {
    return METRIC_COLUMNS.find((c) => c.id === id)!.cell(r);
}

const close = (a: number | undefined, b: number): boolean => a !== undefined && Math.abs(a - b) < 1e-9;

const HOUR = 60 * 60 * 1000;
let added: RunRecord[] = [];

test("runs written by the store show in the view model with their percentiles and rates", async () => {
    const a = await api();
    const store = a.monitoringStore();
    await vscode.commands.executeCommand("promptsmith.monitoring.clear", { skipConfirmation: true });
    assert((await store.runs()).length === 0, "the store still has runs after Clear");

    // alpha.gguf on summary.prompt.md: 20 successful runs of 10, 20, …, 200 ms (the last 5 cache hits at
    // 500 tok/s, the others 10, 20, … 150 tok/s), 2 of them flagged, and one run that failed.
    added = [];
    for (let i = 1; i <= 20; i++) {
        const hit = i > 15;
        added.push(await store.addRun(run({ totalMs: i * 10, tps: hit ? 500 : i * 10, cacheHit: hit, flagged: i === 3 || i === 7 })));
    }
    added.push(await store.addRun(run({ stopReason: "error", error: "the runner crashed", output: "" })));
    // Code generation with the same model: 1, 2 and 3 s.
    for (const ms of [1000, 2000, 3000]) added.push(await store.addRun(run({ kind: "codegen", source: undefined, totalMs: ms, tps: 20, request: { user: "Write fizzbuzz", language: "python" } })));
    // beta.gguf on another prompt file, three days ago.
    added.push(await store.addRun(run({ model: "beta.gguf", modelPath: "/models/beta.gguf", source: "prompts/other.prompt.md", totalMs: 40, tps: 80, at: new Date(Date.now() - 72 * HOUR).toISOString() })));
    // Feedback: 3 up and 1 down on alpha's playground runs.
    for (const [i, rating] of [[0, "up"], [1, "up"], [2, "up"], [3, "down"]] as const) await store.addFeedback({ runId: added[i]!.id, rating });

    const m: MonitoringModel = await a.monitoringModel("all");
    assert(m.runs === 25 && m.storedRuns === 25, `runs ${m.runs}, stored ${m.storedRuns}; expected 25`);
    const alpha = row(m.byModel, "alpha.gguf");
    assert(alpha.requests === 24 && alpha.errors === 1, `alpha: ${alpha.requests} requests, ${alpha.errors} errors; expected 24 and 1`);
    assert(row(m.byModel, "beta.gguf").requests === 1, "beta.gguf should have one run");

    const summary = row(m.bySource, "prompts/summary.prompt.md");
    assert(summary.label === "summary.prompt.md", `the row's label is "${summary.label}"`);
    assert(summary.requests === 21 && summary.errors === 1, `summary: ${summary.requests} requests, ${summary.errors} errors; expected 21 and 1`);
    // Latency leaves the 5 cache hits out: linear-interpolation percentiles of 10, 20, …, 150 (h = 14·p/100):
    // P50 = 80, P95 = 140 + 0.3·10 = 143, P99 = 140 + 0.86·10 = 148.6.
    assert(close(summary.latencyMs?.p50, 80) && close(summary.latencyMs?.p95, 143) && close(summary.latencyMs?.p99, 148.6), `summary latency ${JSON.stringify(summary.latencyMs)}; expected 80 / 143 / 148.6`);
    // Speed: the median of the 15 generated runs (10 … 150 tok/s) = 80; cache hits are left out.
    assert(close(summary.tokensPerSecond, 80), `summary speed ${summary.tokensPerSecond}; expected 80`);
    assert(close(summary.cacheHitRate, 5 / 20), `cache hit rate ${summary.cacheHitRate}; expected 0.25`);
    assert(close(summary.flaggedRate, 2 / 20), `flagged rate ${summary.flaggedRate}; expected 0.1`);
    assert(summary.up === 3 && summary.down === 1 && close(summary.acceptanceRate, 0.75), `acceptance ${summary.up}/${summary.down} ${summary.acceptanceRate}; expected 3 up, 1 down, 0.75`);
    // What the table cells show.
    const cells = Object.fromEntries(METRIC_COLUMNS.map((c) => [c.id, c.cell(summary)]));
    const want = { requests: "21", errors: "1", stopped: "0", p50: "80", p95: "143", p99: "149", tps: "80", cache: "25", flagged: "10", accepted: "75 (3/4)" };
    for (const [k, v] of Object.entries(want)) assert(cells[k] === v, `cell ${k} shows "${cells[k]}", expected "${v}"`);

    const codegen = row(m.bySource, "codegen");
    assert(codegen.label === "Code generation" && codegen.requests === 3, `codegen row: ${JSON.stringify(codegen)}`);
    assert(close(codegen.latencyMs?.p50, 2000) && close(codegen.latencyMs?.p99, 2980), `codegen latency ${JSON.stringify(codegen.latencyMs)}; expected P50 2000, P99 2980`);
    assert(cell(codegen, "accepted") === "—" && cell(codegen, "flagged") === "0", `codegen accepted "${cell(codegen, "accepted")}", flagged "${cell(codegen, "flagged")}"`);
    log(`  summary.prompt.md: ${METRIC_COLUMNS.map((c) => `${c.header} ${c.cell(summary)}`).join(", ")}`);

    // The last 24 hours leave out the run of three days ago; 7 days keep it.
    const day = await a.monitoringModel("day");
    assert(day.runs === 24 && !day.byModel.some((r) => r.key === "beta.gguf") && day.storedRuns === 25, `day window: ${day.runs} runs, models ${day.byModel.map((r) => r.key).join(", ")}`);
    const week = await a.monitoringModel("week");
    assert(week.runs === 25 && week.bySource.some((r) => r.key === "prompts/other.prompt.md"), `week window: ${week.runs} runs`);
}, 60_000);

test("Show Monitoring opens the view, which shows the runs and follows new ones", async () => {
    const a = await api();
    const first = a.monitoringViewModel(true, 20_000);
    await vscode.commands.executeCommand("promptsmith.monitoring.show");
    const shown = (await first) ?? (await waitFor("the Monitoring view to get its numbers", () => a.monitoringViewModel(), 10_000));
    assert(shown && shown.runs >= 24, `the view got ${shown?.runs} runs, expected the 24+ added`);
    assert(shown.byModel.some((r) => r.key === "alpha.gguf"), `the view's model table lacks alpha.gguf: ${shown.byModel.map((r) => r.key).join(", ")}`);

    // A new run reaches the open view without a manual refresh.
    const next = a.monitoringViewModel(true, 10_000);
    const t0 = performance.now();
    await a.monitoringStore().addRun(run({ model: "gamma.gguf", totalMs: 33, tps: 30 }));
    const after = await next;
    assert(after && after.byModel.some((r) => r.key === "gamma.gguf"), `the view did not refresh with gamma.gguf's run: ${after ? after.byModel.map((r) => r.key).join(", ") : "no model posted within 10 s"}`);
    log(`  the view refreshed ${Math.round(performance.now() - t0)} ms after the new run (debounced)`);
}, 60_000);

test("Clear deletes the stored runs and feedback files and empties the view", async () => {
    const a = await api();
    const store = a.monitoringStore();
    assert(existsSync(store.files.runs) && existsSync(store.files.feedback), `the store's files are missing before Clear: ${store.files.runs}, ${store.files.feedback}`);
    const next = a.monitoringViewModel(true, 10_000);
    const cleared = await vscode.commands.executeCommand<boolean>("promptsmith.monitoring.clear", { skipConfirmation: true });
    assert(cleared === true, `promptsmith.monitoring.clear returned ${cleared}`);
    assert(!existsSync(store.files.runs) && !existsSync(store.files.feedback), "the runs or feedback file still exists after Clear");
    assert((await store.runs()).length === 0 && (await store.feedback()).length === 0, "the store still returns runs or feedback");
    const m = await a.monitoringModel("all");
    assert(m.runs === 0 && m.byModel.length === 0 && m.bySource.length === 0, `the model after Clear: ${JSON.stringify(m)}`);
    const shown = await next;
    assert(shown && shown.runs === 0, `the view shows ${shown?.runs} runs after Clear`);
    // Nothing left to clear: the command says so and deletes nothing.
    const again = await vscode.commands.executeCommand<boolean>("promptsmith.monitoring.clear", { skipConfirmation: true });
    assert(again === false, "a second Clear reported deleting something");
}, 30_000);
