// Node-only helpers for prompt files: reading one from disk (the CLI, the extension host) and finding the
// model its front matter names. The parser itself (promptFile.ts) stays free of Node APIs.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { PromptsmithError } from "../errors.ts";
import { formatBytes } from "../format.ts";
import type { Preset } from "../presets.ts";
import { expandUserPath } from "../userConfig.ts";
import { parsePromptFile, type PromptDiagnostic, type PromptFile } from "./promptFile.ts";

/** Prompt files are text a person writes; anything bigger is a mistake (or not a prompt). */
export const MAX_PROMPT_FILE_BYTES = 1024 * 1024;

export interface LoadedPromptFile {
    prompt: PromptFile;
    /** Warnings and information (errors are thrown). */
    diagnostics: PromptDiagnostic[];
    text: string;
}

/**
 * Reads and parses a prompt file. Throws INVALID_ARGUMENT when it cannot be read and PROMPT_FILE_INVALID
 * (naming the file, the first error as path:line:column and the fix) when it is over 1 MB or has an error.
 */
export async function readPromptFile(file: string, options: { userPresets?: readonly Preset[] } = {}): Promise<LoadedPromptFile> {
    let size: number;
    try {
        const st = await stat(file);
        if (!st.isFile()) throw Object.assign(new Error("a folder"), { code: "EISDIR" });
        size = st.size;
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new PromptsmithError({
            code: "INVALID_ARGUMENT",
            message: `Cannot read the prompt file ${file}: ${code === "ENOENT" || code === "ENOTDIR" ? "it does not exist" : code === "EISDIR" ? "it is a folder" : (e as Error).message}.`,
            file,
            fix: "Pass the path of an existing prompt file (*.prompt.md).",
        }, { cause: e });
    }
    if (size > MAX_PROMPT_FILE_BYTES) {
        throw new PromptsmithError({
            code: "PROMPT_FILE_INVALID",
            message: `The prompt file ${file} is ${formatBytes(size)}; prompt files are limited to ${formatBytes(MAX_PROMPT_FILE_BYTES)}.`,
            file,
            fix: "Pass a prompt file, not a data file: no model's context window holds this much.",
        });
    }
    const text = await readFile(file, "utf8");
    const { prompt, diagnostics } = parsePromptFile(text, file, options);
    const errors = diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0 || !prompt) {
        const first = errors[0]!;
        const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : "";
        throw new PromptsmithError({
            code: "PROMPT_FILE_INVALID",
            message: `${file}:${first.line}:${first.column}: ${first.message}${more}`,
            file,
            fix: first.code.startsWith("front-matter") ? "Fix the front matter at that line (docs/prompt-files.md lists every key and range)." : "Fix the prompt file at that line.",
        });
    }
    return { prompt, diagnostics, text };
}

/** Reads and parses a prompt file; see readPromptFile for the errors. */
export async function loadPromptFile(file: string): Promise<PromptFile> {
    return (await readPromptFile(file)).prompt;
}

/**
 * The model a prompt file names: a path relative to the file (absolute and ~ paths as they are), else a
 * file name in the models folder. MODEL_NOT_FOUND names the prompt file, where it looked and the fix.
 */
export async function resolvePromptModel(model: string, promptFile: string, modelsDir: string): Promise<string> {
    const tried: string[] = [];
    const candidates = [expandUserPath(model, path.dirname(path.resolve(promptFile)))];
    if (!/[\\/]/.test(model) && !model.startsWith("~")) candidates.push(path.join(modelsDir, model));
    for (const c of candidates) {
        tried.push(c);
        try {
            if ((await stat(c)).isFile()) return c;
        } catch {
            // try the next place
        }
    }
    throw new PromptsmithError({
        code: "MODEL_NOT_FOUND",
        message: `The model "${model}" named in ${promptFile} was not found (looked for ${tried.join(" and ")}).`,
        file: promptFile,
        fix: `Put the model there (\`promptsmith models download\` fetches the recommended one into ${modelsDir}), fix "model" in the front matter (a path relative to the prompt file, or a file name in the models folder), or pass --model PATH.`,
    });
}
