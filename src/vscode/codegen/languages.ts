// Target languages: VS Code language ids (what editors and new untitled files use) and the prompt's
// language ids (src/core/codegen/languages.ts), both ways.
import { normalizeLanguage } from "../../core/codegen/languages.ts";
import type { OptionView } from "../../protocol/codegen.ts";

/** The languages offered in the pane, by VS Code language id. */
export const LANGUAGE_OPTIONS: readonly OptionView[] = [
    { id: "python", name: "Python" },
    { id: "typescript", name: "TypeScript" },
    { id: "javascript", name: "JavaScript" },
    { id: "typescriptreact", name: "TypeScript React" },
    { id: "javascriptreact", name: "JavaScript React" },
    { id: "java", name: "Java" },
    { id: "csharp", name: "C#" },
    { id: "cpp", name: "C++" },
    { id: "c", name: "C" },
    { id: "go", name: "Go" },
    { id: "rust", name: "Rust" },
    { id: "kotlin", name: "Kotlin" },
    { id: "swift", name: "Swift" },
    { id: "ruby", name: "Ruby" },
    { id: "php", name: "PHP" },
    { id: "scala", name: "Scala" },
    { id: "dart", name: "Dart" },
    { id: "lua", name: "Lua" },
    { id: "r", name: "R" },
    { id: "shellscript", name: "Shell (Bash)" },
    { id: "powershell", name: "PowerShell" },
    { id: "sql", name: "SQL" },
    { id: "html", name: "HTML" },
    { id: "css", name: "CSS" },
    { id: "scss", name: "SCSS" },
    { id: "json", name: "JSON" },
    { id: "yaml", name: "YAML" },
    { id: "markdown", name: "Markdown" },
    { id: "dockerfile", name: "Dockerfile" },
    { id: "makefile", name: "Makefile" },
];

/** VS Code ids that the prompt names differently. */
const TO_PROMPT: Record<string, string> = {
    typescriptreact: "typescript",
    javascriptreact: "javascript",
    shellscript: "bash",
    jsonc: "json",
};
const TO_VSCODE: Record<string, string> = { bash: "shellscript" };
/** Editor languages that are not a programming language: the model picks one. */
const NO_LANGUAGE = new Set(["plaintext", "log", "Log", "code-text-binary", "promptsmith", "prompt"]);

/** The prompt's language id for a VS Code language id ("" when it names no programming language). */
export function promptLanguage(vscodeId: string | undefined): string {
    if (!vscodeId || NO_LANGUAGE.has(vscodeId)) return "";
    return normalizeLanguage(TO_PROMPT[vscodeId] ?? vscodeId);
}

/** The VS Code language id for a prompt language id (for a new untitled file); "plaintext" when unknown. */
export function vscodeLanguage(promptId: string | undefined): string {
    const id = normalizeLanguage(promptId);
    if (!id) return "plaintext";
    return TO_VSCODE[id] ?? id;
}

/** The display name of a VS Code language id. */
export function languageLabel(vscodeId: string): string {
    return LANGUAGE_OPTIONS.find((l) => l.id === vscodeId)?.name ?? vscodeId;
}
