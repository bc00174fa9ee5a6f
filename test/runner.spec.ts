// The model runner against the real llama.cpp (node-llama-cpp) and the real test model.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdtemp, open, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RunnerClient } from "../src/core/runner/client.ts";
import { PromptsmithError } from "../src/core/errors.ts";
import type { GenerateRequest } from "../src/core/runner/protocol.ts";
import { builtFile, testModelPath } from "./support/env.ts";
import { writeTinyLlama } from "./support/gguf-writer.ts";

const modelPath = testModelPath();
const client = new RunnerClient({ workerPath: builtFile("runner.mjs") });
const tmp = await mkdtemp(join(tmpdir(), "promptsmith-runner-"));
after(async () => {
    await client.dispose();
    await rm(tmp, { recursive: true, force: true });
});

const story = (sampling: GenerateRequest["sampling"], user = "Once upon a time"): GenerateRequest => ({ modelPath, prompt: { user }, sampling });

function isCode(code: string) {
    return (e: unknown) => {
        assert.ok(e instanceof PromptsmithError, `expected a PromptsmithError, got ${String(e)}`);
        assert.equal(e.code, code, `${e.code}: ${e.message}`);
        return true;
    };
}

test("greedy output is identical across runs (cache bypassed), with metrics", async () => {
    const a = await client.generate(story({ temperature: 0, maxTokens: 64 }), { cache: false });
    const b = await client.generate(story({ temperature: 0, maxTokens: 64 }), { cache: false });
    assert.equal(a.mode, "completion", "stories260K has no chat template: plain completion");
    assert.ok(a.text.length > 20, `expected a story, got ${JSON.stringify(a.text)}`);
    assert.equal(b.text, a.text);
    assert.equal(b.metrics.cacheHit, false);
    for (const r of [a, b]) {
        assert.equal(r.metrics.outputTokens, 64);
        assert.equal(r.stopReason, "maxTokens");
        assert.ok(r.metrics.promptTokens >= 4 && r.metrics.promptTokens <= 10, `prompt tokens ${r.metrics.promptTokens}`);
        assert.ok(r.metrics.tokensPerSecond > 0 && r.metrics.timeToFirstTokenMs > 0 && r.metrics.totalMs >= r.metrics.timeToFirstTokenMs);
        assert.equal(r.metrics.threads, 1, "2-core machine: one thread, one core left for the editor");
    }
    assert.equal(b.metrics.loadMs, 0, "the second run reuses the loaded model");
});

test("the same seed gives the same text; different seeds can differ", async () => {
    const run = (seed: number) => client.generate(story({ temperature: 1, topK: 0, topP: 1, minP: 0, seed, maxTokens: 40 }), { cache: false });
    const a1 = await run(1);
    const a2 = await run(1);
    assert.equal(a2.text, a1.text);
    assert.equal(a1.seed, 1);
    const others = await Promise.all([2, 3, 4].map(run));
    assert.ok(others.some((o) => o.text !== a1.text), "seeds 1-4 all gave the same text at temperature 1");
    const random = await client.generate(story({ temperature: 1, maxTokens: 8 }));
    assert.equal(typeof random.seed, "number", "a random seed is reported so the run can be reproduced");
});

test("max tokens and stop sequences are honoured", async () => {
    const short = await client.generate(story({ temperature: 0, maxTokens: 5 }), { cache: false });
    assert.equal(short.metrics.outputTokens, 5);
    assert.equal(short.stopReason, "maxTokens");

    const full = await client.generate(story({ temperature: 0, maxTokens: 64 }), { cache: false });
    const word = " park"; // appears in the greedy story of the test model
    const at = full.text.indexOf(word);
    assert.ok(at > 0, `greedy story has no "${word}": ${full.text}`);
    const stopped = await client.generate(story({ temperature: 0, maxTokens: 64, stop: [word] }), { cache: false });
    assert.equal(stopped.stopReason, "stop");
    assert.equal(stopped.text, full.text.slice(0, at));
});

test("abort stops within a token and returns the partial text", async () => {
    const full = await client.generate(story({ temperature: 0, maxTokens: 300 }), { cache: false });
    const ac = new AbortController();
    let chunks = 0;
    let streamed = "";
    const r = await client.generate(story({ temperature: 0, maxTokens: 300 }), {
        cache: false,
        signal: ac.signal,
        onText: (t) => {
            streamed += t;
            if (++chunks === 10) ac.abort();
        },
    });
    assert.equal(r.stopReason, "abort");
    assert.ok(r.metrics.tokensAfterAbort !== undefined && r.metrics.tokensAfterAbort <= 1, `tokens computed after the abort: ${r.metrics.tokensAfterAbort}`);
    assert.ok(r.metrics.outputTokens < 300);
    assert.ok(full.text.startsWith(r.text), "partial text is a prefix of the full answer");
    assert.ok(r.text.startsWith(streamed.slice(0, 10)));
    // Aborting before the start is an error, not an empty answer.
    await assert.rejects(client.generate(story({ temperature: 0 }), { signal: AbortSignal.abort() }), isCode("ABORTED"));
});

test("a repeated deterministic request is a cache hit; random sampling is never cached", async () => {
    const req = story({ temperature: 0, maxTokens: 16 }, "The cat");
    const first = await client.generate(req);
    let streamed = "";
    const second = await client.generate(req, { onText: (t) => (streamed += t) });
    assert.equal(first.metrics.cacheHit, false);
    assert.equal(second.metrics.cacheHit, true);
    assert.equal(second.text, first.text);
    assert.equal(streamed, first.text, "a cache hit still streams its text");
    const seeded = story({ temperature: 0.8, seed: 7, maxTokens: 16 }, "The dog");
    await client.generate(seeded);
    assert.equal((await client.generate(seeded)).metrics.cacheHit, true);
    const rnd = story({ temperature: 0.8, maxTokens: 4 }, "The bird");
    await client.generate(rnd);
    assert.equal((await client.generate(rnd)).metrics.cacheHit, false);
    // A different parameter is a different key.
    assert.equal((await client.generate(story({ temperature: 0, maxTokens: 15 }, "The cat"))).metrics.cacheHit, false);
});

test("killing the runner mid-generation gives a typed error and the next request works", async () => {
    const exits: Array<{ expected: boolean; signal: string | null }> = [];
    const sub = client.onExit((e) => exits.push({ expected: e.expected, signal: e.signal }));
    let pid: number | undefined;
    const run = client.generate(story({ temperature: 0.9, maxTokens: 1500 }), {
        cache: false,
        onText: () => {
            if (pid === undefined) {
                pid = client.pid!;
                process.kill(pid, "SIGKILL");
            }
        },
    });
    await assert.rejects(run, (e: unknown) => {
        isCode("RUNNER_CRASHED")(e);
        assert.match((e as Error).message, /SIGKILL/);
        assert.ok((e as PromptsmithError).fix);
        return true;
    });
    const next = await client.generate(story({ temperature: 0, maxTokens: 8 }), { cache: false });
    assert.equal(next.metrics.outputTokens, 8);
    assert.notEqual(client.pid, pid, "a fresh runner process");
    sub.dispose();
    assert.deepEqual(exits, [{ expected: false, signal: "SIGKILL" }], "exit listeners hear about an unexpected end (the editor marks the model unloaded)");
});

test("truncated and corrupted copies of the model give clear errors, and the caller carries on", async () => {
    const truncated = join(tmp, "truncated.gguf");
    await copyFile(modelPath, truncated);
    await truncate(truncated, 600_000);
    await assert.rejects(client.generate({ ...story({ temperature: 0 }), modelPath: truncated }), (e: unknown) => {
        isCode("GGUF_TRUNCATED")(e);
        assert.equal((e as PromptsmithError).file, truncated);
        return true;
    });

    const badMagic = join(tmp, "bad-magic.gguf");
    await copyFile(modelPath, badMagic);
    const fh = await open(badMagic, "r+");
    await fh.write(Buffer.from("XXXX"), 0, 4, 0);
    await fh.close();
    await assert.rejects(client.generate({ ...story({ temperature: 0 }), modelPath: badMagic }), isCode("NOT_GGUF"));

    const badHeader = join(tmp, "bad-header.gguf");
    await copyFile(modelPath, badHeader);
    const fh2 = await open(badHeader, "r+");
    await fh2.write(Buffer.alloc(64, 0xff), 0, 64, 24); // garbage where the first key/value pair starts
    await fh2.close();
    await assert.rejects(client.generate({ ...story({ temperature: 0 }), modelPath: badHeader }), isCode("GGUF_CORRUPT"));

    await assert.rejects(client.generate({ ...story({ temperature: 0 }), modelPath: join(tmp, "missing.gguf") }), isCode("MODEL_NOT_FOUND"));

    const ok = await client.generate(story({ temperature: 0, maxTokens: 4 }), { cache: false });
    assert.equal(ok.metrics.outputTokens, 4);
});

test("a prompt longer than the context is refused with the numbers, not silently cut", async () => {
    const long = "Once upon a time there was a big red ball. ".repeat(40);
    await assert.rejects(client.generate({ ...story({ temperature: 0 }, long), load: { contextSize: 128 } }), (e: unknown) => {
        isCode("PROMPT_TOO_LONG")(e);
        assert.match((e as Error).message, /context window is 128 tokens/);
        assert.match((e as PromptsmithError).fix!, /--context-size\) up to 2048/);
        return true;
    });
    // The answer is limited by the room left in the context.
    const r = await client.generate({ ...story({ temperature: 0, maxTokens: 500 }), load: { contextSize: 64 } }, { cache: false });
    assert.equal(r.metrics.contextSize, 64);
    assert.equal(r.metrics.promptTokens + r.metrics.outputTokens <= 64, true);
    assert.equal(r.stopReason, "maxTokens");
});

test("GBNF grammar and JSON schema constrain the output", async () => {
    const g = await client.generate(story({ temperature: 0.8, seed: 5, maxTokens: 20, grammar: 'root ::= ("yes" | "no")' }), { cache: false });
    assert.match(g.text, /^(yes|no)$/);
    const j = await client.generate(story({ temperature: 0.8, seed: 5, maxTokens: 60, jsonSchema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } }), { cache: false });
    const parsed = JSON.parse(j.text) as { ok: unknown };
    assert.equal(typeof parsed.ok, "boolean");
    await assert.rejects(client.generate(story({ temperature: 0, grammar: "this is not gbnf" })), isCode("INVALID_ARGUMENT"));
});

test("threads are clamped to the usable cores", async () => {
    const r = await client.generate({ ...story({ temperature: 0, maxTokens: 4 }), load: { threads: 64 } }, { cache: false });
    assert.ok(r.metrics.threads <= 2, `threads ${r.metrics.threads}`);
});

test("a model with a chat template is prompted through its own template", async () => {
    const chatModel = join(tmp, "tiny-chat.gguf");
    await writeTinyLlama(chatModel, { seed: 3 }); // default: a ChatML template and its control tokens
    const r = await client.generate({ modelPath: chatModel, prompt: { system: "You write code.", user: "hello", completion: "unused" }, sampling: { temperature: 0, maxTokens: 12 } }, { cache: false });
    assert.equal(r.mode, "chat");
    assert.equal(r.chatWrapper, "ChatML");
    // system + user rendered in ChatML: far more tokens than the bare words.
    assert.ok(r.metrics.promptTokens > 10, `prompt tokens ${r.metrics.promptTokens}`);
    assert.ok(r.metrics.outputTokens > 0);
    // The same file without a template falls back to plain completion of the given text.
    const base = join(tmp, "tiny-base.gguf");
    await writeTinyLlama(base, { seed: 3, chatTemplate: null });
    const b = await client.generate({ modelPath: base, prompt: { system: "s", user: "u", completion: "def add(a, b):" }, sampling: { temperature: 0, maxTokens: 4 } }, { cache: false });
    assert.equal(b.mode, "completion");
    assert.equal(b.chatWrapper, undefined);
});

test("an unknown architecture is reported as unsupported, naming the file", async () => {
    const alien = join(tmp, "alien.gguf");
    await writeTinyLlama(alien, { architecture: "notarealarch" });
    await assert.rejects(client.generate({ modelPath: alien, prompt: { user: "hi" }, sampling: { temperature: 0, maxTokens: 2 } }), (e: unknown) => {
        isCode("UNSUPPORTED_ARCHITECTURE")(e);
        assert.match((e as Error).message, /notarealarch/);
        assert.equal((e as PromptsmithError).file, alien);
        return true;
    });
    const ok = await client.generate(story({ temperature: 0, maxTokens: 2 }), { cache: false });
    assert.equal(ok.metrics.outputTokens, 2);
});

test("cancelling or disposing while the runner starts never leaves a request or a process running", async () => {
    // Abort while the fresh runner initialises llama.cpp (~0.5 s): the request ends at once.
    const cold = new RunnerClient({ workerPath: builtFile("runner.mjs") });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    await assert.rejects(cold.generate(story({ temperature: 0.9, maxTokens: 1800 }), { signal: ac.signal, cache: false }), isCode("ABORTED"));
    assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
    await cold.dispose();
    assert.equal(cold.pid, undefined);

    // Dispose while the first request still checks the model file: no runner is started behind our back.
    const early = new RunnerClient({ workerPath: builtFile("runner.mjs") });
    const req = early.generate(story({ temperature: 0, maxTokens: 8 }), { cache: false });
    await early.dispose();
    await assert.rejects(req, isCode("ABORTED"));
    assert.equal(early.pid, undefined);

    // Dispose in the middle of generation: the request ends as shut down and the process is gone.
    const busy = new RunnerClient({ workerPath: builtFile("runner.mjs") });
    const busyExits: boolean[] = [];
    busy.onExit((e) => busyExits.push(e.expected));
    let pid: number | undefined;
    const running = busy.generate(story({ temperature: 0.9, maxTokens: 1800 }), { cache: false, onText: () => { pid ??= busy.pid; } });
    while (pid === undefined) await new Promise((r) => setTimeout(r, 5));
    await busy.dispose();
    await assert.rejects(running, isCode("ABORTED"));
    assert.throws(() => process.kill(pid!, 0), /ESRCH/, "the runner process has exited");
    assert.deepEqual(busyExits, [true], "a disposed runner's exit is expected");
});

test("a missing runner build is reported as such, naming the file", async () => {
    const broken = new RunnerClient({ workerPath: join(tmp, "no-runner.mjs") });
    await assert.rejects(broken.generate(story({ temperature: 0, maxTokens: 2 })), (e: unknown) => {
        isCode("RUNNER_FAILED")(e);
        assert.equal((e as PromptsmithError).file, join(tmp, "no-runner.mjs"));
        assert.match((e as PromptsmithError).fix!, /npm run build/);
        return true;
    });
    await broken.dispose();
});
