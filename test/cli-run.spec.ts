// `promptsmith run FILE` as a user runs it: the built dist/cli.mjs in its own process, the real model.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { builtFile, repoRoot, testModelPath } from "./support/env.ts";
import { BUILTIN_PRESETS } from "../src/core/presets.ts";

const cli = builtFile("cli.mjs");
const model = testModelPath();
const tmp = await mkdtemp(join(tmpdir(), "promptsmith-run-"));
after(() => rm(tmp, { recursive: true, force: true }));
// No user config, no models folder, no PROMPTSMITH_MODEL: independent of the machine.
const env = { ...process.env, PROMPTSMITH_CONFIG: join(tmp, "no-config.json"), PROMPTSMITH_MODELS_DIR: join(tmp, "models"), PROMPTSMITH_MODEL: "" };

function run(args: string[]) {
    const r = spawnSync(process.execPath, [cli, "run", ...args], { cwd: repoRoot, env, encoding: "utf8", timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface RunJson {
    text: string;
    stopReason: string;
    seed: number | null;
    mode: string;
    model: { path: string; source: string };
    metrics: Record<string, unknown>;
    prompt: { system: string | null; user: string };
    file: string;
    variables: Record<string, string>;
    sampling: Record<string, unknown>;
}

// The prompt file lives in a folder of its own and names the model by a path relative to itself.
const dir = join(tmp, "prompts");
await mkdir(dir, { recursive: true });
const story = join(dir, "story.prompt.md");
await writeFile(story, `---
name: Story
model: ${relative(dir, model)}
preset: creative
sampling: { temperature: 0.9, maxTokens: 24, seed: 1234 }
variables:
  hero: { default: Tom }
  thing: { description: What the hero finds, required: true }
---
## System
You tell stories.

## User
{{hero}} found a {{thing}}. Then
`);

test("a prompt file with variables and a seed gives the same text twice; --json has the promised shape", () => {
    const args = [story, "--var", "thing=red ball", "--json"];
    const a = run(args);
    const b = run(args);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ja = JSON.parse(a.stdout) as RunJson;
    const jb = JSON.parse(b.stdout) as RunJson;
    assert.ok(ja.text.length > 0);
    assert.equal(jb.text, ja.text, "same seed, same settings: same text");
    assert.equal(ja.seed, 1234);
    assert.equal(ja.stopReason, "maxTokens");
    assert.equal(ja.metrics.outputTokens, 24);
    for (const k of ["promptTokens", "outputTokens", "timeToFirstTokenMs", "tokensPerSecond", "totalMs", "loadMs", "cacheHit"]) assert.ok(k in ja.metrics, `metrics.${k}`);
    assert.deepEqual(ja.prompt, { system: "You tell stories.", user: "Tom found a red ball. Then" });
    assert.equal(ja.file, story);
    assert.deepEqual(ja.variables, { hero: "Tom", thing: "red ball" });
    assert.deepEqual(ja.model, { path: model, source: "prompt-file" });
    // file preset < file sampling
    const creative = BUILTIN_PRESETS.find((p) => p.id === "creative")!.sampling;
    assert.deepEqual(ja.sampling, { ...creative, temperature: 0.9, maxTokens: 24, seed: 1234 });
});

test("--preset and sampling flags override the file; --model overrides its model; plain output streams text and prints metrics", () => {
    const r = run([story, "--var", "thing=cat", "--var", "hero=Sue", "--preset", "precise", "--top-k", "5", "--seed", "9", "--max-tokens", "12", "--json", "-m", model]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as RunJson;
    const precise = BUILTIN_PRESETS.find((p) => p.id === "precise")!.sampling;
    assert.deepEqual(j.sampling, { ...precise, topK: 5, maxTokens: 12, seed: 9 }, "file < --preset < flags");
    assert.equal(j.model.source, "cli");
    assert.equal(j.prompt.user, "Sue found a cat. Then");

    const plain = run([story, "--var", "thing=cat", "--var", "colour=blue", "--temperature", "0", "--max-tokens", "12", "-m", model]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(plain.stdout.trim().length > 0);
    assert.match(plain.stderr, /done \(maxTokens\) · \d+ prompt \+ 12 output tokens · first token [\d.]+ ms · \d+ tok\/s/);
    assert.match(plain.stderr, /warning: --var colour is not used by .*story\.prompt\.md/);
    const again = run([story, "--var", "thing=cat", "--temperature", "0", "--max-tokens", "12", "-m", model, "--no-stream", "--quiet"]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, plain.stdout, "--no-stream prints the same answer");
    assert.equal(again.stderr, "", "--quiet: nothing on stderr");
});

test("a missing variable is exit 2 naming the variable, the file and the fix", () => {
    const r = run([story, "--var", "hero=Ann"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /story\.prompt\.md needs a value for the variable \{\{thing\}\}/);
    assert.match(r.stderr, /--var thing=VALUE/);
    assert.match(r.stderr, /default in the front matter/);
});

test("invalid front matter is exit 2 with file:line:column; a model the file names but that is missing is exit 2 naming the file", async () => {
    const bad = join(dir, "bad.prompt.md");
    await writeFile(bad, "---\nname: Bad\nsampling:\n  temperature: 7\n---\nHi\n");
    const r = run([bad, "-m", model]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bad\.prompt\.md:4:16: Invalid sampling parameter temperature: 7\. Use a number from 0 \(greedy\) to 5/);
    assert.match(r.stderr, /Fix: Fix the front matter/);

    const syntax = join(dir, "syntax.prompt.md");
    await writeFile(syntax, "---\nvariables: [a\n---\nHi\n");
    const s = run([syntax, "-m", model]);
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /syntax\.prompt\.md:\d+:\d+: YAML:/);

    const noModel = join(dir, "nomodel.prompt.md");
    await writeFile(noModel, "---\nmodel: missing-model.gguf\n---\nHi\n");
    const m = run([noModel]);
    assert.equal(m.code, 2, m.stderr);
    assert.match(m.stderr, /The model "missing-model\.gguf" named in .*nomodel\.prompt\.md was not found/);
    assert.match(m.stderr, /--model PATH/);
});

test("usage errors exit 2 and say what to do; help lists run", () => {
    const cases: Array<[string[], RegExp]> = [
        [[], /run needs a prompt file/],
        [[story, "--var", "thing"], /--var expects NAME=VALUE, got "thing"/],
        [[story, "--var", "1x=a"], /not a variable name/],
        [[story, "--var", "thing=a", "--preset", "turbo", "-m", model], /Unknown preset "turbo" \(--preset\)/],
        [[story, "--var", "thing=a", "--temperature", "hot"], /--temperature expects a number/],
        [[story, "--var", "thing=a", "--top-p", "0", "-m", model], /Invalid sampling parameter topP/],
        [[join(dir, "nope.prompt.md")], /Cannot read the prompt file .*nope\.prompt\.md: it does not exist/],
        [[story, "other.prompt.md"], /run takes one prompt file/],
    ];
    for (const [args, re] of cases) {
        const r = run(args);
        assert.equal(r.code, 2, `${args.join(" ")} → ${r.code}\n${r.stderr}`);
        assert.match(r.stderr, re, args.join(" "));
    }
    const help = run(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: promptsmith run FILE/);
    assert.match(help.stdout, /--var NAME=VALUE/);
    const main = spawnSync(process.execPath, [cli, "--help"], { cwd: repoRoot, env, encoding: "utf8" });
    assert.match(main.stdout, /promptsmith run FILE \[--var NAME=VALUE\]/);
});

test("the bedtime-story example runs with the test model", () => {
    const r = run(["examples/bedtime-story.prompt.md", "--var", "thing=kite", "-m", model, "--max-tokens", "8", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as RunJson;
    assert.equal(j.prompt.user, "Once upon a time, Lily found a kite.");
    assert.equal(j.seed, 7);
    assert.equal(j.metrics.outputTokens, 8);
});

test("output.schema in the front matter constrains the answer to JSON (extract-contact example)", () => {
    const r = run(["examples/extract-contact.prompt.md", "--var", "text=Li Wei, li@example.com", "-m", model, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as RunJson;
    assert.equal(j.stopReason, "eos", "the grammar ends the answer when the object is complete");
    const answer = JSON.parse(j.text) as Record<string, unknown>;
    assert.equal(typeof answer.name, "string");
    assert.deepEqual((j.sampling as { jsonSchema: { required: string[] } }).jsonSchema.required, ["name"]);
});

test("--var works for variables called constructor, toString and __proto__", async () => {
    const odd = join(dir, "odd-names.prompt.md");
    await writeFile(odd, `---\nmodel: ${relative(dir, model)}\nsampling: { maxTokens: 2, seed: 1 }\nvariables:\n  constructor: { required: true }\n  toString: { required: true }\n  __proto__: { required: true }\n---\n{{constructor}} {{toString}} {{__proto__}}\n`);
    const r = run([odd, "--var", "constructor=a", "--var", "toString=b", "--var", "__proto__=c", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as RunJson;
    assert.equal(j.prompt.user.trim(), "a b c");
    assert.equal(JSON.stringify(j.variables), '{"constructor":"a","toString":"b","__proto__":"c"}');
    const missing = run([odd, "--var", "constructor=a", "--var", "toString=b"]);
    assert.equal(missing.code, 2, "nothing inherited from Object.prototype counts as the __proto__ value");
    assert.match(missing.stderr, /\{\{__proto__\}\}/);
});
