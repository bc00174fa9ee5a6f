// The requirements pane (code generation): a webview view in the Promptsmith activity-bar container.
// The extension owns the state (src/vscode/codegen/pane.ts); this page renders it and reports what the
// user does. Model output is rendered as text only. Keyboard: everything is reachable with Tab;
// Ctrl+Enter in the requirements generates, Escape stops a running generation.
import { reportCspViolations } from "./csp.ts";
import "@vscode-elements/elements/dist/vscode-button/index.js";
import "@vscode-elements/elements/dist/vscode-checkbox/index.js";
import "@vscode-elements/elements/dist/vscode-collapsible/index.js";
import "@vscode-elements/elements/dist/vscode-label/index.js";
import "@vscode-elements/elements/dist/vscode-option/index.js";
import "@vscode-elements/elements/dist/vscode-progress-ring/index.js";
import "@vscode-elements/elements/dist/vscode-single-select/index.js";
import "@vscode-elements/elements/dist/vscode-textarea/index.js";
import type { VscodeButton } from "@vscode-elements/elements/dist/vscode-button/vscode-button.js";
import type { VscodeCheckbox } from "@vscode-elements/elements/dist/vscode-checkbox/vscode-checkbox.js";
import type { VscodeCollapsible } from "@vscode-elements/elements/dist/vscode-collapsible/vscode-collapsible.js";
import type { VscodeSingleSelect } from "@vscode-elements/elements/dist/vscode-single-select/vscode-single-select.js";
import type { VscodeTextarea } from "@vscode-elements/elements/dist/vscode-textarea/vscode-textarea.js";
import { connect } from "../common/host.ts";
import {
    DEFAULT_INPUTS, formatTokens, sanitizeInputs,
    type BudgetView, type CodegenToHost, type CodegenToView, type CodegenViewState, type EditorView, type FindingView, type ModelView,
    type OptionView, type PaneInputs, type PaneState, type RunView, type TurnView,
} from "../../src/protocol/codegen.ts";
import { byId, h, replaceChildren, show } from "./dom.ts";
import "./style.css";

const host = connect<CodegenToHost, CodegenToView, CodegenViewState>();
reportCspViolations((v) => host.post({ type: "cspViolation", ...v }));
window.addEventListener("error", (e) => host.post({ type: "error", message: String(e.message ?? e) }));

const EMPTY_STATE: PaneState = {
    inputs: DEFAULT_INPUTS,
    turns: [],
    model: { state: "none" },
    presets: [],
    languages: [],
    blockOn: "error",
    generating: false,
};

let state: PaneState = host.getState()?.state ?? EMPTY_STATE;
let saveTimer: ReturnType<typeof setTimeout> | undefined;
/** Saves the state for a reload (throttled while text streams in). */
function save(now = false): void {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = undefined;
    if (now) host.setState({ state });
    else saveTimer = setTimeout(() => save(true), 300);
}

// ---- the page's structure (built once; render* functions update it) ----

function button(id: string, label: string, opts: { icon?: string; secondary?: boolean; title?: string } = {}): VscodeButton {
    const b = h("vscode-button", { id, icon: opts.icon, secondary: opts.secondary, title: opts.title }, label) as VscodeButton;
    return b;
}

function iconButton(id: string, icon: string, label: string): VscodeButton {
    const b = h("vscode-button", { id, icon, secondary: true, "icon-only": true, title: label, "aria-label": label }) as VscodeButton;
    return b;
}

function build(): void {
    const app = byId("app");
    replaceChildren(
        app,
        h("div", { class: "model-line", id: "model-line" },
            h("span", { class: "codicon codicon-chip", "aria-hidden": "true" }),
            h("span", { id: "model-name" }, "No model"),
            h("vscode-button", { id: "select-model", secondary: true, class: "select-model", title: "Choose the local GGUF model" }, "Select model…"),
        ),
        h("vscode-label", { for: "requirements", class: "field-label" }, "Requirements"),
        h("vscode-textarea", {
            id: "requirements",
            rows: "7",
            resize: "vertical",
            label: "Requirements: what the code must do",
            placeholder: "What should the code do? (Ctrl+Enter generates)",
        }),
        h("div", { class: "row" },
            h("div", { class: "col" },
                h("vscode-label", { for: "language", class: "field-label" }, "Language"),
                h("vscode-single-select", { id: "language", label: "Target language" }),
            ),
            h("div", { class: "col" },
                h("vscode-label", { for: "preset", class: "field-label" }, "Sampling"),
                h("vscode-single-select", { id: "preset", label: "Sampling preset" }),
            ),
        ),
        h("fieldset", { class: "context", id: "context" },
            h("legend", { class: "field-label" }, "Context to include"),
            h("vscode-checkbox", { id: "inc-selection", label: "Selection" }),
            h("vscode-checkbox", { id: "inc-current", label: "Current file" }),
            h("vscode-checkbox", { id: "inc-open", label: "Other open files" }),
        ),
        h("div", { class: "budget", id: "budget" },
            h("div", { class: "budget-bar", "aria-hidden": "true" }, h("div", { class: "budget-fill", id: "budget-fill" })),
            h("div", { id: "budget-text", class: "muted", role: "status", "aria-live": "polite" }, "Counting tokens…"),
            h("ul", { id: "budget-items", class: "budget-items" }),
        ),
        h("div", { class: "row" },
            h("div", { class: "col" },
                h("vscode-label", { for: "place", class: "field-label" }, "Put the code"),
                h("vscode-single-select", { id: "place", label: "Where the code goes" },
                    h("vscode-option", { value: "editor", description: "Replace the selection, or insert at the cursor" }, "In the editor"),
                    h("vscode-option", { value: "newFile", description: "A new untitled file in the target language" }, "In a new file"),
                ),
            ),
        ),
        h("div", { class: "actions" },
            button("generate", "Generate", { icon: "sparkle", title: "Generate code (Ctrl+Enter)" }),
            button("stop", "Stop", { icon: "debug-stop", secondary: true, title: "Stop generation (Escape)" }),
        ),
        h("div", { class: "conversation", id: "conversation" },
            h("span", { id: "turns-text", class: "muted" }),
            button("new-conversation", "New conversation", { icon: "add", secondary: true, title: "Forget the earlier requests and answers" }),
        ),
        h("section", { id: "result", class: "result", "aria-label": "Result" },
            h("div", { id: "status", class: "status", role: "status", "aria-live": "polite" }),
            h("section", { id: "blocked", class: "blocked", "aria-label": "Blocked: findings in the input", hidden: true },
                h("p", { id: "blocked-text" }),
                h("ul", { id: "input-findings", class: "findings" }),
                h("p", { id: "blocked-note", class: "muted" }),
                h("div", { class: "actions" },
                    button("send-anyway", "Send anyway", { icon: "warning", secondary: true, title: "Send the requirements and context to the local model despite these findings" }),
                ),
            ),
            h("div", { id: "target", class: "muted" }),
            h("pre", { id: "answer", class: "output", tabindex: "0", "aria-label": "The model's answer" }),
            h("ul", { id: "output-findings", class: "findings", "aria-label": "Findings in the answer" }),
            h("div", { id: "proposal", class: "actions" },
                button("show-diff", "Show diff", { icon: "diff", secondary: true }),
                button("accept", "Accept", { icon: "check" }),
                button("reject", "Reject", { icon: "close", secondary: true }),
            ),
            h("div", { id: "proposal-note", class: "muted", role: "status" }),
            h("div", { id: "feedback", class: "feedback" },
                h("span", { class: "muted" }, "Was this useful?"),
                iconButton("thumbs-up", "thumbsup", "Good answer"),
                iconButton("thumbs-down", "thumbsdown", "Bad answer"),
                h("span", { id: "feedback-text", class: "muted", role: "status" }),
            ),
            h("vscode-collapsible", { id: "correct", title: "Correct this answer", class: "correct" },
                h("div", { class: "correct-body" },
                    h("p", { class: "muted" }, "Paste or write the code the answer should have been. Edits you make to accepted code are captured too. Stored on this machine only."),
                    h("vscode-textarea", { id: "correction", rows: "6", monospace: true, resize: "vertical", label: "Corrected code" }),
                    h("div", { class: "actions" }, button("save-correction", "Save correction", { icon: "save", secondary: true })),
                ),
            ),
        ),
    );
}

build();
const el = {
    requirements: byId<VscodeTextarea>("requirements"),
    language: byId<VscodeSingleSelect>("language"),
    preset: byId<VscodeSingleSelect>("preset"),
    place: byId<VscodeSingleSelect>("place"),
    incSelection: byId<VscodeCheckbox>("inc-selection"),
    incCurrent: byId<VscodeCheckbox>("inc-current"),
    incOpen: byId<VscodeCheckbox>("inc-open"),
    generate: byId<VscodeButton>("generate"),
    stop: byId<VscodeButton>("stop"),
    answer: byId<HTMLPreElement>("answer"),
    status: byId("status"),
    correction: byId<VscodeTextarea>("correction"),
    correct: byId<VscodeCollapsible>("correct"),
};

// ---- rendering ----

function optionList(select: VscodeSingleSelect, options: OptionView[], value: string): void {
    const current = [...select.querySelectorAll("vscode-option")].map((o) => `${o.getAttribute("value")}\u0000${o.textContent}`).join("\u0001");
    const next = options.map((o) => `${o.id}\u0000${o.name}`).join("\u0001");
    if (current !== next) {
        replaceChildren(select, ...options.map((o) => h("vscode-option", { value: o.id, description: o.description }, o.name)));
    }
    if (select.value !== value) select.value = value;
}

function languageOptions(languages: OptionView[], editor: EditorView | undefined): OptionView[] {
    const auto = editor ? `Same as the editor (${languages.find((l) => l.id === editor.languageId)?.name ?? editor.languageId})` : "Same as the editor";
    return [{ id: "", name: auto }, ...languages.filter((l) => l.id !== "")];
}

function renderInputs(inputs: PaneInputs): void {
    if (el.requirements.value !== inputs.requirements) el.requirements.value = inputs.requirements;
    el.incSelection.checked = inputs.include.selection;
    el.incCurrent.checked = inputs.include.currentFile;
    el.incOpen.checked = inputs.include.openFiles;
    if (el.place.value !== inputs.place) el.place.value = inputs.place;
    optionList(el.language, languageOptions(state.languages, state.editor), inputs.language);
    optionList(el.preset, state.presets, inputs.preset);
}

function renderModel(model: ModelView): void {
    const words: Record<ModelView["state"], string> = { none: "not loaded", loading: "loading…", ready: "ready", generating: "generating…", error: "error" };
    byId("model-name").textContent = model.name ? `${model.name} (${words[model.state]})` : "No model selected";
    byId("model-line").title = model.detail ?? "";
    byId("select-model").textContent = model.name ? "Change model…" : "Select model…";
}

function renderBudget(budget: BudgetView | undefined, editor: EditorView | undefined): void {
    const text = byId("budget-text");
    const fill = byId("budget-fill");
    const list = byId("budget-items");
    if (!budget) {
        text.textContent = editor ? "Counting tokens…" : "No editor: only the requirements are sent.";
        fill.style.setProperty("width", "0%");
        replaceChildren(list);
        return;
    }
    const share = budget.budget > 0 ? Math.min(1, budget.used / budget.budget) : 0;
    fill.style.setProperty("width", `${(share * 100).toFixed(1)}%`);
    fill.classList.toggle("full", budget.items.some((i) => !i.included || i.truncated));
    const how = budget.counter === "model" ? "model tokens" : "tokens (estimate)";
    // "≈": a large file was estimated from its length while typing; Generate counts it exactly.
    const about = budget.approximate ? "≈" : "";
    text.textContent = `Context ${about}${formatTokens(budget.used)} of ${formatTokens(budget.budget)} ${how} · prompt ${formatTokens(budget.promptTokens)} · answer up to ${formatTokens(budget.maxTokens)} · window ${formatTokens(budget.contextSize)}${budget.approximate ? " · ≈ large files estimated until Generate counts them" : ""}`;
    replaceChildren(list, ...budget.items.map((i) => {
        const note = !i.included ? ` — left out${i.reason ? `: ${i.reason}` : ""}` : i.truncated ? ` — cut to fit${i.reason ? `: ${i.reason}` : ""}` : "";
        const tokens = i.included || i.tokens > 0 ? `: ${formatTokens(i.tokens)}` : "";
        return h("li", { class: i.included ? (i.truncated ? "cut" : "in") : "out" }, `${i.label}${tokens}${note}`);
    }));
}

function findingItem(f: FindingView): HTMLElement {
    const where = f.source === "answer" ? `line ${f.line}` : `${f.source}, line ${f.line}`;
    return h("li", { class: `finding-${f.severity}` },
        h("span", { class: `codicon codicon-${f.severity === "info" ? "info" : f.severity}`, "aria-hidden": "true" }),
        ` ${f.severity}: ${f.message} `,
        h("span", { class: "muted" }, `(${f.ruleId}; ${where}${f.excerpt ? `: ${f.excerpt}` : ""})`),
    );
}

function statusText(run: RunView): string {
    const m = run.metrics;
    const speed = m ? ` · ${formatTokens(m.outputTokens)} tokens in ${(m.totalMs / 1000).toFixed(1)} s (${m.tokensPerSecond.toFixed(0)} tokens/s)` : "";
    switch (run.status) {
        case "streaming": return run.answer ? "Generating… (Escape stops)" : "Waiting for the model… (Escape stops)";
        case "blocked": return "Not sent: the input has findings that block it.";
        case "stopped": return `Stopped${speed}.`;
        case "error": return `Error${run.error ? ` (${run.error.code})` : ""}: ${run.error?.message ?? "generation failed"}${run.error?.fix ? ` ${run.error.fix}` : ""}`;
        case "done": return `Done${run.stopReason === "maxTokens" ? " (token limit reached)" : ""}${speed}.${run.truncated ? " The code block was cut off." : ""}`;
    }
}

function renderRun(run: RunView | undefined, generating: boolean): void {
    el.generate.disabled = generating;
    el.stop.disabled = !generating;
    byId("result").hidden = !run;
    if (!run) return;
    el.status.textContent = statusText(run);
    el.status.classList.toggle("error", run.status === "error");
    // Blocked input: the findings and a way to send anyway.
    const blocked = byId("blocked");
    show(blocked, run.status === "blocked");
    if (run.status === "blocked") {
        byId("blocked-text").textContent = `${run.inputFindings.length === 1 ? "This finding" : `These ${run.inputFindings.length} findings`} in what would be sent stopped the run (setting promptsmith.codegen.blockOn: ${state.blockOn}).`;
        replaceChildren(byId("input-findings"), ...run.inputFindings.map(findingItem));
        byId("blocked-note").textContent = run.blockNote ?? "";
    }
    // Send anyway belongs to this block only (not to a restored run, nor after the input changed).
    show(byId("send-anyway"), run.status === "blocked" && run.canSendAnyway === true);
    byId("target").textContent = run.status === "blocked" ? "" : `${run.kind === "edit" ? `Edit: ${run.instruction ?? ""} · ` : ""}Target: ${run.target}`;
    if (el.answer.textContent !== run.answer) el.answer.textContent = run.answer;
    show(el.answer, run.status !== "blocked");
    const outputs = byId("output-findings");
    replaceChildren(outputs, ...(run.outputFindings.length ? [h("li", { class: "muted" }, "Findings in the answer:"), ...run.outputFindings.map(findingItem)] : []));
    const finished = run.status === "done" || run.status === "stopped";
    const hasCode = finished && !!run.code;
    show(byId("proposal"), hasCode);
    const open = run.proposal === "open" || run.proposal === "conflict";
    byId<VscodeButton>("accept").disabled = !open;
    byId<VscodeButton>("reject").disabled = !open;
    byId("proposal-note").textContent =
        run.proposal === "accepted" ? "Accepted: the code is in the editor (Undo restores it)." + (run.proposalNote ? ` ${run.proposalNote}` : "")
        : run.proposal === "rejected" ? (run.proposalNote ?? "Rejected: nothing was changed.")
        : run.proposal === "conflict" ? `The target changed: ${run.proposalNote ?? "the code cannot be placed safely."}`
        : run.proposal === "open" ? `Review the diff, then Accept or Reject.${run.proposalNote ? ` ${run.proposalNote}` : ""}`
        : "";
    const rated = !!run.runId && finished;
    show(byId("feedback"), rated);
    show(el.correct, rated);
    byId("thumbs-up").classList.toggle("chosen", run.rating === "up");
    byId("thumbs-down").classList.toggle("chosen", run.rating === "down");
    byId("thumbs-up").setAttribute("aria-pressed", String(run.rating === "up"));
    byId("thumbs-down").setAttribute("aria-pressed", String(run.rating === "down"));
    byId("feedback-text").textContent = [run.rating ? "Thanks, saved." : "", run.corrected ? "Correction saved." : ""].filter(Boolean).join(" ");
}

function renderTurns(turns: TurnView[]): void {
    byId("turns-text").textContent = turns.length === 0 ? "New conversation." : `${turns.length} earlier ${turns.length === 1 ? "request" : "requests"} in this conversation: follow-ups can refer to ${turns.length === 1 ? "it" : "them"}.`;
    byId<VscodeButton>("new-conversation").disabled = turns.length === 0;
}

function renderAll(replaceInputs: boolean): void {
    renderModel(state.model);
    if (replaceInputs) renderInputs(state.inputs);
    else {
        optionList(el.language, languageOptions(state.languages, state.editor), state.inputs.language);
        optionList(el.preset, state.presets, state.inputs.preset);
    }
    renderBudget(state.budget, state.editor);
    renderTurns(state.turns);
    renderRun(state.run, state.generating);
    byId("app").removeAttribute("aria-busy");
}

// ---- what the user does ----

function readInputs(): PaneInputs {
    return sanitizeInputs({
        requirements: el.requirements.value,
        language: el.language.value,
        include: { selection: el.incSelection.checked, currentFile: el.incCurrent.checked, openFiles: el.incOpen.checked },
        preset: el.preset.value,
        place: el.place.value,
    });
}

function inputsChanged(): void {
    state = { ...state, inputs: readInputs() };
    save();
    host.post({ type: "inputs", inputs: state.inputs });
}

function generate(): void {
    if (state.generating) return;
    inputsChanged();
    host.post({ type: "generate" });
}

/** Send anyway: the blocked run shown, by its number (the extension checks it is still the pending one). */
function sendAnyway(): void {
    const run = state.run;
    if (state.generating || run?.status !== "blocked" || !run.canSendAnyway) return;
    inputsChanged();
    host.post({ type: "generate", sendAnyway: true, blockedSeq: run.seq });
}

el.requirements.addEventListener("input", inputsChanged);
for (const s of [el.language, el.preset, el.place]) s.addEventListener("change", inputsChanged);
for (const c of [el.incSelection, el.incCurrent, el.incOpen]) c.addEventListener("change", inputsChanged);
el.generate.addEventListener("click", () => generate());
el.stop.addEventListener("click", () => host.post({ type: "stop" }));
byId("send-anyway").addEventListener("click", sendAnyway);
byId("new-conversation").addEventListener("click", () => host.post({ type: "newConversation" }));
byId("show-diff").addEventListener("click", () => host.post({ type: "showDiff" }));
byId("accept").addEventListener("click", () => host.post({ type: "accept" }));
byId("reject").addEventListener("click", () => host.post({ type: "reject" }));
byId("select-model").addEventListener("click", () => host.post({ type: "command", command: "selectModel" }));
for (const [id, rating] of [["thumbs-up", "up"], ["thumbs-down", "down"]] as const) {
    byId(id).addEventListener("click", () => {
        const runId = state.run?.runId;
        if (runId) host.post({ type: "rate", runId, rating });
    });
}
byId("save-correction").addEventListener("click", () => {
    const runId = state.run?.runId;
    const code = el.correction.value;
    if (runId && code.trim()) host.post({ type: "correct", runId, code });
});
document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && e.composedPath().includes(el.requirements)) {
        e.preventDefault();
        generate();
    } else if (e.key === "Escape" && state.generating) {
        host.post({ type: "stop" });
    }
});

// ---- what the extension sends ----

/** Whether this page has had the extension's state since it loaded (chunks before that are not applied). */
let synced = false;

host.on("state", (msg) => {
    state = msg.state;
    synced = true;
    // The history was cleared (or nothing ran yet): no correction draft of a forgotten answer.
    if (!state.run) el.correction.value = "";
    renderAll(msg.replaceInputs);
    save(true);
});
host.on("budget", (msg) => {
    state = { ...state, budget: msg.budget, editor: msg.editor };
    optionList(el.language, languageOptions(state.languages, state.editor), state.inputs.language);
    renderBudget(msg.budget, msg.editor);
    save();
});
host.on("chunk", (msg) => {
    const run = state.run;
    if (!synced || !run || run.seq !== msg.seq) return;
    const have = run.answer.length;
    if (msg.offset > have) {
        // Text is missing in between (this page missed a chunk): ask for the whole state again.
        synced = false;
        host.post({ type: "ready" });
        return;
    }
    // Only what this page does not have yet (a "state" may already hold some or all of it).
    const text = msg.text.slice(have - msg.offset);
    if (!text) return;
    state = { ...state, run: { ...run, answer: run.answer + text } };
    el.answer.append(document.createTextNode(text));
    if (have === 0) el.status.textContent = statusText(state.run!);
    save();
});
host.on("run", (msg) => {
    // A new finished answer: "Correct this answer" starts from its code.
    if (msg.run.runId && msg.run.runId !== state.run?.runId) el.correction.value = msg.run.code ?? "";
    state = { ...state, run: msg.run, generating: msg.generating };
    renderRun(msg.run, msg.generating);
    save(true);
});
host.on("turns", (msg) => {
    state = { ...state, turns: msg.turns };
    renderTurns(msg.turns);
    save();
});
host.on("model", (msg) => {
    state = { ...state, model: msg.model };
    renderModel(msg.model);
    save();
});
host.on("focus", () => el.requirements.focus());

// Restore what the page showed before a reload, then ask the extension for the current state.
renderAll(true);
host.post({ type: "ready" });
