// Running the playground's prompt: every column (its own model and sampling) `repeat` times, one request
// at a time (the runner process runs one generation at a time), streaming each answer to a sink; each
// answer is checked by the output linter and recorded in the local history, stopped and failed ones
// included. Used by the panel and, headless, by the extension's test API.
import path from "node:path";
import { toPromptsmithError } from "../../core/errors.ts";
import { checkOutput } from "../../core/codegen/checks.ts";
import type { Linter } from "../../core/lint/index.ts";
import type { Logger } from "../../core/logger.ts";
import { spread } from "../../core/metrics.ts";
import { renderPromptOrThrow } from "../../core/prompts/render.ts";
import type { SamplingParams } from "../../core/sampling.ts";
import { MAX_SEED } from "../../core/sampling.ts";
import type { LocalStore, RunRecord } from "../../core/store/localStore.ts";
import type { GenerateOptions } from "../../core/runner/client.ts";
import type { GenerateRequest, GenerateResult } from "../../core/runner/protocol.ts";
import {
    columnSampling,
    MAX_COLUMNS,
    REPEAT_MAX,
    type CellResult,
    type ColumnSpread,
    type OutputFinding,
    type RunSpec,
    type VariableRow,
} from "../../protocol/playground.ts";

/** Where a run's progress goes (the panel posts it to the view). */
export interface RunSink {
    started?(info: { columns: number; repeat: number; seeds: Array<Array<number | undefined>> }): void;
    cellStarted?(column: number, iteration: number, seed: number | undefined): void;
    chunk?(column: number, iteration: number, text: string): void;
    cellDone?(column: number, iteration: number, result: CellResult): void;
}

export interface RunOutcome {
    /** Per column, one result per repetition (fewer when stopped). */
    results: CellResult[][];
    spreads: ColumnSpread[];
    stopped: boolean;
}

export interface RunDeps {
    logger: Logger;
    store: () => LocalStore;
    linter: (source: string | undefined) => Promise<Linter>;
    /** generateWithModel (models.ts). */
    generate: (request: Omit<GenerateRequest, "modelPath" | "load"> & Partial<Pick<GenerateRequest, "modelPath">>, options: GenerateOptions) => Promise<GenerateResult>;
    /** The model a column without its own runs on (resolveSelectedModelPath). */
    selectedModel: () => Promise<string | undefined>;
}

/** Chunks are posted at most this often per answer (a small model writes thousands of tokens a second). */
const CHUNK_INTERVAL_MS = 40;

/** The variable definitions a run renders with: the declared ones (defaults, required). */
function declared(variables: readonly VariableRow[] | undefined): Array<{ name: string; default?: string; required: boolean }> {
    return (variables ?? []).filter((v) => v.declared).map((v) => ({ name: v.name, ...(v.default !== undefined ? { default: v.default } : {}), required: v.required }));
}

/**
 * Runs the spec. `source` is the prompt file's history key (workspace-relative path); `variables` its
 * declared variables. Throws (before anything runs) when a variable has no value or the spec is invalid.
 */
export async function runSpec(
    deps: RunDeps,
    spec: RunSpec,
    context: { source?: string; sourceFile?: string; variables?: readonly VariableRow[] },
    sink: RunSink,
    signal: AbortSignal,
): Promise<RunOutcome> {
    const columns = spec.columns.slice(0, MAX_COLUMNS);
    if (columns.length === 0) throw new Error("Nothing to run: the playground has no column.");
    const repeat = Math.min(REPEAT_MAX, Math.max(1, Math.floor(spec.repeat) || 1));
    const values = { ...spec.draft.values };
    const rendered = renderPromptOrThrow(
        { system: spec.draft.system.trim() ? spec.draft.system : undefined, user: spec.draft.user, variables: declared(context.variables) },
        values,
        context.sourceFile,
    );
    // Every column's sampling, validated before the first request (an invalid JSON schema fails here).
    const samplings = columns.map((c) => columnSampling(c));
    const seeds = columns.map((c, ci) => Array.from({ length: repeat }, (_, i) => {
        const base = samplings[ci]!.seed;
        if (c.seedMode !== "fixed" || base === undefined) return undefined;
        return (base + i) % (MAX_SEED + 1);
    }));
    const selected = columns.some((c) => !c.modelPath) ? await deps.selectedModel().catch(() => undefined) : undefined;
    const linter = await deps.linter(context.source).catch((e: unknown) => {
        deps.logger.warn(`Playground: the output linter is not available (${e instanceof Error ? e.message : String(e)}); outputs are not checked.`);
        return undefined;
    });

    sink.started?.({ columns: columns.length, repeat, seeds });
    const results: CellResult[][] = columns.map(() => []);
    let stopped = false;
    // One model at a time: when the columns run on different models, each column's repetitions run
    // together (columns outer), so the runner loads each model once instead of swapping every request.
    const models = new Set(columns.map((c) => c.modelPath ?? selected));
    const order = cellOrder(columns.length, repeat, models.size > 1);
    for (const [c, i] of order) {
        if (signal.aborted) {
            stopped = true;
            break;
        }
        const column = columns[c]!;
        const seed = seeds[c]![i];
        const sampling: SamplingParams = { ...samplings[c]! };
        if (seed !== undefined) sampling.seed = seed;
        const modelPath = column.modelPath ?? selected;
        sink.cellStarted?.(c, i, seed);
        const result = await runCell(deps, { system: rendered.system, user: rendered.user, sampling, modelPath, useCache: spec.useCache }, (t) => sink.chunk?.(c, i, t), signal, linter);
        const record = await deps.store().addRun({
            kind: "playground",
            model: modelPath ? path.basename(modelPath) : "(no model)",
            ...(modelPath ? { modelPath } : {}),
            ...(context.source ? { source: context.source } : {}),
            column: c,
            // The templates as written and the values used: reopening a run restores both.
            request: { ...(spec.draft.system.trim() ? { system: spec.draft.system } : {}), user: spec.draft.user, variables: rendered.values },
            sampling,
            ...(result.seed !== undefined ? { seed: result.seed } : {}),
            output: result.text,
            stopReason: result.stopReason,
            ...(result.error ? { error: result.error } : {}),
            ...(result.metrics ? { metrics: result.metrics } : {}),
            findings: result.findings.map((f) => ({ ruleId: f.ruleId, severity: f.severity })),
            flagged: result.flagged,
        }).catch((e: unknown) => {
            deps.logger.warn(`Playground: the run could not be recorded in the history: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
        });
        if (record) result.runId = record.id;
        results[c]!.push(result);
        sink.cellDone?.(c, i, result);
        if (result.stopReason === "abort") {
            stopped = true;
            break;
        }
    }
    const spreads = repeat > 1 ? results.map((rs, column) => spreadOf(column, rs)) : [];
    return { results, spreads, stopped: stopped || signal.aborted };
}

/** The [column, iteration] pairs in run order: iterations outer (columns side by side), or columns outer. */
export function cellOrder(columns: number, repeat: number, columnsOuter: boolean): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    if (columnsOuter) for (let c = 0; c < columns; c++) for (let i = 0; i < repeat; i++) out.push([c, i]);
    else for (let i = 0; i < repeat; i++) for (let c = 0; c < columns; c++) out.push([c, i]);
    return out;
}

interface CellRequest {
    system?: string;
    user: string;
    sampling: SamplingParams;
    modelPath?: string;
    useCache: boolean;
}

async function runCell(deps: RunDeps, req: CellRequest, onChunk: (text: string) => void, signal: AbortSignal, linter: Linter | undefined): Promise<CellResult> {
    let pending = "";
    let streamed = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (pending) onChunk(pending);
        pending = "";
    };
    let result: CellResult;
    try {
        const r = await deps.generate(
            { prompt: { ...(req.system !== undefined ? { system: req.system } : {}), user: req.user }, sampling: req.sampling, ...(req.modelPath ? { modelPath: req.modelPath } : {}) },
            {
                signal,
                cache: req.useCache,
                onText: (t) => {
                    streamed += t;
                    pending += t;
                    timer ??= setTimeout(flush, CHUNK_INTERVAL_MS);
                },
            },
        );
        flush();
        const m = r.metrics;
        result = {
            text: r.text,
            stopReason: r.stopReason,
            ...(r.seed !== undefined ? { seed: r.seed } : {}),
            ...(req.modelPath ? { model: path.basename(req.modelPath) } : {}),
            metrics: {
                totalMs: m.totalMs,
                timeToFirstTokenMs: m.timeToFirstTokenMs,
                tokensPerSecond: m.tokensPerSecond,
                promptTokens: m.promptTokens,
                outputTokens: m.outputTokens,
                cacheHit: m.cacheHit,
                ...(m.loadMs ? { loadMs: m.loadMs } : {}),
                ...(m.startupMs ? { startupMs: m.startupMs } : {}),
            },
            findings: [],
            flagged: false,
        };
    } catch (e) {
        flush();
        const err = toPromptsmithError(e);
        const aborted = err.code === "ABORTED" || signal.aborted;
        result = {
            text: streamed,
            stopReason: aborted ? "abort" : "error",
            ...(aborted ? {} : { error: [err.message, err.fix].filter(Boolean).join(" ") }),
            ...(req.sampling.seed !== undefined ? { seed: req.sampling.seed } : {}),
            ...(req.modelPath ? { model: path.basename(req.modelPath) } : {}),
            findings: [],
            flagged: false,
        };
        if (!aborted) deps.logger.warn(`Playground: a run failed: [${err.code}] ${err.message}`);
    }
    if (linter && result.text) {
        try {
            const check = checkOutput(linter, result.text, "Output");
            result.findings = check.findings.map((f): OutputFinding => ({ ruleId: f.ruleId, severity: f.severity, message: f.message, start: f.start, end: f.end }));
            result.flagged = check.findings.some((f) => f.severity !== "info");
        } catch (e) {
            deps.logger.warn(`Playground: the output linter failed: ${e instanceof Error ? e.message : String(e)}`);
        }
    }
    return result;
}

function spreadOf(column: number, rs: readonly CellResult[]): ColumnSpread {
    const ok = rs.filter((r) => r.stopReason !== "error");
    const withMetrics = ok.filter((r) => r.metrics);
    const s: ColumnSpread = { column, runs: rs.length, distinctOutputs: new Set(ok.map((r) => r.text)).size };
    const tps = spread(withMetrics.filter((r) => !r.metrics!.cacheHit).map((r) => r.metrics!.tokensPerSecond));
    const out = spread(withMetrics.map((r) => r.metrics!.outputTokens));
    const chars = spread(ok.map((r) => r.text.length));
    const total = spread(withMetrics.map((r) => r.metrics!.totalMs));
    if (tps) s.tokensPerSecond = tps;
    if (out) s.outputTokens = out;
    if (chars) s.outputChars = chars;
    if (total) s.totalMs = total;
    return s;
}

/** A record as a history row's result (reopening a run). */
export function cellFromRecord(r: RunRecord): CellResult {
    return {
        runId: r.id,
        text: r.output,
        stopReason: r.stopReason,
        ...(r.error ? { error: r.error } : {}),
        ...(r.seed !== undefined ? { seed: r.seed } : {}),
        model: r.model,
        ...(r.metrics ? { metrics: { ...r.metrics } } : {}),
        // Offsets are not stored: the findings are found again when the run is reopened (see history.ts).
        findings: [],
        flagged: r.flagged ?? false,
    };
}
