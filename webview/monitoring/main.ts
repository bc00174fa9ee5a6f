// The Monitoring view: per model and per prompt file, request counts, latency percentiles, speed, cache
// hits, flagged outputs and acceptance, for a chosen time window. Everything is built with DOM calls and
// textContent (names of models and files are data, never HTML). The extension computes the numbers
// (src/vscode/monitoring.ts); the column names and formats come from the shared protocol module.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-label/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import type { VscodeSingleSelect } from "@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js";
import { connect } from "../common/host.ts";
import {
    DEFAULT_WINDOW,
    isTimeWindow,
    METRIC_COLUMNS,
    TIME_WINDOWS,
    type MonitoringModel,
    type MonitoringRow,
    type MonitoringViewState,
    type TimeWindow,
    type ToHost,
    type ToView,
} from "../../src/protocol/monitoring.ts";
import "./style.css";

const host = connect<ToHost, ToView, MonitoringViewState>();
const saved = host.getState();
let state: MonitoringViewState = { window: isTimeWindow(saved?.window) ? saved.window : DEFAULT_WINDOW, model: saved?.model };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; text?: string; attrs?: Record<string, string> } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
    const e = document.createElement(tag);
    if (props.className) e.className = props.className;
    if (props.text !== undefined) e.textContent = props.text;
    for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
    e.append(...children);
    return e;
}

function custom(tag: string, attrs: Record<string, string>, text?: string): HTMLElement {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
}

// ---- the static frame: toolbar, status line, two table sections ----

const app = document.getElementById("app")!;
const select = custom("vscode-single-select", { id: "window", label: "Time window" }) as VscodeSingleSelect;
for (const w of TIME_WINDOWS) select.append(custom("vscode-option", { value: w.id }, w.label));
select.value = state.window;
// Refresh is an icon (the numbers follow new runs by themselves); Export and Clear keep their words.
const refresh = custom("vscode-button", { id: "refresh", secondary: "", icon: "refresh", "icon-only": "", title: "Refresh now", "aria-label": "Refresh" });
const exportButton = custom("vscode-button", { id: "export", secondary: "", icon: "export", title: "Export the stored runs and feedback to a file" }, "Export…");
const clear = custom("vscode-button", { id: "clear", secondary: "", icon: "clear-all", title: "Delete every run and all feedback stored on this machine" }, "Clear…");
const toolbar = el("div", { className: "toolbar", attrs: { role: "toolbar", "aria-label": "Monitoring" } },
    el("div", { className: "window" }, custom("vscode-label", { for: "window" }, "Time window"), select),
    el("div", { className: "actions" }, refresh, exportButton, clear),
);
// The run count is announced when it changes; the time of the last refresh is not (it changes every time).
const summary = el("span", { attrs: { id: "status", role: "status", "aria-live": "polite" } });
const updated = el("span", { attrs: { id: "updated" } });
const status = el("p", { className: "status muted" }, summary, updated);
const errorLine = el("p", { className: "error", attrs: { id: "error", role: "alert" } });
errorLine.hidden = true;

/**
 * One table section. Wide views get a table (name column kept in view while the numbers scroll); narrow
 * ones (the sidebar) get one card per row with the same numbers as labelled tiles. Both are in the page;
 * CSS shows one of them by the view's width (display: none keeps the other out of the accessibility tree).
 */
function section(id: string, title: string, firstColumn: string): { root: HTMLElement; render(rows: MonitoringRow[]): void } {
    const heading = el("h2", { text: title, attrs: { id: `${id}-title` } });
    const scroller = el("div", { className: "scroller", attrs: { role: "region", "aria-labelledby": `${id}-title`, tabindex: "0" } });
    const cards = el("div", { className: "cards" });
    const root = el("section", { attrs: { id, "aria-labelledby": `${id}-title` } }, heading, scroller, cards);
    return {
        root,
        render(rows) {
            if (rows.length === 0) {
                scroller.replaceChildren(el("p", { className: "muted empty", text: "No runs in this time window." }));
                scroller.removeAttribute("tabindex");
                cards.replaceChildren(el("p", { className: "muted empty", text: "No runs in this time window." }));
                return;
            }
            scroller.setAttribute("tabindex", "0");
            const headRow = el("tr", {}, el("th", { text: firstColumn, attrs: { scope: "col" } }));
            for (const c of METRIC_COLUMNS) headRow.append(el("th", { className: "num", text: c.header, attrs: { scope: "col", title: c.description, "data-column": c.id } }));
            const body = el("tbody");
            const list: HTMLElement[] = [];
            for (const r of rows) {
                const name = el("th", { className: "name", text: r.label, attrs: { scope: "row", title: r.detail ?? r.label } });
                const tr = el("tr", { attrs: { "data-key": r.key } }, name);
                for (const c of METRIC_COLUMNS) tr.append(el("td", { className: "num", text: c.cell(r), attrs: { "data-column": c.id } }));
                body.append(tr);

                const cardTitleId = `${id}-card-${list.length}`;
                const tiles = el("dl", { className: "tiles" });
                for (const c of METRIC_COLUMNS) {
                    tiles.append(el("div", { className: "tile", attrs: { "data-column": c.id, title: c.description } }, el("dt", { text: c.header }), el("dd", { text: c.cell(r) })));
                }
                list.push(el("article", { className: "card", attrs: { "data-key": r.key, "aria-labelledby": cardTitleId } },
                    el("h3", { text: r.label, attrs: { id: cardTitleId, title: r.detail ?? r.label } }), tiles));
            }
            scroller.replaceChildren(el("table", {}, el("caption", { className: "visually-hidden", text: title }), el("thead", {}, headRow), body));
            cards.replaceChildren(...list);
        },
    };
}

const byModel = section("by-model", "By model", "Model");
const bySource = section("by-source", "By prompt file", "Prompt file");
const empty = el("div", { className: "empty-state", attrs: { id: "empty" } },
    el("p", { text: "No runs yet in this time window." }),
    el("p", { className: "muted", text: "Run a prompt file (the Run link above it), use the playground or generate code: each run's latency, speed and feedback is recorded here, on this machine only." }),
);
app.replaceChildren(toolbar, status, errorLine, empty, byModel.root, bySource.root);

// ---- rendering ----

function windowLabel(w: TimeWindow): string {
    return (TIME_WINDOWS.find((x) => x.id === w)?.label ?? w).toLowerCase();
}

function render(model: MonitoringModel | undefined): void {
    if (!model) {
        summary.textContent = "Loading…";
        updated.textContent = "";
        empty.hidden = true;
        byModel.root.hidden = bySource.root.hidden = true;
        return;
    }
    const when = new Date(model.updatedAt).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    const runs = `${model.runs.toLocaleString("en-US")} run${model.runs === 1 ? "" : "s"}`;
    summary.textContent = model.window === "all" ? `${runs} stored on this machine` : `${runs} in the ${windowLabel(model.window)} (${model.storedRuns.toLocaleString("en-US")} stored)`;
    updated.textContent = ` · updated ${when}`;
    const none = model.runs === 0;
    empty.hidden = !none;
    byModel.root.hidden = bySource.root.hidden = none;
    byModel.render(model.byModel);
    bySource.render(model.bySource);
    (clear as HTMLElement & { disabled: boolean }).disabled = model.storedRuns === 0;
    (exportButton as HTMLElement & { disabled: boolean }).disabled = model.storedRuns === 0;
}

function save(): void {
    host.setState(state);
}

host.on("model", (msg) => {
    errorLine.hidden = true;
    state = { ...state, window: msg.model.window, model: msg.model };
    if (select.value !== msg.model.window) select.value = msg.model.window;
    save();
    render(msg.model);
    app.setAttribute("aria-busy", "false");
});
host.on("error", (msg) => {
    errorLine.textContent = msg.message;
    errorLine.hidden = false;
    app.setAttribute("aria-busy", "false");
});

select.addEventListener("change", () => {
    const w = select.value;
    if (!isTimeWindow(w) || w === state.window) return;
    state = { ...state, window: w };
    save();
    host.post({ type: "setWindow", window: w });
});
refresh.addEventListener("click", () => host.post({ type: "refresh" }));
exportButton.addEventListener("click", () => host.post({ type: "export" }));
clear.addEventListener("click", () => host.post({ type: "clear" }));

// Paint what was shown before a reload at once; the extension answers "ready" with fresh numbers.
render(state.model);
host.post(isTimeWindow(saved?.window) ? { type: "ready", window: saved.window } : { type: "ready" });
