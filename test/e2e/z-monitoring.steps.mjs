// End-to-end steps for prompt files and the Monitoring view (issue 6). The file name sorts last, so the
// view also lists the runs of the code generation (g…) and playground (p…) steps; m1 makes runs of its
// own, so `--only m1,m2,m3` works alone.
//   m1  story.prompt.md: the Run CodeLens above it → the playground opens and streams the answer
//   m2  Show Monitoring: the runs per model and per prompt file, with numbers; the time window by keyboard
//   m3  the Monitoring view in the high-contrast (dark and light) themes, then the theme as before
/* global window, document, MutationObserver, Event, getComputedStyle -- the functions passed to evaluate() run in the webview page */
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const PROMPT_FILE = "story.prompt.md";
const PROMPT = [
    "---",
    "name: Bedtime story",
    "description: A very short story (the e2e test's prompt file)",
    "sampling:",
    "  temperature: 0",
    "  maxTokens: 200",
    "variables:",
    "  hero:",
    "    default: a little fox",
    "    description: Who the story is about",
    "---",
    "Once upon a time, {{hero}}",
    "",
].join("\n");

export function setup({ dirs }) {
    writeFileSync(join(dirs.workspace, PROMPT_FILE), PROMPT);
}

export function steps(ctx) {
    const { until, screenshot, runCommand, quickOpen, norm } = ctx;
    const page = () => ctx.page;

    /** The frame of the webview whose page has this <title> (Promptsmith's webview pages set one). */
    async function webviewFrame(title, ms = 20_000) {
        return until(`the "${title}" webview`, async () => {
            for (const f of page().frames()) {
                if (f.isDetached()) continue;
                const t = await f.title().catch(() => "");
                if (t === title) return f;
            }
            return false;
        }, ms);
    }

    const modelReady = async () => (await page().locator(".statusbar-item").filter({ hasText: "stories260K" }).filter({ has: page().locator(".codicon-check") }).count()) > 0;

    const { pickTheme } = ctx;


    /**
     * The rows of one Monitoring section as they are shown: cards in a narrow view, a table in a wide one.
     * Each { key, label, layout, cells by column id }; only what is displayed counts.
     */
    async function shownRows(frame, section) {
        return frame.locator(`#${section}`).evaluate((root) => {
            const visible = (e) => e && getComputedStyle(e).display !== "none" && e.getClientRects().length > 0;
            const cards = root.querySelector(".cards");
            if (visible(cards)) {
                return [...cards.querySelectorAll("article.card")].filter(visible).map((c) => ({
                    key: c.getAttribute("data-key"),
                    label: c.querySelector("h3")?.textContent ?? "",
                    layout: "cards",
                    headers: [...c.querySelectorAll(".tile dt")].map((dt) => dt.textContent),
                    cells: Object.fromEntries([...c.querySelectorAll(".tile")].map((t) => [t.getAttribute("data-column"), t.querySelector("dd")?.textContent])),
                }));
            }
            const headers = [...root.querySelectorAll("thead th")].map((th) => th.textContent);
            return [...root.querySelectorAll("tbody tr")].filter(visible).map((tr) => ({
                key: tr.getAttribute("data-key"),
                label: tr.querySelector("th")?.textContent ?? "",
                layout: "table",
                headers,
                cells: Object.fromEntries([...tr.querySelectorAll("td")].map((td) => [td.getAttribute("data-column"), td.textContent])),
            }));
        });
    }

    let themeBefore;

    return [
        {
            id: "m1",
            name: `open ${PROMPT_FILE} → the Run CodeLens → the playground streams the answer`,
            async run() {
                if (!(await modelReady())) await ctx.selectModelFromPicker("stories260K.gguf", "m1-model-picker");
                await until("the model ready", modelReady, 30_000);
                await quickOpen(PROMPT_FILE);
                const lens = page().locator(".part.editor .editor-group-container.active .monaco-editor .codelens-decoration a").filter({ hasText: /^\s*Run\s*$/ });
                await until("the Run CodeLens above the prompt", async () => (await lens.count()) > 0 && (await lens.first().isVisible()), 15_000);
                const lensTitles = (await page().locator(".part.editor .editor-group-container.active .monaco-editor .codelens-decoration").first().innerText()).replace(/\s+/g, " ").trim();
                await screenshot("codelens");
                await lens.first().click();

                // The playground (another part of issue 6) answers the lens's command; say so if it is missing.
                await until("the playground to open (or an error saying why not)", async () => {
                    const missing = (await ctx.toasts().allInnerTexts()).map(norm).find((t) => /not found/i.test(t) && /promptFile\.run/.test(t));
                    if (missing) throw new Error(`the Run CodeLens's command is not registered (is the playground built into this VSIX?): ${missing}`);
                    for (const f of page().frames()) if (!f.isDetached() && (await f.title().catch(() => "")) === "Prompt Playground") return true;
                    return false;
                }, 20_000).catch((e) => {
                    if (/not registered/.test(e.message)) throw e;
                    throw new Error(`${e.message}; the lens ran promptsmith.promptFile.run, which should open the Prompt Playground`);
                });
                const frame = await webviewFrame("Prompt Playground");
                // Record every length the answer goes through while it streams.
                await frame.evaluate(() => {
                    const w = /** @type {any} */ (window);
                    w.__psLengths = [];
                    const note = () => {
                        const pre = document.querySelector("pre.output");
                        const n = pre?.textContent?.length ?? 0;
                        if (n > 0 && w.__psLengths[w.__psLengths.length - 1] !== n) w.__psLengths.push(n);
                    };
                    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
                    note();
                });
                const answer = await until("the answer in the playground", async () => {
                    const pre = frame.locator("pre.output").first();
                    if (!(await pre.count())) return false;
                    if ((await pre.getAttribute("aria-busy")) === "true") return false;
                    const text = norm(await pre.innerText());
                    return text.trim().length > 0 ? text : false;
                }, 60_000);
                const lengths = await frame.evaluate(() => /** @type {any} */ (window).__psLengths);
                await screenshot("playground-run");
                const streamed = lengths.length > 1 ? `streamed through ${lengths.length} lengths (${lengths.slice(0, 6).join(", ")}${lengths.length > 6 ? ", …" : ""})` : "arrived in one piece before the observer saw it grow";
                return `lenses "${lensTitles}"; answer of ${answer.length} characters ${streamed}: "${answer.slice(0, 60).replace(/\s+/g, " ")}…"`;
            },
        },
        {
            id: "m2",
            name: "Show Monitoring: runs per model and per prompt file with latency, speed and rates; time window by keyboard",
            async run() {
                await runCommand("Promptsmith: Show Monitoring");
                const frame = await webviewFrame("Promptsmith Monitoring");
                // The sidebar shares its height with the Requirements view: collapse that one so the tables show.
                const requirements = page().locator(".part.sidebar .pane-header").filter({ hasText: "Requirements" });
                if ((await requirements.count()) && (await requirements.first().getAttribute("aria-expanded")) === "true") {
                    await requirements.first().focus();
                    await page().keyboard.press("Space");
                    await until("the Requirements view collapsed", async () => (await requirements.first().getAttribute("aria-expanded")) === "false", 5_000);
                }
                const rows = await until("stories260K.gguf shown with a request count and a P50 in the model section", async () => {
                    const byModel = await shownRows(frame, "by-model");
                    const r = byModel.find((x) => x.key === "stories260K.gguf");
                    return r && Number(r.cells.requests) >= 1 && /\d/.test(r.cells.p50 ?? "") ? byModel : false;
                }, 20_000);
                const bySource = await until(`${PROMPT_FILE} shown in the prompt file section`, async () => {
                    const s = await shownRows(frame, "by-source");
                    return s.some((x) => x.key === PROMPT_FILE && Number(x.cells.requests) >= 1) ? s : false;
                }, 10_000);
                const headers = rows[0].headers.map((t) => t.trim());
                for (const h of ["Requests", "P50 (ms)", "P95 (ms)", "P99 (ms)", "Speed (tok/s)", "Cache hits (%)", "Flagged (%)", "Accepted (%)"]) {
                    if (!headers.includes(h)) throw new Error(`the model section (${rows[0].layout}) shows no "${h}": ${headers.join(" | ")}`);
                }
                await screenshot("monitoring");

                // The time window, by keyboard: focus the select, open it, pick "Last hour".
                await frame.locator("#window").focus();
                await page().keyboard.press("Enter");
                await until("the time window list open", async () => frame.locator("#window[open]").count(), 5_000);
                const options = ["Last hour", "Last 24 hours", "Last 7 days", "All time"];
                const current = await frame.locator("#window").evaluate((e) => /** @type {any} */ (e).value);
                const steps = options.indexOf("Last hour") - ["hour", "day", "week", "all"].indexOf(current);
                for (let i = 0; i < Math.abs(steps); i++) await page().keyboard.press(steps < 0 ? "ArrowUp" : "ArrowDown");
                await page().keyboard.press("Enter");
                const status = await until("the status line saying the last hour", async () => {
                    const t = norm(await frame.locator("#status").innerText());
                    return /last hour/.test(t) ? t : false;
                }, 10_000);
                const focused = await frame.evaluate(() => document.activeElement?.id ?? document.activeElement?.tagName);
                // Back to all runs for the next steps.
                await frame.locator("#window").evaluate((e) => {
                    /** @type {any} */ (e).value = "all";
                    e.dispatchEvent(new Event("change", { bubbles: true }));
                });
                await until("all runs again", async () => /stored on this machine/.test(norm(await frame.locator("#status").innerText())), 10_000);

                // Wider (the sidebar dragged wider): the same numbers as tables.
                const sidebar = await page().locator(".part.sidebar").boundingBox();
                let wide = "not tried";
                if (sidebar) {
                    const edge = { x: sidebar.x + sidebar.width + 1, y: sidebar.y + sidebar.height / 2 };
                    await page().mouse.move(edge.x, edge.y);
                    await page().mouse.down();
                    await page().mouse.move(edge.x + 520, edge.y, { steps: 8 });
                    await page().mouse.up();
                    const table = await until("the tables in the wider sidebar", async () => {
                        const r = await shownRows(frame, "by-model");
                        return r.length > 0 && r[0].layout === "table" ? r : false;
                    }, 10_000);
                    await screenshot("monitoring-wide");
                    wide = `tables at ${Math.round((await page().locator(".part.sidebar").boundingBox())?.width ?? 0)} px (${table.length} model row${table.length === 1 ? "" : "s"})`;
                    await page().mouse.move(edge.x + 520, edge.y);
                    await page().mouse.down();
                    await page().mouse.move(edge.x, edge.y, { steps: 8 });
                    await page().mouse.up();
                }
                const show = (list) => list.map((r) => `${r.label}: ${r.cells.requests} req, P50 ${r.cells.p50} ms, P99 ${r.cells.p99} ms, ${r.cells.tps} tok/s, cache ${r.cells.cache}%, flagged ${r.cells.flagged}%, accepted ${r.cells.accepted}`).join("; ");
                return `${rows[0].layout} in the sidebar; by model: ${show(rows)}\n    by prompt file: ${show(bySource)}\n    keyboard: "${status}" (focus on #${focused}); wider: ${wide}`;
            },
        },
        {
            id: "m3",
            name: "the Monitoring view in the high-contrast themes (dark and light)",
            async run() {
                themeBefore = await pickTheme("Dark High Contrast");
                let frame = await webviewFrame("Promptsmith Monitoring");
                await until("the view in the dark high-contrast theme", async () => (await frame.locator("body.vscode-high-contrast").count()) > 0, 10_000);
                await until("its numbers", async () => (await shownRows(frame, "by-model")).length > 0, 10_000);
                await screenshot("monitoring-high-contrast");
                await pickTheme("Light High Contrast");
                frame = await webviewFrame("Promptsmith Monitoring");
                await until("the view in the light high-contrast theme", async () => (await frame.locator("body.vscode-high-contrast-light").count()) > 0, 10_000);
                await screenshot("monitoring-high-contrast-light");
                // Contrast of the table text against its background, as the browser computes them.
                const colours = await frame.locator("#by-model .card").first().evaluate((c) => ({ fg: getComputedStyle(c).color, border: getComputedStyle(c).borderTopColor }));
                if (themeBefore) await pickTheme(themeBefore);
                return `themes: Dark High Contrast, Light High Contrast (card text ${colours.fg}, border ${colours.border}), back to "${themeBefore || "?"}"`;
            },
        },
    ];
}
