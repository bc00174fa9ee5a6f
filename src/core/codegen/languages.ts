// Language ids, aliases, file extensions and comment syntax, for prompts and code extraction.

interface LanguageInfo {
    id: string;
    name: string;
    aliases?: string[];
    /** File extensions, lowercase, with the dot. */
    extensions?: string[];
    /** Exact file names (case-insensitive) that mean this language. */
    fileNames?: string[];
    /** Comment delimiters [start, end]; end is "" for line comments. Absent: the language has no comments. */
    comment?: [string, string];
}

const HASH: [string, string] = ["#", ""];
const SLASHES: [string, string] = ["//", ""];
const DASHES: [string, string] = ["--", ""];
const XML: [string, string] = ["<!--", "-->"];
const BLOCK: [string, string] = ["/*", "*/"];

const LANGUAGES: LanguageInfo[] = [
    { id: "python", name: "Python", aliases: ["py", "python3", "py3", "python2"], extensions: [".py", ".pyw", ".pyi"], comment: HASH },
    { id: "javascript", name: "JavaScript", aliases: ["js", "node", "nodejs", "jsx", "mjs", "cjs", "ecmascript"], extensions: [".js", ".mjs", ".cjs", ".jsx"], comment: SLASHES },
    { id: "typescript", name: "TypeScript", aliases: ["ts", "tsx", "mts", "cts"], extensions: [".ts", ".mts", ".cts", ".tsx"], comment: SLASHES },
    { id: "c", name: "C", aliases: ["h"], extensions: [".c", ".h"], comment: SLASHES },
    { id: "cpp", name: "C++", aliases: ["c++", "cxx", "cc", "hpp", "hxx", "cplusplus"], extensions: [".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp"], comment: SLASHES },
    { id: "csharp", name: "C#", aliases: ["c#", "cs", "c-sharp"], extensions: [".cs", ".csx"], comment: SLASHES },
    { id: "fsharp", name: "F#", aliases: ["f#", "fs"], extensions: [".fs", ".fsi", ".fsx"], comment: SLASHES },
    { id: "java", name: "Java", extensions: [".java"], comment: SLASHES },
    { id: "kotlin", name: "Kotlin", aliases: ["kt", "kts"], extensions: [".kt", ".kts"], comment: SLASHES },
    { id: "scala", name: "Scala", aliases: ["sc"], extensions: [".scala", ".sc"], comment: SLASHES },
    { id: "go", name: "Go", aliases: ["golang"], extensions: [".go"], comment: SLASHES },
    { id: "rust", name: "Rust", aliases: ["rs"], extensions: [".rs"], comment: SLASHES },
    { id: "swift", name: "Swift", extensions: [".swift"], comment: SLASHES },
    { id: "objective-c", name: "Objective-C", aliases: ["objc", "objectivec", "obj-c"], extensions: [".m", ".mm"], comment: SLASHES },
    { id: "dart", name: "Dart", extensions: [".dart"], comment: SLASHES },
    { id: "zig", name: "Zig", extensions: [".zig"], comment: SLASHES },
    { id: "php", name: "PHP", extensions: [".php"], comment: SLASHES },
    { id: "ruby", name: "Ruby", aliases: ["rb"], extensions: [".rb"], fileNames: ["gemfile", "rakefile"], comment: HASH },
    { id: "perl", name: "Perl", aliases: ["pl"], extensions: [".pl", ".pm"], comment: HASH },
    { id: "elixir", name: "Elixir", aliases: ["ex", "exs"], extensions: [".ex", ".exs"], comment: HASH },
    { id: "r", name: "R", extensions: [".r"], comment: HASH },
    { id: "julia", name: "Julia", aliases: ["jl"], extensions: [".jl"], comment: HASH },
    { id: "bash", name: "Bash", aliases: ["sh", "shell", "shellscript", "zsh"], extensions: [".sh", ".bash", ".zsh"], comment: HASH },
    { id: "powershell", name: "PowerShell", aliases: ["ps1", "pwsh", "ps"], extensions: [".ps1", ".psm1", ".psd1"], comment: HASH },
    { id: "lua", name: "Lua", extensions: [".lua"], comment: DASHES },
    { id: "haskell", name: "Haskell", aliases: ["hs"], extensions: [".hs"], comment: DASHES },
    { id: "sql", name: "SQL", aliases: ["postgresql", "postgres", "mysql", "sqlite", "plsql", "tsql"], extensions: [".sql"], comment: DASHES },
    { id: "html", name: "HTML", aliases: ["htm", "xhtml"], extensions: [".html", ".htm", ".xhtml"], comment: XML },
    { id: "xml", name: "XML", aliases: ["svg", "xsl"], extensions: [".xml", ".svg", ".xsl", ".xslt"], comment: XML },
    { id: "markdown", name: "Markdown", aliases: ["md", "mdx"], extensions: [".md", ".markdown", ".mdx"], comment: XML },
    { id: "css", name: "CSS", extensions: [".css"], comment: BLOCK },
    { id: "scss", name: "SCSS", aliases: ["sass"], extensions: [".scss", ".sass"], comment: SLASHES },
    { id: "json", name: "JSON", aliases: ["jsonc", "json5"], extensions: [".json", ".jsonc", ".json5"] },
    { id: "yaml", name: "YAML", aliases: ["yml"], extensions: [".yaml", ".yml"], comment: HASH },
    { id: "toml", name: "TOML", extensions: [".toml"], comment: HASH },
    { id: "dockerfile", name: "Dockerfile", aliases: ["docker", "containerfile"], extensions: [".dockerfile"], fileNames: ["dockerfile", "containerfile"], comment: HASH },
    { id: "makefile", name: "Makefile", aliases: ["make", "mk"], extensions: [".mk", ".mak"], fileNames: ["makefile", "gnumakefile"], comment: HASH },
];

const BY_ID = new Map<string, LanguageInfo>();
const BY_EXTENSION = new Map<string, LanguageInfo>();
const BY_FILE_NAME = new Map<string, LanguageInfo>();
for (const lang of LANGUAGES) {
    BY_ID.set(lang.id, lang);
    for (const alias of lang.aliases ?? []) BY_ID.set(alias, lang);
    for (const ext of lang.extensions ?? []) BY_EXTENSION.set(ext, lang);
    for (const name of lang.fileNames ?? []) BY_FILE_NAME.set(name, lang);
}

/**
 * The canonical id for a language id or alias: "py" → "python", "ts" → "typescript", "c++" → "cpp",
 * "c#" → "csharp", "sh" / "shell" → "bash", "golang" → "go", "rs" → "rust" ... Case and surrounding
 * space are ignored; an unknown language passes through lowercased. undefined or blank → "" (unknown:
 * fences get no tag and the model picks the language).
 */
export function normalizeLanguage(idOrAlias: string | undefined): string {
    const key = (idOrAlias ?? "").trim().toLowerCase();
    if (!key) return "";
    return BY_ID.get(key)?.id ?? key;
}

/** The language of a file, from its extension (or its name, for Dockerfile / Makefile); undefined if unknown. */
export function languageFromPath(path: string): string | undefined {
    const base = (path.split(/[\\/]/).pop() ?? "").toLowerCase();
    if (!base) return undefined;
    const byName = BY_FILE_NAME.get(base);
    if (byName) return byName.id;
    const dot = base.lastIndexOf(".");
    if (dot <= 0) return undefined; // no extension, or a dotfile such as ".bashrc"
    return BY_EXTENSION.get(base.slice(dot))?.id;
}

/** A human name for the prompt text: "Python", "C++"; an unknown id as given; "" → a neutral phrase. */
export function languageName(id: string): string {
    if (!id) return "the programming language that best fits the requirements";
    return BY_ID.get(id)?.name ?? id;
}

/** The comment delimiters of a known language ([start, end]; end "" for line comments); undefined when it has none or is unknown. */
export function commentSyntax(id: string): [string, string] | undefined {
    return BY_ID.get(id)?.comment;
}
