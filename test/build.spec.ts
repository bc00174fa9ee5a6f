// The project's structural promises: the core never imports vscode, node-llama-cpp stays out of the
// bundles at its pinned version, and the manifest has what an extension and a CLI need.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ESLint } from "eslint";
import { builtFile, repoRoot } from "./support/env.ts";

test("the lint rule rejects a vscode import under src/core, and allows it outside", async () => {
    const eslint = new ESLint({ cwd: repoRoot });
    const code = 'import * as vscode from "vscode";\nexport const x = vscode.version;\n';
    const [core] = await eslint.lintText(code, { filePath: join(repoRoot, "src/core/probe.ts") });
    assert.ok(core!.messages.some((m) => m.ruleId === "no-restricted-imports" && /src\/core must not import vscode/.test(m.message)), JSON.stringify(core!.messages));
    const [adapter] = await eslint.lintText(code, { filePath: join(repoRoot, "src/probe.ts") });
    assert.deepEqual(adapter!.messages.filter((m) => m.ruleId === "no-restricted-imports"), []);
});

test("node-llama-cpp is pinned to exactly 3.21.1 and loaded with import(), not bundled", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    assert.equal(pkg.dependencies["node-llama-cpp"], "3.21.1");
    const lock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as { packages: Record<string, { version: string }> };
    assert.equal(lock.packages["node_modules/node-llama-cpp"]?.version, "3.21.1");
    const runner = readFileSync(builtFile("runner.mjs"), "utf8");
    assert.match(runner, /import\("node-llama-cpp"\)/);
    assert.doesNotMatch(runner, /class LlamaCompletion\b/, "node-llama-cpp's code must not be inlined");
    const cli = readFileSync(builtFile("cli.mjs"), "utf8");
    assert.doesNotMatch(cli, /from "node-llama-cpp"/, "the CLI itself never loads llama.cpp; the runner process does");
    assert.match(cli, /^#!\/usr\/bin\/env node/);
});

test("the manifest is an extension with engines ≥ 1.100 and a CLI bin", () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { engines: { vscode: string }; bin: Record<string, string>; main: string };
    const [major, minor] = pkg.engines.vscode.replace(/^\^/, "").split(".").map(Number);
    assert.ok(major! > 1 || minor! >= 100, pkg.engines.vscode);
    assert.equal(pkg.bin.promptsmith, "dist/cli.mjs");
    assert.equal(pkg.main, "./dist/extension.cjs");
    const ignore = readFileSync(join(repoRoot, ".vscodeignore"), "utf8").split("\n");
    assert.equal(ignore.find((l) => l.trim() && !l.startsWith("#")), "**", ".vscodeignore is an allowlist: it starts by excluding everything");
});
