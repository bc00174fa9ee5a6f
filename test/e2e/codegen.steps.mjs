// End-to-end steps for code generation in the editor (issue 5), driving the requirements pane in its
// iframe with the keyboard and the mouse:
//   g1  inventory.py open, the Promptsmith activity bar → the pane: type a requirement, the live budget; Tab order
//   g2  Generate (mouse) → the answer streams → Escape stops; Generate again → the diff preview →
//       Ctrl+Enter accepts: the editor holds exactly the previewed text; Ctrl+Z restores the file
//   g3  a requirement with an API key → Generate is blocked, the finding listed (masked); editing the
//       requirement withdraws Send anyway
//   g4  the runner process killed mid-generation → the pane shows RUNNER_CRASHED; Generate again works; Reject closes the diff
//   g5  the pane in the light and high-contrast themes; no CSP violation was logged
//   g6  Reload Window → the pane comes back with the requirement and the last answer
//   g7  the side bar hidden and shown again while the answer streams → the pane's answer comes back once
//       (every answer seen is a beginning of the final one: no text twice); Reject closes the diff
// The test model writes stories, not code: the steps check the mechanics, not the code.
/* global document, getComputedStyle -- the functions passed to evaluate() run in the webview page */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FILE = "inventory.py";
const SOURCE = [
    '"""Inventory helpers (the code generation e2e test\'s target)."""',
    "",
    "",
    "def total_price(items):",
    "    total = 0",
    "    for item in items:",
    '        total += item["price"] * item["quantity"]',
    "    return total",
    "",
    "",
    "def describe(item):",
    "    return f\"{item['name']}: {item['quantity']} x {item['price']}\"",
    "",
].join("\n");
const REQUIREMENT = "Write a function that returns the total weight of the items.";
const KEY = "sk-proj-" + "T4q9Zk2LmX7vB3nR8wYc5HdJ6pF1sG0aQe2Uo9Ki";
const PANE_TITLE = "Promptsmith requirements";

/** Two sampling presets of the user's own (the pane's Sampling list shows them): a long answer to stop by hand, a short one to preview. */
const LONG = "Long answers";
const SHORT = "Short answers";

export function setup({ dirs }) {
    writeFileSync(join(dirs.workspace, FILE), SOURCE);
    const file = join(dirs["user-data"], "User/settings.json");
    const settings = JSON.parse(readFileSync(file, "utf8"));
    settings["promptsmith.playground.presets"] = { [LONG]: { maxTokens: 1500 }, [SHORT]: { maxTokens: 48 } };
    writeFileSync(file, JSON.stringify(settings, null, 2) + "\n");
}

export function steps(ctx) {
    const { until, screenshot, quickOpen, norm } = ctx;
    const page = () => ctx.page;
    let frame;
    let lastRequirement = "";

    /** The requirements pane's frame (found by its page title). */
    async function pane(ms = 20_000) {
        frame = await until("the requirements pane", async () => {
            for (const f of page().frames()) {
                if (f.isDetached()) continue;
                if ((await f.title().catch(() => "")) === PANE_TITLE && (await f.locator("#requirements").count()) > 0) return f;
            }
            return false;
        }, ms);
        return frame;
    }

    const text = async (sel) => norm(await frame.locator(sel).innerText({ timeout: 2000 }).catch(() => ""));
    const status = () => text("#status");
    const answer = async () => (await frame.locator("#answer").textContent({ timeout: 2000 }).catch(() => "")) ?? "";
    const modelReady = async () => (await page().locator(".statusbar-item").filter({ hasText: "stories260K" }).filter({ has: page().locator(".codicon-check") }).count()) > 0;

    /** Chooses a sampling preset in the pane with the keyboard and waits for the budget line to show its token limit. */
    async function preset(name, tokens) {
        const select = frame.locator("#preset");
        const names = await frame.locator("#preset vscode-option").allInnerTexts();
        const target = names.findIndex((t) => norm(t).trim() === name);
        if (target < 0) throw new Error(`no preset "${name}" in the pane: ${names.join(", ")}`);
        await focusPane();
        await select.focus();
        await page().keyboard.press("Enter");
        await until("the Sampling list open", async () => (await select.evaluate((e) => /** @type {any} */ (e).open === true || e.hasAttribute("open"))), 5_000);
        const current = await select.evaluate((e) => /** @type {any} */ (e).selectedIndex);
        for (let i = current; i < target; i++) await page().keyboard.press("ArrowDown");
        for (let i = current; i > target; i--) await page().keyboard.press("ArrowUp");
        await page().keyboard.press("Enter");
        await until(`the preset "${name}" chosen`, async () => (await select.evaluate((e) => /** @type {any} */ (e).value)) === name, 5_000);
        await until(`the pane to show answers up to ${tokens} tokens`, async () => (await text("#budget-text")).includes(`answer up to ${tokens.toLocaleString("en-US")}`), 10_000);
    }

    /**
     * Puts the keyboard focus into the pane the way a keyboard user does (the view's Focus command). A
     * click into the page right after working in the editor is not enough: the workbench still routes
     * the next shortcut (Ctrl+A) to the editor.
     */
    async function focusPane() {
        await page().keyboard.press("F1");
        await until("the command palette", async () => (await ctx.quickInput().isVisible()) && (await page().locator(".quick-input-widget input").inputValue()).startsWith(">"), 10_000);
        await page().keyboard.type("Focus on Requirements View", { delay: 5 });
        await ctx.pickRow(/Focus on Requirements View/, "the Focus on Requirements View command");
        await until("the pane focused", async () => /webview/.test(await page().evaluate(() => document.activeElement?.className ?? "")), 10_000);
        await pane();
    }

    /** Focuses the requirements box and types a new requirement. */
    async function typeRequirement(value) {
        await focusPane();
        await frame.locator("#requirements textarea").click();
        // Ctrl+A in a webview selects twice: in the page, then once more when the workbench's Select All
        // command comes back to the webview. Clear the box and let that settle before typing.
        await page().keyboard.press("Control+A");
        await new Promise((r) => setTimeout(r, 300));
        await page().keyboard.press("Backspace");
        await until("the requirements box empty", async () => (await frame.locator("#requirements").evaluate((e) => /** @type {any} */ (e).value)) === "", 5_000);
        await page().keyboard.type(value, { delay: 8 });
        await until("the requirement in the box", async () => (await frame.locator("#requirements").evaluate((e) => /** @type {any} */ (e).value)) === value, 5_000);
        lastRequirement = value;
    }

    const diffTab = () => page().locator(".part.editor .tab").filter({ hasText: "proposed by Promptsmith" });
    /** The text of the diff editor's right (proposed) side. */
    const proposedText = async () => norm(await page().locator(".part.editor .editor-group-container.active .monaco-diff-editor .editor.modified .view-lines").first().innerText({ timeout: 2000 }));

    const { runExactCommand, pickTheme } = ctx;


    /** The model runner processes of this code-server (their command line names the test's extensions folder). */
    function runnerPids() {
        const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
        return out.split("\n").filter((l) => l.includes(ctx.dirs.extensions) && l.includes("runner.mjs")).map((l) => Number(l.trim().split(/\s+/)[0]));
    }

    /** Clicks Generate in the pane and waits for the run to be under way (or blocked). */
    async function clickGenerate() {
        await until("Generate enabled", async () => !(await frame.locator("#generate").evaluate((e) => /** @type {any} */ (e).disabled)), 10_000);
        await frame.locator("#generate").click();
    }

    return [
        {
            id: "g1",
            name: `${FILE} open → the Promptsmith activity bar → the requirements pane: type a requirement, the live budget, Tab order`,
            async run() {
                if (!(await modelReady())) await ctx.selectModelFromPicker("stories260K.gguf", "g1-model-picker");
                await until("the model ready", modelReady, 30_000);
                await quickOpen(FILE);
                await ctx.focusEditor();
                // The cursor on the empty line between the two functions (line 10).
                await page().keyboard.press("Control+G");
                await until("Go to Line", async () => (await ctx.quickInput().isVisible()) && (await page().locator(".quick-input-widget input").inputValue()).startsWith(":"), 10_000);
                await page().keyboard.type("10", { delay: 10 });
                await page().keyboard.press("Enter");
                await page().locator(".part.activitybar .action-item a.action-label[aria-label^='Promptsmith']").first().click();
                await pane();
                const model = await until("the model named in the pane", async () => {
                    const t = await text("#model-name");
                    return /stories260K/.test(t) ? t : false;
                }, 15_000);
                await typeRequirement(REQUIREMENT);
                const budget = await until("the live budget counting the current file", async () => {
                    const t = await text("#budget-text");
                    const items = await text("#budget-items");
                    return /Context \d/.test(t) && items.includes(FILE) ? `${t} | ${items.replace(/\n/g, "; ")}` : false;
                }, 15_000);
                // Keyboard: from the requirements box, Tab reaches every control in order.
                const order = [];
                for (let i = 0; i < 9; i++) {
                    await page().keyboard.press("Tab");
                    order.push(await frame.evaluate(() => document.activeElement?.id || document.activeElement?.tagName.toLowerCase()));
                }
                const expected = ["language", "preset", "inc-selection", "inc-current", "inc-open", "place", "generate"];
                const seen = expected.filter((id) => order.includes(id));
                if (seen.length !== expected.length || seen.some((id, i) => order.indexOf(id) < order.indexOf(seen[i - 1] ?? id))) throw new Error(`Tab order from the requirements: ${order.join(" → ")}`);
                const labels = await frame.evaluate(() => [...document.querySelectorAll("vscode-button, vscode-checkbox, vscode-single-select, vscode-textarea")].filter((e) => !(e.getAttribute("aria-label") || e.getAttribute("label") || e.textContent?.trim() || document.querySelector(`vscode-label[for="${e.id}"]`))).map((e) => e.id));
                if (labels.length) throw new Error(`controls without a label: ${labels.join(", ")}`);
                await screenshot("codegen-pane");
                return `model "${model}"; budget "${budget}"; Tab: ${order.join(" → ")}`;
            },
        },
        {
            id: "g2",
            name: "Generate → the answer streams → Escape stops; Generate again → diff preview → Ctrl+Enter: the editor holds exactly the preview; Ctrl+Z restores",
            async run() {
                await pane();
                await preset(LONG, 1500);
                await clickGenerate();
                const lengths = [];
                await until("the answer streaming", async () => {
                    const n = (await answer()).length;
                    if (n && lengths[lengths.length - 1] !== n) lengths.push(n);
                    return lengths.length >= 2 && /Generating/.test(await status());
                }, 30_000, 50);
                await screenshot("codegen-streaming");
                await page().keyboard.press("Escape");
                const stopped = await until("the run stopped", async () => {
                    const s = await status();
                    return /^Stopped/.test(s) ? s : false;
                }, 10_000, 50);
                const stoppedLength = (await answer()).length;
                await new Promise((r) => setTimeout(r, 700));
                if ((await answer()).length !== stoppedLength) throw new Error("the answer kept growing after Stop");

                await preset(SHORT, 48);
                // The file as the editor shows it, for the comparison after Undo.
                const original = await ctx.editorText();
                if (!original.includes("def describe")) throw new Error(`the editor does not show ${FILE}: ${original.slice(0, 200)}`);
                await clickGenerate();
                await until("the diff preview", async () => (await diffTab().count()) > 0, 30_000);
                const done = await until("the run done", async () => {
                    const s = await status();
                    return /^Done/.test(s) ? s : false;
                }, 30_000);
                const preview = await until("the proposed text", async () => {
                    const t = await proposedText().catch(() => "");
                    return t.includes("def describe") ? t : false;
                }, 10_000);
                await screenshot("codegen-diff");
                // Ctrl+Enter in the proposal (the diff's right side) accepts.
                await page().locator(".part.editor .editor-group-container.active .monaco-diff-editor .editor.modified .view-lines").first().click();
                await page().keyboard.press("Control+Enter");
                await until("the diff closed", async () => (await diffTab().count()) === 0, 10_000);
                await until(`${FILE} active`, async () => ((await page().locator(".part.editor .tab.active").first().textContent({ timeout: 1000 })) ?? "").includes(FILE), 10_000);
                const accepted = await until("the accepted text in the editor", async () => {
                    const t = await ctx.editorText();
                    return t === preview ? t : false;
                }, 10_000).catch(async () => {
                    throw new Error(`the editor does not hold the previewed text:\n--- preview\n${preview}\n--- editor\n${await ctx.editorText()}`);
                });
                const note = await until("the pane saying accepted", async () => {
                    const t = await text("#proposal-note");
                    return /Accepted/.test(t) ? t : false;
                }, 10_000);
                await screenshot("codegen-accepted");
                await ctx.focusEditor();
                await page().keyboard.press("Control+Z");
                const restored = await until("one Undo restoring the file", async () => ((await ctx.editorText()) === original ? true : false), 10_000).catch(async () => {
                    throw new Error(`after Ctrl+Z the editor is not the original file:\n${await ctx.editorText()}`);
                });
                return `streamed through ${lengths.length} lengths, "${stopped}" at ${stoppedLength} characters; "${done}"; accepted ${accepted.split("\n").length} lines (= preview), "${note}"; Ctrl+Z restored the file (${restored})`;
            },
        },
        {
            id: "g3",
            name: "a requirement with an API key → Generate is blocked with the finding listed (masked)",
            async run() {
                await pane();
                await typeRequirement(`Call the orders service with the API key ${KEY} and print the orders.`);
                await clickGenerate();
                const findings = await until("the blocked run's findings", async () => {
                    if (await frame.locator("#blocked").isHidden()) return false;
                    const t = await text("#input-findings");
                    return /secret-openai-key/.test(t) ? t : false;
                }, 15_000);
                if (findings.includes(KEY) || findings.includes(KEY.slice(10, 30))) throw new Error(`the finding shows the key: ${findings}`);
                const s = await status();
                if (!/Not sent/.test(s)) throw new Error(`status "${s}"`);
                if (!(await frame.locator("#send-anyway").isVisible())) throw new Error("no Send anyway button");
                await screenshot("codegen-blocked");
                // Send anyway belongs to what was checked: editing the requirements withdraws it.
                await frame.locator("#requirements textarea").click();
                await page().keyboard.press("End");
                await page().keyboard.type(" Now.", { delay: 8 });
                await until("Send anyway withdrawn after the edit", async () => !(await frame.locator("#send-anyway").isVisible()), 5_000);
                const note = await text("#blocked-note");
                if (!/changed/.test(note)) throw new Error(`no note about the change: "${note}"`);
                lastRequirement = await frame.locator("#requirements").evaluate((e) => /** @type {any} */ (e).value);
                return `"${s}" — ${findings.replace(/\s+/g, " ")}; after an edit: "${note}"`;
            },
        },
        {
            id: "g4",
            name: "the runner killed mid-generation → RUNNER_CRASHED in the pane; Generate again works; Reject closes the diff",
            async run() {
                await pane();
                await typeRequirement(REQUIREMENT);
                await preset(LONG, 1500);
                await clickGenerate();
                await until("the answer streaming", async () => (await answer()).length > 10 && /Generating/.test(await status()), 30_000, 50);
                const pids = runnerPids();
                if (pids.length !== 1) throw new Error(`expected one runner process, found ${pids.length}`);
                process.kill(pids[0], "SIGKILL");
                const error = await until("the error in the pane", async () => {
                    const s = await status();
                    return /RUNNER_CRASHED/.test(s) ? s : false;
                }, 15_000);
                await screenshot("codegen-runner-killed");
                await preset(SHORT, 48);
                await clickGenerate();
                const done = await until("the next run done", async () => {
                    const s = await status();
                    return /^Done/.test(s) ? s : false;
                }, 30_000);
                await until("the diff preview", async () => (await diffTab().count()) > 0, 15_000);
                const newPids = runnerPids();
                await pane();
                await frame.locator("#reject").click();
                await until("the diff closed by Reject", async () => (await diffTab().count()) === 0, 10_000);
                const note = await until("the pane saying rejected", async () => {
                    const t = await text("#proposal-note");
                    return /Rejected/.test(t) ? t : false;
                }, 10_000);
                return `killed ${pids[0]}: "${error.slice(0, 120)}"; next: "${done}" (runner ${newPids.join(",")}); "${note}"`;
            },
        },
        {
            id: "g5",
            name: "the pane in the light and high-contrast themes; no CSP violation logged",
            async run() {
                const before = await pickTheme("Light Modern");
                await pane();
                await until("the light theme in the pane", async () => (await frame.locator("body.vscode-light").count()) > 0, 10_000);
                await screenshot("codegen-light");
                await pickTheme("Dark High Contrast");
                await pane();
                await until("the high-contrast theme in the pane", async () => (await frame.locator("body.vscode-high-contrast").count()) > 0, 10_000);
                const colours = await frame.locator("#answer").evaluate((e) => ({ fg: getComputedStyle(e).color, border: getComputedStyle(e).borderTopColor }));
                await screenshot("codegen-high-contrast");
                if (before) await pickTheme(before);
                const csp = ctx.extensionLog().filter((l) => /Content-Security-Policy violation/.test(l));
                if (csp.length) throw new Error(`CSP violations logged:\n${csp.join("\n")}`);
                return `Light Modern, Dark High Contrast (answer ${colours.fg}, border ${colours.border}); back to "${before || "?"}"; no CSP violation in the log`;
            },
        },
        {
            id: "g6",
            name: "Reload Window → the pane comes back with the requirement and the last answer",
            async run() {
                await pane();
                const shownAnswer = (await answer()).trim();
                await runExactCommand("Developer: Reload Window");
                await page().locator(".monaco-workbench").waitFor({ timeout: 60_000 });
                await until("the workbench after the reload", async () => (await ctx.statusItems()).some((t) => /stories260K|No model/.test(t)), 60_000);
                if ((await page().locator(".part.sidebar .pane-header").filter({ hasText: "Requirements" }).count()) === 0) {
                    await page().locator(".part.activitybar .action-item a.action-label[aria-label^='Promptsmith']").first().click();
                }
                await pane(60_000);
                const value = await until(`the requirement back in the box ("${lastRequirement}")`, async () => {
                    const v = await frame.locator("#requirements").evaluate((e) => /** @type {any} */ (e).value);
                    return v === lastRequirement ? v : JSON.stringify(v) === '""' ? false : Promise.reject(new Error(`the box holds ${JSON.stringify(v)}`));
                }, 20_000);
                const back = await until("the last answer back", async () => {
                    const a = (await answer()).trim();
                    return a && a === shownAnswer ? a : false;
                }, 20_000);
                await screenshot("codegen-restored");
                return `requirement "${value}", answer of ${back.length} characters restored`;
            },
        },
        {
            id: "g7",
            name: "the side bar hidden and shown again while the answer streams → the answer comes back once, never text twice",
            async run() {
                await pane();
                await typeRequirement(REQUIREMENT);
                await preset(LONG, 1500);
                await clickGenerate();
                await until("the answer streaming", async () => (await answer()).length > 10 && /Generating/.test(await status()), 30_000, 50);
                const before = await answer();
                // Ctrl+B hides the side bar (the pane's page is discarded) and shows it again (a new page).
                await page().keyboard.press("Control+B");
                await until("the side bar hidden", async () => !(await page().locator(".part.sidebar").isVisible()), 5_000, 50);
                await page().keyboard.press("Control+B");
                await until("the side bar shown", async () => page().locator(".part.sidebar").isVisible(), 5_000, 50);
                await pane();
                const seen = [];
                let streamingAfterShow = false;
                const end = await until("the run finished", async () => {
                    const a = await answer();
                    if (a) seen.push(a);
                    const s = await status();
                    if (/Generating/.test(s)) streamingAfterShow = true;
                    return /^(Done|Stopped)/.test(s) ? s : false;
                }, 60_000, 50);
                if (!streamingAfterShow) throw new Error(`the run ended before the pane was shown again ("${end}"): nothing was tested mid-stream`);
                const final = await answer();
                const bad = seen.find((a) => !final.startsWith(a));
                if (bad !== undefined) throw new Error(`the pane showed text that is not the beginning of the answer (text twice?):\n--- shown\n${bad.slice(-300)}\n--- final\n${final.slice(0, 600)}`);
                if (!final.startsWith(before)) throw new Error("the answer after showing the pane again does not continue the one before");
                await screenshot("codegen-shown-again");
                if (/^Done/.test(end)) {
                    await until("the diff preview", async () => (await diffTab().count()) > 0, 15_000);
                    await pane();
                    await frame.locator("#reject").click();
                    await until("the diff closed by Reject", async () => (await diffTab().count()) === 0, 10_000);
                }
                return `hidden at ${before.length} characters, shown again while streaming; ${seen.length} answers seen, each the beginning of the final ${final.length} characters; "${end}"`;
            },
        },
    ];
}
