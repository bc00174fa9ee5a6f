// Token counts with the model's own tokenizer through the runner process (RunnerClient.countTokens),
// against node-llama-cpp's tokenizer used directly in this process, with the real test model.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { RunnerClient } from "../src/core/runner/client.ts";
import { DEFAULT_CONTEXT_SIZE, type GenerateRequest } from "../src/core/runner/protocol.ts";
import { PromptsmithError } from "../src/core/errors.ts";
import { builtFile, testModelPath } from "./support/env.ts";

const modelPath = testModelPath();
const workerPath = builtFile("runner.mjs");
const client = new RunnerClient({ workerPath });
const tmp = await mkdtemp(join(tmpdir(), "promptsmith-tokenize-"));
const llama = await getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: LlamaLogLevel.error });
const direct = await llama.loadModel({ modelPath, gpuLayers: 0 });
after(async () => {
    await client.dispose();
    await direct.dispose();
    await llama.dispose();
    await rm(tmp, { recursive: true, force: true });
});

const TEXTS = [
    "Once upon a time",
    "Once upon a time there was a little girl named Lily.",
    "Once upon a time there was a little girl named Lily. She loved to play in the park with her dog, Max.",
    "你好，世界 — naïve café ✓",
    "def double(x):\n    return x * 2\n",
    "  two leading spaces, and <s> </s> written as text",
    "",
];
const expected = TEXTS.map((t) => direct.tokenize(t, false).length);
const story = (maxTokens: number, path = modelPath): GenerateRequest => ({ modelPath: path, prompt: { user: "Once upon a time" }, sampling: { temperature: 0, maxTokens } });
const isCode = (code: string) => (e: unknown) => {
    assert.ok(e instanceof PromptsmithError, `expected a PromptsmithError, got ${String(e)}`);
    assert.equal(e.code, code, `${e.code}: ${e.message}`);
    return true;
};

test("counts equal node-llama-cpp's own tokenizer, are deterministic, grow with the text; context sizes", async () => {
    const a = await client.countTokens({ modelPath, texts: TEXTS });
    assert.deepEqual(a.counts, expected);
    for (const [i, n] of a.counts.entries()) {
        if (TEXTS[i]) assert.ok(n > 0, `text ${i}: ${n} tokens`);
        else assert.equal(n, 0, "the empty text has no tokens (no BOS is added)");
    }
    assert.ok(a.counts[0]! < a.counts[1]! && a.counts[1]! < a.counts[2]!, `longer text, more tokens: ${a.counts.slice(0, 3).join(" < ")}`);
    const b = await client.countTokens({ modelPath, texts: TEXTS });
    assert.deepEqual(b, a, "the same texts give the same answer");

    assert.equal(a.trainContextSize, direct.trainContextSize);
    assert.equal(a.contextSize, Math.min(DEFAULT_CONTEXT_SIZE, direct.trainContextSize), "the default context window of a generation");
    const small = await client.countTokens({ modelPath, texts: ["x"], load: { contextSize: 256 } });
    assert.equal(small.contextSize, 256);
    const huge = await client.countTokens({ modelPath, texts: [], load: { contextSize: 1_000_000 } });
    assert.deepEqual(huge, { counts: [], contextSize: direct.trainContextSize, trainContextSize: direct.trainContextSize }, "never more than the training context");

    // A generation's own prompt count (completion mode: BOS + the text) agrees with the tokenizer.
    const g = await client.generate(story(1), { cache: false });
    const bos = direct.tokens.shouldPrependBosToken && direct.tokens.bos != null ? 1 : 0;
    assert.equal(g.metrics.promptTokens, bos + direct.tokenize("Once upon a time", false, bos ? "trimLeadingSpace" : undefined).length);
});

test("a model not loaded yet is loaded for counting (with progress), and a generation afterwards reuses it", async () => {
    const fresh = new RunnerClient({ workerPath });
    try {
        const phases: string[] = [];
        let last = 0;
        const r = await fresh.countTokens({ modelPath, texts: TEXTS }, { onPhase: (p, x) => { phases.push(p); if (x !== undefined) last = x; } });
        assert.deepEqual(r.counts, expected);
        assert.equal(phases[0], "starting");
        assert.ok(phases.includes("loading"), `phases: ${[...new Set(phases)].join(", ")}`);
        assert.equal(last, 1, "loading progress reaches 1");
        const g = await fresh.generate(story(4), { cache: false });
        assert.equal(g.metrics.loadMs, 0, "the model loaded for counting is the one the generation uses");
        assert.equal(g.metrics.startupMs, 0, "and the same process");
    } finally {
        await fresh.dispose();
    }
});

test("counting while a generation runs: answered at once, between tokens, and the generation is unchanged", async (t) => {
    const reference = await client.generate(story(400), { cache: false });
    let finished = false;
    const latencies: number[] = [];
    const counts: Array<Promise<void>> = [];
    let answeredDuring = 0;
    const r = await client.generate(story(400), {
        cache: false,
        onText: () => {
            if (counts.length >= 20) return;
            const started = performance.now();
            counts.push(client.countTokens({ modelPath, texts: TEXTS }).then((c) => {
                assert.deepEqual(c.counts, expected);
                latencies.push(performance.now() - started);
                if (!finished) answeredDuring++;
            }));
        },
    }).then((x) => { finished = true; return x; });
    await Promise.all(counts);
    assert.equal(r.text, reference.text, "the generation's text is unchanged");
    assert.equal(r.metrics.outputTokens, reference.metrics.outputTokens);
    assert.equal(r.stopReason, reference.stopReason);
    assert.ok(counts.length >= 5, `only ${counts.length} chunks arrived to count during`);
    // Queued behind the generation, none would be answered before it ended; the last few may be, by the time their promises settle.
    assert.ok(answeredDuring >= Math.ceil(counts.length / 2), `${answeredDuring} of ${counts.length} counts answered before the generation ended (not queued behind it)`);
    latencies.sort((a, b) => a - b);
    t.diagnostic(`${answeredDuring} of ${counts.length} counts answered during a ${r.metrics.totalMs.toFixed(0)} ms generation: median ${latencies[latencies.length >> 1]!.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms; reference generation ${reference.metrics.totalMs.toFixed(0)} ms`);
});

test("counting on a model that is not loaded waits for the running generation, then loads it; abort skips the load", async () => {
    const other = join(tmp, "other.gguf");
    await copyFile(modelPath, other); // another file: another model to the runner
    const reference = await client.generate(story(300), { cache: false });

    // Messages arrive in the runner's order: when the other model starts loading, how much of the answer had streamed?
    let streamed = "";
    let streamedWhenLoading: number | undefined;
    let count: Promise<void> | undefined;
    const r = await client.generate(story(300), {
        cache: false,
        onText: (text) => {
            streamed += text;
            count ??= client.countTokens({ modelPath: other, texts: TEXTS }, {
                onPhase: (phase) => { if (phase === "loading") streamedWhenLoading ??= streamed.length; },
            }).then((c) => assert.deepEqual(c.counts, expected));
        },
    });
    await count;
    assert.equal(r.text, reference.text, "the generation ran to its end unchanged");
    assert.equal(r.metrics.outputTokens, reference.metrics.outputTokens);
    assert.equal(streamedWhenLoading, r.text.length, "the other model was loaded only after the whole answer (loading disposes the generating model)");
    const back = await client.generate(story(2), { cache: false });
    assert.ok(back.metrics.loadMs > 0, "the other model had replaced it, so it is loaded again");

    // Aborted while queued behind a generation: nothing is loaded, the loaded model stays.
    const ac = new AbortController();
    let aborted: Promise<unknown> | undefined;
    await client.generate(story(200), {
        cache: false,
        onText: () => {
            if (aborted) return;
            aborted = client.countTokens({ modelPath: other, texts: ["x"] }, { signal: ac.signal }).then(() => "resolved", (e: unknown) => e);
            ac.abort();
        },
    });
    assert.ok(isCode("ABORTED")(await aborted));
    const still = await client.generate(story(2), { cache: false });
    assert.equal(still.metrics.loadMs, 0, "the aborted count did not load the other model");
});

test("clear errors: missing file, not a GGUF, bad texts, cancelled before it starts; a dead runner is restarted", async () => {
    await assert.rejects(client.countTokens({ modelPath: join(tmp, "missing.gguf"), texts: ["x"] }), isCode("MODEL_NOT_FOUND"));
    const html = join(tmp, "page.gguf");
    await writeFile(html, "<!DOCTYPE html><html><body>Not found</body></html>\n".repeat(20));
    await assert.rejects(client.countTokens({ modelPath: html, texts: ["x"] }), isCode("NOT_GGUF"));
    await assert.rejects(client.countTokens({ modelPath, texts: "x" as unknown as string[] }), isCode("INVALID_ARGUMENT"));
    await assert.rejects(client.countTokens({ modelPath, texts: ["x"] }, { signal: AbortSignal.abort() }), isCode("ABORTED"));

    const pid = client.pid;
    assert.ok(pid);
    const exited = new Promise<void>((resolve) => { const sub = client.onExit(() => { sub.dispose(); resolve(); }); });
    process.kill(pid, "SIGKILL");
    await exited;
    const again = await client.countTokens({ modelPath, texts: TEXTS });
    assert.deepEqual(again.counts, expected);
    assert.notEqual(client.pid, pid, "a fresh runner process");
});
