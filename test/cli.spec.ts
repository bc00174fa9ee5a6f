// The `promptsmith` CLI as a user runs it: the built dist/cli.mjs in its own process, the real model.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { builtFile, repoRoot, testModelPath } from "./support/env.ts";

const cli = builtFile("cli.mjs");
const model = testModelPath();
const tmp = await mkdtemp(join(tmpdir(), "promptsmith-cli-"));
after(() => rm(tmp, { recursive: true, force: true }));
// No user config, no models folder: every test is independent of the machine it runs on.
const env = { ...process.env, PROMPTSMITH_CONFIG: join(tmp, "no-config.json"), PROMPTSMITH_MODELS_DIR: join(tmp, "models"), PROMPTSMITH_MODEL: "" };

function run(args: string[], extraEnv: NodeJS.ProcessEnv = {}, input?: string) {
    const r = spawnSync(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...env, ...extraEnv }, encoding: "utf8", input, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonOut { code: string; text: string; stopReason: string; seed: number | null; mode: string; metrics: Record<string, unknown>; model: { path: string; source: string } }

test("generate --json --temperature 0 twice gives identical output and the promised fields", () => {
    const args = ["generate", "--requirements", "examples/fizzbuzz.md", "--language", "python", "--model", model, "--temperature", "0", "--max-tokens", "48", "--json"];
    const a = run(args);
    const b = run(args);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ja = JSON.parse(a.stdout) as JsonOut;
    const jb = JSON.parse(b.stdout) as JsonOut;
    assert.equal(jb.text, ja.text);
    assert.equal(jb.code, ja.code);
    assert.ok(ja.text.length > 0);
    assert.equal(ja.stopReason, "maxTokens");
    assert.equal(ja.model.source, "cli");
    for (const k of ["promptTokens", "outputTokens", "timeToFirstTokenMs", "tokensPerSecond", "totalMs", "cacheHit", "loadMs", "promptTokensPerSecond"]) {
        assert.ok(k in ja.metrics, `metrics.${k} missing`);
    }
    assert.equal(ja.metrics.outputTokens, 48);
    assert.equal(ja.metrics.cacheHit, false);
    assert.equal(typeof ja.metrics.timeToFirstTokenMs, "number");
    assert.equal(typeof ja.metrics.tokensPerSecond, "number");
    assert.equal((ja as unknown as { language: string }).language, "python");
    assert.equal(typeof (ja as unknown as { truncated: boolean }).truncated, "boolean");
    assert.equal(ja.mode, "completion");
    assert.deepEqual(Object.keys((ja as unknown as { latency: object }).latency).sort(), ["count", "p50", "p95", "p99"]);
    assert.ok(ja.code.length > 0 && ja.text.includes(ja.code.slice(0, 20)), "code is extracted from the answer");
});

test("generate reads requirements from stdin and the model from PROMPTSMITH_MODEL; prints code and metrics", () => {
    const r = run(["generate", "-r", "-", "--temperature", "0", "--max-tokens", "16"], { PROMPTSMITH_MODEL: model }, "Write a function that adds two numbers.");
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.trim().length > 0, "code on stdout");
    assert.match(r.stderr, /prompt \+ 16 output tokens/);
    assert.match(r.stderr, /tok\/s/);
});

test("negative values can follow their flag, as in any CLI", () => {
    const r = run(["generate", "-r", "examples/fizzbuzz.md", "-m", model, "--json", "--max-tokens", "4", "--temperature", "0", "--frequency-penalty", "-0.5", "--presence-penalty", "-1"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as JsonOut).metrics.outputTokens, 4);
});

test("sampling flags reach the model: seed reproduces, stop and max tokens apply", () => {
    const base = ["generate", "-r", "examples/fizzbuzz.md", "-m", model, "--json", "--max-tokens", "30", "--temperature", "1", "--top-k", "0", "--top-p", "1", "--min-p", "0", "--repeat-penalty", "1.1", "--frequency-penalty", "0.1", "--presence-penalty", "0.1", "--repeat-last-n", "32"];
    const s1 = JSON.parse(run([...base, "--seed", "42"]).stdout) as JsonOut;
    const s2 = JSON.parse(run([...base, "--seed", "42"]).stdout) as JsonOut;
    assert.equal(s1.seed, 42);
    assert.equal(s2.text, s1.text);
    const stopAt = s1.text.slice(5, 8);
    const st = JSON.parse(run([...base, "--seed", "42", "--stop", stopAt, "--stop", "zzzz"]).stdout) as JsonOut;
    assert.equal(st.stopReason, "stop");
    assert.equal(st.text, s1.text.slice(0, s1.text.indexOf(stopAt)));
});

test("usage errors exit 2 with a message that says what to do", () => {
    const cases: Array<[string[], RegExp]> = [
        [["generate"], /needs --requirements/],
        [["generate", "-r", "examples/fizzbuzz.md", "--temperature", "hot"], /--temperature expects a number/],
        [["generate", "-r", "examples/fizzbuzz.md", "--bogus"], /Unknown option '--bogus'/],
        [["generate", "-r", "nope.md", "-m", model], /Cannot read the requirements file nope\.md: it does not exist/],
        [["generate", "-r", "examples/fizzbuzz.md", "-m", model, "--temperature", "9"], /Invalid sampling parameter temperature/],
        [["generate", "-r", "examples/fizzbuzz.md", "-m", join(tmp, "missing.gguf")], /missing\.gguf/],
        [["frobnicate"], /Unknown command "frobnicate"/],
        [["models", "info"], /exactly one PATH/],
        [["generate", "-r", "examples/fizzbuzz.md", "--threads", "abc"], /--threads expects a whole number/],
        [["generate", "-r", "examples/fizzbuzz.md", "--context-size", "0"], /--context-size must be from 64/],
        [["generate", "-r", "examples/fizzbuzz.md", "--gpu-layers=-1"], /--gpu-layers must be from 0/],
        [["generate", "-r", "examples/fizzbuzz.md", "--max-tokens", "0x10"], /--max-tokens expects a whole number/],
        [["generate", "-r", "examples/fizzbuzz.md", "extra"], /no positional arguments/],
    ];
    for (const [args, re] of cases) {
        const r = run(args);
        assert.equal(r.code, 2, `${args.join(" ")} → ${r.code}\n${r.stderr}`);
        assert.match(r.stderr, re, args.join(" "));
    }
});

test("with no model anywhere and no terminal to ask, generate explains how to point at a local file", () => {
    const r = run(["generate", "-r", "examples/fizzbuzz.md"]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /PROMPTSMITH_MODEL/);
    assert.match(r.stderr, /--model/);
});

test("--help works for every command", () => {
    for (const args of [["--help"], ["generate", "--help"], ["models", "--help"], ["models", "info", "--help"], ["models", "download", "--help"]]) {
        const r = run(args);
        assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stdout, /Usage/);
    }
    assert.match(run(["generate", "--help"]).stdout, /--frequency-penalty/);
});

test("models info prints the metadata without loading the model", () => {
    const r = run(["models", "info", model]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Architecture\s+llama/);
    assert.match(r.stdout, /Context length\s+2,048/);
    assert.match(r.stdout, /Quantization\s+F32/);
    const j = JSON.parse(run(["models", "info", model, "--json"]).stdout) as { architecture: string; fileSize: number; parameterCount: number; contextLength: number };
    assert.equal(j.architecture, "llama");
    assert.equal(j.fileSize, 1185376);
    assert.equal(j.contextLength, 2048);
    assert.equal(j.parameterCount, 292800);
});

test("an unusable model file is a configuration error: exit 2 and a message naming the file", async () => {
    const bad = join(tmp, "not-a-model.gguf");
    await writeFile(bad, "<!DOCTYPE html><html><body>404</body></html>");
    const r = run(["generate", "-r", "examples/fizzbuzz.md", "-m", bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /HTML/);
    assert.match(r.stderr, /not-a-model\.gguf/);
    assert.match(r.stderr, /Fix:/);
});

test("killing the runner mid-run ends the CLI with a clear error and exit 1, never a hang", { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, [cli, "generate", "-r", "examples/fizzbuzz.md", "-m", model, "--temperature", "0.9", "--max-tokens", "1600", "--verbose"], { cwd: repoRoot, env });
    let stderr = "";
    let killed: number | undefined;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => {
        stderr += d;
        const pid = /runner: started \(pid (\d+)\)/.exec(stderr)?.[1];
        if (killed === undefined && pid && stderr.includes("runner: first token")) {
            killed = Number(pid);
            process.kill(killed, "SIGKILL");
        }
    });
    const t0 = Date.now();
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.ok(killed, `the runner was never seen generating:\n${stderr}`);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /The model process was killed by SIGKILL/);
    assert.match(stderr, /Fix: Try again/);
    assert.ok(Date.now() - t0 < 20_000);
});

test("Ctrl-C stops generation at once, prints the partial answer and exits 130", { timeout: 30_000 }, async () => {
    // A process group of its own, signalled as a whole, as a terminal's Ctrl-C does (the runner gets it too).
    const child = spawn(process.execPath, [cli, "generate", "-r", "examples/fizzbuzz.md", "-m", model, "--temperature", "0.9", "--max-tokens", "1600", "--verbose"], { cwd: repoRoot, env, detached: true });
    let stderr = "";
    let stdout = "";
    let sent = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        if (!sent && stderr.includes("runner: first token")) {
            sent = true;
            process.kill(-child.pid!, "SIGINT");
        }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.ok(sent, stderr);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Stopping/);
    assert.match(stderr, /stopped \(abort/);
    assert.ok(stdout.trim().length > 0, "the partial answer is printed");
});

test("a huge requirements file is refused before anything is tokenized", async () => {
    const huge = join(tmp, "huge.md");
    await writeFile(huge, "x".repeat(5 * 1024 * 1024));
    const r = run(["generate", "-r", huge, "-m", model]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is 5\.0 MB; the limit is 4\.0 MB/);
    assert.match(r.stderr, /huge\.md/);
});

test("Ctrl-C while the runner is still starting ends at once with exit 130, not an install error", { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, [cli, "generate", "-r", "examples/fizzbuzz.md", "-m", model, "--temperature", "0.9", "--max-tokens", "1600", "--verbose"], { cwd: repoRoot, env, detached: true });
    let stderr = "";
    let sentAt = 0;
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        if (!sentAt && stderr.includes("runner: started")) {
            sentAt = Date.now();
            setTimeout(() => process.kill(-child.pid!, "SIGINT"), 150); // during llama.cpp's initialisation
        }
    });
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.ok(sentAt, stderr);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Cancelled/);
    assert.doesNotMatch(stderr, /Reinstall|binary|runner: first token/i);
    assert.ok(Date.now() - sentAt < 5000, `exited ${Date.now() - sentAt} ms after Ctrl-C`);
});
