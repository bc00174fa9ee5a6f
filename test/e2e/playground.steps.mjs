// End-to-end steps for the Prompt Playground (issue 6), driving the real webview in its iframe:
//   p1  playground.prompt.md: the Run CodeLens → the playground streams the answer, with metrics and the seed
//   p2  temperature and seed: a random-seed run, "Use this seed", Ctrl+Enter again → the same text; Escape stops a long run
//   p3  Compare with two columns (column B its own temperature and max tokens) → both stream, each with metrics
//   p4  "Save to prompt file" on column B → the file's front matter changed in the editor; Ctrl+Z takes it back
//   p5  feedback (thumbs up, a correction), the history reopens a run, Export JSONL through the save dialog
//   p6  the playground in the light, dark and high-contrast themes, keyboard order from Run
//   p7  a GBNF grammar forces an answer with an e-mail address: the output linter's finding is highlighted (<mark>)
//   p8  reload the window: the playground comes back with its prompt file, settings and last answer
//   p9  presets: Precise from the list sets its values; changed values show as Custom; Save as preset… → a user preset in the settings
/* global window, document, MutationObserver, getComputedStyle -- the functions passed to evaluate() run in the webview page */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const PROMPT_FILE = "playground.prompt.md";
const PROMPT = [
    "---",
    "name: Playground story",
    "description: The e2e test's prompt for the playground",
    "sampling:",
    "  temperature: 0.8",
    "  maxTokens: 60",
    "variables:",
    "  hero:",
    "    default: Tom",
    "    description: Who finds the ball",
    "---",
    "## System",
    "You tell short stories for children.",
    "## User",
    "One day, {{hero}} found a red ball in the park.",
    "",
].join("\n");

export function setup({ dirs }) {
    writeFileSync(join(dirs.workspace, PROMPT_FILE), PROMPT);
}

export function steps(ctx) {
    const { until, screenshot, quickOpen, norm } = ctx;
    const page = () => ctx.page;
    let frame;

    /** The frame of the webview whose page has this <title>. */
    async function webviewFrame(title, ms = 20_000) {
        return until(`the "${title}" webview`, async () => {
            for (const f of page().frames()) {
                if (f.isDetached()) continue;
                if ((await f.title().catch(() => "")) === title) return f;
            }
            return false;
        }, ms);
    }

    async function playground() {
        frame = await webviewFrame("Prompt Playground");
        return frame;
    }

    const modelReady = async () => (await page().locator(".statusbar-item").filter({ hasText: "stories260K" }).filter({ has: page().locator(".codicon-check") }).count()) > 0;
    const runsDone = async () => Number((await frame.locator("#app").getAttribute("data-runs")) ?? 0);
    const outputText = async (col = 0, i = 0) => norm(await frame.locator(`#cell-${col}-${i}-text`).innerText({ timeout: 2000 }));
    const seedShown = async (col = 0, i = 0) => norm(await frame.locator(`#cell-${col}-${i}-seed code`).innerText({ timeout: 2000 }));
    const metricsShown = async (col = 0, i = 0) => norm(await frame.locator(`#cell-${col}-${i} dl.metrics`).innerText({ timeout: 2000 })).replace(/\s+/g, " ");

    /** Scrolls the playground so that the first answer is in the middle of the view (for the screenshots). */
    const showAnswer = () => frame.locator("#cell-0-0").evaluate((e) => e.scrollIntoView({ block: "center" })).catch(() => undefined);

    /** Focuses a text field in the webview (its inner <input>/<textarea>) and types a new value. */
    async function typeInto(id, value) {
        const inner = frame.locator(`#${id} input, #${id} textarea`).first();
        await clearField(inner);
        await page().keyboard.type(value, { delay: 15 });
        let now;
        await until(`#${id} = ${value}`, async () => (now = await frame.locator(`#${id}`).evaluate((e) => /** @type {any} */ (e).value)) === value, 5_000)
            .catch(async (e) => {
                const focus = await frame.evaluate(() => document.activeElement?.id || document.activeElement?.tagName).catch(() => "?");
                throw new Error(`${e.message} (the field holds ${JSON.stringify(now)}; focus on ${focus})`);
            });
    }

    /**
     * Focuses a field and empties it with End and Backspace. (Not Ctrl+A: in a webview VS Code runs its own
     * Select All as well, a moment later, which can select the first character typed after it.)
     */
    async function clearField(inner) {
        await inner.focus();
        await page().keyboard.press("Control+End");
        const n = await inner.evaluate((e) => e.value.length);
        for (let i = 0; i < n; i++) await page().keyboard.press("Backspace");
        await until("the field empty", async () => inner.evaluate((e) => e.value === ""), 5_000);
    }

    /** Focuses an element of the webview and presses a key (buttons, checkboxes, selects). */
    async function press(selector, key) {
        await frame.locator(selector).first().focus();
        await page().keyboard.press(key);
    }

    /** Ctrl+Enter in the webview, then waits for the run to finish. */
    async function runAndWait(what, ms = 60_000) {
        const before = await runsDone();
        await page().keyboard.press("Control+Enter");
        await until(what, async () => (await runsDone()) > before, ms);
        const notice = norm(await frame.locator("#notice").innerText().catch(() => ""));
        if (notice && /Not run|error|failed/i.test(notice)) throw new Error(`the playground says: ${notice}`);
    }

    /** Records every length each column's first answer goes through (streaming shows as growing text). */
    async function watchStreaming() {
        await frame.evaluate(() => {
            const w = /** @type {any} */ (window);
            w.__psLengths = {};
            const note = () => {
                for (const pre of document.querySelectorAll("pre.output[id$='-0-text']")) {
                    const n = pre.textContent?.length ?? 0;
                    const list = (w.__psLengths[pre.id] ??= []);
                    if (n > 0 && list[list.length - 1] !== n) list.push(n);
                }
            };
            w.__psObserver?.disconnect();
            w.__psObserver = new MutationObserver(note);
            w.__psObserver.observe(document.body, { subtree: true, childList: true, characterData: true });
        });
    }
    const streamedLengths = async (col) => frame.evaluate((id) => /** @type {any} */ (window).__psLengths?.[id] ?? [], `cell-${col}-0-text`);

    const { pickTheme } = ctx;


    async function showPlaygroundTab() {
        const tab = page().locator(".part.editor .tab").filter({ hasText: "Playground" }).first();
        await tab.click();
        await playground();
        await until("the playground's controls", async () => (await frame.locator("#run").count()) > 0, 10_000);
    }

    return [
        {
            id: "p1",
            name: `open ${PROMPT_FILE} → the Run CodeLens → the playground streams the answer with metrics and the seed`,
            async run() {
                if (!(await modelReady())) await ctx.selectModelFromPicker("stories260K.gguf", "p1-model-picker");
                await until("the model ready", modelReady, 30_000);
                await quickOpen(PROMPT_FILE);
                const lens = page().locator(".part.editor .editor-group-container.active .monaco-editor .codelens-decoration a").filter({ hasText: /^\s*Run\s*$/ });
                await until("the Run CodeLens above the prompt", async () => (await lens.count()) > 0 && (await lens.first().isVisible()), 15_000);
                await lens.first().click();
                await playground();
                // More room for the playground beside the prompt file: hide the side bar (p6 shows it again).
                if (await page().locator(".part.sidebar").isVisible()) {
                    await page().keyboard.press("Control+B");
                    await until("the side bar hidden", async () => !(await page().locator(".part.sidebar").isVisible()), 5_000);
                }
                await watchStreaming().catch(() => undefined);
                await until("the prompt file loaded in the playground", async () => norm(await frame.locator("#source").innerText()).includes(PROMPT_FILE), 15_000);
                const answer = await until("the answer, finished", async () => {
                    const pre = frame.locator("#cell-0-0-text");
                    if (!(await pre.count()) || (await pre.getAttribute("aria-busy")) === "true") return false;
                    const t = norm(await pre.innerText());
                    return t.trim() ? t : false;
                }, 60_000);
                const metrics = await until("the run's metrics", async () => {
                    const m = await metricsShown().catch(() => "");
                    return /First token/.test(m) && /tok\/s/.test(m) && /Latency/.test(m) && /Cache/.test(m) ? m : false;
                }, 10_000);
                const seed = await seedShown();
                if (!/^\d+$/.test(seed)) throw new Error(`no seed shown after the run: "${seed}"`);
                const tokens = await until("token counts of the prompt", async () => {
                    const t = norm(await frame.locator("#tokens").textContent()).replace(/\s+/g, " ");
                    return /tokens \(js-tiktoken/.test(t) ? t : false;
                }, 10_000);
                const lengths = await streamedLengths(0);
                await showAnswer();
                await screenshot("playground-run");
                return `answer of ${answer.length} characters (${lengths.length > 1 ? `streamed through ${lengths.length} lengths` : "one piece"}), seed ${seed}; metrics "${metrics}"; "${tokens}"`;
            },
        },
        {
            id: "p2",
            name: "temperature 1.1, random seed → run; Use this seed → Ctrl+Enter → the same text; Escape stops a long run",
            async run() {
                await playground();
                // A real reproduction, not a cache hit.
                if (await frame.locator("#use-cache").evaluate((e) => /** @type {any} */ (e).checked)) await press("#use-cache", "Space");
                await until("the response cache off", async () => !(await frame.locator("#use-cache").evaluate((e) => /** @type {any} */ (e).checked)), 5_000);
                await typeInto("c0-temperature", "1.1");
                if (!(await frame.locator("#c0-seed-random").evaluate((e) => /** @type {any} */ (e).checked))) await press("#c0-seed-random", "Space");
                await runAndWait("the random-seed run");
                const first = await outputText();
                const seed = await seedShown();
                // "Use this seed": the seed field takes it and the random toggle goes off.
                await press("#cell-0-0-use-seed", "Enter");
                await until(`the seed field showing ${seed}`, async () => (await frame.locator("#c0-seed").evaluate((e) => /** @type {any} */ (e).value)) === seed, 5_000);
                if (await frame.locator("#c0-seed-random").evaluate((e) => /** @type {any} */ (e).checked)) throw new Error("the random-seed toggle stayed on after Use this seed");
                await runAndWait("the run with the seed");
                const second = await outputText();
                const seed2 = await seedShown();
                const metrics = await metricsShown();
                if (seed2 !== seed) throw new Error(`the second run shows seed ${seed2}, expected ${seed}`);
                if (second !== first) throw new Error(`seed ${seed} did not reproduce the text:\n${first}\n---\n${second}`);
                if (!/Cache\s*miss/.test(metrics)) throw new Error(`the second run was not a fresh generation: ${metrics}`);
                await showAnswer();
                await screenshot("playground-seed");

                // Escape stops: a long answer (max tokens 1500), stopped once it has started.
                await typeInto("c0-maxTokens", "1500");
                await typeInto("c0-temperature", "1");
                await press("#c0-seed-random", "Space");
                const before = await runsDone();
                await page().keyboard.press("Control+Enter");
                // This run's answer, while it streams (a finished answer has no aria-busy).
                await until("the long answer streaming", async () => (await frame.locator("#cell-0-0-text[aria-busy='true']").count()) > 0 && (await outputText().catch(() => "")).length > 20, 20_000);
                await page().keyboard.press("Escape");
                await until("the run stopped", async () => (await runsDone()) > before, 20_000);
                const reason = await until("the answer marked as stopped", async () => norm(await frame.locator("#cell-0-0 .stop-reason").innerText({ timeout: 1000 })), 10_000);
                const status = norm(await frame.locator("#status").innerText());
                const stoppedTokens = /Output\s*(\d+)/.exec(await metricsShown().catch(() => ""))?.[1];
                if (!/stopped by you/.test(reason) || !/Stopped/.test(status)) throw new Error(`after Escape: "${reason}", status "${status}"`);
                await typeInto("c0-maxTokens", "60");
                return `temperature 1.1, seed ${seed}: ${first.length} characters twice, identical ("${first.slice(0, 50).replace(/\s+/g, " ")}…"), ${metrics}; Escape: "${reason}" after ${stoppedTokens ?? "?"} tokens of 1500`;
            },
        },
        {
            id: "p3",
            name: "Compare: two columns (B: temperature 1.4, 40 tokens) → both stream, each with its metrics",
            async run() {
                await playground();
                // Columns: 2, with the keyboard (the select opens with Enter; ArrowDown moves to "2").
                await press("#columns", "Enter");
                await until("the columns list open", async () => frame.locator("#columns[open]").count(), 5_000);
                await page().keyboard.press("ArrowDown");
                await page().keyboard.press("Enter");
                await until("column B", async () => (await frame.locator("#column-B").count()) > 0, 5_000);
                // Column B's settings are its own.
                await frame.locator("#c1-sampling > summary").focus();
                if (!(await frame.locator("#c1-sampling").evaluate((e) => /** @type {any} */ (e).open))) await page().keyboard.press("Enter");
                await typeInto("c1-temperature", "1.4");
                await typeInto("c1-maxTokens", "40");
                await watchStreaming();
                await runAndWait("both columns");
                const a = await outputText(0);
                const b = await outputText(1);
                const ma = await metricsShown(0);
                const mb = await metricsShown(1);
                for (const [name, t, m] of [["A", a, ma], ["B", b, mb]]) {
                    if (!t.trim()) throw new Error(`column ${name} has no answer`);
                    if (!/tok\/s/.test(m) || !/First token/.test(m)) throw new Error(`column ${name} shows no metrics: ${m}`);
                }
                const la = await streamedLengths(0);
                const lb = await streamedLengths(1);
                const outB = Number(/Output\s*(\d+)/.exec(mb)?.[1]);
                if (!(outB <= 40)) throw new Error(`column B wrote ${outB} tokens, its max is 40`);
                // The screenshot: the playground alone in the editor area, B's controls folded, the answers in view.
                await frame.locator("#c1-sampling > summary").focus();
                if (await frame.locator("#c1-sampling").evaluate((e) => /** @type {any} */ (e).open)) await page().keyboard.press("Enter");
                const toggleMaximized = async () => {
                    await page().keyboard.press("Control+K");
                    await page().keyboard.press("Control+M");
                };
                await toggleMaximized();
                await until("the playground wide (prompt and columns side by side)", async () => frame.locator(".layout").evaluate((e) => getComputedStyle(e).gridTemplateAreas.includes("results")
                    && getComputedStyle(e).gridTemplateColumns.split(" ").length === 2), 10_000);
                await frame.evaluate(() => window.scrollTo(0, 0));
                await screenshot("playground-compare");
                await toggleMaximized();
                await until("the prompt file's editor back beside the playground", async () => page().locator(".part.editor .tab").filter({ hasText: PROMPT_FILE }).first().isVisible(), 10_000);
                return `A (${la.length} lengths seen): ${ma}\n    B (${lb.length} lengths seen): ${mb}`;
            },
        },
        {
            id: "p4",
            name: "Save to prompt file on column B → the front matter shows B's values; Ctrl+Z restores the file",
            async run() {
                await playground();
                await press("#c1-save-file", "Enter");
                const notice = await until("the saved notice", async () => {
                    const t = norm(await frame.locator("#notice").innerText());
                    return /Saved column B/.test(t) ? t : false;
                }, 10_000);
                // The prompt file's editor (the first group): its front matter has column B's values.
                const file = join(ctx.dirs.workspace, PROMPT_FILE);
                await page().keyboard.press("Control+1");
                await until(`${PROMPT_FILE} active`, async () => ((await page().locator(".part.editor .tab.active").first().textContent({ timeout: 1000 })) ?? "").includes(PROMPT_FILE), 5_000);
                await page().keyboard.press("Control+Home");
                const edited = await until("temperature 1.4 and maxTokens 40 in the editor", async () => {
                    const t = await ctx.editorText();
                    return /temperature: 1\.4/.test(t) && /maxTokens: 40/.test(t) ? t : false;
                }, 10_000);
                if (readFileSync(file, "utf8") !== PROMPT) throw new Error("the file on disk changed: the save should be an unsaved, undoable edit");
                await screenshot("playground-saved");
                await ctx.focusEditor();
                await page().keyboard.press("Control+Z");
                await until("the front matter as before", async () => {
                    const t = await ctx.editorText();
                    return /temperature: 0\.8/.test(t) && !/temperature: 1\.4/.test(t);
                }, 10_000);
                const lines = edited.split("\n").slice(0, 14).map((l) => l.trim()).filter((l) => /temperature|maxTokens|topP|seed|preset/.test(l));
                return `"${notice}"; front matter: ${lines.join(" · ")}; Ctrl+Z restored temperature 0.8`;
            },
        },
        {
            id: "p5",
            name: "thumbs up and a correction on an answer; the history reopens a run; Export JSONL through the save dialog",
            async run() {
                await showPlaygroundTab();
                await press("#cell-0-0 vscode-button[aria-label='Good answer']", "Enter");
                await until("the good-answer mark", async () => (await frame.locator("#cell-0-0 vscode-button[aria-label='Good answer']").getAttribute("aria-pressed")) === "true", 10_000);
                await press("#cell-0-0 .feedback vscode-button:has-text('Correct this answer')", "Enter");
                const area = frame.locator("#cell-0-0 .correction vscode-textarea textarea");
                await until("the correction editor", async () => (await area.count()) > 0, 5_000);
                await clearField(area);
                await page().keyboard.type("Tom found a red ball and shared it with his sister.", { delay: 5 });
                await press("#cell-0-0 .correction vscode-button:has-text('Save correction')", "Enter");
                await until("the saved correction", async () => /shared it with his sister/.test(norm(await frame.locator("#cell-0-0 .correction-text").innerText().catch(() => ""))), 10_000);

                const items = frame.locator("#history-list button.history-item");
                const n = await until("the history list with the runs so far", async () => ((await items.count()) >= 1 ? items.count() : false), 10_000);
                const rated = await until("the rating in the history", async () => (await frame.locator("#history-list .codicon-thumbsup").count()) > 0, 10_000);
                // Reopen the oldest run in the list (p1's): one column again, its output and seed back.
                const last = items.nth(n - 1);
                const preview = norm(await last.locator(".history-preview").innerText());
                await last.focus();
                await page().keyboard.press("Enter");
                await until("the reopened run", async () => (await frame.locator("#column-B").count()) === 0 && (await outputText().catch(() => "")).replace(/\s+/g, " ").trim().startsWith(preview.replace(/…$/, "").slice(0, 40)), 10_000);
                const reopenedSeed = await frame.locator("#c0-seed").evaluate((e) => /** @type {any} */ (e).value);
                await screenshot("playground-history");

                // Export JSONL: the save dialog (code-server's simple file dialog) proposes playground-history.jsonl in the workspace.
                const target = join(ctx.dirs.workspace, "playground-history.jsonl");
                await press("#export-jsonl", "Enter");
                await until("the save dialog", async () => (await ctx.quickInput().isVisible()) && /playground-history\.jsonl/.test(await page().locator(".quick-input-widget input").inputValue()), 10_000);
                await page().keyboard.press("Enter");
                const lines = await until("the exported file", async () => {
                    if (!existsSync(target)) return false;
                    const l = readFileSync(target, "utf8").trim().split("\n").filter(Boolean);
                    return l.length >= n ? l : false;
                }, 10_000);
                const records = lines.map((l) => JSON.parse(l));
                if (!records.every((r) => r.kind === "playground" && r.source === PROMPT_FILE)) throw new Error(`the export holds other runs: ${records.map((r) => `${r.kind}:${r.source}`).join(", ")}`);
                const withFeedback = records.filter((r) => r.feedback?.some((f) => f.rating === "up") && r.feedback.some((f) => /sister/.test(f.correction ?? "")));
                if (withFeedback.length !== 1) throw new Error(`${withFeedback.length} exported runs carry the thumbs up and the correction`);
                await until("the export notification", async () => (await ctx.toasts().allInnerTexts()).some((t) => /Exported/.test(t)), 5_000).catch(() => undefined);
                return `${n} runs in the history (rating shown: ${rated}); reopened "${preview.slice(0, 40)}…" with seed ${reopenedSeed}; exported ${records.length} JSONL records, one with the thumbs up and the correction`;
            },
        },
        {
            id: "p6",
            name: "keyboard order from Run; the playground in the light, dark, dark high-contrast and light high-contrast themes",
            async run() {
                await showPlaygroundTab();
                // Tab order from Run: Stop is disabled when idle, so Columns, Runs per column, the cache box.
                await frame.locator("#run").focus();
                const order = [];
                for (let i = 0; i < 6; i++) {
                    order.push(await frame.evaluate(() => document.activeElement?.id || document.activeElement?.tagName.toLowerCase()));
                    await page().keyboard.press("Tab");
                }
                const expected = ["run", "columns", "repeat", "use-cache", "open-source", "system"];
                if (order.join(",") !== expected.join(",")) throw new Error(`Tab order from Run: ${order.join(" → ")}, expected ${expected.join(" → ")}`);
                const before = await pickTheme("Light Modern");
                await playground();
                await until("the light theme in the webview", async () => (await frame.locator("body.vscode-light").count()) > 0, 10_000);
                await showAnswer();
                await screenshot("playground-light");
                await pickTheme("Dark Modern");
                await playground();
                await until("the dark theme in the webview", async () => (await frame.locator("body.vscode-dark").count()) > 0, 10_000);
                await showAnswer();
                await screenshot("playground-dark");
                await pickTheme("Dark High Contrast");
                await playground();
                await until("the dark high-contrast theme", async () => (await frame.locator("body.vscode-high-contrast").count()) > 0, 10_000);
                await showAnswer();
                await screenshot("playground-high-contrast");
                await pickTheme("Light High Contrast");
                await playground();
                await until("the light high-contrast theme", async () => (await frame.locator("body.vscode-high-contrast-light").count()) > 0, 10_000);
                const colours = await frame.locator("#cell-0-0-text").evaluate((e) => ({ fg: getComputedStyle(e).color, bg: getComputedStyle(e).backgroundColor, border: getComputedStyle(e).borderTopColor }));
                await showAnswer();
                await screenshot("playground-high-contrast-light");
                if (before) await pickTheme(before);
                if (!(await page().locator(".part.sidebar").isVisible())) await page().keyboard.press("Control+B");
                return `Tab order: ${order.join(" → ")}; themes Light Modern, Dark Modern, Dark High Contrast, Light High Contrast (output ${colours.fg} on ${colours.bg}, border ${colours.border}); back to "${before || "?"}"`;
            },
        },
        {
            id: "p7",
            name: "a GBNF grammar forces an answer with an e-mail address → the output linter's finding is highlighted",
            async run() {
                await showPlaygroundTab();
                if (await frame.locator("#column-B").count()) throw new Error("expected one column (p5 reopened a run)");
                // Output constraint → GBNF grammar, with the keyboard.
                await press("#c0-constraint", "Enter");
                await until("the constraint list open", async () => frame.locator("#c0-constraint[open]").count(), 5_000);
                const want = await frame.locator("#c0-constraint").evaluate((e) => /** @type {any} */ (e).value);
                const steps = ["none", "jsonSchema", "grammar"].indexOf("grammar") - ["none", "jsonSchema", "grammar"].indexOf(want);
                for (let i = 0; i < steps; i++) await page().keyboard.press("ArrowDown");
                await page().keyboard.press("Enter");
                await until("the grammar field", async () => frame.locator("#c0-constraint-text textarea").isVisible(), 5_000);
                const grammar = 'root ::= "Write to lily.tan@northwind-mail.com today."';
                await typeInto("c0-constraint-text", grammar);
                await runAndWait("the constrained run");
                const text = await outputText();
                if (text !== "Write to lily.tan@northwind-mail.com today.") throw new Error(`the grammar did not shape the answer: ${JSON.stringify(text)}`);
                const mark = frame.locator("#cell-0-0-text mark.flag");
                const marked = await until("the e-mail address marked", async () => ((await mark.count()) ? norm(await mark.first().innerText()) : false), 5_000);
                const rules = await mark.first().getAttribute("data-rules");
                const listed = norm(await frame.locator("#cell-0-0 ul.findings").innerText()).replace(/\s+/g, " ");
                if (marked !== "lily.tan@northwind-mail.com" || !/pii-email/.test(rules ?? "")) throw new Error(`marked "${marked}" (${rules})`);
                await showAnswer();
                await screenshot("playground-findings");
                return `answer ${JSON.stringify(text)}; <mark data-rules="${rules}">${marked}</mark>; listed: "${listed}"`;
            },
        },
        {
            id: "p8",
            name: "reload the window → the playground is restored with its prompt file, settings and last answer",
            async run() {
                await showPlaygroundTab();
                const before = { text: await outputText(), seed: await frame.locator("#c0-seed").evaluate((e) => /** @type {any} */ (e).value), user: await frame.locator("#user").evaluate((e) => /** @type {any} */ (e).value) };
                await page().reload();
                await page().locator(".monaco-workbench").waitFor({ timeout: 60_000 });
                await until("the playground's tab back", async () => (await page().locator(".part.editor .tab").filter({ hasText: "Playground" }).count()) > 0, 30_000);
                await showPlaygroundTab();
                const after = await until("the prompt, settings and answer restored", async () => {
                    const a = {
                        text: await outputText().catch(() => ""),
                        seed: await frame.locator("#c0-seed").evaluate((e) => /** @type {any} */ (e).value),
                        user: await frame.locator("#user").evaluate((e) => /** @type {any} */ (e).value),
                        constraint: await frame.locator("#c0-constraint").evaluate((e) => /** @type {any} */ (e).value),
                        source: norm(await frame.locator("#source").innerText()),
                    };
                    if (a.text === before.text && a.user === before.user && a.seed === before.seed && a.constraint === "grammar" && a.source.includes(PROMPT_FILE)) return a;
                    throw new Error(`now ${JSON.stringify(a)}, before ${JSON.stringify(before)}`);
                }, 30_000);
                const historyRows = await until("the history list", async () => ((await frame.locator("#history-list button.history-item").count()) || false), 10_000);
                // The restored view runs again, as the extension activated for it.
                await frame.locator("#run").focus();
                await runAndWait("a run after the reload");
                await screenshot("playground-restored");
                return `restored: ${PROMPT_FILE}, seed field "${after.seed}", grammar constraint, answer "${after.text.slice(0, 40)}…", ${historyRows} history rows; ran again after the reload`;
            },
        },
        {
            id: "p9",
            name: "presets: choose Precise; change top-p (Custom); Save as preset… \"Factual\" → listed as yours and in the user settings",
            async run() {
                await showPlaygroundTab();
                // Preset → Precise with the keyboard: open the list, move to it, Enter.
                await press("#c0-preset", "Enter");
                await until("the preset list open", async () => frame.locator("#c0-preset[open]").count(), 5_000);
                const options = await frame.locator("#c0-preset vscode-option").allInnerTexts();
                const currentLabel = await frame.locator("#c0-preset").evaluate((e) => {
                    const sel = /** @type {any} */ (e);
                    return [...sel.querySelectorAll("vscode-option")].find((o) => o.getAttribute("value") === sel.value)?.textContent?.trim() ?? "";
                });
                const from = options.findIndex((o) => o.trim() === currentLabel);
                const to = options.findIndex((o) => o.trim() === "Precise");
                if (to < 0) throw new Error(`no Precise preset: ${options.join(" | ")}`);
                for (let i = 0; i < to - Math.max(0, from); i++) await page().keyboard.press("ArrowDown");
                await page().keyboard.press("Enter");
                await until("Precise's values in the controls (temperature 0.3, top-p 0.9)", async () =>
                    (await frame.locator("#c0-temperature").evaluate((e) => /** @type {any} */ (e).value)) === "0.3" && (await frame.locator("#c0-topP").evaluate((e) => /** @type {any} */ (e).value)) === "0.9", 5_000);
                await until("Precise shown as the column's preset", async () => (await frame.locator("#c0-preset").evaluate((e) => /** @type {any} */ (e).value)) === "precise", 5_000);
                const precise = norm(await frame.locator("#c0-preset-desc").innerText());
                // A change makes it Custom ("Precise changed").
                await typeInto("c0-topP", "0.8");
                await until("the preset shown as Custom", async () => (await frame.locator("#c0-preset").evaluate((e) => /** @type {any} */ (e).value)) === "@custom", 5_000);
                const changed = norm(await frame.locator("#c0-preset-desc").innerText());
                // Save as preset…: the extension asks for a name in a quick input.
                await press("#c0-save-preset", "Enter");
                await until("the preset name input", async () => (await ctx.quickInput().isVisible()) && /Save Sampling Preset/.test(norm(await page().locator(".quick-input-widget").innerText())), 10_000);
                await page().keyboard.type("Factual", { delay: 10 });
                await page().keyboard.press("Enter");
                await playground();
                await until("Factual (yours) chosen in the list", async () => {
                    const value = await frame.locator("#c0-preset").evaluate((e) => /** @type {any} */ (e).value);
                    const labels = (await frame.locator("#c0-preset vscode-option").allTextContents()).map((t) => t.trim());
                    if (value === "Factual" && labels.includes("Factual (yours)")) return true;
                    throw new Error(`the list shows "${value}" of ${labels.join(" | ")}; notice "${norm(await frame.locator("#notice").innerText())}"`);
                }, 10_000);
                const settingsFile = join(ctx.dirs["user-data"], "User", "settings.json");
                const saved = await until("the preset in the user settings", async () => {
                    const json = JSON.parse(readFileSync(settingsFile, "utf8").replace(/^\s*\/\/.*$/gm, ""));
                    return json["promptsmith.playground.presets"]?.Factual ?? false;
                }, 10_000);
                if (saved.temperature !== 0.3 || saved.topP !== 0.8) throw new Error(`saved preset: ${JSON.stringify(saved)}`);
                await screenshot("playground-preset");
                // Later steps start from the first editor group, as after opening the workspace.
                await page().keyboard.press("Control+1");
                return `Precise: "${precise}"; after top-p 0.8: "${changed}"; saved Factual = ${JSON.stringify(saved)}`;
            },
        },
    ];
}
