// resolveModel (source order, explicit paths that do not exist, declined / accepted download),
// defaultModelsDir, and the user config file (defaultUserConfigPath, loadUserConfig).

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { defaultModelsDir, resolveModel, type ResolveModelOptions } from "../src/core/models/resolve.ts";
import { RECOMMENDED_MODEL, exactSizeOf, type RecommendedModel } from "../src/core/models/recommended.ts";
import { defaultUserConfigPath, loadUserConfig } from "../src/core/userConfig.ts";
import { expectError } from "./support/errors.ts";


/** A scratch folder with a few fake model files; removed by the caller. */
async function scratch(): Promise<{ root: string; cliModel: string; envModel: string; configModel: string; modelsDir: string }> {
    const root = await mkdtemp(path.join(os.tmpdir(), "promptsmith-resolve-"));
    const models = path.join(root, "models-elsewhere");
    await mkdir(models);
    const files = { cliModel: path.join(models, "cli.gguf"), envModel: path.join(models, "env.gguf"), configModel: path.join(models, "config.gguf") };
    for (const f of Object.values(files)) await writeFile(f, "GGUF fake");
    const modelsDir = path.join(root, "data", "models");
    return { root, ...files, modelsDir };
}

const neverAsk = async (): Promise<boolean> => assert.fail("confirmDownload must not be called");

function base(s: { root: string; modelsDir: string }, extra: Partial<ResolveModelOptions> = {}): ResolveModelOptions {
    return { env: { HOME: s.root }, cwd: s.root, modelsDir: s.modelsDir, confirmDownload: neverAsk, ...extra };
}

// ---- source order -------------------------------------------------------------------------------------

test("resolveModel: --model wins over everything, relative to cwd", async () => {
    const s = await scratch();
    try {
        await mkdir(s.modelsDir, { recursive: true });
        await writeFile(path.join(s.modelsDir, RECOMMENDED_MODEL.fileName), "GGUF fake");
        const r = await resolveModel(base(s, { cliPath: "models-elsewhere/cli.gguf", env: { HOME: s.root, PROMPTSMITH_MODEL: s.envModel }, configuredPath: s.configModel }));
        assert.deepEqual(r, { path: s.cliModel, source: "cli" });
    } finally {
        await rm(s.root, { recursive: true, force: true });
    }
});

test("resolveModel: PROMPTSMITH_MODEL next (with ~ expanded), then the configured path", async () => {
    const s = await scratch();
    try {
        const env = { HOME: s.root, PROMPTSMITH_MODEL: "~/models-elsewhere/env.gguf" };
        assert.deepEqual(await resolveModel(base(s, { env, configuredPath: s.configModel })), { path: s.envModel, source: "env" });
        assert.deepEqual(await resolveModel(base(s, { env: { HOME: s.root, PROMPTSMITH_MODEL: "" }, configuredPath: s.configModel })), { path: s.configModel, source: "config" });
    } finally {
        await rm(s.root, { recursive: true, force: true });
    }
});

test("resolveModel: the recommended model already in the models folder, without asking", async () => {
    const s = await scratch();
    try {
        await mkdir(s.modelsDir, { recursive: true });
        const file = path.join(s.modelsDir, RECOMMENDED_MODEL.fileName);
        await writeFile(file, "GGUF fake");
        assert.deepEqual(await resolveModel(base(s)), { path: file, source: "models-dir" });
        // The models folder defaults to PROMPTSMITH_MODELS_DIR.
        assert.deepEqual(await resolveModel(base(s, { modelsDir: undefined, env: { HOME: s.root, PROMPTSMITH_MODELS_DIR: s.modelsDir } })), { path: file, source: "models-dir" });
    } finally {
        await rm(s.root, { recursive: true, force: true });
    }
});

// ---- explicit paths that do not exist ---------------------------------------------------------------------

test("resolveModel: a missing explicit path is MODEL_NOT_FOUND naming its source, never a silent fall-through", async () => {
    const s = await scratch();
    try {
        const missing = path.join(s.root, "nope.gguf");
        const cli = await expectError(resolveModel(base(s, { cliPath: missing, env: { HOME: s.root, PROMPTSMITH_MODEL: s.envModel } })), "MODEL_NOT_FOUND");
        assert.match(cli.message, /from --model/);
        assert.equal(cli.file, missing);

        const env = await expectError(resolveModel(base(s, { env: { HOME: s.root, PROMPTSMITH_MODEL: missing }, configuredPath: s.configModel })), "MODEL_NOT_FOUND");
        assert.match(env.message, /from PROMPTSMITH_MODEL/);
        assert.ok(env.message.includes(missing));

        const cfg = await expectError(resolveModel(base(s, { configuredPath: missing })), "MODEL_NOT_FOUND");
        assert.match(cfg.message, /from "modelPath" in the config file/);
        const labelled = await expectError(resolveModel(base(s, { configuredPath: missing, configuredPathLabel: "the promptsmith.modelPath setting" })), "MODEL_NOT_FOUND");
        assert.match(labelled.message, /from the promptsmith\.modelPath setting/);

        const folder = await expectError(resolveModel(base(s, { cliPath: s.root })), "MODEL_NOT_FOUND");
        assert.match(folder.message, /folder/);
    } finally {
        await rm(s.root, { recursive: true, force: true });
    }
});

// ---- download -------------------------------------------------------------------------------------------

test("resolveModel: declined download is NO_MODEL listing every way to point at a model", async () => {
    const s = await scratch();
    try {
        const asked: Array<[RecommendedModel, string]> = [];
        const err = await expectError(
            resolveModel(
                base(s, {
                    confirmDownload: async (m, dir) => {
                        asked.push([m, dir]);
                        return false;
                    },
                }),
            ),
            "NO_MODEL",
        );
        assert.equal(asked.length, 1);
        assert.equal(asked[0]![0], RECOMMENDED_MODEL);
        assert.equal(asked[0]![1], s.modelsDir);
        for (const needle of ["--model", "PROMPTSMITH_MODEL", "modelPath", "promptsmith models download"]) assert.ok(err.message.includes(needle), `${needle} in: ${err.message}`);
    } finally {
        await rm(s.root, { recursive: true, force: true });
    }
});

test("resolveModel: accepted download fetches the recommended model into the models folder", { timeout: 15_000 }, async () => {
    const data = Buffer.alloc(300 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 255;
    const sha = createHash("sha256").update(data).digest("hex");
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.headers.range ?? ""}`);
        const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
        const start = m ? Number(m[1]) : 0;
        const end = m?.[2] ? Number(m[2]) : data.length - 1;
        res.writeHead(m ? 206 : 200, {
            "accept-ranges": "bytes",
            "content-length": end - start + 1,
            ...(m ? { "content-range": `bytes ${start}-${end}/${data.length}` } : {}),
        });
        res.end(req.method === "HEAD" ? undefined : data.subarray(start, end + 1));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const s = await scratch();
    try {
        const { port } = server.address() as AddressInfo;
        const recommended: RecommendedModel = { ...RECOMMENDED_MODEL, url: `http://127.0.0.1:${port}/model.gguf`, sizeBytes: data.length, sizeIsApproximate: false, sha256: sha };
        let progressEvents = 0;
        const r = await resolveModel(base(s, { recommended, confirmDownload: async () => true, onProgress: () => progressEvents++, stallTimeoutMs: 3000 }));
        const expected = path.join(s.modelsDir, RECOMMENDED_MODEL.fileName);
        assert.deepEqual(r, { path: expected, source: "downloaded" });
        assert.equal(createHash("sha256").update(await readFile(expected)).digest("hex"), sha);
        assert.ok(progressEvents >= 1);

        // Next time it is simply found, with no request.
        const before = requests.length;
        assert.deepEqual(await resolveModel(base(s, { recommended })), { path: expected, source: "models-dir" });
        assert.equal(requests.length, before);
    } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await rm(s.root, { recursive: true, force: true });
    }
});

test("the shipped recommended model: official Qwen URL; an approximate size is never used to verify", () => {
    assert.equal(
        RECOMMENDED_MODEL.url,
        "https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/main/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    );
    assert.equal(RECOMMENDED_MODEL.fileName, "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf");
    if (RECOMMENDED_MODEL.sha256 !== undefined) assert.match(RECOMMENDED_MODEL.sha256, /^[0-9a-f]{64}$/);
    assert.equal(exactSizeOf(RECOMMENDED_MODEL), RECOMMENDED_MODEL.sizeIsApproximate ? undefined : RECOMMENDED_MODEL.sizeBytes);
});

// ---- default folders ------------------------------------------------------------------------------------

test("defaultModelsDir per platform and environment", () => {
    assert.equal(defaultModelsDir({ PROMPTSMITH_MODELS_DIR: "/srv/models", HOME: "/home/u" }, "linux"), "/srv/models");
    assert.equal(defaultModelsDir({ PROMPTSMITH_MODELS_DIR: "~/m", HOME: "/home/u" }, "linux"), "/home/u/m");
    assert.equal(defaultModelsDir({ XDG_DATA_HOME: "/xdg/data", HOME: "/home/u" }, "linux"), "/xdg/data/promptsmith/models");
    assert.equal(defaultModelsDir({ XDG_DATA_HOME: "relative/ignored", HOME: "/home/u" }, "linux"), "/home/u/.local/share/promptsmith/models");
    assert.equal(defaultModelsDir({ HOME: "/home/u" }, "linux"), "/home/u/.local/share/promptsmith/models");
    assert.equal(defaultModelsDir({ HOME: "/Users/u" }, "darwin"), "/Users/u/Library/Application Support/Promptsmith/models");
    assert.equal(defaultModelsDir({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local", USERPROFILE: "C:\\Users\\u" }, "win32"), "C:\\Users\\u\\AppData\\Local\\Promptsmith\\models");
    assert.equal(defaultModelsDir({ USERPROFILE: "C:\\Users\\u" }, "win32"), "C:\\Users\\u\\AppData\\Local\\Promptsmith\\models");
});

test("defaultUserConfigPath per platform and environment", () => {
    assert.equal(defaultUserConfigPath({ PROMPTSMITH_CONFIG: "/etc/p.json", HOME: "/home/u" }, "linux"), "/etc/p.json");
    assert.equal(defaultUserConfigPath({ XDG_CONFIG_HOME: "/xdg/cfg", HOME: "/home/u" }, "linux"), "/xdg/cfg/promptsmith/config.json");
    assert.equal(defaultUserConfigPath({ HOME: "/home/u" }, "linux"), "/home/u/.config/promptsmith/config.json");
    assert.equal(defaultUserConfigPath({ HOME: "/Users/u" }, "darwin"), "/Users/u/Library/Application Support/Promptsmith/config.json");
    assert.equal(defaultUserConfigPath({ APPDATA: "C:\\Users\\u\\AppData\\Roaming" }, "win32"), "C:\\Users\\u\\AppData\\Roaming\\Promptsmith\\config.json");
});

// ---- user config file -----------------------------------------------------------------------------------

async function withConfig(text: string | undefined, fn: (file: string, dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "promptsmith-config-"));
    const file = path.join(dir, "config.json");
    try {
        if (text !== undefined) await writeFile(file, text);
        await fn(file, dir);
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
}

test("loadUserConfig: valid file; relative paths resolve against the config file's folder", async () => {
    await withConfig(
        JSON.stringify({ $schema: "./schema.json", modelPath: "models/m.gguf", modelsDir: "/abs/models", threads: 4, contextSize: 4096, gpuLayers: 0 }),
        async (file, dir) => {
            assert.deepEqual(await loadUserConfig(file, { required: true }), {
                modelPath: path.join(dir, "models", "m.gguf"),
                modelsDir: "/abs/models",
                threads: 4,
                contextSize: 4096,
                gpuLayers: 0,
            });
        },
    );
    await withConfig("\ufeff{}", async (file) => assert.deepEqual(await loadUserConfig(file, { required: true }), {}));
});

test("loadUserConfig: missing file is {} unless required", async () => {
    await withConfig(undefined, async (file) => {
        assert.deepEqual(await loadUserConfig(file, { required: false }), {});
        const err = await expectError(loadUserConfig(file, { required: true }), "CONFIG_INVALID");
        assert.equal(err.file, file);
        assert.match(err.message, /not found/);
    });
});

test("loadUserConfig: invalid JSON names the file, line and column", async () => {
    await withConfig('{\n  "threads": 4,\n  "contextSize": 2048,\n}\n', async (file) => {
        const err = await expectError(loadUserConfig(file, { required: false }), "CONFIG_INVALID");
        assert.equal(err.file, file);
        assert.ok(err.message.includes(file));
        assert.match(err.message, /line 4, column 1/);
        assert.ok(err.fix);
    });
    await withConfig('{ "threads": 4', async (file) => {
        const err = await expectError(loadUserConfig(file, { required: false }), "CONFIG_INVALID");
        assert.match(err.message, /line 1, column 15/);
    });
});

test("loadUserConfig: unknown key names the file, the key and the fix", async () => {
    await withConfig('{ "modelpath": "/m.gguf" }', async (file) => {
        const err = await expectError(loadUserConfig(file, { required: false }), "CONFIG_INVALID");
        assert.ok(err.message.includes('"modelpath"') && err.message.includes(file), err.message);
        assert.match(err.fix ?? "", /Did you mean "modelPath"\?/);
        assert.match(err.fix ?? "", /modelsDir, threads, contextSize, gpuLayers/);
    });
});

test("loadUserConfig: wrong types and out-of-range values", async () => {
    const cases: Array<[string, RegExp]> = [
        ['{ "threads": "4" }', /"threads".*integer ≥ 1.*the string "4"/],
        ['{ "threads": 0 }', /"threads".*integer ≥ 1/],
        ['{ "threads": 1.5 }', /"threads"/],
        ['{ "contextSize": 32 }', /"contextSize".*from 64 to 1048576, not 32/],
        ['{ "contextSize": 2000000 }', /"contextSize"/],
        ['{ "gpuLayers": -1 }', /"gpuLayers".*integer ≥ 0/],
        ['{ "modelPath": 42 }', /"modelPath".*non-empty string/],
        ['{ "modelsDir": "" }', /"modelsDir"/],
        ["[1, 2]", /must contain a JSON object/],
        ["null", /must contain a JSON object/],
    ];
    for (const [text, re] of cases) {
        await withConfig(text, async (file) => {
            const err = await expectError(loadUserConfig(file, { required: false }), "CONFIG_INVALID");
            assert.match(err.message, re, `${text}: ${err.message}`);
            assert.equal(err.file, file);
            assert.ok(err.fix, `${text} has a fix`);
        });
    }
});
