// The Prompt Playground: system and user prompt editors, a variables table, live token counts, and 1–4
// Compare columns, each with its own model, preset and sampling controls, streaming output, metrics,
// seed, findings of the output linter and feedback; a history of the prompt file's runs with export.
//
// Everything is built with DOM calls and textContent (model output, prompt text and file names are data,
// never HTML). The state lives here and is saved with setState on every change, so a reload restores the
// prompt, the settings and the last outputs; the extension only runs, counts, stores and saves.
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import "@vscode-elements/elements/dist/vscode-label/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-textarea/index.js";
import "@vscode-elements/elements/dist/vscode-textfield/index.js";
import type { VscodeCheckbox } from "@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js";
import type { VscodeSingleSelect } from "@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js";
import type { VscodeTextarea } from "@vscode-elements/elements/dist/vscode-textarea/vscode-textarea.js";
import type { VscodeTextfield } from "@vscode-elements/elements/dist/vscode-textfield/vscode-textfield.js";
import { connect } from "../common/host.ts";
import { SAMPLING_CONTROLS, type SamplingControl } from "../../src/core/presets.ts";
import { getOwn, renderPrompt, setOwn, variablesIn } from "../../src/core/prompts/render.ts";
import {
    COLUMN_IDS,
    formatStopList,
    isPlaygroundState,
    MAX_COLUMNS,
    MAX_STATE_CHARS,
    parseStopList,
    presetMatches,
    REPEAT_MAX,
    type CellResult,
    type ColumnSettings,
    type ColumnSpread,
    type ConstraintKind,
    type EditableSampling,
    type HistoryItem,
    type ModelChoice,
    type PlaygroundLoad,
    type PlaygroundState,
    type PlaygroundToHost,
    type PlaygroundToView,
    type PresetView,
    type TokenInfo,
    type VariableRow,
} from "../../src/protocol/playground.ts";
import { custom, debounce, el, icon, int, ms, num } from "./dom.ts";
import { appendText, renderOutput } from "./output.ts";
import "./style.css";

const host = connect<PlaygroundToHost, PlaygroundToView, PlaygroundState>();

// ---- state ----

const FALLBACK_COLUMN: ColumnSettings = {
    id: "A",
    sampling: { temperature: 0.3, topP: 0.9, topK: 40, minP: 0.05, repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0, maxTokens: 512 },
    seedMode: "random",
    stop: [],
    constraint: { kind: "none", text: "" },
};

function freshState(defaults: ColumnSettings): PlaygroundState {
    return {
        version: 1,
        draft: { system: "", user: "", values: {} },
        columns: [{ ...structuredClone(defaults), id: "A" }],
        variables: [],
        repeat: 1,
        useCache: true,
        results: [],
        feedback: {},
    };
}

const saved = host.getState();
let state: PlaygroundState = isPlaygroundState(saved) ? saved : freshState(FALLBACK_COLUMN);
let defaults: ColumnSettings = FALLBACK_COLUMN;
let models: ModelChoice[] = [];
let presets: PresetView[] = [];
let tokens: TokenInfo | undefined;
let tokenError: string | undefined;
let history: HistoryItem[] = [];
let spreads: ColumnSpread[] = [];
let running = false;
/** The run this page started (or was replayed); messages of any other run are late ones of a replaced run. */
let activeRun: string | undefined;
let runCounter = 0;
let initialised = false;
/** Text streamed so far per column and repetition (the results replace it when a run ends). */
let live: string[][] = [];
/** Fields whose value is out of range: id → message. */
const invalid = new Map<string, string>();
/** The column whose "Save as preset…" is waiting for the extension. */
let presetColumn: number | undefined;
/** Cells whose correction editor is open: runId. */
const correcting = new Set<string>();

function save(): void {
    state.savedAt = Date.now();
    compactState(state);
    host.setState(state);
    postState();
}

/**
 * Keeps the saved state bounded: feedback only for the runs it shows, and when the outputs alone would
 * pass the extension's limit (MAX_STATE_CHARS) they are dropped from the saved copy (the history keeps them).
 */
function compactState(s: PlaygroundState): void {
    const shown = new Set(s.results.flat().map((r) => r?.runId).filter((id): id is string => !!id));
    for (const id of Object.keys(s.feedback)) if (!shown.has(id)) delete s.feedback[id];
    if (JSON.stringify(s).length > MAX_STATE_CHARS * 0.9) {
        s.results = s.results.map(() => []);
        s.feedback = {};
        notice("warning", "The answers are too long to keep with the playground's state: they are in the history (reopen them from there).");
    }
}
const postState = debounce(500, () => host.post({ type: "state", state }));

// ---- the static frame ----

const app = document.getElementById("app")!;

const runButton = custom("vscode-button", { attrs: { id: "run", icon: "play", title: "Run (Ctrl+Enter)", "aria-keyshortcuts": "Control+Enter" } }, "Run");
const stopButton = custom("vscode-button", { attrs: { id: "stop", icon: "debug-stop", secondary: "", disabled: "", title: "Stop (Escape)", "aria-keyshortcuts": "Escape" } }, "Stop");
const columnsSelect = custom<VscodeSingleSelect>("vscode-single-select", { attrs: { id: "columns" } });
for (let n = 1; n <= MAX_COLUMNS; n++) columnsSelect.append(custom("vscode-option", { attrs: { value: String(n) } }, n === 1 ? "1 (no comparison)" : `${n} side by side`));
const repeatField = custom<VscodeTextfield>("vscode-textfield", { attrs: { id: "repeat", inputmode: "numeric", "aria-describedby": "repeat-hint" } });
const cacheBox = custom<VscodeCheckbox>("vscode-checkbox", { attrs: { id: "use-cache" } }, "Use the response cache");
const sourceLine = el("div", { className: "source", attrs: { id: "source" } });
const statusLine = el("p", { className: "status muted", attrs: { id: "status", role: "status", "aria-live": "polite" } });
const noticeLine = el("p", { className: "notice", attrs: { id: "notice", role: "alert" } });
noticeLine.hidden = true;

const toolbar = el("div", { className: "toolbar", attrs: { role: "toolbar", "aria-label": "Playground" } },
    el("div", { className: "actions" }, runButton, stopButton),
    el("div", { className: "field inline" }, custom("vscode-label", { attrs: { for: "columns" } }, "Columns"), columnsSelect),
    el("div", { className: "field inline" }, custom("vscode-label", { attrs: { for: "repeat" } }, "Runs per column"), repeatField,
        el("span", { className: "muted hint", attrs: { id: "repeat-hint" } }, `1–${REPEAT_MAX}, each with a different seed`)),
    el("div", { className: "field inline" }, cacheBox),
);

const systemField = custom<VscodeTextarea>("vscode-textarea", { attrs: { id: "system", rows: "4", resize: "vertical", monospace: "", placeholder: "You are a helpful assistant." } });
const userField = custom<VscodeTextarea>("vscode-textarea", { attrs: { id: "user", rows: "7", resize: "vertical", monospace: "", placeholder: "Write a short story about {{topic}}." } });
const variablesBody = el("tbody");
const variablesTable = el("table", { className: "variables", attrs: { id: "variables", "aria-describedby": "variables-hint" } },
    el("thead", {}, el("tr", {}, el("th", { text: "Variable", attrs: { scope: "col" } }), el("th", { text: "Value", attrs: { scope: "col" } }), el("th", { text: "Default / description", attrs: { scope: "col" } }))),
    variablesBody,
);
const variablesHint = el("p", { className: "muted hint", attrs: { id: "variables-hint" } });
const tokenLine = el("p", { className: "tokens", attrs: { id: "tokens", role: "status", "aria-live": "polite" } });

const promptSection = el("section", { className: "prompt", attrs: { "aria-labelledby": "prompt-title" } },
    el("h2", { text: "Prompt", attrs: { id: "prompt-title" } }),
    sourceLine,
    el("div", { className: "field" }, custom("vscode-label", { attrs: { for: "system" } }, "System prompt"), systemField,
        el("p", { className: "muted hint", text: "Instructions for the model; {{name}} inserts a variable." })),
    el("div", { className: "field" }, custom("vscode-label", { attrs: { for: "user" } }, "User prompt"), userField,
        el("p", { className: "muted hint", text: "The message the model answers. Ctrl+Enter runs, Escape stops." })),
    el("h3", { text: "Variables", attrs: { id: "variables-title" } }),
    variablesTable,
    variablesHint,
    tokenLine,
);

const historyList = el("ul", { className: "history-list", attrs: { id: "history-list", "aria-labelledby": "history-title" } });
const historyTitle = el("h2", { text: "History", attrs: { id: "history-title" } });
const exportJsonl = custom("vscode-button", { attrs: { id: "export-jsonl", secondary: "", icon: "export", title: "Save this prompt's runs and feedback as JSON Lines" } }, "Export JSONL…");
const exportMd = custom("vscode-button", { attrs: { id: "export-md", secondary: "", icon: "markdown", title: "Save this prompt's runs and feedback as Markdown" } }, "Export Markdown…");
const historySection = el("section", { className: "history", attrs: { "aria-labelledby": "history-title" } },
    historyTitle,
    el("p", { className: "muted hint", attrs: { id: "history-hint" } }),
    el("div", { className: "actions" }, exportJsonl, exportMd),
    historyList,
);

const columnsContainer = el("div", { className: "columns", attrs: { id: "columns-container" } });
const resultsSection = el("section", { className: "results", attrs: { "aria-label": "Settings and output" } }, columnsContainer);

app.replaceChildren(
    el("header", {}, toolbar, statusLine, noticeLine),
    // Wide: the prompt and the history on the left, the columns on the right; narrow: prompt, columns, history.
    el("div", { className: "layout" }, promptSection, resultsSection, historySection),
);
app.removeAttribute("aria-busy");

// ---- prompt, variables, tokens ----

function declaredVariables(): VariableRow[] {
    return state.variables.filter((v) => v.declared);
}

/** Declared variables first, then the ones found in the text; each once. */
function currentVariables(): VariableRow[] {
    const rows = [...declaredVariables()];
    for (const name of [...variablesIn(state.draft.system), ...variablesIn(state.draft.user)]) {
        if (!rows.some((r) => r.name === name)) rows.push({ name, required: true, declared: false });
    }
    return rows;
}

function missingVariables(): string[] {
    const vars = currentVariables();
    const values = Object.fromEntries(Object.entries(state.draft.values).filter(([k]) => vars.some((v) => v.name === k)));
    return renderPrompt({ system: state.draft.system || undefined, user: state.draft.user, variables: vars }, values).missing;
}

function renderVariables(): void {
    const rows = currentVariables();
    state.variables = rows;
    const focusedId = activeId();
    variablesBody.replaceChildren();
    for (const v of rows) {
        const id = `var-${v.name}`;
        const field = custom<VscodeTextfield>("vscode-textfield", { attrs: { id, "aria-label": `Value of ${v.name}`, placeholder: v.default ?? (v.required ? "required" : "empty") } });
        field.value = getOwn(state.draft.values, v.name) ?? "";
        field.addEventListener("input", () => {
            if (field.value === "" && v.default !== undefined) delete state.draft.values[v.name];
            else setOwn(state.draft.values, v.name, field.value);
            afterPromptEdit(false);
        });
        const info = [v.default !== undefined ? `default: ${v.default}` : v.required ? "required" : "optional", v.description].filter(Boolean).join(" · ");
        variablesBody.append(el("tr", {},
            el("th", { attrs: { scope: "row" } }, el("code", { text: `{{${v.name}}}` }), v.declared ? "" : el("span", { className: "muted", text: " (in the text)" })),
            el("td", {}, field),
            el("td", { className: "muted", text: info }),
        ));
    }
    variablesTable.hidden = rows.length === 0;
    const missing = missingVariables();
    variablesHint.textContent = rows.length === 0
        ? "No variables: write {{name}} in a prompt to add one."
        : missing.length ? `Needs a value: ${missing.map((m) => `{{${m}}}`).join(", ")}.` : "Empty values use the default.";
    variablesHint.classList.toggle("error", missing.length > 0);
    restoreFocus(focusedId);
}

function renderTokens(): void {
    tokenLine.replaceChildren();
    if (tokenError) {
        tokenLine.append(el("span", { className: "error", text: tokenError }));
        return;
    }
    if (!tokens) {
        tokenLine.append(el("span", { className: "muted", text: "Counting tokens…" }));
        return;
    }
    const parts: Array<Node | string> = [icon("symbol-numeric"), " ", el("strong", { text: `${int(tokens.tiktoken)} tokens` }), " (js-tiktoken, cl100k)"];
    if (tokens.model !== undefined) {
        parts.push(" · ", el("strong", { text: `${int(tokens.model)} tokens` }), ` (${tokens.modelName ?? "the model"}'s tokenizer)`);
        if (tokens.contextSize) {
            const share = tokens.model / tokens.contextSize;
            parts.push(` of ${int(tokens.contextSize)} context`);
            const meter = el("meter", { attrs: { min: "0", max: String(tokens.contextSize), value: String(tokens.model), high: String(Math.round(tokens.contextSize * 0.8)), optimum: "0", "aria-label": "Prompt share of the context window" } });
            parts.push(" ", meter, ` ${Math.round(share * 100)}%`);
        }
    } else {
        parts.push(" · the model's own count appears once a model is selected");
    }
    tokenLine.append(...parts);
}

const sendEdit = debounce(350, () => {
    host.post({ type: "edit", draft: state.draft, modelPath: state.columns[0]?.modelPath });
});

function afterPromptEdit(structure: boolean): void {
    if (structure) renderVariables();
    else {
        const missing = missingVariables();
        variablesHint.textContent = missing.length ? `Needs a value: ${missing.map((m) => `{{${m}}}`).join(", ")}.` : state.variables.length ? "Empty values use the default." : "No variables: write {{name}} in a prompt to add one.";
        variablesHint.classList.toggle("error", missing.length > 0);
    }
    save();
    sendEdit();
}

systemField.addEventListener("input", () => {
    state.draft.system = systemField.value;
    afterPromptEdit(variablesChanged());
});
userField.addEventListener("input", () => {
    state.draft.user = userField.value;
    afterPromptEdit(variablesChanged());
});

function variablesChanged(): boolean {
    const now = currentVariables().map((v) => v.name).join("\n");
    return now !== state.variables.map((v) => v.name).join("\n");
}

function renderSource(): void {
    sourceLine.replaceChildren();
    const s = state.source;
    if (s) {
        const open = custom("vscode-button", { attrs: { id: "open-source", secondary: "", icon: "go-to-file", title: `Open ${s.path} in an editor` } }, s.path);
        open.addEventListener("click", () => host.post({ type: "openSource" }));
        sourceLine.append(el("span", { className: "muted", text: "Prompt file: " }), open);
    } else {
        sourceLine.append(el("span", { className: "muted", text: "Not linked to a prompt file: open a *.prompt.md file in the playground to save settings into it." }));
    }
    historyTitle.textContent = s ? `History of ${s.name}` : "History of all playground runs";
    const hint = document.getElementById("history-hint");
    if (hint) hint.textContent = s ? `Runs of ${s.path}, newest first, kept on this machine. Choose one to reopen it.` : "Recent playground runs of every prompt, newest first. Choose one to reopen it.";
}

// ---- columns ----

function rangeText(c: SamplingControl): string {
    const f = (n: number): string => (Math.abs(n) >= 10_000 ? int(n) : num(n));
    return c.unboundedAbove ? `${f(c.min)}–${f(c.max)}+` : `${f(c.min)}–${f(c.max)}`;
}

function fieldId(col: number, key: string): string {
    return `c${col}-${key}`;
}

function checkValue(c: SamplingControl, raw: string): { value?: number; error?: string } {
    const text = raw.trim();
    if (text === "") return { error: `${c.label} needs a value (${rangeText(c)}).` };
    const v = Number(text);
    const integer = c.kind === "integer";
    if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < c.min || (!c.unboundedAbove && v > c.max)) {
        return { error: `${c.label} must be ${integer ? "a whole number" : "a number"} in ${rangeText(c)}.` };
    }
    return { value: v };
}

/**
 * Number fields are text fields (a type="number" field loses "0." while it is typed: the component
 * writes the browser's empty value for a partial number back into the input); ArrowUp and ArrowDown
 * step the value within the range, as a number field would (Shift: ten steps).
 */
function stepWithArrows(field: VscodeTextfield, c: SamplingControl): void {
    field.addEventListener("keydown", (e: KeyboardEvent) => {
        if ((e.key !== "ArrowUp" && e.key !== "ArrowDown") || e.altKey || e.ctrlKey || e.metaKey || field.disabled) return;
        e.preventDefault();
        const current = Number(field.value.trim() || c.min);
        if (!Number.isFinite(current)) return;
        const step = c.step * (e.shiftKey ? 10 : 1);
        const decimals = (String(c.step).split(".")[1] ?? "").length;
        let next = Number((current + (e.key === "ArrowUp" ? step : -step)).toFixed(decimals));
        next = Math.max(c.min, c.unboundedAbove ? next : Math.min(c.max, next));
        field.value = num(next);
        field.dispatchEvent(new Event("input", { bubbles: true }));
    });
}

function setInvalid(id: string, field: VscodeTextfield | undefined, error: string | undefined): void {
    if (error) invalid.set(id, error);
    else invalid.delete(id);
    if (field) field.invalid = !!error;
    const msg = document.getElementById(`${id}-error`);
    if (msg) {
        msg.textContent = error ?? "";
        msg.hidden = !error;
    }
}

function presetLabel(col: ColumnSettings): string | undefined {
    const p = presets.find((x) => x.id === col.presetId);
    return p && presetMatches(col, p) ? p.id : undefined;
}

function modelName(path: string | undefined): string {
    if (!path) {
        const sel = models.find((m) => m.selected);
        return sel ? `Selected model (${sel.label})` : "Selected model";
    }
    return models.find((m) => m.path === path)?.label ?? path.split(/[\\/]/).pop() ?? path;
}

function controlField(colIndex: number, col: ColumnSettings, c: SamplingControl): HTMLElement {
    const id = fieldId(colIndex, c.key);
    const field = custom<VscodeTextfield>("vscode-textfield", {
        attrs: { id, inputmode: c.kind === "integer" ? "numeric" : "decimal", "aria-describedby": `${id}-desc ${id}-error` },
    });
    stepWithArrows(field, c);
    field.value = num(col.sampling[c.key as keyof EditableSampling] as number | undefined);
    field.addEventListener("input", () => {
        const { value, error } = checkValue(c, field.value);
        setInvalid(id, field, error);
        if (value === undefined) return;
        (col.sampling as Record<string, number>)[c.key] = value;
        updatePresetSelect(colIndex);
        updateSummary(colIndex);
        save();
    });
    const off = c.off !== undefined ? ` (${num(c.off)} = off)` : "";
    return el("div", { className: "control" },
        custom("vscode-label", { attrs: { for: id } }, c.label),
        field,
        el("p", { className: "muted hint", attrs: { id: `${id}-desc` } }, el("span", { className: "range", text: `${rangeText(c)}${off}` }), ` · ${c.explanation}`),
        el("p", { className: "error hint", attrs: { id: `${id}-error`, hidden: "" } }),
    );
}

function seedControl(colIndex: number, col: ColumnSettings): HTMLElement {
    const c = SAMPLING_CONTROLS.find((x) => x.key === "seed")!;
    const id = fieldId(colIndex, "seed");
    const randomId = fieldId(colIndex, "seed-random");
    const random = custom<VscodeCheckbox>("vscode-checkbox", { attrs: { id: randomId } }, "Random seed");
    random.checked = col.seedMode === "random";
    const field = custom<VscodeTextfield>("vscode-textfield", { attrs: { id, inputmode: "numeric", placeholder: "random", "aria-describedby": `${id}-desc ${id}-error` } });
    stepWithArrows(field, c);
    field.value = col.seedMode === "fixed" ? num(col.seed) : "";
    field.disabled = col.seedMode === "random";
    random.addEventListener("change", () => {
        col.seedMode = random.checked ? "random" : "fixed";
        field.disabled = random.checked;
        if (!random.checked && col.seed === undefined) {
            col.seed = lastSeed(colIndex) ?? 42;
            field.value = num(col.seed);
        }
        if (random.checked) setInvalid(id, field, undefined);
        updateSummary(colIndex);
        save();
    });
    field.addEventListener("input", () => {
        const { value, error } = checkValue(c, field.value);
        setInvalid(id, field, error);
        if (value === undefined) return;
        col.seed = value;
        updateSummary(colIndex);
        save();
    });
    return el("div", { className: "control seed" },
        custom("vscode-label", { attrs: { for: id } }, "Seed"),
        el("div", { className: "row" }, random, field),
        el("p", { className: "muted hint", attrs: { id: `${id}-desc` } }, el("span", { className: "range", text: `${rangeText(c)}` }), ` · ${c.explanation} The seed used is shown after each run.`),
        el("p", { className: "error hint", attrs: { id: `${id}-error`, hidden: "" } }),
    );
}

function stopControl(colIndex: number, col: ColumnSettings): HTMLElement {
    const id = fieldId(colIndex, "stop");
    const field = custom<VscodeTextarea>("vscode-textarea", { attrs: { id, rows: "2", resize: "vertical", monospace: "", placeholder: "one per line, e.g. \\n\\n", "aria-describedby": `${id}-desc` } });
    field.value = formatStopList(col.stop);
    field.addEventListener("input", () => {
        col.stop = parseStopList(field.value);
        save();
    });
    return el("div", { className: "control wide" },
        custom("vscode-label", { attrs: { for: id } }, "Stop sequences"),
        field,
        el("p", { className: "muted hint", attrs: { id: `${id}-desc` } }, "One per line (\\n is a newline). The answer ends before the first one the model writes; none: it ends at the model's end token or max tokens."),
    );
}

const CONSTRAINTS: Array<{ id: ConstraintKind; label: string; hint: string }> = [
    { id: "none", label: "None (free text)", hint: "The model may write anything." },
    { id: "jsonSchema", label: "JSON schema", hint: "The answer is JSON that matches this schema (node-llama-cpp's schema subset)." },
    { id: "grammar", label: "GBNF grammar", hint: "The answer follows this llama.cpp grammar." },
];

function constraintControl(colIndex: number, col: ColumnSettings): HTMLElement {
    const id = fieldId(colIndex, "constraint");
    const textId = fieldId(colIndex, "constraint-text");
    const select = custom<VscodeSingleSelect>("vscode-single-select", { attrs: { id, "aria-describedby": `${id}-desc` } });
    for (const k of CONSTRAINTS) select.append(custom("vscode-option", { attrs: { value: k.id } }, k.label));
    select.value = col.constraint.kind;
    const text = custom<VscodeTextarea>("vscode-textarea", { attrs: { id: textId, rows: "4", resize: "vertical", monospace: "", "aria-label": "Constraint", "aria-describedby": `${textId}-error` } });
    text.value = col.constraint.text;
    const textWrap = el("div", { className: "constraint-text" }, text, el("p", { className: "error hint", attrs: { id: `${textId}-error`, hidden: "" } }));
    const desc = el("p", { className: "muted hint", attrs: { id: `${id}-desc` } });
    const sync = (): void => {
        const k = CONSTRAINTS.find((x) => x.id === col.constraint.kind) ?? CONSTRAINTS[0]!;
        desc.textContent = k.hint;
        textWrap.hidden = col.constraint.kind === "none";
        text.setAttribute("aria-label", k.id === "grammar" ? "GBNF grammar" : "JSON schema");
        text.placeholder = k.id === "grammar" ? 'root ::= "yes" | "no"' : '{ "type": "object", "properties": { "answer": { "type": "string" } } }';
        checkConstraint(textId, text, col);
    };
    select.addEventListener("change", () => {
        col.constraint.kind = (select.value as ConstraintKind) || "none";
        sync();
        save();
    });
    text.addEventListener("input", () => {
        col.constraint.text = text.value;
        checkConstraint(textId, text, col);
        save();
    });
    sync();
    return el("div", { className: "control wide" }, custom("vscode-label", { attrs: { for: id } }, "Output constraint"), select, desc, textWrap);
}

function checkConstraint(id: string, field: VscodeTextarea, col: ColumnSettings): void {
    let error: string | undefined;
    if (col.constraint.kind === "jsonSchema" && col.constraint.text.trim()) {
        try {
            const v: unknown = JSON.parse(col.constraint.text);
            if (typeof v !== "object" || v === null || Array.isArray(v)) error = "The schema must be a JSON object.";
        } catch (e) {
            error = `Not valid JSON: ${e instanceof Error ? e.message : String(e)}`;
        }
    }
    if (error) invalid.set(id, error);
    else invalid.delete(id);
    field.invalid = !!error;
    const msg = document.getElementById(`${id}-error`);
    if (msg) {
        msg.textContent = error ?? "";
        msg.hidden = !error;
    }
}

function lastSeed(colIndex: number): number | undefined {
    const r = state.results[colIndex];
    return r?.find((x) => x.seed !== undefined)?.seed;
}

function modelSelect(colIndex: number, col: ColumnSettings): HTMLElement {
    const id = fieldId(colIndex, "model");
    const select = custom<VscodeSingleSelect>("vscode-single-select", { attrs: { id, "aria-describedby": `${id}-desc` } });
    select.append(custom("vscode-option", { attrs: { value: "@selected" } }, modelName(undefined)));
    const paths = models.map((m) => m.path);
    if (col.modelPath && !paths.includes(col.modelPath)) paths.push(col.modelPath);
    for (const p of paths) {
        const m = models.find((x) => x.path === p);
        select.append(custom("vscode-option", { attrs: { value: p, description: m?.description ?? p } }, m?.label ?? p.split(/[\\/]/).pop() ?? p));
    }
    select.value = col.modelPath ?? "@selected";
    select.addEventListener("change", () => {
        col.modelPath = select.value === "@selected" ? undefined : select.value;
        save();
        if (colIndex === 0) sendEdit();
        const d = document.getElementById(`${id}-desc`);
        if (d) d.textContent = modelDescription(col);
    });
    const browse = custom("vscode-button", { attrs: { id: fieldId(colIndex, "browse"), secondary: "", icon: "folder-opened", title: "Choose a .gguf file on this machine" } }, "Browse…");
    browse.addEventListener("click", () => host.post({ type: "browseModel", column: colIndex }));
    return el("div", { className: "control wide" },
        custom("vscode-label", { attrs: { for: id } }, "Model"),
        el("div", { className: "row" }, select, browse),
        el("p", { className: "muted hint", attrs: { id: `${id}-desc` }, text: modelDescription(col) }),
    );
}

function modelDescription(col: ColumnSettings): string {
    if (!col.modelPath) {
        const sel = models.find((m) => m.selected);
        return sel ? `The model chosen with Select Model: ${sel.description ?? sel.path}` : "The model chosen with Promptsmith: Select Model (none yet).";
    }
    return models.find((m) => m.path === col.modelPath)?.description ?? col.modelPath;
}

function presetSelect(colIndex: number, col: ColumnSettings): HTMLElement {
    const id = fieldId(colIndex, "preset");
    const select = custom<VscodeSingleSelect>("vscode-single-select", { attrs: { id, "aria-describedby": `${id}-desc` } });
    fillPresetSelect(select, col);
    select.addEventListener("change", () => {
        const p = presets.find((x) => x.id === select.value);
        if (!p) return;
        applyPreset(colIndex, p);
    });
    const saveButton = custom("vscode-button", { attrs: { id: fieldId(colIndex, "save-preset"), secondary: "", icon: "save", title: "Save these sampling values as a preset of your own (user settings)" } }, "Save as preset…");
    saveButton.addEventListener("click", () => {
        presetColumn = colIndex;
        const { maxTokens: _drop, ...style } = col.sampling;
        host.post({ type: "savePreset", sampling: style });
    });
    return el("div", { className: "control wide" },
        custom("vscode-label", { attrs: { for: id } }, "Preset"),
        el("div", { className: "row" }, select, saveButton),
        el("p", { className: "muted hint", attrs: { id: `${id}-desc` }, text: presetDescription(col) }),
    );
}

function fillPresetSelect(select: VscodeSingleSelect, col: ColumnSettings): void {
    // The chosen option is marked `selected`: a select whose options are replaced reads them again only
    // after the slot changes, and a value set before that would be lost.
    const want = presetLabel(col) ?? "@custom";
    const option = (value: string, label: string, description?: string): HTMLElement =>
        custom("vscode-option", { attrs: { value, ...(description ? { description } : {}), ...(value === want ? { selected: "" } : {}) } }, label);
    select.replaceChildren(option("@custom", "Custom"), ...presets.map((p) => option(p.id, p.builtin ? p.name : `${p.name} (yours)`, p.description)));
    select.value = want;
}

function presetDescription(col: ColumnSettings): string {
    const id = presetLabel(col);
    const p = presets.find((x) => x.id === id);
    if (p) return p.description ?? "";
    const was = presets.find((x) => x.id === col.presetId);
    return was ? `Custom: ${was.name} changed.` : "Custom values. Presets: Precise (facts, code), Balanced, Creative, and your own.";
}

function updateSummary(colIndex: number): void {
    const col = state.columns[colIndex];
    const line = document.querySelector(`#${fieldId(colIndex, "sampling")} .summary-values`);
    if (col && line) line.textContent = ` — ${columnSummary(col)}`;
}

function updatePresetSelect(colIndex: number): void {
    const col = state.columns[colIndex];
    if (!col) return;
    const select = document.getElementById(fieldId(colIndex, "preset")) as VscodeSingleSelect | null;
    const want = presetLabel(col) ?? "@custom";
    if (select && select.value !== want) select.value = want;
    const d = document.getElementById(`${fieldId(colIndex, "preset")}-desc`);
    if (d) d.textContent = presetDescription(col);
}

function applyPreset(colIndex: number, p: PresetView): void {
    const col = state.columns[colIndex];
    if (!col) return;
    const { seed, stop, jsonSchema: _s, grammar: _g, ...style } = p.sampling;
    col.sampling = { ...col.sampling, ...style };
    if (seed !== undefined) {
        col.seedMode = "fixed";
        col.seed = seed;
    }
    if (stop) col.stop = [...stop];
    col.presetId = p.id;
    save();
    rerenderColumn(colIndex);
}

function columnSummary(col: ColumnSettings): string {
    const s = col.sampling;
    return [
        `temperature ${num(s.temperature)}`, `top-p ${num(s.topP)}`, `top-k ${num(s.topK)}`,
        col.seedMode === "fixed" ? `seed ${num(col.seed)}` : "random seed", `max ${num(s.maxTokens)} tokens`,
    ].join(" · ");
}

function buildColumn(colIndex: number): HTMLElement {
    const col = state.columns[colIndex]!;
    const compare = state.columns.length > 1;
    const title = compare ? `Column ${col.id}` : "Settings";
    const details = el("details", { className: "sampling", attrs: { id: fieldId(colIndex, "sampling") } });
    details.open = !compare || openDetails.has(colIndex);
    // Compare columns remember which of them the user unfolded (a single column is always unfolded at first).
    details.addEventListener("toggle", () => {
        if (state.columns.length < 2) return;
        if (details.open) openDetails.add(colIndex);
        else openDetails.delete(colIndex);
    });
    const summary = el("summary", {}, el("span", { text: "Sampling" }), el("span", { className: "muted summary-values", text: ` — ${columnSummary(col)}` }));
    const grid = el("div", { className: "controls" });
    for (const c of SAMPLING_CONTROLS) {
        if (c.key === "seed") grid.append(seedControl(colIndex, col));
        else grid.append(controlField(colIndex, col, c));
    }
    grid.append(stopControl(colIndex, col), constraintControl(colIndex, col));
    details.append(summary, grid);

    const saveToFile = custom("vscode-button", {
        attrs: {
            id: fieldId(colIndex, "save-file"), secondary: "", icon: "save",
            title: state.source ? `Write this column's model and sampling into the front matter of ${state.source.path} (undo with Ctrl+Z in its editor)` : "Open a prompt file in the playground first",
            ...(state.source ? {} : { disabled: "" }),
        },
    }, "Save to prompt file");
    saveToFile.addEventListener("click", () => host.post({ type: "saveColumn", column: col }));

    const cells = el("div", { className: "cells", attrs: { id: fieldId(colIndex, "cells"), "aria-label": `Output of ${compare ? `column ${col.id}` : "the run"}` } });
    const article = el("article", { className: "column", attrs: { id: `column-${col.id}`, "aria-labelledby": fieldId(colIndex, "title") } },
        el("h2", { text: title, attrs: { id: fieldId(colIndex, "title") } }),
        modelSelect(colIndex, col),
        presetSelect(colIndex, col),
        // The answer right under the model and preset, the controls below it: a run's result stays in view.
        el("h3", { text: "Output", className: "output-title" }),
        el("p", { className: "muted spread", attrs: { id: fieldId(colIndex, "spread"), role: "status" } }),
        cells,
        details,
        el("div", { className: "actions" }, saveToFile),
    );
    renderCells(colIndex, cells);
    renderSpread(colIndex, article.querySelector(".spread") as HTMLElement);
    return article;
}

const openDetails = new Set<number>();

function renderColumns(): void {
    const focusedId = activeId();
    columnsContainer.replaceChildren();
    columnsContainer.style.setProperty("--columns", String(state.columns.length));
    columnsContainer.classList.toggle("compare", state.columns.length > 1);
    state.columns.forEach((_, i) => columnsContainer.append(buildColumn(i)));
    restoreFocus(focusedId);
}

function rerenderColumn(colIndex: number): void {
    const focusedId = activeId();
    const old = columnsContainer.children[colIndex];
    const next = buildColumn(colIndex);
    if (old) old.replaceWith(next);
    else columnsContainer.append(next);
    restoreFocus(focusedId);
}

function activeId(): string | undefined {
    // Focus inside a component's shadow root shows as the component itself here: its id is enough.
    return document.activeElement?.id || undefined;
}

function restoreFocus(id: string | undefined): void {
    if (!id) return;
    const e = document.getElementById(id);
    if (e && document.activeElement !== e) (e as HTMLElement).focus();
}

// ---- output cells ----

function renderCells(colIndex: number, container: HTMLElement): void {
    container.replaceChildren();
    const results = state.results[colIndex] ?? [];
    const liveTexts = live[colIndex] ?? [];
    const n = Math.max(results.length, liveTexts.length);
    if (n === 0) {
        container.append(el("p", { className: "muted", text: "Run the prompt to see the answer here (Ctrl+Enter)." }));
        return;
    }
    for (let i = 0; i < n; i++) container.append(buildCell(colIndex, i));
}

function cellId(colIndex: number, iteration: number): string {
    return `cell-${colIndex}-${iteration}`;
}

function buildCell(colIndex: number, iteration: number): HTMLElement {
    const r = state.results[colIndex]?.[iteration];
    const streaming = live[colIndex]?.[iteration];
    const cell = el("div", { className: "cell", attrs: { id: cellId(colIndex, iteration) } });
    const head = el("div", { className: "cell-head" });
    const repeat = Math.max(state.results[colIndex]?.length ?? 0, live[colIndex]?.length ?? 0) > 1;
    if (repeat) head.append(el("strong", { text: `Run ${iteration + 1}` }), " ");
    const pre = el("pre", { className: "output", attrs: { id: `${cellId(colIndex, iteration)}-text`, tabindex: "0", "aria-label": `Answer${repeat ? ` ${iteration + 1}` : ""}` } });
    if (r) {
        renderOutput(pre, r.text, r.findings);
        head.append(...seedLine(colIndex, iteration, r.seed));
        head.append(el("span", { className: `stop-reason ${r.stopReason}`, text: stopReasonText(r) }));
        cell.append(head, pre);
        if (r.error) cell.append(el("p", { className: "error", attrs: { role: "alert" }, text: r.error }));
        if (r.metrics) cell.append(metricsLine(r));
        if (r.findings.length) cell.append(findingsList(r));
        if (r.runId) cell.append(feedbackRow(r));
    } else {
        const seed = pendingSeeds[colIndex]?.[iteration];
        head.append(...seedLine(colIndex, iteration, seed, true));
        head.append(el("span", { className: "muted", text: streaming === undefined ? "waiting…" : "generating…" }));
        pre.append(document.createTextNode(streaming ?? ""));
        pre.setAttribute("aria-busy", "true");
        cell.append(head, pre);
    }
    return cell;
}

/** Seeds announced at the start of a run (fixed ones; random ones arrive with cellStarted or the result). */
let pendingSeeds: Array<Array<number | undefined>> = [];

function seedLine(colIndex: number, iteration: number, seed: number | undefined, pending = false): Array<Node | string> {
    if (seed === undefined) return pending ? [] : [el("span", { className: "muted", text: "no seed (greedy) " })];
    const out: Array<Node | string> = [el("span", { className: "seed", attrs: { id: `${cellId(colIndex, iteration)}-seed` } }, "Seed ", el("code", { text: String(seed) }))];
    if (!pending) {
        const use = custom("vscode-button", { attrs: { id: `${cellId(colIndex, iteration)}-use-seed`, secondary: "", icon: "pin", title: `Use seed ${seed} for the next runs of this column` } }, "Use this seed");
        use.addEventListener("click", () => {
            const col = state.columns[colIndex];
            if (!col) return;
            col.seedMode = "fixed";
            col.seed = seed;
            save();
            rerenderColumn(colIndex);
            status(`Column ${col.id} now uses seed ${seed}.`);
            document.getElementById(fieldId(colIndex, "seed"))?.focus();
        });
        out.push(" ", use, " ");
    }
    return out;
}

function stopReasonText(r: CellResult): string {
    switch (r.stopReason) {
        case "eos": return "finished";
        case "maxTokens": return "stopped at max tokens";
        case "stop": return "stopped at a stop sequence";
        case "abort": return "stopped by you";
        case "error": return "failed";
    }
}

function metricsLine(r: CellResult): HTMLElement {
    const m = r.metrics!;
    const dl = el("dl", { className: "metrics" });
    const add = (k: string, v: string, title?: string): void => {
        dl.append(el("div", { attrs: title ? { title } : {} }, el("dt", { text: k }), el("dd", { text: v })));
    };
    add("First token", ms(m.timeToFirstTokenMs), "Time to first token: from the start of prompt evaluation to the first token");
    add("Speed", `${m.tokensPerSecond.toFixed(1)} tok/s`, "Generation speed after the first token");
    add("Prompt", `${int(m.promptTokens)} tok`);
    add("Output", `${int(m.outputTokens)} tok`);
    add("Latency", ms(m.totalMs), "Everything the request took, from sending it to the last token");
    add("Cache", m.cacheHit ? "hit" : "miss", "Answered from the response cache (reproducible requests only)");
    if (m.loadMs) add("Load", ms(m.loadMs), "Model load time for this request");
    if (r.model) add("Model", r.model);
    return dl;
}

function findingsList(r: CellResult): HTMLElement {
    const list = el("ul", { className: "findings", attrs: { "aria-label": "Output linter findings" } });
    for (const f of r.findings) {
        list.append(el("li", { className: `finding-${f.severity}` },
            el("span", { className: `codicon codicon-${f.severity === "info" ? "info" : f.severity}`, attrs: { "aria-hidden": "true" } }),
            " ", el("code", { text: f.ruleId }), ` ${f.message}`));
    }
    return el("div", { className: "findings-box" }, el("p", { className: "finding-title", text: `Output linter: ${r.findings.length} finding${r.findings.length === 1 ? "" : "s"} (highlighted above)` }), list);
}

function feedbackRow(r: CellResult): HTMLElement {
    const runId = r.runId!;
    const fb = state.feedback[runId] ?? {};
    const row = el("div", { className: "feedback", attrs: { role: "group", "aria-label": "Feedback on this answer" } });
    const up = custom("vscode-button", { attrs: { secondary: "", icon: "thumbsup", title: "Good answer", "aria-label": "Good answer", "aria-pressed": String(fb.rating === "up") } });
    const down = custom("vscode-button", { attrs: { secondary: "", icon: "thumbsdown", title: "Bad answer", "aria-label": "Bad answer", "aria-pressed": String(fb.rating === "down") } });
    up.classList.toggle("pressed", fb.rating === "up");
    down.classList.toggle("pressed", fb.rating === "down");
    up.addEventListener("click", () => host.post({ type: "feedback", runId, rating: "up" }));
    down.addEventListener("click", () => host.post({ type: "feedback", runId, rating: "down" }));
    const correct = custom("vscode-button", { attrs: { secondary: "", icon: "edit", title: "Write the answer it should have given (stored with the run)" } }, "Correct this answer…");
    row.append(up, down, correct);
    const box = el("div", { className: "correction" });
    const renderBox = (): void => {
        box.replaceChildren();
        if (correcting.has(runId)) {
            const id = `correct-${runId}`;
            const area = custom<VscodeTextarea>("vscode-textarea", { attrs: { id, rows: "5", resize: "vertical", monospace: "" } });
            area.value = fb.correction ?? r.text;
            const saveC = custom("vscode-button", { attrs: { icon: "check" } }, "Save correction");
            const cancel = custom("vscode-button", { attrs: { secondary: "" } }, "Cancel");
            saveC.addEventListener("click", () => {
                correcting.delete(runId);
                host.post({ type: "feedback", runId, correction: area.value });
            });
            cancel.addEventListener("click", () => {
                correcting.delete(runId);
                renderBox();
                correct.focus();
            });
            box.append(custom("vscode-label", { attrs: { for: id } }, "Corrected answer"), area, el("div", { className: "actions" }, saveC, cancel));
            setTimeout(() => area.focus(), 0);
        } else if (fb.correction !== undefined) {
            box.append(el("p", { className: "muted", text: "Your correction (saved):" }), el("pre", { className: "output correction-text", text: fb.correction }));
        }
    };
    correct.addEventListener("click", () => {
        correcting.add(runId);
        renderBox();
    });
    renderBox();
    return el("div", {}, row, box);
}

function renderSpread(colIndex: number, line: HTMLElement): void {
    const s = spreads.find((x) => x.column === colIndex);
    line.hidden = !s;
    if (!s) return;
    const parts = [`${s.runs} runs`, `${s.distinctOutputs} distinct output${s.distinctOutputs === 1 ? "" : "s"}`];
    if (s.tokensPerSecond) parts.push(`speed ${s.tokensPerSecond.mean.toFixed(1)} ± ${s.tokensPerSecond.stdev.toFixed(1)} tok/s (${s.tokensPerSecond.min.toFixed(1)}–${s.tokensPerSecond.max.toFixed(1)})`);
    if (s.outputTokens) parts.push(`output ${num(Math.round(s.outputTokens.mean))} ± ${s.outputTokens.stdev.toFixed(1)} tokens (${s.outputTokens.min}–${s.outputTokens.max})`);
    if (s.totalMs) parts.push(`latency ${ms(s.totalMs.mean)} (${ms(s.totalMs.min)}–${ms(s.totalMs.max)})`);
    line.textContent = `Spread: ${parts.join(" · ")}`;
}

// ---- history ----

function renderHistory(): void {
    historyList.replaceChildren();
    if (history.length === 0) {
        historyList.append(el("li", { className: "muted", text: "No runs yet." }));
        return;
    }
    for (const h of history) {
        const when = new Date(h.at);
        const time = Number.isNaN(when.getTime()) ? h.at : when.toLocaleString();
        const b = el("button", { className: "history-item", attrs: { type: "button", "data-run": h.runId, title: "Reopen this run: its prompt, settings and output" } },
            el("span", { className: "history-meta" },
                el("span", { text: time }),
                el("span", { className: "muted", text: [h.model, h.column !== undefined && h.column > 0 ? `column ${COLUMN_IDS[h.column] ?? h.column + 1}` : "", h.seed !== undefined ? `seed ${h.seed}` : "", h.tokensPerSecond !== undefined ? `${h.tokensPerSecond.toFixed(0)} tok/s` : "", h.stopReason === "error" ? "failed" : h.stopReason === "abort" ? "stopped" : ""].filter(Boolean).join(" · ") }),
                h.rating ? el("span", { className: `codicon codicon-${h.rating === "up" ? "thumbsup" : "thumbsdown"}`, attrs: { "aria-label": h.rating === "up" ? "rated good" : "rated bad" } }) : "",
                h.flagged ? el("span", { className: "codicon codicon-warning", attrs: { "aria-label": "flagged by the output linter" } }) : "",
            ),
            el("span", { className: "history-preview", text: h.preview || "(empty output)" }),
        );
        b.addEventListener("click", () => host.post({ type: "openRun", runId: h.runId }));
        historyList.append(el("li", {}, b));
    }
}

exportJsonl.addEventListener("click", () => host.post({ type: "export", format: "jsonl" }));
exportMd.addEventListener("click", () => host.post({ type: "export", format: "markdown" }));

// ---- toolbar ----

function status(text: string): void {
    statusLine.textContent = text;
}

function notice(level: "info" | "warning" | "error", text: string): void {
    noticeLine.textContent = text;
    noticeLine.className = `notice ${level === "error" ? "error" : level === "warning" ? "warning" : "muted"}`;
    noticeLine.hidden = !text;
}

function setRunning(on: boolean): void {
    running = on;
    (runButton as HTMLElement & { disabled: boolean }).disabled = on;
    (stopButton as HTMLElement & { disabled: boolean }).disabled = !on;
    app.setAttribute("aria-busy", String(on));
    app.classList.toggle("running", on);
}

columnsSelect.addEventListener("change", () => {
    const n = Math.min(MAX_COLUMNS, Math.max(1, Number(columnsSelect.value) || 1));
    while (state.columns.length < n) {
        const i = state.columns.length;
        const base = structuredClone(state.columns[i - 1] ?? defaults);
        state.columns.push({ ...base, id: COLUMN_IDS[i] ?? String(i + 1) });
    }
    state.columns.length = n;
    state.results.length = Math.min(state.results.length, n);
    save();
    renderColumns();
});

repeatField.addEventListener("input", () => {
    const v = Number(repeatField.value);
    const ok = Number.isInteger(v) && v >= 1 && v <= REPEAT_MAX;
    repeatField.invalid = !ok;
    if (ok) {
        state.repeat = v;
        invalid.delete("repeat");
        save();
    } else invalid.set("repeat", `Runs per column must be a whole number from 1 to ${REPEAT_MAX}.`);
});

cacheBox.addEventListener("change", () => {
    state.useCache = cacheBox.checked;
    save();
});

function run(): void {
    if (running || !initialised) return;
    if (invalid.size) {
        const [id, msg] = [...invalid][0]!;
        notice("error", `Not run: ${msg}`);
        document.getElementById(id)?.focus();
        return;
    }
    if (!state.draft.user.trim() && !state.draft.system.trim()) {
        notice("error", "Not run: write a user prompt first.");
        userField.focus();
        return;
    }
    const missing = missingVariables();
    if (missing.length) {
        notice("error", `Not run: give ${missing.map((m) => `{{${m}}}`).join(", ")} a value in the variables table.`);
        document.getElementById(`var-${missing[0]}`)?.focus();
        return;
    }
    notice("info", "");
    setRunning(true);
    activeRun = `${Date.now().toString(36)}-${++runCounter}`;
    host.post({ type: "run", runId: activeRun, spec: { draft: state.draft, columns: state.columns, repeat: state.repeat, useCache: state.useCache } });
}

function stop(): void {
    if (running) host.post({ type: "stop" });
}

runButton.addEventListener("click", run);
stopButton.addEventListener("click", stop);
window.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey) {
        e.preventDefault();
        run();
    } else if (e.key === "Escape" && running) {
        e.preventDefault();
        stop();
    }
});

// ---- messages ----

function applyLoad(load: PlaygroundLoad): void {
    state = {
        ...state,
        source: load.source,
        draft: structuredClone(load.draft),
        columns: structuredClone(load.columns.length ? load.columns : [defaults]),
        variables: structuredClone(load.variables),
        results: structuredClone(load.results ?? []),
        feedback: { ...state.feedback, ...(load.feedback ?? {}) },
    };
    live = [];
    spreads = [];
    pendingSeeds = [];
    invalid.clear();
    tokens = undefined;
    tokenError = undefined;
    renderAll();
    save();
    sendEdit();
    sendEdit.flush();
    notice(load.problems?.length ? "warning" : "info", load.problems?.length ? `The prompt file has problems (defaults are used for those values): ${load.problems.join(" ")}` : "");
}

function renderAll(): void {
    systemField.value = state.draft.system;
    userField.value = state.draft.user;
    columnsSelect.value = String(state.columns.length);
    repeatField.value = String(state.repeat);
    cacheBox.checked = state.useCache;
    renderSource();
    renderVariables();
    renderTokens();
    renderColumns();
    renderHistory();
}

host.on("init", (m) => {
    defaults = m.defaults;
    models = m.models;
    presets = m.presets;
    if (m.restore && !m.load && (!isPlaygroundState(saved) || (m.restore.savedAt ?? 0) > (saved.savedAt ?? 0))) {
        // The extension's copy is newer than the one VS Code gave back (a browser reload can lose the last setState).
        state = m.restore;
        host.setState(state);
    } else if (!isPlaygroundState(saved) && !m.load) state = freshState(defaults);
    initialised = true;
    if (m.load) applyLoad(m.load);
    else {
        renderAll();
        save();
        sendEdit();
        sendEdit.flush();
    }
    if (m.load?.autoRun) run();
});

host.on("load", (m) => {
    if (running) stop();
    // The extension posts a load after the run it replaced has finished; anything of that run still on
    // its way is dropped (it would overwrite the loaded result and send feedback to the wrong run).
    activeRun = undefined;
    setRunning(false);
    applyLoad(m.load);
    if (m.load.autoRun) {
        // A run still stopping finishes first; then this one starts.
        const start = (): void => (running ? void setTimeout(start, 50) : run());
        start();
    }
});

host.on("cleared", (m) => {
    // The history was cleared: outputs and feedback go from this page and its saved state; the prompt stays.
    if (m.what !== "feedback") {
        state.results = state.results.map(() => []);
        live = [];
        spreads = [];
    }
    state.feedback = {};
    state.clearedAt = m.at;
    history = [];
    // A state report still waiting would write the outputs back into the extension's copy.
    postState.cancel();
    state.savedAt = Date.now();
    host.setState(state);
    renderAll();
});

host.on("promptInfo", (m) => {
    tokens = m.tokens;
    tokenError = m.error;
    renderTokens();
});

/** Whether a message belongs to the run this page shows. */
function current(m: { runId: string }): boolean {
    return m.runId === activeRun;
}

host.on("runStarted", (m) => {
    if (m.replay && !running) activeRun = m.runId;
    if (!current(m)) return;
    setRunning(true);
    spreads = [];
    pendingSeeds = m.seeds;
    state.results = Array.from({ length: m.columns }, () => []);
    live = Array.from({ length: m.columns }, () => []);
    renderColumns();
    status(`Running ${m.columns > 1 ? `${m.columns} columns` : "the prompt"}${m.repeat > 1 ? `, ${m.repeat} times each` : ""}…`);
});

host.on("cellStarted", (m) => {
    if (!current(m)) return;
    (live[m.column] ??= [])[m.iteration] = "";
    if (m.seed !== undefined) (pendingSeeds[m.column] ??= [])[m.iteration] = m.seed;
    replaceCell(m.column, m.iteration);
});

host.on("chunk", (m) => {
    if (!current(m)) return;
    const cur = (live[m.column] ??= []);
    cur[m.iteration] = (cur[m.iteration] ?? "") + m.text;
    const pre = document.getElementById(`${cellId(m.column, m.iteration)}-text`);
    if (pre) appendText(pre, m.text);
    else replaceCell(m.column, m.iteration);
});

host.on("cellDone", (m) => {
    if (!current(m)) return;
    (state.results[m.column] ??= [])[m.iteration] = m.result;
    if (live[m.column]) live[m.column]![m.iteration] = m.result.text;
    replaceCell(m.column, m.iteration);
    save();
});

host.on("runFinished", (m) => {
    if (!current(m)) return;
    setRunning(false);
    // Finished runs since the page loaded (lets a test tell one run's end from the next).
    app.dataset.runs = String(Number(app.dataset.runs ?? 0) + 1);
    spreads = m.spreads;
    live = [];
    pendingSeeds = [];
    state.columns.forEach((_, i) => {
        const line = document.getElementById(fieldId(i, "spread"));
        if (line) renderSpread(i, line);
    });
    const results = state.results.flat().filter(Boolean);
    const failed = results.filter((r) => r.stopReason === "error").length;
    const seeds = state.results.map((rs, i) => (rs[0]?.seed !== undefined ? `${state.columns.length > 1 ? `${state.columns[i]?.id}: ` : ""}seed ${rs[0].seed}` : "")).filter(Boolean);
    postState.flush();
    status(m.stopped ? "Stopped." : failed ? `Done, ${failed} of ${results.length} failed.` : `Done${seeds.length ? ` (${seeds.join(", ")})` : ""}.`);
    save();
});

function replaceCell(colIndex: number, iteration: number): void {
    const container = document.getElementById(fieldId(colIndex, "cells"));
    if (!container) return;
    const focusedId = activeId();
    const existing = document.getElementById(cellId(colIndex, iteration));
    const next = buildCell(colIndex, iteration);
    if (existing) existing.replaceWith(next);
    else {
        if (container.querySelector(":scope > p.muted")) container.replaceChildren();
        container.append(next);
    }
    restoreFocus(focusedId);
}

host.on("presets", (m) => {
    presets = m.presets;
    // The answer to "Save as preset…" names the saved preset (other updates, e.g. the settings changing, do not).
    if (m.applied !== undefined && presetColumn !== undefined) {
        const col = state.columns[presetColumn];
        if (col) col.presetId = m.applied;
        presetColumn = undefined;
        save();
    }
    state.columns.forEach((col, i) => {
        const select = document.getElementById(fieldId(i, "preset")) as VscodeSingleSelect | null;
        if (select) fillPresetSelect(select, col);
        updatePresetSelect(i);
    });
});

host.on("models", (m) => {
    models = m.models;
    if (m.column !== undefined && m.chosen) {
        const col = state.columns[m.column];
        if (col) col.modelPath = m.chosen;
        save();
        if (m.column === 0) sendEdit();
    }
    renderColumns();
});

host.on("history", (m) => {
    history = m.items;
    renderHistory();
});

host.on("feedbackSaved", (m) => {
    const fb = (state.feedback[m.runId] ??= {});
    if (m.rating) fb.rating = m.rating;
    if (m.correction !== undefined) fb.correction = m.correction;
    save();
    state.results.forEach((rs, c) => rs.forEach((r, i) => {
        if (r?.runId === m.runId) replaceCell(c, i);
    }));
    const h = history.find((x) => x.runId === m.runId);
    if (h && m.rating) {
        h.rating = m.rating;
        renderHistory();
    }
    status(m.correction !== undefined ? "Correction saved." : m.rating === "up" ? "Marked as a good answer." : "Marked as a bad answer.");
});

host.on("notice", (m) => notice(m.level, m.text));

// First paint from the saved state while the extension answers "ready".
renderAll();
host.post({ type: "ready" });
