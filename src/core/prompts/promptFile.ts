// Prompt files (*.prompt.md): YAML front matter with the model, sampling, variables and output constraint,
// then a Markdown body with optional "## System" and "## User" sections and {{variable}} placeholders.
// The format is described in docs/prompt-files.md; the front matter's JSON schema is
// schemas/prompt-file.schema.json.
//
// Browser-safe: no Node APIs (the playground webview may bundle it). It compiles the schema with ajv on first
// use, which needs `new Function`: a webview under a strict CSP should import ./render.ts (placeholders and
// rendering only) and ask the extension to parse.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { isMap, isScalar, isSeq, parseDocument, visit, type Document, type Node, type Pair, type YAMLMap } from "yaml";
import schema from "../../../schemas/prompt-file.schema.json" with { type: "json" };
import { PromptsmithError } from "../errors.ts";
import { BUILTIN_PRESETS, resolvePreset, samplingProblem, suggestKey, type Preset } from "../presets.ts";
import { normalizeSampling, type SamplingParams } from "../sampling.ts";
import { scanTemplate } from "./render.ts";

export { variablesIn, renderPrompt, renderPromptOrThrow, scanTemplate, VARIABLE_NAME, type Rendered, type TemplatePart, type TemplateScan } from "./render.ts";

export interface PromptVariable {
    name: string;
    default?: string;
    description?: string;
    /** True when rendering fails without a value: no default and not `required: false` (and every undeclared placeholder). */
    required: boolean;
}

/** UTF-16 offsets into the file text; `end` is exclusive. */
export interface Range {
    start: number;
    end: number;
}

export interface PromptFile {
    name?: string;
    description?: string;
    /** As written in the front matter (only values ending in .gguf); resolve it relative to the file. */
    model?: string;
    /** As written in the front matter; see resolvePreset. */
    preset?: string;
    /** Only the keys the front matter's `sampling` sets (invalid values left out). Use promptSampling() for the effective values. */
    sampling: SamplingParams;
    /** Declared variables in front-matter order, then undeclared placeholders (required) in order of use. */
    variables: PromptVariable[];
    /** The system template (HTML comments removed, CRLF → LF, outer blank lines trimmed); absent without a System section. */
    system?: string;
    /** The user template, prepared like `system`. */
    user: string;
    /** output.schema */
    jsonSchema?: object;
    /** output.grammar */
    grammar?: string;
    /** The whole front matter block, both `---` lines included (through the closing line's line break). */
    frontMatter?: Range;
    /** Each section from the start of its heading line to the end of its text (the whole body when there are no headings). */
    sections: { system?: Range; user: Range };
}

export interface PromptDiagnostic {
    /** One of PROMPT_DIAGNOSTIC_CODES. */
    code: string;
    message: string;
    severity: "error" | "warning" | "info";
    start: number;
    end: number;
    /** 1-based. */
    line: number;
    /** 1-based, in UTF-16 code units. */
    column: number;
    endLine: number;
    endColumn: number;
}

/** Every diagnostic code parsePromptFile reports (docs/prompt-files.md explains each). */
export const PROMPT_DIAGNOSTIC_CODES = [
    "front-matter-unclosed", // error: "---" at the top without a closing "---" line
    "front-matter-syntax", // error: YAML syntax (the prompt is unusable)
    "front-matter-aliases", // error: YAML aliases expand past MAX_ALIAS_COUNT (the prompt is unusable)
    "front-matter-yaml-warning", // warning: YAML the parser accepts with a warning
    "front-matter-not-a-map", // error: the front matter is a list or a single value (unusable)
    "front-matter-unknown-key", // warning: a key Promptsmith does not know (ignored)
    "front-matter-foreign-key", // info: a key of GitHub Copilot's prompt files (ignored)
    "front-matter-invalid", // error: a wrong type or a value out of range (the value is ignored)
    "model-not-gguf", // warning: `model` does not name a .gguf file (ignored)
    "preset-unknown", // warning: `preset` is neither built in nor one of the user's presets
    "variable-undeclared", // warning: {{x}} used but not in `variables` (it is required)
    "variable-unused", // info: declared but no placeholder uses it
    "variable-required-default", // warning: `required: true` with a default (the default always applies)
    "placeholder-malformed", // warning: {{…}} that is not a placeholder (sent as text)
    "comment-unclosed", // warning: "<!--" without "-->" (sent as text)
    "section-duplicate", // error: a second System or User heading (its text is ignored)
    "section-stray-text", // warning: text before the first role heading (not sent)
    "prompt-empty", // warning: the user prompt is empty
] as const;

export interface ParseOptions {
    /** The user's presets (promptsmith.playground.presets), so that `preset` can name one. */
    userPresets?: readonly Preset[];
}

// ---------------------------------------------------------------------------------------------------------
// Front matter location

interface FrontMatterBlock {
    /** The block, both delimiter lines included. */
    range: Range;
    /** The YAML text between the delimiter lines. */
    yamlStart: number;
    yamlEnd: number;
    /** Whether a closing line was found. */
    closed: boolean;
}

const OPEN_LINE = /^(\uFEFF)?---[ \t]*(\r?\n|$)/;
const CLOSE_LINE = /^(?:---|\.\.\.)[ \t]*$/;

function locateFrontMatter(text: string): FrontMatterBlock | undefined {
    const open = OPEN_LINE.exec(text);
    if (!open) return undefined;
    const yamlStart = open[0].length;
    let pos = yamlStart;
    while (pos < text.length) {
        const nl = text.indexOf("\n", pos);
        const lineEnd = nl < 0 ? text.length : nl;
        const line = text.slice(pos, lineEnd).replace(/\r$/, "");
        if (CLOSE_LINE.test(line)) {
            return { range: { start: open[1] ? 1 : 0, end: nl < 0 ? text.length : nl + 1 }, yamlStart, yamlEnd: pos, closed: true };
        }
        if (nl < 0) break;
        pos = nl + 1;
    }
    return { range: { start: open[1] ? 1 : 0, end: text.length }, yamlStart, yamlEnd: text.length, closed: false };
}

// ---------------------------------------------------------------------------------------------------------
// Positions

class Positions {
    private readonly lineStarts: number[] = [0];
    constructor(private readonly text: string) {
        for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
    at(offset: number): { line: number; column: number } {
        const o = Math.max(0, Math.min(offset, this.text.length));
        let lo = 0;
        let hi = this.lineStarts.length - 1;
        while (lo < hi) {
            const mid = (lo + hi + 1) >> 1;
            if (this.lineStarts[mid]! <= o) lo = mid;
            else hi = mid - 1;
        }
        return { line: lo + 1, column: o - this.lineStarts[lo]! + 1 };
    }
}

class Diagnostics {
    readonly list: PromptDiagnostic[] = [];
    private readonly pos: Positions;
    constructor(text: string) {
        this.pos = new Positions(text);
    }
    add(code: (typeof PROMPT_DIAGNOSTIC_CODES)[number], severity: PromptDiagnostic["severity"], message: string, start: number, end: number): void {
        const a = this.pos.at(start);
        const b = this.pos.at(Math.max(start, end));
        this.list.push({ code, message, severity, start, end: Math.max(start, end), line: a.line, column: a.column, endLine: b.line, endColumn: b.column });
    }
    get hasErrors(): boolean {
        return this.list.some((d) => d.severity === "error");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Schema validation

let validator: ValidateFunction | undefined;
function validate(data: unknown): ErrorObject[] {
    validator ??= new Ajv({ allErrors: true, strict: false }).compile(schema);
    return validator(data) ? [] : [...(validator.errors ?? [])];
}

const TOP_KEYS = Object.keys(schema.properties);
const SAMPLING_KEYS = Object.keys(schema.properties.sampling.properties) as Array<keyof SamplingParams>;
const KNOWN_KEYS: Record<string, readonly string[]> = {
    "": TOP_KEYS,
    sampling: SAMPLING_KEYS,
    output: Object.keys(schema.properties.output.properties),
    variable: Object.keys(schema.definitions.variable.properties),
};
/** Keys of GitHub Copilot's / VS Code's *.prompt.md files: reported as information, not as typos. */
const COPILOT_KEYS = new Set(["mode", "agent", "tools", "argument-hint", "applyTo"]);

function decodePointer(p: string): string[] {
    return p === "" ? [] : p.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function pairIn(map: unknown, key: string): Pair<Node, Node | null> | undefined {
    if (!isMap(map)) return undefined;
    return (map as YAMLMap<Node, Node | null>).items.find((p) => isScalar(p.key) && String(p.key.value) === key);
}

/** The YAML node at a JSON path (and the pair holding it, for its key's position). */
function nodeAt(doc: Document, path: string[]): { node?: Node | null; pair?: Pair<Node, Node | null> } {
    let node: unknown = doc.contents;
    let pair: Pair<Node, Node | null> | undefined;
    for (const seg of path) {
        if (isMap(node)) {
            pair = pairIn(node, seg);
            node = pair?.value ?? null;
        } else if (isSeq(node)) {
            node = node.items[Number(seg)];
            pair = undefined;
        } else {
            return { node: undefined, pair };
        }
        if (node === undefined) return { pair };
    }
    return { node: node as Node | null, pair };
}

function describePath(path: string[]): string {
    return path.map((s, i) => (i > 0 && /^\d+$/.test(s) ? `[${s}]` : i > 0 ? `.${s}` : s)).join("") || "The front matter";
}

const TYPE_WORDS: Record<string, string> = {
    object: "a map (key: value lines or { … })",
    null: "empty",
    string: "text",
    number: "a number",
    integer: "a whole number",
    boolean: "true/false",
    array: "a list",
};

function typeWords(t: unknown): string {
    const list = (Array.isArray(t) ? t : [t]).filter((x) => x !== "null" || !Array.isArray(t)).map((x) => TYPE_WORDS[String(x)] ?? String(x));
    return list.length <= 1 ? (list[0] ?? "") : `${list.slice(0, -1).join(", ")} or ${list[list.length - 1]}`;
}

// ---------------------------------------------------------------------------------------------------------
// Body: fences, HTML comments, role headings

const ROLE_HEADING = /^ {0,3}#{1,6}[ \t]+(system|user)[ \t]*(?:#+[ \t]*)?$/i;
const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})/;

interface BodyScan {
    headings: Array<{ role: "system" | "user"; lineStart: number; lineEnd: number; textEnd: number }>;
    comments: Range[];
    unclosedComment?: number;
}

function scanBody(text: string, start: number, end: number): BodyScan {
    const headings: BodyScan["headings"] = [];
    const comments: Range[] = [];
    let fence: string | undefined;
    let commentStart: number | undefined;
    let pos = start;
    while (pos < end) {
        const nl = text.indexOf("\n", pos);
        const lineEnd = nl < 0 || nl >= end ? end : nl + 1;
        const line = text.slice(pos, lineEnd).replace(/\r?\n$/, "");
        let scanFrom = 0;
        if (commentStart !== undefined) {
            const close = line.indexOf("-->");
            if (close < 0) {
                pos = lineEnd;
                continue;
            }
            comments.push({ start: commentStart, end: pos + close + 3 });
            commentStart = undefined;
            scanFrom = close + 3;
        } else if (fence !== undefined) {
            const m = FENCE_OPEN.exec(line);
            if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length && line.slice(m[0].length).trim() === "") fence = undefined;
            pos = lineEnd;
            continue;
        } else {
            const f = FENCE_OPEN.exec(line);
            if (f) {
                fence = f[1]!;
                pos = lineEnd;
                continue;
            }
            const h = ROLE_HEADING.exec(line);
            if (h) {
                headings.push({ role: h[1]!.toLowerCase() as "system" | "user", lineStart: pos, lineEnd, textEnd: pos + line.length });
                pos = lineEnd;
                continue;
            }
        }
        // HTML comments on the rest of the line (possibly opening one that spans lines).
        let i = scanFrom;
        while (i < line.length) {
            const open = line.indexOf("<!--", i);
            if (open < 0) break;
            const close = line.indexOf("-->", open + 4);
            if (close < 0) {
                commentStart = pos + open;
                break;
            }
            comments.push({ start: pos + open, end: pos + close + 3 });
            i = close + 3;
        }
        pos = lineEnd;
    }
    return { headings, comments, ...(commentStart !== undefined ? { unclosedComment: commentStart } : {}) };
}

/**
 * A section's template: HTML comments removed (a line holding nothing but comments disappears with its line
 * break), CRLF → LF, leading blank lines and trailing whitespace trimmed.
 */
function sectionTemplate(text: string, start: number, end: number, comments: readonly Range[]): string {
    let out = "";
    let pos = start;
    for (const c of comments) {
        if (c.end <= start || c.start >= end) continue;
        let cs = Math.max(c.start, start);
        let ce = Math.min(c.end, end);
        // Whole-line comment(s): take the line break too.
        const lineStart = text.lastIndexOf("\n", cs - 1) + 1;
        const after = text.slice(ce, end);
        const lineRest = /^[ \t]*\r?\n/.exec(after);
        if (lineStart >= pos && text.slice(lineStart, cs).trim() === "" && (lineRest || ce === end)) {
            cs = lineStart;
            ce = lineRest ? ce + lineRest[0].length : ce;
        }
        out += text.slice(pos, cs);
        pos = ce;
    }
    out += text.slice(pos, end);
    return out.replace(/\r\n/g, "\n").replace(/^(?:[ \t]*\n)+/, "").trimEnd();
}

/** The section's text with comments replaced by spaces, so that offsets still match the file. */
function maskComments(text: string, start: number, end: number, comments: readonly Range[]): string {
    let s = text.slice(start, end);
    for (const c of comments) {
        if (c.end <= start || c.start >= end) continue;
        const a = Math.max(c.start, start) - start;
        const b = Math.min(c.end, end) - start;
        s = s.slice(0, a) + s.slice(a, b).replace(/[^\n]/g, " ") + s.slice(b);
    }
    return s;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

/**
 * Parses a prompt file. `prompt` is undefined only when the file cannot be used at all (an unclosed front
 * matter, a YAML syntax error, front matter that is not a map); otherwise invalid values are reported and
 * left out, and the prompt is returned. Placeholders used but not declared are warnings (they become
 * required variables); declared variables no placeholder uses are information.
 */
/**
 * How far YAML aliases may expand (yaml's guard against "billion laughs": uses × the aliased node's size).
 * A front matter where a hundred-odd variables share one `&d` default stays well inside it.
 */
const MAX_ALIAS_COUNT = 2000;

export function parsePromptFile(text: string, file?: string, options: ParseOptions = {}): { prompt?: PromptFile; diagnostics: PromptDiagnostic[] } {
    void file; // Offsets and positions are into `text`; the name is for callers' messages.
    const diags = new Diagnostics(text);
    const fm = locateFrontMatter(text);
    let data: Record<string, unknown> = {};
    let doc: Document | undefined;
    let bodyStart = text.charCodeAt(0) === 0xfeff ? 1 : 0;

    if (fm) {
        bodyStart = fm.range.end;
        if (!fm.closed) {
            diags.add("front-matter-unclosed", "error", "The front matter starts with --- but has no closing --- line.", fm.range.start, fm.yamlStart);
            return { diagnostics: diags.list };
        }
        const yamlText = text.slice(fm.yamlStart, fm.yamlEnd);
        doc = parseDocument(yamlText, { prettyErrors: false, uniqueKeys: true });
        for (const e of doc.errors) {
            diags.add("front-matter-syntax", "error", `YAML: ${e.message}`, fm.yamlStart + e.pos[0], fm.yamlStart + Math.max(e.pos[1], e.pos[0] + 1));
        }
        for (const w of doc.warnings) {
            diags.add("front-matter-yaml-warning", "warning", `YAML: ${w.message}`, fm.yamlStart + w.pos[0], fm.yamlStart + Math.max(w.pos[1], w.pos[0] + 1));
        }
        if (doc.errors.length) return { diagnostics: diags.list };
        const contents = doc.contents;
        if (contents !== null && !isMap(contents) && !(isScalar(contents) && contents.value === null)) {
            const r = (contents as Node).range ?? [0, yamlText.length];
            diags.add("front-matter-not-a-map", "error", "The front matter must be key: value lines (name, model, preset, sampling, variables, output).", fm.yamlStart + r[0], fm.yamlStart + r[1]);
            return { diagnostics: diags.list };
        }
        let js: unknown;
        try {
            js = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
        } catch (e) {
            // yaml refuses to expand aliases past the limit (a "billion laughs" guard): say where, not crash.
            let at: [number, number] = [0, yamlText.length];
            let count = 0;
            visit(doc, {
                Alias(_key, node) {
                    if (count++ === 0 && node.range) at = [node.range[0], node.range[1]];
                },
            });
            const why = e instanceof Error ? e.message : String(e);
            diags.add(
                "front-matter-aliases",
                "error",
                `The front matter's YAML aliases (*name, ${count} of them) expand to too much (${why}); write the values out instead of using anchors and aliases.`,
                fm.yamlStart + at[0],
                fm.yamlStart + Math.max(at[1], at[0] + 1),
            );
            return { diagnostics: diags.list };
        }
        data = js && typeof js === "object" ? (js as Record<string, unknown>) : {};
    }

    const invalid = new Set<string>(); // JSON paths whose value is left out
    if (doc && fm) checkFrontMatter(doc, data, fm.yamlStart, diags, invalid);
    const ok = (...path: string[]): boolean => !invalid.has(path.join("/"));
    const spanOf = (path: string[], key = false): Range => {
        if (!doc || !fm) return { start: 0, end: 0 };
        const { node, pair } = nodeAt(doc, path);
        const r = (key ? pair?.key?.range : node?.range ?? pair?.key?.range) ?? pair?.key?.range ?? [0, 0];
        return { start: fm.yamlStart + r[0], end: fm.yamlStart + r[1] };
    };

    // Top-level values.
    const str = (k: string): string | undefined => (typeof data[k] === "string" && ok(k) ? (data[k] as string) : undefined);
    const name = str("name");
    const description = str("description");
    let model = str("model");
    if (model !== undefined && !/\.gguf$/i.test(model.trim())) {
        const r = spanOf(["model"]);
        diags.add("model-not-gguf", "warning", `model "${model}" is not a .gguf file; Promptsmith ignores it and runs the selected model (a Copilot model name, perhaps?).`, r.start, r.end);
        model = undefined;
    }
    const preset = str("preset");
    if (preset !== undefined && !resolvePreset(preset, options.userPresets ?? [])) {
        const r = spanOf(["preset"]);
        const names = [...BUILTIN_PRESETS.map((p) => p.id), ...(options.userPresets ?? []).map((p) => p.name)];
        diags.add("preset-unknown", "warning", `Unknown preset "${preset}": use ${names.join(", ")}, or define it in the promptsmith.playground.presets setting.`, r.start, r.end);
    }

    // Sampling.
    const sampling: SamplingParams = {};
    const record = (k: string): Record<string, unknown> => {
        const v = data[k];
        return v && typeof v === "object" && !Array.isArray(v) && ok(k) ? (v as Record<string, unknown>) : {};
    };
    const rawSampling = record("sampling");
    for (const k of SAMPLING_KEYS) {
        const v = rawSampling[k];
        if (v === undefined || !ok("sampling", k)) continue;
        (sampling as Record<string, unknown>)[k] = k === "stop" && typeof v === "string" ? [v] : v;
    }
    const output = record("output");
    const jsonSchema = output.schema !== undefined && ok("output", "schema") ? (output.schema as object) : undefined;
    const grammar = typeof output.grammar === "string" && ok("output", "grammar") ? output.grammar : undefined;
    // The schema mirrors normalizeSampling; this catches anything it cannot express.
    try {
        normalizeSampling({ ...sampling, jsonSchema, grammar });
    } catch (e) {
        const r = spanOf(["sampling"]);
        diags.add("front-matter-invalid", "error", (e as Error).message, r.start, r.end);
    }

    // Variables.
    const declared: PromptVariable[] = [];
    const rawVars = record("variables");
    for (const [vname, v] of Object.entries(rawVars)) {
        if (!ok("variables", vname)) continue;
        const scalar = (x: unknown): string | undefined => (typeof x === "string" || typeof x === "number" || typeof x === "boolean" ? String(x) : undefined);
        if (v === null || v === undefined) {
            declared.push({ name: vname, required: true });
        } else if (typeof v === "object") {
            const o = v as Record<string, unknown>;
            const def = ok("variables", vname, "default") ? scalar(o.default) : undefined;
            const desc = typeof o.description === "string" ? o.description : undefined;
            const req = typeof o.required === "boolean" ? o.required : def === undefined;
            if (o.required === true && def !== undefined) {
                const r = spanOf(["variables", vname, "required"]);
                diags.add("variable-required-default", "warning", `Variable "${vname}" has a default, so it always has a value: required: true has no effect. Remove the default or the required.`, r.start, r.end);
            }
            declared.push({ name: vname, ...(def !== undefined ? { default: def } : {}), ...(desc !== undefined ? { description: desc } : {}), required: def === undefined ? req : false });
        } else {
            declared.push({ name: vname, default: scalar(v)!, required: false });
        }
    }

    // Body.
    const scan = scanBody(text, bodyStart, text.length);
    if (scan.unclosedComment !== undefined) {
        diags.add("comment-unclosed", "warning", "This <!-- comment has no closing -->, so it is sent to the model as text.", scan.unclosedComment, scan.unclosedComment + 4);
    }
    const sections: { system?: Range; user?: Range } = {};
    const content: { system?: Range; user?: Range } = {};
    if (scan.headings.length === 0) {
        sections.user = { start: bodyStart, end: text.length };
        content.user = sections.user;
    } else {
        const first = scan.headings[0]!;
        const stray = sectionTemplate(text, bodyStart, first.lineStart, scan.comments);
        if (stray.trim() !== "") {
            const masked = maskComments(text, bodyStart, first.lineStart, scan.comments);
            const s = bodyStart + masked.search(/\S/);
            const e = bodyStart + masked.trimEnd().length;
            diags.add("section-stray-text", "warning", "Text before the first ## System / ## User heading is not sent to the model. Move it under a heading, into the front matter's description, or into an <!-- comment -->.", s, e);
        }
        scan.headings.forEach((h, i) => {
            const end = scan.headings[i + 1]?.lineStart ?? text.length;
            if (sections[h.role]) {
                diags.add("section-duplicate", "error", `A second ${h.role === "system" ? "System" : "User"} section; only the first is used. Merge the two.`, h.lineStart, h.textEnd);
                return;
            }
            sections[h.role] = { start: h.lineStart, end };
            content[h.role] = { start: h.lineEnd, end };
        });
        if (!sections.user) {
            sections.user = { start: text.length, end: text.length };
            content.user = sections.user;
        }
    }
    const system = content.system ? sectionTemplate(text, content.system.start, content.system.end, scan.comments) : undefined;
    const user = sectionTemplate(text, content.user!.start, content.user!.end, scan.comments);
    if (user.trim() === "") {
        const h = scan.headings.find((x) => x.role === "user");
        const r = h ? { start: h.lineStart, end: h.textEnd } : { start: bodyStart, end: Math.max(bodyStart, text.length) };
        diags.add("prompt-empty", "warning", scan.headings.length ? "The User section is empty: the model gets no question. Write the request under ## User." : "The prompt is empty: write the request below the front matter.", r.start, r.end);
    }

    // Placeholders, with their positions in the file.
    const used: string[] = [];
    const undeclared: PromptVariable[] = [];
    const declaredNames = new Set(declared.map((v) => v.name));
    for (const role of ["system", "user"] as const) {
        const c = content[role];
        if (!c) continue;
        const scanT = scanTemplate(maskComments(text, c.start, c.end, scan.comments));
        for (const m of scanT.malformed) {
            diags.add("placeholder-malformed", "warning", `${m.text} is not a placeholder and is sent as written: a variable is {{name}} (letters, digits, _ and -). Write \\{{ for literal braces.`, c.start + m.start, c.start + m.end);
        }
        for (const p of scanT.parts) {
            if (p.kind !== "variable") continue;
            if (!used.includes(p.name)) used.push(p.name);
            if (!declaredNames.has(p.name)) {
                diags.add("variable-undeclared", "warning", `{{${p.name}}} is not declared under variables; it is required when the prompt runs. Declare it (with a default or a description) in the front matter.`, c.start + p.start, c.start + p.end);
                if (!undeclared.some((u) => u.name === p.name)) undeclared.push({ name: p.name, required: true });
            }
        }
    }
    for (const v of declared) {
        if (!used.includes(v.name)) {
            const r = spanOf(["variables", v.name], true);
            diags.add("variable-unused", "info", `Variable "${v.name}" is declared but no {{${v.name}}} uses it.`, r.start, r.end);
        }
    }

    const prompt: PromptFile = {
        ...(name !== undefined ? { name } : {}),
        ...(description !== undefined ? { description } : {}),
        ...(model !== undefined ? { model: model.trim() } : {}),
        ...(preset !== undefined ? { preset } : {}),
        sampling,
        variables: [...declared, ...undeclared],
        ...(system !== undefined ? { system } : {}),
        user,
        ...(jsonSchema !== undefined ? { jsonSchema } : {}),
        ...(grammar !== undefined ? { grammar } : {}),
        ...(fm ? { frontMatter: fm.range } : {}),
        sections: { ...(sections.system ? { system: sections.system } : {}), user: sections.user! },
    };
    diags.list.sort((a, b) => a.start - b.start || a.end - b.end);
    return { prompt, diagnostics: diags.list };
}

/** Reports schema violations with positions; marks the JSON paths whose values must be left out. */
function checkFrontMatter(doc: Document, data: unknown, base: number, diags: Diagnostics, invalid: Set<string>): void {
    const errors = validate(data === undefined ? null : data);
    const seen = new Set<string>();
    // Deepest first, so that a value's own error wins over its parent's.
    errors.sort((a, b) => b.instancePath.length - a.instancePath.length);
    for (const e of errors) {
        const path = decodePointer(e.instancePath);
        if (e.keyword === "additionalProperties") {
            const key = String((e.params as { additionalProperty: string }).additionalProperty);
            const { pair } = nodeAt(doc, [...path, key]);
            const r = pair?.key?.range ?? [0, 0];
            const where = path.length === 0 ? "" : path[0] === "variables" ? ` in variable "${path[1]}"` : ` in ${describePath(path)}`;
            const known = path.length === 0 ? KNOWN_KEYS[""]! : path[0] === "variables" ? KNOWN_KEYS.variable! : KNOWN_KEYS[path[0]!] ?? [];
            if (path.length === 0 && COPILOT_KEYS.has(key)) {
                diags.add("front-matter-foreign-key", "info", `"${key}" belongs to GitHub Copilot prompt files; Promptsmith ignores it.`, base + r[0], base + r[1]);
            } else {
                const hint = suggestKey(key, known);
                diags.add("front-matter-unknown-key", "warning", `Unknown key "${key}"${where}${hint ? ` (did you mean "${hint}"?)` : ""}; it is ignored. Known keys: ${known.join(", ")}.`, base + r[0], base + r[1]);
            }
            continue;
        }
        if (e.propertyName !== undefined || e.keyword === "propertyNames") {
            // A variable name that is not a valid name (ajv reports the pattern and the propertyNames wrapper).
            const bad = e.propertyName ?? String((e.params as { propertyName: string }).propertyName);
            const id = [...path, bad].join("/");
            if (seen.has(id)) continue;
            seen.add(id);
            invalid.add(id);
            const r = nodeAt(doc, [...path, bad]).pair?.key?.range ?? [0, 0];
            diags.add("front-matter-invalid", "error", `"${bad}" is not a valid variable name: use letters, digits, _ and -, starting with a letter or _.`, base + r[0], base + r[1]);
            continue;
        }
        const id = path.join("/");
        if (seen.has(id) || [...seen].some((s) => id.startsWith(`${s}/`))) continue;
        seen.add(id);
        invalid.add(id);
        const { node, pair } = nodeAt(doc, path);
        const r = node?.range && node.range[0] !== node.range[1] ? node.range : pair?.key?.range ?? node?.range ?? [0, 0];
        const label = describePath(path);
        const value = path.reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), data);
        let message: string;
        if (path[0] === "sampling" && path.length >= 2 && (SAMPLING_KEYS as string[]).includes(path[1]!)) {
            const key = path[1] as keyof SamplingParams;
            const raw = (data as { sampling: Record<string, unknown> }).sampling[key];
            message = samplingProblem(key, key === "stop" && typeof raw === "string" ? [raw] : raw) ?? `${label} ${e.message ?? "is not valid"}.`;
            if (path.length > 2) invalid.add(`sampling/${key}`);
        } else if (e.keyword === "type") {
            message = `${label} must be ${typeWords(e.params.type)}, not ${JSON.stringify(value)}.`;
        } else if (e.keyword === "minLength" || e.keyword === "pattern") {
            message = `${label} must not be empty.`;
        } else if (e.keyword === "not" && path[0] === "output") {
            message = "output has both a schema and a grammar; keep one of them.";
        } else {
            message = `${label} ${e.message ?? "is not valid"}.`;
        }
        diags.add("front-matter-invalid", "error", message, base + r[0], base + r[1]);
    }
}

// ---------------------------------------------------------------------------------------------------------
// Effective sampling

export interface PromptSamplingOptions {
    /** The user's presets, for a `preset` that names one. */
    userPresets?: readonly Preset[];
    /** A preset chosen at run time (the playground's picker, `--preset`): overrides the file's sampling. */
    preset?: string;
    /** Values changed at run time (playground controls, CLI flags): override everything. */
    overrides?: SamplingParams;
    /** For error messages. */
    file?: string;
    /** How to name `preset` in an error (default: "the preset chosen for this run"; the CLI says "--preset"). */
    presetLabel?: string;
}

/**
 * The sampling a run uses, lowest precedence first: the runner's defaults (filled in by normalizeSampling
 * later) < the file's preset < the file's `sampling` and `output` < a preset chosen at run time < run-time
 * overrides. A jsonSchema override replaces the file's grammar and vice versa. Throws INVALID_ARGUMENT for
 * a preset that does not exist.
 */
export function promptSampling(prompt: PromptFile, options: PromptSamplingOptions = {}): SamplingParams {
    const user = options.userPresets ?? [];
    const find = (name: string, where: string): SamplingParams => {
        const p = resolvePreset(name, user);
        if (!p) {
            throw new PromptsmithError({
                code: "INVALID_ARGUMENT",
                message: `Unknown preset "${name}" (${where}).`,
                ...(options.file ? { file: options.file } : {}),
                fix: `Use one of ${[...BUILTIN_PRESETS.map((x) => x.id), ...user.map((x) => x.name)].join(", ")}, or write the values into the file's sampling block.`,
            });
        }
        return p.sampling;
    };
    const layers: SamplingParams[] = [
        prompt.preset ? find(prompt.preset, "the file's preset") : {},
        { ...prompt.sampling, ...(prompt.jsonSchema ? { jsonSchema: prompt.jsonSchema } : {}), ...(prompt.grammar ? { grammar: prompt.grammar } : {}) },
        options.preset ? find(options.preset, options.presetLabel ?? "the preset chosen for this run") : {},
        options.overrides ?? {},
    ];
    const out: SamplingParams = {};
    for (const layer of layers) {
        for (const [k, v] of Object.entries(layer)) {
            if (v === undefined) continue;
            if (k === "jsonSchema") delete out.grammar;
            if (k === "grammar") delete out.jsonSchema;
            (out as Record<string, unknown>)[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// Saving settings back into the front matter

type SamplingPatch = Partial<Record<keyof SamplingParams, unknown>>;

/**
 * Save settings back into the front matter: a minimal text edit that keeps comments, key order and
 * formatting elsewhere; creates the front matter if there is none. `sampling` keys given replace those
 * present; keys set to undefined are removed (jsonSchema and grammar live under `output`; setting one
 * removes the other). `model`/`preset`: a string sets, null removes, undefined leaves alone.
 * Returns one replacement of [start, end) of `text` by `newText` (empty when nothing changes).
 * Throws PROMPT_FILE_INVALID when the existing front matter is not valid YAML.
 */
export function updateFrontMatter(text: string, patch: { sampling?: SamplingPatch; model?: string | null; preset?: string | null }): { start: number; end: number; newText: string } {
    const ops: Array<{ path: string[]; value: unknown }> = [];
    if (patch.model !== undefined) ops.push({ path: ["model"], value: patch.model ?? undefined });
    if (patch.preset !== undefined) ops.push({ path: ["preset"], value: patch.preset ?? undefined });
    for (const [k, v] of Object.entries(patch.sampling ?? {})) {
        if (k === "jsonSchema" || k === "grammar") {
            const other = k === "jsonSchema" ? "grammar" : "schema";
            if (v !== undefined) ops.push({ path: ["output", other], value: undefined });
            ops.push({ path: ["output", k === "jsonSchema" ? "schema" : "grammar"], value: v });
        } else {
            ops.push({ path: ["sampling", k], value: v });
        }
    }
    let next = text;
    for (const op of ops) next = applyOp(next, op.path, op.value);
    let start = 0;
    while (start < text.length && start < next.length && text[start] === next[start]) start++;
    let endOld = text.length;
    let endNew = next.length;
    while (endOld > start && endNew > start && text[endOld - 1] === next[endNew - 1]) {
        endOld--;
        endNew--;
    }
    return { start, end: endOld, newText: next.slice(start, endNew) };
}

function eolOf(text: string): string {
    return /\r\n/.test(text) ? "\r\n" : "\n";
}

const PLAIN_SAFE = /^[A-Za-z_/~.][A-Za-z0-9_ ./~+@()-]*$/;
// YAML 1.2 core schema reads these plain as booleans, null, or the floats .inf/.nan (any case, signed).
const PLAIN_AMBIGUOUS = /^(?:true|false|yes|no|on|off|null|~|y|n|[-+]?\.(?:inf|nan))$/i;

/** A value as YAML flow text (JSON-compatible for anything but plain-safe strings). */
function formatValue(v: unknown): string {
    if (typeof v === "number") {
        if (!Number.isFinite(v)) throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: `Cannot save ${v} in the front matter.`, fix: "Use a finite number." });
        return String(v);
    }
    if (typeof v === "boolean") return String(v);
    if (typeof v === "string") return PLAIN_SAFE.test(v) && !/\s$/.test(v) && !PLAIN_AMBIGUOUS.test(v) && !/^[.+-]?\d/.test(v) ? v : JSON.stringify(v);
    if (v === null) return "null";
    if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
    if (typeof v === "object") {
        const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
        return entries.length ? `{ ${entries.map(([k, x]) => `${formatValue(k)}: ${formatValue(x)}`).join(", ")} }` : "{}";
    }
    throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: `Cannot save a ${typeof v} in the front matter.`, fix: "Pass numbers, text, lists or objects." });
}

function lineStartOf(text: string, pos: number): number {
    return text.lastIndexOf("\n", pos - 1) + 1;
}

function lineEndAfter(text: string, pos: number): number {
    const nl = text.indexOf("\n", pos);
    return nl < 0 ? text.length : nl + 1;
}

function splice(text: string, start: number, end: number, insert: string): string {
    return text.slice(0, start) + insert + text.slice(end);
}

/** Sets (value !== undefined) or removes the value at `path` (two levels at most) with a text edit. */
function applyOp(text: string, path: string[], value: unknown): string {
    const eol = eolOf(text);
    const fm = locateFrontMatter(text);
    if (!fm) {
        if (value === undefined) return text;
        const at = text.charCodeAt(0) === 0xfeff ? 1 : 0;
        return splice(text, at, at, `---${eol}${blockLines(path, value, "", eol)}---${eol}`);
    }
    if (!fm.closed) throw invalidForSave("its front matter has no closing --- line");
    const yaml = text.slice(fm.yamlStart, fm.yamlEnd);
    const doc = parseDocument(yaml, { prettyErrors: false, uniqueKeys: true });
    if (doc.errors.length) throw invalidForSave(`its front matter is not valid YAML (${doc.errors[0]!.message})`);
    const base = fm.yamlStart;
    const root = doc.contents;
    if (root !== null && !isMap(root) && !(isScalar(root) && root.value === null)) throw invalidForSave("its front matter is not a map of keys");

    // Walk down as far as the path exists.
    const chain: Array<{ map: YAMLMap<Node, Node | null>; pair: Pair<Node, Node | null> }> = [];
    let map: YAMLMap<Node, Node | null> | undefined = isMap(root) ? (root as YAMLMap<Node, Node | null>) : undefined;
    while (map && chain.length < path.length) {
        const pair = pairIn(map, path[chain.length]!);
        if (!pair) break;
        chain.push({ map, pair });
        map = isMap(pair.value) ? (pair.value as YAMLMap<Node, Node | null>) : undefined;
    }

    if (value === undefined) {
        if (chain.length < path.length) return text; // nothing to remove
        // Remove the innermost pair, or its parent when it is the only entry left.
        let i = chain.length - 1;
        while (i > 0 && chain[i]!.map.items.length === 1) i--;
        return removePair(text, base, chain[i]!.map, chain[i]!.pair);
    }
    if (chain.length === path.length) return replaceValue(text, base, chain[chain.length - 1]!.pair, formatValue(value));
    const rest = path.slice(chain.length);
    const parent = chain[chain.length - 1]?.pair;
    if (parent && !isMap(parent.value)) {
        // The parent key exists but is empty or not a map: give it a map holding the rest.
        return replaceValue(text, base, parent, formatValue(rest.reduceRight<unknown>((acc, k) => ({ [k]: acc }), value)));
    }
    const target = parent ? (parent.value as YAMLMap<Node, Node | null>) : isMap(root) ? (root as YAMLMap<Node, Node | null>) : undefined;
    return addPair(text, base, fm.yamlEnd, target, rest, value, eol);
}

function invalidForSave(why: string): PromptsmithError {
    return new PromptsmithError({ code: "PROMPT_FILE_INVALID", message: `Cannot save the settings into the prompt file: ${why}.`, fix: "Fix the front matter (the Problems panel shows where), then save again." });
}

/** `key: value` lines for a new block entry (a nested path becomes an indented block). */
function blockLines(path: string[], value: unknown, indent: string, eol: string): string {
    if (path.length === 1) return `${indent}${formatValue(path[0])}: ${formatValue(value)}${eol}`;
    return `${indent}${formatValue(path[0])}:${eol}${blockLines(path.slice(1), value, `${indent}  `, eol)}`;
}

function replaceValue(text: string, base: number, pair: Pair<Node, Node | null>, formatted: string): string {
    const v = pair.value;
    const keyEnd = base + pair.key!.range![1];
    if (!v || !v.range || v.range[0] === v.range[1]) {
        // `key:` with nothing after it: put the value after the colon.
        const colon = text.indexOf(":", keyEnd);
        return splice(text, colon + 1, colon + 1, ` ${formatted}`);
    }
    let s = base + v.range[0];
    let e = base + v.range[1];
    // Block scalars and block collections end after their line break: keep it. Keep an anchor/tag prefix out of it too.
    while (e > s && (text[e - 1] === "\n" || text[e - 1] === "\r")) e--;
    if (!isScalar(v) || (v.type !== "PLAIN" && v.type !== "QUOTE_DOUBLE" && v.type !== "QUOTE_SINGLE")) {
        // A block scalar or a block map/list under the key: the new flow value goes right after the colon.
        if (!(isMap(v) || isSeq(v)) || !(v as { flow?: boolean }).flow) {
            const colon = text.indexOf(":", keyEnd);
            s = colon + 1;
            return splice(text, s, e, ` ${formatted}`);
        }
    }
    return splice(text, s, e, formatted);
}

function removePair(text: string, base: number, map: YAMLMap<Node, Node | null>, pair: Pair<Node, Node | null>): string {
    const keyStart = base + pair.key!.range![0];
    const valueEnd = base + (pair.value?.range?.[1] ?? pair.key!.range![1]);
    if (map.flow) {
        const idx = map.items.indexOf(pair);
        if (map.items.length === 1) {
            const r = map.range!;
            return splice(text, base + r[0], base + r[1], "{}");
        }
        const after = text.slice(valueEnd);
        if (idx < map.items.length - 1) {
            const next = base + map.items[idx + 1]!.key!.range![0];
            return splice(text, keyStart, next, "");
        }
        const prev = map.items[idx - 1]!;
        const prevEnd = base + (prev.value?.range?.[1] ?? prev.key!.range![1]);
        void after;
        return splice(text, prevEnd, valueEnd, "");
    }
    // Block map: the pair's whole lines, from its key's line to the line where its value ends.
    const start = lineStartOf(text, keyStart);
    let last = Math.max(base + pair.key!.range![1], valueEnd - 1);
    while (last > keyStart && (text[last] === "\n" || text[last] === "\r")) last--;
    return splice(text, start, lineEndAfter(text, last), "");
}

function addPair(text: string, base: number, yamlEnd: number, map: YAMLMap<Node, Node | null> | undefined, path: string[], value: unknown, eol: string): string {
    if (!map || map.items.length === 0) {
        if (map?.flow) {
            const r = map.range!;
            const nested = path.slice(1).reduceRight<unknown>((acc, k) => ({ [k]: acc }), value);
            return splice(text, base + r[0], base + r[1], `{ ${formatValue(path[0])}: ${formatValue(nested)} }`);
        }
        // An empty front matter: append the entry before the closing line.
        return splice(text, yamlEnd, yamlEnd, blockLines(path, value, "", eol));
    }
    const last = map.items[map.items.length - 1]!;
    const lastEnd = base + (last.value?.range?.[1] ?? last.key!.range![1]);
    if (map.flow) {
        const nested = path.slice(1).reduceRight<unknown>((acc, k) => ({ [k]: acc }), value);
        return splice(text, lastEnd, lastEnd, `, ${formatValue(path[0])}: ${formatValue(nested)}`);
    }
    const firstKey = base + map.items[0]!.key!.range![0];
    const indent = text.slice(lineStartOf(text, firstKey), firstKey);
    let lastPos = Math.max(base + last.key!.range![1], lastEnd - 1);
    while (lastPos > base && (text[lastPos] === "\n" || text[lastPos] === "\r")) lastPos--;
    const at = lineEndAfter(text, lastPos);
    const prefix = at > 0 && text[at - 1] !== "\n" ? eol : "";
    return splice(text, at, at, prefix + blockLines(path, value, /^[ \t]*$/.test(indent) ? indent : "", eol));
}
