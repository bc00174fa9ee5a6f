// The local history of runs (code generation, playground) and the feedback on them: two bounded JSONL
// files in one folder on this machine (the extension's global storage). Nothing is sent anywhere.
// Several windows may share the folder: appends never interleave, and each store re-reads a file when
// its size or mtime changed, so another window's runs show up (and fire onDidChange while someone listens).
import { randomUUID } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { PromptsmithError } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";
import { JsonlFile } from "./jsonl.ts";
import type { FeedbackRecord, RunRecord } from "./records.ts";

export type { FeedbackRecord, RunMetricsRecord, RunRecord } from "./records.ts";

export interface LocalStoreOptions {
    dir: string;
    /** Runs kept (the newest); 0 keeps none. */
    maxRuns: number;
    /** Feedback records kept (the newest); default 4 × maxRuns (a rating changed a few times, a correction), following setMaxRuns. */
    maxFeedback?: number;
    /** Size each file may grow to before it is compacted (default 32 MiB). */
    maxFileBytes?: number;
    /** Largest single record in bytes; larger ones have their longest texts cut with a marker (default 256 KiB). */
    maxEntryBytes?: number;
    /** Where skipped lines and failed background compactions are reported (never prompt or output text). */
    logger?: Logger;
}

export type RunFilter = { kind?: RunRecord["kind"]; source?: string; model?: string; limit?: number };

/** The latest feedback on one run: the latest rating, correction and note (each from the newest record that has one). */
export interface FeedbackSummary {
    rating?: "up" | "down";
    correction?: string;
    note?: string;
    /** Every record for the run, oldest first. */
    records: FeedbackRecord[];
}

const FEEDBACK_PER_RUN = 4;
const WATCH_DEBOUNCE_MS = 150;

export class LocalStore {
    readonly files: { runs: string; feedback: string };
    private readonly runsFile: JsonlFile<RunRecord>;
    private readonly feedbackFile: JsonlFile<FeedbackRecord>;
    private readonly explicitMaxFeedback: number | undefined;
    private readonly logger: Logger;
    private readonly listeners = new Set<() => void>();
    private readonly clearListeners = new Set<(what: "all" | "runs" | "feedback") => void>();
    private watcher: FSWatcher | undefined;
    private watchTimer: NodeJS.Timeout | undefined;
    private disposed = false;

    constructor(private readonly opts: LocalStoreOptions) {
        this.logger = opts.logger ?? silentLogger;
        this.files = { runs: join(opts.dir, "runs.jsonl"), feedback: join(opts.dir, "feedback.jsonl") };
        const maxRuns = checkMax(opts.maxRuns, "maxRuns");
        this.explicitMaxFeedback = opts.maxFeedback === undefined ? undefined : checkMax(opts.maxFeedback, "maxFeedback");
        const common = { maxBytes: opts.maxFileBytes, maxEntryBytes: opts.maxEntryBytes, logger: this.logger };
        this.runsFile = new JsonlFile<RunRecord>({ ...common, path: this.files.runs, maxEntries: maxRuns, validate: isRunRecord });
        this.feedbackFile = new JsonlFile<FeedbackRecord>({
            ...common,
            path: this.files.feedback,
            maxEntries: this.explicitMaxFeedback ?? maxRuns * FEEDBACK_PER_RUN,
            validate: isFeedbackRecord,
        });
    }

    get maxRuns(): number {
        return this.runsFile.maxEntries;
    }

    /** Changes how many runs are kept; a smaller bound drops the oldest at once (0 = keep none, feedback included unless maxFeedback was given). */
    setMaxRuns(n: number): void {
        const maxRuns = checkMax(n, "maxRuns");
        const done = Promise.all([
            this.runsFile.setBounds({ maxEntries: maxRuns }),
            this.explicitMaxFeedback === undefined ? this.feedbackFile.setBounds({ maxEntries: maxRuns * FEEDBACK_PER_RUN }) : Promise.resolve(false),
        ]);
        done.then(
            ([a, b]) => { if (a || b) this.fire(); },
            (e: unknown) => this.logger.warn(`History: could not apply the new limit of ${maxRuns} runs: ${e instanceof Error ? e.message : String(e)}`),
        );
    }

    /** Stores a run (id and time filled in unless given) and resolves with it as stored (long texts may be trimmed). With maxRuns 0 nothing is stored. */
    async addRun(r: Omit<RunRecord, "id" | "at"> & Partial<Pick<RunRecord, "id" | "at">>): Promise<RunRecord> {
        const record = { ...r, id: r.id ?? randomUUID(), at: r.at ?? new Date().toISOString() } as RunRecord;
        if (!isRunRecord(record)) {
            throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: "A history run needs kind, model, request.user, sampling, output and stopReason.", fix: "Pass a complete RunRecord to LocalStore.addRun." });
        }
        const stored = await this.runsFile.append(record);
        if (this.runsFile.maxEntries > 0) this.fire();
        return stored;
    }

    /** Runs, newest first (by time, then by order of writing). */
    async runs(filter: RunFilter = {}): Promise<RunRecord[]> {
        const { entries } = await this.runsFile.read();
        const picked = entries
            .map((r, i) => ({ r, i, t: timeOf(r.at) }))
            .filter(({ r }) =>
                (filter.kind === undefined || r.kind === filter.kind) &&
                (filter.source === undefined || r.source === filter.source) &&
                (filter.model === undefined || r.model === filter.model || r.modelPath === filter.model))
            .sort((a, b) => b.t - a.t || b.i - a.i)
            .map(({ r }) => r);
        const limit = filter.limit;
        return limit !== undefined && Number.isFinite(limit) && limit >= 0 ? picked.slice(0, Math.floor(limit)) : picked;
    }

    /** The run with this id (the latest one written, should an id repeat). */
    async getRun(id: string): Promise<RunRecord | undefined> {
        const { entries } = await this.runsFile.read();
        for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.id === id) return entries[i];
        return undefined;
    }

    /** Stores feedback on a run: a rating, a correction and/or a note (the latest of each counts). */
    async addFeedback(f: Omit<FeedbackRecord, "id" | "at">): Promise<FeedbackRecord> {
        const record: FeedbackRecord = { ...f, id: randomUUID(), at: new Date().toISOString() };
        if (!isFeedbackRecord(record) || (record.rating === undefined && record.correction === undefined && record.note === undefined)) {
            throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: "Feedback needs a runId and a rating (\"up\" or \"down\"), a correction or a note.", fix: "Pass one of them to LocalStore.addFeedback." });
        }
        const stored = await this.feedbackFile.append(record);
        if (this.feedbackFile.maxEntries > 0) this.fire();
        return stored;
    }

    /** Every feedback record, oldest first (so the last one for a run is its latest). */
    async feedback(): Promise<FeedbackRecord[]> {
        return (await this.feedbackFile.read()).entries;
    }

    /** The latest rating, correction and note on one run. */
    async feedbackFor(runId: string): Promise<FeedbackSummary> {
        return summarizeFeedback((await this.feedback()).filter((f) => f.runId === runId));
    }

    /** Corrupt or truncated lines skipped while reading, and what is stored. */
    async stats(): Promise<{ runs: number; feedback: number; skippedLines: number; bytes: number }> {
        const [r, f] = await Promise.all([this.runsFile.read(), this.feedbackFile.read()]);
        return { runs: r.entries.length, feedback: f.entries.length, skippedLines: r.skipped + f.skipped, bytes: r.bytes + f.bytes };
    }

    async clear(what: "all" | "runs" | "feedback" = "all"): Promise<void> {
        await Promise.all([
            what !== "feedback" ? this.runsFile.clear() : undefined,
            what !== "runs" ? this.feedbackFile.clear() : undefined,
        ]);
        this.fire();
        for (const l of [...this.clearListeners]) {
            try {
                l(what);
            } catch (e) {
                this.logger.warn(`History: a clear listener failed: ${e instanceof Error ? e.message : String(e)}`);
            }
        }
    }

    /**
     * Fires after clear() (whoever called it) with what was cleared: every holder of copies of runs or
     * feedback (a view's saved state, a response cache) drops them. Not fired for another process's clear.
     */
    onDidClear(listener: (what: "all" | "runs" | "feedback") => void): { dispose(): void } {
        this.clearListeners.add(listener);
        return { dispose: () => void this.clearListeners.delete(listener) };
    }

    /**
     * The runs matching the filter with their feedback, oldest first. "jsonl": one run per line with a
     * `feedback` array; "markdown": a readable document (request, settings, output in a fence that
     * survives backticks in the text, metrics, rating and correction).
     */
    async export(format: "jsonl" | "markdown", filter: RunFilter = {}): Promise<string> {
        const [runs, feedback] = await Promise.all([this.runs(filter), this.feedback()]);
        runs.reverse();
        const byRun = new Map<string, FeedbackRecord[]>();
        for (const f of feedback) {
            const list = byRun.get(f.runId);
            if (list) list.push(f);
            else byRun.set(f.runId, [f]);
        }
        if (format === "jsonl") return runs.map((r) => `${JSON.stringify({ ...r, feedback: byRun.get(r.id) ?? [] })}\n`).join("");
        return historyMarkdown(runs, byRun);
    }

    /**
     * Fires after this store wrote, and (while at least one listener is registered) when another
     * process changed the files. Never with the data: read it with runs()/feedback().
     */
    onDidChange(listener: () => void): { dispose(): void } {
        this.listeners.add(listener);
        this.startWatching();
        return {
            dispose: () => {
                this.listeners.delete(listener);
                if (this.listeners.size === 0) this.stopWatching();
            },
        };
    }

    /** Stops watching the folder and drops the listeners. Pending writes still complete. */
    dispose(): void {
        this.disposed = true;
        this.listeners.clear();
        this.clearListeners.clear();
        this.stopWatching();
    }

    /** Identity of a history file (inode, size, mtime), or "none"; what the last notification saw. */
    private async signature(path: string): Promise<string> {
        try {
            const st = await stat(path);
            return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
        } catch {
            return "none";
        }
    }

    /** Records the files' current identity as notified (after own writes and notifications). */
    private async markSeen(): Promise<void> {
        const [a, b] = await Promise.all([this.signature(this.files.runs), this.signature(this.files.feedback)]);
        this.seen = { runs: a, feedback: b };
    }

    private seen: { runs: string; feedback: string } | undefined;

    private fire(): void {
        if (this.watcher) void this.markSeen();
        for (const l of [...this.listeners]) {
            try {
                l();
            } catch (e) {
                this.logger.warn(`History: a change listener failed: ${e instanceof Error ? e.message : String(e)}`);
            }
        }
    }

    private startWatching(): void {
        if (this.watcher || this.disposed) return;
        const dir = this.opts.dir;
        const names = new Set([basename(this.files.runs), basename(this.files.feedback)]);
        void mkdir(dir, { recursive: true, mode: 0o700 }).then(() => {
            if (this.watcher || this.disposed || this.listeners.size === 0) return;
            try {
                const w = watch(dir, { persistent: false }, (_event, name) => {
                    if (name && !names.has(String(name))) return; // temp files of a compaction
                    if (this.watchTimer) return;
                    this.watchTimer = setTimeout(() => {
                        this.watchTimer = undefined;
                        void this.checkExternalChange();
                    }, WATCH_DEBOUNCE_MS);
                });
                w.on("error", (e) => {
                    this.logger.debug(`History: stopped watching ${dir}: ${e.message}`);
                    this.stopWatching();
                });
                this.watcher = w;
                void this.markSeen();
            } catch (e) {
                this.logger.debug(`History: cannot watch ${dir} (another window's runs show up on the next read): ${e instanceof Error ? e.message : String(e)}`);
            }
        }, (e: unknown) => this.logger.debug(`History: cannot create ${dir}: ${e instanceof Error ? e.message : String(e)}`));
    }

    private async checkExternalChange(): Promise<void> {
        try {
            // Compared with what the last notification (or own write) saw, not with the read cache: a
            // read in between (this window listing its runs) must not swallow another window's change.
            const [a, b] = await Promise.all([this.signature(this.files.runs), this.signature(this.files.feedback)]);
            const before = this.seen;
            if (before && before.runs === a && before.feedback === b) return;
            this.seen = { runs: a, feedback: b };
            if (!this.disposed) this.fire();
        } catch (e) {
            this.logger.debug(`History: could not check the history files after a change on disk: ${e instanceof Error ? e.message : String(e)}`);
        }
    }

    private stopWatching(): void {
        if (this.watchTimer) clearTimeout(this.watchTimer);
        this.watchTimer = undefined;
        this.watcher?.close();
        this.watcher = undefined;
    }
}

/** The latest rating, correction and note among a run's feedback records (given oldest first). */
export function summarizeFeedback(records: readonly FeedbackRecord[]): FeedbackSummary {
    const s: FeedbackSummary = { records: [...records] };
    for (const f of records) {
        if (f.rating !== undefined) s.rating = f.rating;
        if (f.correction !== undefined) s.correction = f.correction;
        if (f.note !== undefined) s.note = f.note;
    }
    return s;
}

function checkMax(n: number, name: string): number {
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
        throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: `History: ${name} must be a number of entries (0 or more), got ${String(n)}.`, fix: "Use a whole number such as 500 (setting promptsmith.history.maxEntries)." });
    }
    return Math.floor(n);
}

function timeOf(at: string): number {
    const t = Date.parse(at);
    return Number.isNaN(t) ? 0 : t;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const optStr = (v: unknown): boolean => v === undefined || typeof v === "string";

function isRunRecord(v: unknown): v is RunRecord {
    return isObj(v) &&
        typeof v.id === "string" && v.id.length > 0 &&
        typeof v.at === "string" &&
        (v.kind === "codegen" || v.kind === "playground") &&
        typeof v.model === "string" &&
        optStr(v.modelPath) && optStr(v.source) &&
        (v.column === undefined || typeof v.column === "number") &&
        isObj(v.request) && typeof v.request.user === "string" &&
        isObj(v.sampling) &&
        typeof v.output === "string" && optStr(v.code) &&
        typeof v.stopReason === "string" &&
        (v.metrics === undefined || isObj(v.metrics)) &&
        (v.findings === undefined || Array.isArray(v.findings));
}

function isFeedbackRecord(v: unknown): v is FeedbackRecord {
    return isObj(v) &&
        typeof v.id === "string" && typeof v.at === "string" &&
        typeof v.runId === "string" && v.runId.length > 0 &&
        (v.rating === undefined || v.rating === "up" || v.rating === "down") &&
        optStr(v.correction) && optStr(v.note);
}

// ---- Markdown export ----

/** A fence longer than any run of backticks (or tildes) in the text, so the text cannot close it. */
export function fenced(text: string, info = ""): string {
    const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
    const fence = "`".repeat(Math.max(3, longest + 1));
    const safeInfo = info.replace(/[`\s]/g, "");
    return `${fence}${safeInfo}\n${text}${text.endsWith("\n") ? "" : "\n"}${fence}`;
}

/** Inline code that survives backticks in the value. */
function code(value: string): string {
    const longest = Math.max(0, ...[...value.matchAll(/`+/g)].map((m) => m[0].length));
    const ticks = "`".repeat(longest + 1);
    const pad = value.startsWith("`") || value.endsWith("`") ? " " : "";
    return `${ticks}${pad}${value.replace(/\r?\n/g, " ")}${pad}${ticks}`;
}

function ms(n: number): string {
    return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}

function historyMarkdown(runs: readonly RunRecord[], feedback: ReadonlyMap<string, FeedbackRecord[]>): string {
    const out: string[] = ["# Promptsmith history", "", `Exported ${new Date().toISOString()}: ${runs.length} run${runs.length === 1 ? "" : "s"}, oldest first.`, ""];
    for (const r of runs) {
        out.push(`## ${r.at.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")} · ${r.kind === "codegen" ? "Code generation" : "Playground"} · ${code(r.model)}`, "");
        const facts = [
            `- Run: ${code(r.id)}`,
            r.modelPath ? `- Model file: ${code(r.modelPath)}` : "",
            r.source ? `- Prompt file: ${code(r.source)}` : "",
            r.column !== undefined ? `- Column: ${r.column + 1}` : "",
            `- Stopped: ${r.stopReason === "error" ? `error${r.error ? `: ${code(r.error)}` : ""}` : r.stopReason}`,
            r.flagged ? "- Flagged by the output check" : "",
        ].filter(Boolean);
        out.push(...facts, "");

        out.push("### Request", "");
        const q = r.request;
        if (q.language) out.push(`Language: ${code(q.language)}`, "");
        if (q.system) out.push("System:", "", fenced(q.system, "text"), "");
        if (q.requirements) out.push("Requirements:", "", fenced(q.requirements, "markdown"), "");
        out.push("User:", "", fenced(q.user, "text"), "");
        const vars = Object.entries(q.variables ?? {});
        for (const [k, v] of vars) out.push(`Variable ${code(k)}:`, "", fenced(v, "text"), "");

        out.push("### Settings", "");
        const settings = Object.entries(r.sampling).filter(([, v]) => v !== undefined);
        if (r.seed !== undefined && r.sampling.seed === undefined) settings.push(["seed", r.seed]);
        out.push(settings.length ? settings.map(([k, v]) => `- ${k}: ${code(typeof v === "string" ? v : JSON.stringify(v))}`).join("\n") : "- defaults", "");

        out.push("### Output", "", fenced(r.output, "text"), "");
        if (r.code !== undefined) out.push(`### Code${r.request.language ? ` (${r.request.language})` : ""}`, "", fenced(r.code, r.request.language ?? ""), "");
        if (r.findings?.length) {
            out.push("### Output check", "", ...r.findings.map((f) => `- ${f.severity}: ${code(f.ruleId)}`), "");
        }
        const m = r.metrics;
        if (m) {
            out.push("### Metrics", "", [
                `- Total: ${ms(m.totalMs)}`,
                `- Time to first token: ${ms(m.timeToFirstTokenMs)}`,
                `- Tokens per second: ${m.tokensPerSecond.toFixed(1)}`,
                `- Prompt tokens: ${m.promptTokens}`,
                `- Output tokens: ${m.outputTokens}`,
                `- Cache hit: ${m.cacheHit ? "yes" : "no"}`,
                m.loadMs !== undefined ? `- Model load: ${ms(m.loadMs)}` : "",
            ].filter(Boolean).join("\n"), "");
        }
        const fb = feedback.get(r.id);
        if (fb?.length) {
            const s = summarizeFeedback(fb);
            out.push("### Feedback", "");
            if (s.rating) out.push(`- Rating: ${s.rating === "up" ? "👍 accepted (up)" : "👎 rejected (down)"}`);
            if (s.note) out.push(`- Note: ${code(s.note)}`);
            if (fb.length > 1) out.push(`- ${fb.length} feedback entries, latest ${fb[fb.length - 1]!.at}`);
            out.push("");
            if (s.correction !== undefined) out.push("Correction:", "", fenced(s.correction, r.request.language ?? "text"), "");
        }
    }
    return `${out.join("\n").trimEnd()}\n`;
}
