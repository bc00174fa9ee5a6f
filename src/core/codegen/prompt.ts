// Builds the code generation prompt: a system + user message pair for chat / instruct models and a
// plain-completion text for base models, from the developer's requirements, the target language and
// optional context code.
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

export interface CodegenRequest {
    /** What the code must do, in the developer's words (Markdown is fine). */
    requirements: string;
    /** Target language id or alias ("py", "ts", "c++" ...). When absent: the first context snippet's
     * language, else unknown (the model picks). */
    language?: string;
    context?: ContextSnippet[];
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

function inferLanguage(req: CodegenRequest): string {
    const explicit = normalizeLanguage(req.language);
    if (explicit) return explicit;
    for (const snippet of req.context ?? []) {
        const lang = normalizeLanguage(snippet.language) || languageFromPath(snippet.label);
        if (lang) return lang;
    }
    return "";
}

/** Builds the chat and completion prompts for a code generation request. */
export function buildCodegenPrompt(req: CodegenRequest): BuiltPrompt {
    const requirements = toLf(req.requirements ?? "").trim();
    if (!requirements) {
        throw new PromptsmithError({
            code: "INVALID_ARGUMENT",
            message: "The requirements are empty: there is nothing to generate code from.",
            fix: "Write what the code must do (a requirements file or text) and run code generation again.",
        });
    }
    const language = inferLanguage(req);
    // Unknown languages (and JSON) get no comment syntax: the header stays plain text rather than a wrong guess.
    const comment = commentSyntax(language);
    const values: Record<string, string> = {
        requirements,
        language,
        languageName: languageName(language),
        context: renderContext(req.context),
        comment: comment ? `${comment[0]} ` : "",
        commentEnd: comment?.[1] ? ` ${comment[1]}` : "",
    };
    const responsePrefix = "```" + language + "\n";
    const completion = render(TEMPLATES.completion, values, comment).trimEnd() + "\n\n" + responsePrefix;
    return {
        system: render(TEMPLATES.system, values, comment).trim(),
        user: render(TEMPLATES.user, values, comment).trim(),
        completion,
        responsePrefix,
        language,
    };
}
