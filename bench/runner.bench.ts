// npm run bench:runner — the runner (the CLI's path: caller → runner process → node-llama-cpp) against
// a minimal direct node-llama-cpp script, same model, prompt, threads and settings, in the same run.
// Prints numbers; it is not a timed test. Targets: generation throughput ≥ 0.95× direct; time to
// first token within 20 ms of direct.
import { spawnSync } from "node:child_process";
import { RunnerClient } from "../src/core/runner/client.ts";
import { normalizeSampling } from "../src/core/sampling.ts";
import { builtFile, repoRoot, testModelPath } from "../test/support/env.ts";

const modelPath = process.env.PROMPTSMITH_MODEL ?? testModelPath();
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const MAX_TOKENS = Number(process.env.BENCH_TOKENS ?? 128);
const PROMPT = "Once upon a time";
const CONTEXT = 2048;

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const now = () => performance.now();

interface Sample { ttftMs: number; tokensPerSecond: number; tokens: number }

// ---- the runner, exactly as the CLI drives it ----
const client = new RunnerClient({ workerPath: builtFile("runner.mjs"), cache: false });
const warm = await client.generate({ modelPath, prompt: { user: PROMPT }, sampling: { temperature: 0, maxTokens: 8 }, load: { contextSize: CONTEXT } });
const threads = warm.metrics.threads;
async function runnerSample(): Promise<Sample> {
    const r = await client.generate({ modelPath, prompt: { user: PROMPT }, sampling: { temperature: 0, maxTokens: MAX_TOKENS }, load: { contextSize: CONTEXT, threads } });
    return { ttftMs: r.metrics.timeToFirstTokenMs, tokensPerSecond: r.metrics.tokensPerSecond, tokens: r.metrics.outputTokens };
}

// ---- a minimal direct node-llama-cpp script ----
const { getLlama, LlamaCompletion } = await import("node-llama-cpp");
const llama = await getLlama({ gpu: false, build: "never", logger: () => {} });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: CONTEXT, threads, batchSize: 512 });
const sequence = context.getSequence();
async function directSample(): Promise<Sample> {
    await sequence.clearHistory();
    const completion = new LlamaCompletion({ contextSequence: sequence });
    let first = 0;
    let last = 0;
    let tokens = 0;
    let text = "";
    const t0 = now();
    // Exactly the sampling settings the runner resolves for this request (its defaults included).
    const s = normalizeSampling({ temperature: 0, maxTokens: MAX_TOKENS });
    await completion.generateCompletion(PROMPT, {
        temperature: s.temperature, topK: s.topK, topP: s.topP, minP: s.minP, repeatPenalty: false,
        maxTokens: s.maxTokens, disableContextShift: true,
        onToken: (t) => { const n = now(); if (!first) first = n; last = n; tokens += t.length; },
        onTextChunk: (t) => { text += t; }, // stream text, as any caller that shows it does
    });
    completion.dispose({ disposeSequence: false });
    if (!text) throw new Error("direct script produced no text");
    return { ttftMs: first - t0, tokensPerSecond: (tokens - 1) / ((last - first) / 1000), tokens };
}

await directSample(); // warm-up
const runner: Sample[] = [];
const direct: Sample[] = [];
for (let i = 0; i < RUNS; i++) { // interleaved, so drift on a noisy machine hits both alike
    runner.push(await runnerSample());
    direct.push(await directSample());
}
await client.dispose();
await context.dispose();
await model.dispose();

const pairRatio = median(runner.map((x, i) => x.tokensPerSecond / direct[i]!.tokensPerSecond));
const r = { tps: median(runner.map((s) => s.tokensPerSecond)), ttft: median(runner.map((s) => s.ttftMs)), tokens: median(runner.map((s) => s.tokens)) };
const d = { tps: median(direct.map((s) => s.tokensPerSecond)), ttft: median(direct.map((s) => s.ttftMs)), tokens: median(direct.map((s) => s.tokens)) };

// ---- the real CLI end to end (process start, llama.cpp init, model load, generation) ----
const cliRuns: number[] = [];
let cliMetrics: { totalMs: number; tokensPerSecond: number; outputTokens: number; promptTokens: number; startupMs: number; loadMs: number; timeToFirstTokenMs: number } | undefined;
for (let i = 0; i < 3; i++) {
    const t0 = now();
    const p = spawnSync(process.execPath, [builtFile("cli.mjs"), "generate", "--requirements", "examples/fizzbuzz.md", "--language", "python", "--model", modelPath, "--temperature", "0", "--max-tokens", String(MAX_TOKENS), "--json"], { cwd: repoRoot, encoding: "utf8" });
    cliRuns.push(now() - t0);
    if (p.status !== 0) throw new Error(`CLI failed: ${p.stderr}`);
    cliMetrics = (JSON.parse(p.stdout) as { metrics: typeof cliMetrics }).metrics;
}

const fmt = (n: number, d = 1) => n.toFixed(d).padStart(9);
console.log(`\nbench:runner — ${modelPath}`);
console.log(`${RUNS} interleaved runs each, ${MAX_TOKENS} tokens, greedy, ${threads} thread(s), context ${CONTEXT}; medians\n`);
console.log(`                         runner     direct     ratio / diff     target`);
console.log(`generation tokens/s  ${fmt(r.tps, 0)}  ${fmt(d.tps, 0)}  ${fmt(r.tps / d.tps, 3)}×         ≥ 0.95×  ${r.tps / d.tps >= 0.95 ? "met" : "MISSED"}`);
console.log(`time to first token  ${fmt(r.ttft, 2)}  ${fmt(d.ttft, 2)}  ${fmt(r.ttft - d.ttft, 2)} ms        ≤ +20 ms ${r.ttft - d.ttft <= 20 ? "met" : "MISSED"}`);
console.log(`output tokens        ${fmt(r.tokens, 0)}  ${fmt(d.tokens, 0)}`);
console.log(`median of per-pair throughput ratios: ${pairRatio.toFixed(3)}× (each runner run against the direct run right after it)`);
const m = cliMetrics!;
console.log(`\nCLI end to end, examples/fizzbuzz.md (${m.promptTokens} prompt tokens → ${m.outputTokens} tokens), a new process each time: median ${median(cliRuns).toFixed(0)} ms wall.`);
console.log(`  last run: runner start + llama.cpp init ${m.startupMs.toFixed(0)} ms, model load ${m.loadMs.toFixed(0)} ms, first token ${m.timeToFirstTokenMs.toFixed(0)} ms, ` +
    `${m.tokensPerSecond.toFixed(0)} tokens/s, request total ${m.totalMs.toFixed(0)} ms`);
