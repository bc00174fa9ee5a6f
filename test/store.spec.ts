// The local history and feedback store (src/core/store): real files in a temporary folder, real
// concurrent writers (promises in this process and two other Node processes).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFile, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { LocalStore, fenced } from "../src/core/store/localStore.ts";
import { JsonlFile, fitEntry } from "../src/core/store/jsonl.ts";
import type { RunRecord } from "../src/core/store/records.ts";
import { PromptsmithError } from "../src/core/errors.ts";
import { repoRoot } from "./support/env.ts";

const tmp = await mkdtemp(join(tmpdir(), "promptsmith-store-"));
after(() => rm(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => join(tmp, `s${++n}`, "history");

type NewRun = Parameters<LocalStore["addRun"]>[0];
function run(over: Partial<NewRun> = {}): NewRun {
    return {
        kind: "playground",
        model: "stories260K.gguf",
        modelPath: "/models/stories260K.gguf",
        request: { user: "Once upon a time" },
        sampling: { temperature: 0.3, topP: 0.9 },
        output: "there was a cat.",
        stopReason: "eos",
        metrics: { totalMs: 120, timeToFirstTokenMs: 10, tokensPerSecond: 50, promptTokens: 5, outputTokens: 6, cacheHit: false },
        ...over,
    };
}
const lines = async (file: string): Promise<string[]> => (await readFile(file, "utf8")).split("\n").filter(Boolean);

test("runs come back newest first, filtered, and by id; ids and times are filled in", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 100 });
    const a = await store.addRun(run({ source: "a.prompt.md", at: "2024-01-01T10:00:00.000Z" }));
    const b = await store.addRun(run({ kind: "codegen", model: "qwen.gguf", modelPath: "/m/qwen.gguf", at: "2024-01-01T11:00:00.000Z" }));
    const c = await store.addRun(run({ source: "b.prompt.md", column: 1 }));
    assert.match(c.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(Math.abs(Date.parse(c.at) - Date.now()) < 60_000, c.at);
    assert.notEqual(a.id, b.id);

    assert.deepEqual((await store.runs()).map((r) => r.id), [c.id, b.id, a.id]);
    assert.deepEqual((await store.runs({ kind: "codegen" })).map((r) => r.id), [b.id]);
    assert.deepEqual((await store.runs({ source: "a.prompt.md" })).map((r) => r.id), [a.id]);
    assert.deepEqual((await store.runs({ model: "qwen.gguf" })).map((r) => r.id), [b.id]);
    assert.deepEqual((await store.runs({ model: "/m/qwen.gguf" })).map((r) => r.id), [b.id], "the full path matches too");
    assert.deepEqual((await store.runs({ kind: "playground", limit: 1 })).map((r) => r.id), [c.id]);
    assert.deepEqual(await store.runs({ limit: 0 }), []);

    assert.deepEqual(await store.getRun(b.id), b);
    assert.equal(await store.getRun("nope"), undefined);
    const given = await store.addRun(run({ id: "my-id", at: "2020-05-05T00:00:00.000Z" }));
    assert.equal(given.id, "my-id");
    assert.equal((await store.runs()).at(-1)?.id, "my-id", "sorted by time, not by order of writing");

    const st = await stat(store.files.runs);
    assert.equal(st.mode & 0o777, 0o600, "only the user can read the history");
    await assert.rejects(store.addRun({ ...run(), kind: "other" as never }), (e) => e instanceof PromptsmithError && e.code === "INVALID_ARGUMENT");
});

test("feedback: the latest rating, correction and note per run; invalid feedback is refused", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 10 });
    const r = await store.addRun(run());
    const f1 = await store.addFeedback({ runId: r.id, rating: "up" });
    await store.addFeedback({ runId: r.id, rating: "down", note: "wrong loop" });
    await store.addFeedback({ runId: r.id, correction: "for i in range(3): print(i)" });
    await store.addFeedback({ runId: "other", rating: "up" });
    const all = await store.feedback();
    assert.equal(all.length, 4);
    assert.equal(all[0]!.id, f1.id, "oldest first");
    const s = await store.feedbackFor(r.id);
    assert.equal(s.rating, "down");
    assert.equal(s.note, "wrong loop");
    assert.equal(s.correction, "for i in range(3): print(i)");
    assert.equal(s.records.length, 3);
    const bad = (e: unknown) => e instanceof PromptsmithError && e.code === "INVALID_ARGUMENT";
    await assert.rejects(store.addFeedback({ runId: r.id }), bad);
    await assert.rejects(store.addFeedback({ runId: "", rating: "up" }), bad);
    await assert.rejects(store.addFeedback({ runId: r.id, rating: "meh" as never }), bad);
});

test("a corrupt or truncated line is skipped and counted; the rest is read; the next append starts a fresh line", async () => {
    const dir = freshDir();
    const store = new LocalStore({ dir, maxRuns: 100 });
    const a = await store.addRun(run({ output: "first" }));
    await appendFile(store.files.runs, "{not json}\n[1,2]\n{\"id\":\"x\"}\n");
    const b = await store.addRun(run({ output: "second" }));
    // A crash in the middle of a write: the last line is cut short.
    const full = JSON.stringify({ ...run({ output: "third" }), id: "t", at: new Date().toISOString() });
    await appendFile(store.files.runs, full.slice(0, full.length - 10));
    const fresh = new LocalStore({ dir, maxRuns: 100 });
    assert.deepEqual((await fresh.runs()).map((r) => r.output).sort(), ["first", "second"]);
    assert.equal((await fresh.stats()).skippedLines, 4, "bad JSON, an array, an object that is not a run, the cut line");
    const c = await fresh.addRun(run({ output: "fourth" }));
    const after = new LocalStore({ dir, maxRuns: 100 });
    assert.deepEqual((await after.runs()).map((r) => r.id).sort(), [a.id, b.id, c.id].sort());
    assert.equal((await after.stats()).skippedLines, 4);
    // The same through the incremental path of the first store (it had read the file before).
    assert.deepEqual((await store.runs()).map((r) => r.id).sort(), [a.id, b.id, c.id].sort());
});

test("bounded by maxRuns: the newest are kept, the file is compacted, setMaxRuns applies at once, 0 keeps none", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await store.addRun(run({ output: `run ${i}` }))).id);
    assert.deepEqual((await store.runs()).map((r) => r.id), ids.slice(-5).reverse());
    const onDisk = await lines(store.files.runs);
    assert.ok(onDisk.length >= 5 && onDisk.length <= 5 + 8, `file holds ${onDisk.length} lines: compacted with a slack of 8`);
    assert.ok(onDisk.length < 20);

    let changes = 0;
    const sub = store.onDidChange(() => changes++);
    store.setMaxRuns(2);
    assert.deepEqual((await store.runs()).map((r) => r.id), ids.slice(-2).reverse());
    assert.equal((await lines(store.files.runs)).length, 2, "a lower bound rewrites the file at once");
    assert.ok(changes >= 1, "setMaxRuns that drops runs fires onDidChange");

    await store.addFeedback({ runId: ids[19]!, rating: "up" });
    store.setMaxRuns(0);
    assert.deepEqual(await store.runs(), []);
    assert.deepEqual(await store.feedback(), [], "with no runs kept, their feedback goes too");
    const notKept = await store.addRun(run());
    assert.ok(notKept.id, "addRun still returns the record");
    assert.deepEqual(await store.runs(), []);
    await assert.rejects(stat(store.files.runs), { code: "ENOENT" });
    sub.dispose();
    store.dispose();
    assert.throws(() => store.setMaxRuns(-1), PromptsmithError);
});

test("bounded by bytes: a file over maxFileBytes is compacted to the newest entries that fit", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 1000, maxFileBytes: 20_000 });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await store.addRun(run({ output: `${i} `.padEnd(1000, "x") }))).id);
    const size = (await stat(store.files.runs)).size;
    assert.ok(size <= 20_000, `file is ${size} bytes`);
    const kept = (await store.runs()).map((r) => r.id);
    assert.ok(kept.length >= 10 && kept.length < 20, `${kept.length} kept`);
    assert.deepEqual(kept, ids.slice(-kept.length).reverse(), "the newest are kept, in order");
});

test("an entry over the per-entry limit is trimmed with a marker, not refused; the caller's object is untouched", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 10 });
    const big = "😀a".repeat(200_000); // 1 MB of UTF-8, surrogate pairs included
    const input = run({ output: big, code: "print(1)", request: { user: "short prompt" } });
    const stored = await store.addRun(input);
    assert.equal(input.output, big, "the caller's object is not modified");
    assert.match(stored.output, /\n… \[truncated: \d+ of 600000 characters not stored\]$/);
    assert.ok(big.startsWith(stored.output.replace(/\n… \[truncated.*$/, "")), "the start of the output is kept");
    assert.doesNotMatch(stored.output, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/, "no surrogate pair cut in half");
    assert.equal(stored.code, "print(1)");
    assert.equal(stored.request.user, "short prompt");
    const line = (await lines(store.files.runs))[0]!;
    assert.ok(Buffer.byteLength(line) <= 256 * 1024, `${Buffer.byteLength(line)} bytes`);
    assert.deepEqual(await store.getRun(stored.id), stored);

    // Several long fields: each is cut until the whole fits; JSON escapes (newlines, quotes) are measured.
    const many = fitEntry({ a: "\n".repeat(300_000), b: "\"".repeat(300_000), id: "k" }, 64 * 1024);
    assert.ok(many.trimmed);
    assert.ok(Buffer.byteLength(many.line) <= 64 * 1024);
    assert.equal(many.value.id, "k");
    assert.match(many.value.a, /of 300000 characters not stored\]$/);
    // Feedback corrections are trimmed the same way.
    const fb = await store.addFeedback({ runId: stored.id, correction: "y".repeat(300 * 1024) });
    assert.match(fb.correction!, /characters not stored\]$/);
});

test("many appends at once in one process: none lost, none interleaved", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 1000 });
    const made = await Promise.all(Array.from({ length: 100 }, (_, i) => store.addRun(run({ output: `${i}:`.padEnd(5000, "z") }))));
    const got = await store.runs();
    assert.equal(got.length, 100);
    assert.deepEqual(new Set(got.map((r) => r.id)), new Set(made.map((r) => r.id)));
    assert.equal((await store.stats()).skippedLines, 0);
});

test("two processes appending to the same history at once (two windows): every line intact", async () => {
    const dir = freshDir();
    const script = join(tmp, "writer.mts");
    await writeFile(script, [
        `import { LocalStore } from ${JSON.stringify(pathToFileURL(join(repoRoot, "src/core/store/localStore.ts")).href)};`,
        "const [dir, tag] = process.argv.slice(2);",
        "const store = new LocalStore({ dir, maxRuns: 100000 });",
        "for (let i = 0; i < 150; i++) {",
        "    await store.addRun({ kind: 'codegen', model: 'm.gguf', request: { user: tag }, sampling: {}, output: `${tag}-${i}-`.padEnd(20000, tag), stopReason: 'eos' });",
        "}",
    ].join("\n"));
    const writer = (tag: string) => new Promise<void>((resolve, reject) => {
        const p = spawn(process.execPath, ["--import", "tsx", script, dir, tag], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
        p.on("error", reject);
        p.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`writer ${tag} exited with ${code}`))));
    });
    const watcher = new LocalStore({ dir, maxRuns: 100000 });
    assert.deepEqual(await watcher.runs(), []);
    let changes = 0;
    const sub = watcher.onDidChange(() => changes++);
    await Promise.all([writer("A"), writer("B")]);
    const got = await watcher.runs();
    assert.equal(got.length, 300);
    assert.equal((await watcher.stats()).skippedLines, 0, "no line was interleaved with another");
    for (const tag of ["A", "B"]) {
        const outs = new Set(got.filter((r) => r.request.user === tag).map((r) => r.output.split("-")[1]));
        assert.equal(outs.size, 150, `all of ${tag}'s runs`);
    }
    for (const r of got) assert.equal(r.output.length, 20000);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(changes >= 1, "the other processes' writes fired onDidChange through the folder watch");
    sub.dispose();
});

test("what was read is cached; another writer's appends (and a rewrite) are picked up by size/mtime", async () => {
    const dir = freshDir();
    const a = new LocalStore({ dir, maxRuns: 100 });
    const b = new LocalStore({ dir, maxRuns: 100 });
    const r1 = await a.addRun(run());
    assert.equal((await b.runs()).length, 1);
    const r2 = await a.addRun(run());
    assert.deepEqual((await b.runs()).map((r) => r.id), [r2.id, r1.id]);
    // A line written by hand (no store involved).
    await appendFile(a.files.runs, `${JSON.stringify({ ...run({ output: "by hand" }), id: "h", at: new Date(Date.now() + 1000).toISOString() })}\n`);
    assert.equal((await b.runs())[0]!.output, "by hand");
    assert.equal((await a.runs())[0]!.output, "by hand");
    // Replaced by a shorter file (another window compacted): re-read from scratch.
    a.setMaxRuns(1); // its compaction runs before b's read: one chain per file in this process
    assert.deepEqual((await b.runs()).map((r) => r.id), ["h"], "b is not bound to 1 but the file now holds 1");
    await a.clear("runs");
    assert.deepEqual(await b.runs(), []);

    // The JSONL cache itself: an unchanged file is not re-read (an edit that keeps size and mtime is not seen).
    const f = new JsonlFile<{ v: number }>({ path: join(dir, "plain.jsonl"), maxEntries: 10 });
    await f.append({ v: 1 });
    await utimes(f.path, 1000, 1000); // whole seconds, so that setting it again gives the identical mtime
    assert.deepEqual((await f.read()).entries, [{ v: 1 }]);
    await writeFile(f.path, `${JSON.stringify({ v: 2 })}\n`); // same inode, same size
    await utimes(f.path, 1000, 1000);
    assert.deepEqual((await f.read()).entries, [{ v: 1 }], "served from the cache");
    await appendFile(f.path, `${JSON.stringify({ v: 3 })}\n`);
    assert.deepEqual((await f.read()).entries.map((e) => e.v).at(-1), 3, "a grown file is read again");
});

test("clear: runs, feedback, or both", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 10 });
    const r = await store.addRun(run());
    await store.addFeedback({ runId: r.id, rating: "up" });
    await store.clear("runs");
    assert.equal((await store.runs()).length, 0);
    assert.equal((await store.feedback()).length, 1);
    await store.addRun(run());
    await store.clear("feedback");
    assert.equal((await store.runs()).length, 1);
    assert.equal((await store.feedback()).length, 0);
    await store.addFeedback({ runId: r.id, rating: "down" });
    await store.clear();
    assert.deepEqual(await store.stats(), { runs: 0, feedback: 0, skippedLines: 0, bytes: 0 });
});

test("onDidClear fires after clear() with what was cleared, once the files are empty; disposed listeners are not called", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 10 });
    await store.addRun(run());
    const seen: Array<{ what: string; runs: number }> = [];
    const sub = store.onDidClear((what) => void store.runs().then((rs) => seen.push({ what, runs: rs.length })));
    await store.clear("feedback");
    await store.clear();
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, [{ what: "feedback", runs: 1 }, { what: "all", runs: 0 }]);
    sub.dispose();
    await store.clear("runs");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(seen.length, 2);
});

test("export: JSONL with feedback, and Markdown whose fences survive backticks in the output", async () => {
    const store = new LocalStore({ dir: freshDir(), maxRuns: 10 });
    const output = "Here:\n```python\nprint('hi')\n```\nand ````four```` too";
    const r1 = await store.addRun(run({
        kind: "codegen", source: "req.md", output, code: "print('hi')",
        request: { system: "You write code.", user: "print hi", requirements: "Print hi.", language: "python", variables: { name: "x`y" } },
        sampling: { temperature: 0, maxTokens: 64, stop: ["\n\n"] }, seed: 42,
        metrics: { totalMs: 1500, timeToFirstTokenMs: 20, tokensPerSecond: 33.3, promptTokens: 10, outputTokens: 12, cacheHit: true, loadMs: 0 },
        findings: [{ ruleId: "secret-openai", severity: "error" }], flagged: true,
    }));
    const r2 = await store.addRun(run({ stopReason: "error", error: "The model process crashed.", output: "" }));
    await store.addFeedback({ runId: r1.id, rating: "down" });
    await store.addFeedback({ runId: r1.id, correction: "print(\"hi\")" });

    const jsonl = (await store.export("jsonl")).trimEnd().split("\n").map((l) => JSON.parse(l) as RunRecord & { feedback: unknown[] });
    assert.deepEqual(jsonl.map((r) => r.id), [r1.id, r2.id], "oldest first");
    assert.equal(jsonl[0]!.feedback.length, 2);
    assert.deepEqual(jsonl[1]!.feedback, []);
    assert.equal(jsonl[0]!.output, output);
    assert.equal((await store.export("jsonl", { kind: "codegen" })).trimEnd().split("\n").length, 1);

    const md = await store.export("markdown");
    // The output section: a 5-backtick fence (the output has a run of 4), closed by the same fence, holding the exact output.
    const m = /### Output\n\n(`{3,})text\n([\s\S]*?)\n\1\n/.exec(md);
    assert.ok(m, md);
    assert.equal(m[1], "`````");
    assert.equal(m[2], output);
    for (const part of ["You write code.", "Print hi.", "print hi", "- temperature: `0`", "- seed: `42`", "Cache hit: yes", "Total: 1.50 s", "Rating: 👎 rejected (down)", "print(\"hi\")", "Prompt file: `req.md`", "error: `The model process crashed.`", "secret-openai", "Variable `name`:"]) {
        assert.ok(md.includes(part), `markdown lacks ${JSON.stringify(part)}`);
    }
    assert.ok(md.indexOf(r1.id) < md.indexOf(r2.id));
    assert.equal(fenced("a ``` b\n", "ts"), "````ts\na ``` b\n````");
    assert.equal(fenced("plain"), "```\nplain\n```");
});
