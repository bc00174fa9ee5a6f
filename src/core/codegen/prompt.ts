// Builds the code generation prompt: a system + user message pair for chat / instruct models and a
// plain-completion text for base models, from the developer's requirements, the target language and
// optional context code.
//
// Two more shapes of request:
//   - follow-ups: `history` holds earlier turns of the conversation (what was asked, the code answered).
//     The runner takes one system and one user message (or one completion text), so earlier turns are
//     rendered at the top of the user message / completion text (templates/history*.md), oldest first;
//   - "Edit Selection with Instruction": `edit` holds the code to change and the instruction; the model
//     is told to answer with the complete replacement for that code (templates/edit-*.md). The
//     requirements are then optional background.
//
// The prompt wording lives in templates/*.md, imported as text. How those imports are served:
//   - in the bundles, esbuild's text loader (esbuild.mjs: loader { ".md": "text" }) inlines them, so the
//     bundled CLI / extension / runner read no file at run time;
//   - when the sources run directly (tests under tsx), Node knows no ".md" loader, so the test runner
//     must load scripts/md-loader.mjs (`node --import tsx --import ./scripts/md-loader.mjs ...`), which
//     serves `.md` imports the same way.
// Reading the files with fs at run time was rejected: the bundles do not ship templates/ next to
// dist/*.cjs|mjs, and import.meta.url does not exist in the CommonJS extension bundle.
import { PromptsmithError } from "../errors.ts";
import completionTemplate from "./templates/completion.md";
import completionHistoryTemplate from "./templates/completion-history.md";
import completionHistoryTurnTemplate from "./templates/completion-history-turn.md";
import editBackgroundTemplate from "./templates/edit-background.md";
import editCompletionTemplate from "./templates/edit-completion.md";
import editCompletionBackgroundTemplate from "./templates/edit-completion-background.md";
import editSystemTemplate from "./templates/edit-system.md";
import editUserTemplate from "./templates/edit-user.md";
import historyTemplate from "./templates/history.md";
import historyTurnTemplate from "./templates/history-turn.md";
import systemTemplate from "./templates/system.md";
import userTemplate from "./templates/user.md";
import { commentSyntax, languageFromPath, languageName, normalizeLanguage } from "./languages.ts";

export { languageFromPath, normalizeLanguage } from "./languages.ts";

export interface ContextSnippet {
    /** Shown above the code, e.g. a workspace-relative path or "Selection". */
    label: string;
    code: string;
    /** Language id or alias; when absent it is guessed from the label's file extension. */
    language?: string;
}

/** One earlier turn of a conversation, as the prompt shows it. */
export interface HistoryEntry {
    /** What was asked then. */
    requirements: string;
    /** The code answered then (the extracted code, not the raw answer). */
    code: string;
    /** The language of that code; when absent, the request's language. */
    language?: string;
}

export interface CodegenRequest {
    /** What the code must do, in the developer's words (Markdown is fine). With `edit`, optional
     * background for the change (left out when empty or the same as the instruction). */
    requirements: string;
    /** Target language id or alias ("py", "ts", "c++" ...). When absent: the first context snippet's
     * language, else unknown (the model picks). */
    language?: string;
    context?: ContextSnippet[];
    /** Earlier turns of the conversation, oldest first (fit them to a budget with Conversation.fit). */
    history?: HistoryEntry[];
    /** "Edit Selection with Instruction": the code to change and what to do with it; the model answers
     * with the complete replacement for `code`. */
    edit?: { code: string; instruction: string };
}

export interface BuiltPrompt {
    /** System prompt for a chat / instruct model. */
    system: string;
    /** User message for a chat / instruct model. */
    user: string;
    /** The whole prompt for a base model with no chat template. Ends with `responsePrefix`. */
    completion: string;
    /** The code fence `completion` opens at its end (e.g. "```python\n"): run the extractor on
     * `responsePrefix + answer` for a completion-mode answer. */
    responsePrefix: string;
    /** The normalized target language (see normalizeLanguage); "" when unknown. */
    language: string;
}

/** The fence for a piece of code: three backticks, or one more than the longest backtick run inside it. */
export function fenceFor(code: string): string {
    let longest = 0;
    for (const run of code.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
    return "`".repeat(Math.max(3, longest + 1));
}

function toLf(text: string): string {
    return text.replace(/\r\n?/g, "\n");
}

/** Drops a leading `<!-- ... -->` block (the template's own documentation) and normalizes line ends. */
function loadTemplate(text: string): string {
    return toLf(text).replace(/^\s*<!--[\s\S]*?-->[ \t]*\n/, "");
}

const TEMPLATES = {
    system: loadTemplate(systemTemplate),
    user: loadTemplate(userTemplate),
    completion: loadTemplate(completionTemplate),
    history: loadTemplate(historyTemplate),
    historyTurn: loadTemplate(historyTurnTemplate),
    completionHistory: loadTemplate(completionHistoryTemplate),
    completionHistoryTurn: loadTemplate(completionHistoryTurnTemplate),
    editSystem: loadTemplate(editSystemTemplate),
    editUser: loadTemplate(editUserTemplate),
    editCompletion: loadTemplate(editCompletionTemplate),
    editBackground: loadTemplate(editBackgroundTemplate),
    editCompletionBackground: loadTemplate(editCompletionBackgroundTemplate),
};

/**
 * Fills `{{name}}` and `{{name|comment}}` placeholders in one pass, so placeholder-like text inside the
 * values (the developer's requirements, context code) is never expanded.
 */
function render(template: string, values: Record<string, string>, comment: [string, string] | undefined): string {
    return template.replace(/\{\{(\w+)(?:\|(\w+))?\}\}/g, (whole, name: string, filter: string | undefined) => {
        const value = values[name];
        if (value === undefined) throw new PromptsmithError({ code: "INTERNAL", message: `Prompt template placeholder ${whole} has no value.` });
        if (filter === undefined) return value;
        if (filter === "comment") return commentLines(value, comment);
        throw new PromptsmithError({ code: "INTERNAL", message: `Prompt template filter "${filter}" in ${whole} is unknown.` });
    });
}

function commentLines(text: string, comment: [string, string] | undefined): string {
    if (!comment) return text;
    const [start, end] = comment;
    return text
        .split("\n")
        .map((line) => (line.trim() === "" ? (end ? "" : start) : `${start} ${line}${end ? ` ${end}` : ""}`))
        .join("\n");
}

/** The line that introduces the context blocks in the prompt (followed by a blank line). */
export const CONTEXT_INTRO = "Existing code for context (keep its style; use it, do not repeat it):\n\n";

/** Whether a snippet adds anything to the prompt (snippets of only whitespace are left out). */
export function isEmptySnippet(snippet: Pick<ContextSnippet, "code">): boolean {
    return snippet.code.trim() === "";
}

/**
 * One context snippet as the prompt shows it: its label, then its code in a fence tagged with its
 * language. `index` (0-based) names an unlabelled snippet ("Context 1"). The prompt separates blocks
 * with a blank line, so a block costs `renderContextBlock(...) + "\n\n"` (what context packing counts).
 */
export function renderContextBlock(snippet: ContextSnippet, index = 0): string {
    const code = toLf(snippet.code).replace(/\n+$/, "");
    const label = snippet.label.trim() || `Context ${index + 1}`;
    const tag = normalizeLanguage(snippet.language) || languageFromPath(label) || "";
    const fence = fenceFor(code);
    return `${label}:\n${fence}${tag}\n${code}\n${fence}`;
}

function renderContext(snippets: ContextSnippet[] | undefined): string {
    const blocks: string[] = [];
    for (const [i, snippet] of (snippets ?? []).entries()) {
        if (isEmptySnippet(snippet)) continue;
        blocks.push(renderContextBlock(snippet, i));
    }
    if (blocks.length === 0) return "";
    return `${CONTEXT_INTRO}${blocks.join("\n\n")}\n\n`;
}

/** Code in a fence that nothing inside it can close, tagged with its language. */
function fenced(code: string, tag: string): string {
    const body = toLf(code).replace(/^\n+|\n+$/g, "");
    const fence = fenceFor(body);
    return `${fence}${tag}\n${body}\n${fence}`;
}

type Mode = "chat" | "completion";

/** Values shared by every template of one request. */
interface Common {
    language: string;
    comment: [string, string] | undefined;
    values: Record<string, string>;
}

function historyEntries(history: HistoryEntry[] | undefined): HistoryEntry[] {
    return (history ?? [])
        .map((h) => ({ ...h, requirements: toLf(h.requirements ?? "").trim(), code: toLf(h.code ?? "").replace(/^\n+|\s+$/g, "") }))
        .filter((h) => h.requirements !== "" || h.code.trim() !== "");
}

/**
 * One earlier turn as the prompt shows it (chat: history-turn.md; completion: completion-history-turn.md).
 * `language` is the request's language, used when the entry has none. Turns are separated by a blank
 * line, so a turn costs `renderHistoryTurn(...) + "\n\n"` (what Conversation.fit counts).
 */
export function renderHistoryTurn(entry: HistoryEntry, language = "", mode: Mode = "chat"): string {
    const lang = normalizeLanguage(entry.language) || normalizeLanguage(language);
    const comment = commentSyntax(lang);
    const template = mode === "chat" ? TEMPLATES.historyTurn : TEMPLATES.completionHistoryTurn;
    const values = {
        ...commentValues(comment),
        requirements: toLf(entry.requirements).trim() || "(none)",
        code: fenced(entry.code, lang),
        language: lang,
        languageName: languageName(lang),
    };
    return render(template, values, comment).trim();
}

/** The history block's own text around the turns (intro and closing line), for budgeting: the block costs this plus each turn's `renderHistoryTurn(...) + "\n\n"`. */
export function historyFrame(language = "", mode: Mode = "chat"): string {
    return renderHistory([], language, mode, true);
}

function renderHistory(entries: HistoryEntry[], language: string, mode: Mode, frameOnly = false): string {
    if (entries.length === 0 && !frameOnly) return "";
    const comment = commentSyntax(language);
    const turns = entries.map((e) => renderHistoryTurn(e, language, mode)).join("\n\n");
    const template = mode === "chat" ? TEMPLATES.history : TEMPLATES.completionHistory;
    const values = { ...commentValues(comment), turns, language, languageName: languageName(language) };
    return render(template, values, comment).trim() + "\n\n";
}

function commentValues(comment: [string, string] | undefined): { comment: string; commentEnd: string } {
    return { comment: comment ? `${comment[0]} ` : "", commentEnd: comment?.[1] ? ` ${comment[1]}` : "" };
}

function inferLanguage(req: CodegenRequest): string {
    const explicit = normalizeLanguage(req.language);
    if (explicit) return explicit;
    for (const snippet of req.context ?? []) {
        const lang = normalizeLanguage(snippet.language) || languageFromPath(snippet.label);
        if (lang) return lang;
    }
    return "";
}

/** Builds the chat and completion prompts for a code generation request (or, with `edit`, an edit of the given code). */
export function buildCodegenPrompt(req: CodegenRequest): BuiltPrompt {
    const requirements = toLf(req.requirements ?? "").trim();
    const edit = req.edit;
    if (edit) return buildEditPrompt(req, requirements, edit);
    if (!requirements) {
        throw new PromptsmithError({
            code: "INVALID_ARGUMENT",
            message: "The requirements are empty: there is nothing to generate code from.",
            fix: "Write what the code must do (a requirements file or text) and run code generation again.",
        });
    }
    const c = common(req);
    const values = { ...c.values, requirements };
    return finish(c, TEMPLATES.system, render(TEMPLATES.user, { ...values, history: renderHistory(historyEntries(req.history), c.language, "chat") }, c.comment),
        render(TEMPLATES.completion, { ...values, history: renderHistory(historyEntries(req.history), c.language, "completion") }, c.comment), values);
}

function common(req: CodegenRequest): Common {
    const language = inferLanguage(req);
    // Unknown languages (and JSON) get no comment syntax: the header stays plain text rather than a wrong guess.
    const comment = commentSyntax(language);
    return {
        language,
        comment,
        values: { language, languageName: languageName(language), context: renderContext(req.context), ...commentValues(comment) },
    };
}

function finish(c: Common, systemTemplate: string, user: string, completionText: string, values: Record<string, string>): BuiltPrompt {
    const responsePrefix = "```" + c.language + "\n";
    return {
        system: render(systemTemplate, values, c.comment).trim(),
        user: user.trim(),
        completion: completionText.trimEnd() + "\n\n" + responsePrefix,
        responsePrefix,
        language: c.language,
    };
}

function buildEditPrompt(req: CodegenRequest, requirements: string, edit: { code: string; instruction: string }): BuiltPrompt {
    const instruction = toLf(edit.instruction ?? "").trim();
    if (!instruction) {
        throw new PromptsmithError({
            code: "INVALID_ARGUMENT",
            message: "The instruction is empty: there is nothing to change the selected code with.",
            fix: "Say how the selected code should change (e.g. \"add error handling\") and run Edit Selection with Instruction again.",
        });
    }
    if (toLf(edit.code ?? "").trim() === "") {
        throw new PromptsmithError({
            code: "INVALID_ARGUMENT",
            message: "No code is selected: there is nothing to edit.",
            fix: "Select the code to change in the editor, then run Edit Selection with Instruction again.",
        });
    }
    const c = common(req);
    const background = requirements !== "" && requirements !== instruction ? requirements : "";
    const values = { ...c.values, instruction, code: fenced(edit.code, c.language) };
    const chatBackground = background ? render(TEMPLATES.editBackground, { requirements: background }, c.comment).trim() + "\n\n" : "";
    const completionBackground = background ? render(TEMPLATES.editCompletionBackground, { ...values, requirements: background }, c.comment).trim() + "\n" : "";
    const entries = historyEntries(req.history);
    const user = render(TEMPLATES.editUser, { ...values, background: chatBackground, history: renderHistory(entries, c.language, "chat") }, c.comment);
    const completionText = render(TEMPLATES.editCompletion, { ...values, background: completionBackground, history: renderHistory(entries, c.language, "completion") }, c.comment);
    return finish(c, TEMPLATES.editSystem, user, completionText, values);
}
