// .promptsmithrc.json: loading, validation (against the shipped JSON schema, then the checks a schema
// cannot express), `extends` (presets and other files), Restricted Mode, and severity resolution.
//
// Severity of a rule, strongest first (resolveSeverity):
//   1. an exact rule id set by a config file or a preset (a later layer overrides an earlier one; a
//      file's own settings come after everything it extends; a custom rule's "severity" counts as
//      its file setting it);
//   2. a preset's rule-id pattern (e.g. promptsmith:pipl's "pii*email*");
//   3. a preset's category level (e.g. promptsmith:strict's "everything error");
//   4. the rule's own defaultSeverity (= promptsmith:recommended).
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import schema from "../../../schemas/promptsmithrc.schema.json" with { type: "json" };
import { PromptsmithError } from "../errors.ts";
import { isPresetName, matchesRulePattern, PRESET_NAMES, PRESETS, UNUSED_SUPPRESSION_RULE_ID, type PresetName, type RuleSetting } from "./presets.ts";
import { checkPatternSafety, customRuleId, type CustomRule } from "./rules/policy.ts";
import { CATEGORIES, type Category, type Severity } from "./types.ts";

export type { CustomRule } from "./rules/policy.ts";
export type { RuleSetting } from "./presets.ts";

export const CONFIG_FILE_NAME = ".promptsmithrc.json";
export const DEFAULT_FILES: readonly string[] = ["**/*.prompt.md", "**/*.prompt", "**/*.prompty"];
export const DEFAULT_IGNORE: readonly string[] = ["**/node_modules/**", "**/.git/**"];
const SEVERITIES: readonly Severity[] = ["off", "info", "warning", "error"];

/** A text that is never reported: exact text or a regex tested against the matched text; for one rule id (or category) or all. */
export type AllowEntry =
    | { text: string; pattern?: undefined; flags?: undefined; rule?: string }
    | { pattern: string; flags?: string; text?: undefined; rule?: string };

export interface LexiconRef {
    /** Absolute path. */
    path: string;
    /** A label for the terms (e.g. "brand"); terms are reported under the sensitive category. */
    category?: string;
    severity?: Severity;
}

/** A custom rule with the config file that defined it. */
export type SourcedCustomRule = CustomRule & { source?: string };

export interface LintConfig {
    /** Globs of the files to lint, relative to `root`. */
    files: string[];
    /** Globs never to lint, relative to `root`. */
    ignore: string[];
    /** Exact rule settings from presets and config files (custom rules as custom/<id>). */
    rules: Record<string, RuleSetting>;
    /** Preset category levels. */
    categories: Partial<Record<Category, Severity>>;
    /** Preset rule-id patterns (`*` globs), later entries stronger. */
    rulePatterns: Array<{ pattern: string; severity: Severity }>;
    lexicons: LexiconRef[];
    customRules: SourcedCustomRule[];
    allowlist: AllowEntry[];
    /** Config files that contributed, absolute, in the order they were applied. */
    sources: string[];
    /** Presets that contributed, in the order they were applied. */
    presets: PresetName[];
    /** What Restricted Mode (trusted: false) left out, one message each; empty when trusted. */
    restricted: string[];
    /** Folder of the loaded config file (the globs are relative to it); undefined for the default config. */
    root?: string;
}

/** A CONFIG_INVALID error with where in the file it is. */
export class LintConfigError extends PromptsmithError {
    /** JSON path of the offending key, e.g. rules.pii-emial or customRules[0].pattern. */
    readonly jsonPath?: string;
    /** 1-based, for JSON syntax errors. */
    readonly line?: number;
    readonly column?: number;

    constructor(info: { file: string; jsonPath?: string; message: string; fix: string; line?: number; column?: number }) {
        super({ code: "CONFIG_INVALID", file: info.file, message: info.message, fix: info.fix, ...(info.jsonPath ? { detail: `at ${info.jsonPath}` } : {}) });
        this.name = "LintConfigError";
        this.jsonPath = info.jsonPath;
        this.line = info.line;
        this.column = info.column;
    }
}

export interface LoadLintConfigOptions {
    /** Ids of the rules that exist (unknown ids in the config are errors). Omitted: rule ids are not checked. */
    knownRuleIds?: Iterable<string>;
    /** false in VS Code Restricted Mode: custom rules (regex), allowlist patterns and lexicon files are not used. */
    trusted?: boolean;
    /** JSON schemas of rule options by rule id, checked in addition to the shipped schema. */
    ruleOptionSchemas?: Record<string, object>;
}

// --- helpers -------------------------------------------------------------------------------------

function emptyConfig(): LintConfig {
    return {
        files: [...DEFAULT_FILES],
        ignore: [...DEFAULT_IGNORE],
        rules: {},
        categories: {},
        rulePatterns: [],
        lexicons: [],
        customRules: [],
        allowlist: [],
        sources: [],
        presets: [],
        restricted: [],
    };
}

/** JSON path for messages: rules.pii-email, customRules[0].pattern, rules["a.b"]. */
export function formatJsonPath(segments: ReadonlyArray<string | number>): string {
    let out = "";
    for (const s of segments) {
        if (typeof s === "number") out += `[${s}]`;
        else if (/^[^.[\]"\s]+$/.test(s)) out += out ? `.${s}` : s;
        else out += `[${JSON.stringify(s)}]`;
    }
    return out || "(top level)";
}

function levenshtein(a: string, b: string): number {
    const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        let diag = prev[0]!;
        prev[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = prev[j]!;
            prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
            diag = tmp;
        }
    }
    return prev[b.length]!;
}

/** The closest candidate, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
    let best: string | undefined;
    let bestD = Infinity;
    const w = word.toLowerCase();
    const list = [...candidates];
    // An abbreviation ("warn", "o200k") names the candidate it starts.
    const prefixed = w.length >= 3 ? list.filter((c) => c.toLowerCase().startsWith(w)) : [];
    if (prefixed.length === 1) return prefixed[0];
    for (const c of list) {
        const d = levenshtein(w, c.toLowerCase());
        if (d < bestD) {
            bestD = d;
            best = c;
        }
    }
    if (best === undefined) return undefined;
    return bestD <= Math.max(2, Math.floor(Math.max(word.length, best.length) / 3)) ? best : undefined;
}

const didYouMean = (s: string | undefined) => (s ? `; did you mean ${s}?` : "");

function lineColumn(text: string, offset: number): { line: number; column: number } {
    const before = text.slice(0, offset);
    const line = before.split("\n").length;
    const column = offset - (before.lastIndexOf("\n") + 1) + 1;
    return { line, column };
}

async function isFile(p: string): Promise<boolean> {
    try {
        return (await stat(p)).isFile();
    } catch {
        return false;
    }
}

// --- schema validation ---------------------------------------------------------------------------

let validator: ValidateFunction | undefined;
let ajvInstance: Ajv | undefined;
const optionValidators = new WeakMap<object, ValidateFunction>();

function ajv(): Ajv {
    ajvInstance ??= new Ajv({ allErrors: false, strict: false, verbose: true });
    return ajvInstance;
}

function schemaValidator(): ValidateFunction {
    validator ??= ajv().compile(schema);
    return validator;
}

function pointerSegments(pointer: string): Array<string | number> {
    if (!pointer) return [];
    return pointer.split("/").slice(1).map((s) => {
        const k = s.replace(/~1/g, "/").replace(/~0/g, "~");
        return /^\d+$/.test(k) ? Number(k) : k;
    });
}

function describe(v: unknown): string {
    if (Array.isArray(v)) return "an array";
    if (v === null) return "null";
    if (typeof v === "object") return "an object";
    return JSON.stringify(v);
}

const TYPE_NAMES: Record<string, string> = { string: "a string", array: "an array", object: "an object", integer: "a whole number", number: "a number", boolean: "true or false" };

/** One readable error from ajv's errors (the first real one; if/anyOf wrappers skipped). */
function schemaError(file: string, errors: readonly ErrorObject[], prefix: ReadonlyArray<string | number> = []): LintConfigError {
    const e = errors.find((x) => !["if", "anyOf", "oneOf", "allOf"].includes(x.keyword)) ?? errors[0]!;
    const segs = [...prefix, ...pointerSegments(e.instancePath)];
    const inRules = segs[0] === "rules" && segs.length >= 2 && prefix.length === 0;
    const ruleEntry = inRules && segs.length <= 3;
    let path = formatJsonPath(segs);
    let message: string;
    let fix: string;
    switch (e.keyword) {
        case "additionalProperties": {
            const key = String((e.params as { additionalProperty: string }).additionalProperty);
            const props = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}));
            path = formatJsonPath([...segs, key]);
            const s = closest(key, props);
            message = `unknown key "${key}"${didYouMean(s)}`;
            fix = s ? `Rename "${key}" to "${s}".` : `Remove "${key}"; the allowed keys here are ${props.join(", ")}.`;
            break;
        }
        case "enum": {
            const allowed = ((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String);
            const s = typeof e.data === "string" ? closest(e.data, allowed) : undefined;
            const isSeverity = allowed.includes("warning") && allowed.includes("off");
            message = `${describe(e.data)} is not ${isSeverity ? "a severity" : "allowed"}${didYouMean(s)}`;
            fix = `Use one of ${allowed.join(", ")}.`;
            break;
        }
        case "type": {
            const want = String((e.params as { type: string }).type);
            if (ruleEntry) {
                message = `${describe(e.data)} is not a rule setting`;
                fix = `Use a severity ("off", "info", "warning", "error") or [severity, options], e.g. ["warning", {}].`;
            } else {
                message = `must be ${want.split(",").map((t) => TYPE_NAMES[t] ?? t).join(" or ")}, not ${describe(e.data)}`;
                fix = `Change the value to ${TYPE_NAMES[want] ?? want}.`;
            }
            break;
        }
        case "minItems":
        case "maxItems":
            if (ruleEntry) {
                message = `a rule setting array must be [severity] or [severity, options]`;
                fix = `Write e.g. ["warning"] or ["warning", { ... }].`;
            } else {
                message = e.message ?? "has the wrong number of items";
                fix = "Correct the number of items.";
            }
            break;
        case "required": {
            const missing = (e.params as { missingProperty: string }).missingProperty;
            message = `"${missing}" is missing`;
            fix = `Add "${missing}".`;
            break;
        }
        case "minimum":
        case "exclusiveMinimum":
            message = `${describe(e.data)} is too small (${e.message ?? ""})`;
            fix = "Use a larger number.";
            break;
        case "minLength":
            message = "must not be empty";
            fix = "Write a value or remove the entry.";
            break;
        case "pattern": {
            const last = segs[segs.length - 1];
            if (last === "flags") {
                message = `${describe(e.data)} has a flag that is not allowed`;
                fix = `Use only i, m, s, u or v (g is always on).`;
            } else if (last === "id") {
                message = `${describe(e.data)} is not a valid id`;
                fix = "Use letters, digits, \".\", \"_\" and \"-\", starting with a letter or digit.";
            } else {
                message = `${describe(e.data)} does not have the expected form`;
                fix = `It must match ${(e.params as { pattern: string }).pattern}.`;
            }
            break;
        }
        default:
            message = e.message ?? "is invalid";
            fix = "See schemas/promptsmithrc.schema.json for the allowed values.";
    }
    return new LintConfigError({ file, jsonPath: path, message: `Invalid ${basename(file)} at ${path}: ${message}`, fix });
}

// --- loading -------------------------------------------------------------------------------------

interface RawConfig {
    extends?: string | string[];
    files?: string[];
    ignore?: string[];
    rules?: Record<string, Severity | [Severity] | [Severity, Record<string, unknown>]>;
    lexicons?: Array<string | { path: string; category?: string; severity?: Severity }>;
    customRules?: CustomRule[];
    allowlist?: Array<string | { text?: string; pattern?: string; flags?: string; rule?: string }>;
}

type Layer = { kind: "preset"; name: PresetName } | { kind: "file"; file: string; raw: RawConfig };

async function readConfigFile(file: string): Promise<RawConfig> {
    let text: string;
    try {
        text = await readFile(file, "utf8");
    } catch (e) {
        const code = (e as { code?: string }).code;
        throw new LintConfigError({
            file,
            message: code === "ENOENT" ? `The config file ${file} does not exist` : `The config file ${file} cannot be read (${code ?? String(e)})`,
            fix: code === "ENOENT" ? "Check the path, or create the file." : "Check the file's permissions.",
        });
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        let pos: { line: number; column: number } | undefined;
        const lc = /\(line (\d+) column (\d+)\)/.exec(msg);
        const p = /at position (\d+)/.exec(msg);
        if (lc) pos = { line: Number(lc[1]), column: Number(lc[2]) };
        else if (p) pos = lineColumn(text, Number(p[1]));
        else if (/end of JSON input/i.test(msg)) pos = lineColumn(text, text.length);
        const reason = msg.replace(/\s*in JSON at position \d+.*$/s, "").replace(/\s*\(line \d+ column \d+\)/, "").replace(/,\s*".*" is not valid JSON$/s, "");
        const where = pos ? ` at line ${pos.line}, column ${pos.column}` : "";
        throw new LintConfigError({
            file,
            message: `${basename(file)} is not valid JSON${where}: ${reason}`,
            fix: `Correct the JSON${where} (strings and keys in double quotes, no trailing commas, no comments).`,
            ...(pos ? pos : {}),
        });
    }
    const validate = schemaValidator();
    if (!validate(data)) throw schemaError(file, validate.errors ?? []);
    return data as RawConfig;
}

interface Ctx {
    trusted: boolean;
    ruleOptionSchemas: Record<string, object>;
}

/** Layers in application order: what a file extends (recursively), then the file itself. */
async function collectLayers(file: string, stack: string[], out: Layer[], ctx: Ctx): Promise<void> {
    const raw = await readConfigFile(file);
    validateFileSemantics(file, raw, ctx);
    const ext = raw.extends === undefined ? [] : Array.isArray(raw.extends) ? raw.extends : [raw.extends];
    const single = !Array.isArray(raw.extends);
    for (const [i, entry] of ext.entries()) {
        const jsonPath = single ? "extends" : `extends[${i}]`;
        if (entry.startsWith("promptsmith:")) {
            if (!isPresetName(entry)) {
                const s = closest(entry, PRESET_NAMES);
                throw new LintConfigError({
                    file,
                    jsonPath,
                    message: `Invalid ${basename(file)} at ${jsonPath}: "${entry}" is not a preset${didYouMean(s)}`,
                    fix: `Use one of ${PRESET_NAMES.join(", ")}.`,
                });
            }
            pushPreset(entry, out);
            continue;
        }
        const target = isAbsolute(entry) ? entry : resolve(dirname(file), entry);
        if (stack.includes(target) || target === file) {
            const full = [...stack, file];
            const chain = [...full.slice(full.indexOf(target)), target];
            throw new LintConfigError({
                file,
                jsonPath,
                message: `Invalid ${basename(file)} at ${jsonPath}: "extends" makes a cycle: ${chain.map((f) => basename(f)).join(" → ")}`,
                fix: `Remove "${entry}" from extends (or the entry that leads back to ${basename(file)}).`,
            });
        }
        if (!(await isFile(target))) {
            throw new LintConfigError({
                file,
                jsonPath,
                message: `Invalid ${basename(file)} at ${jsonPath}: the config file "${entry}" does not exist (looked for ${target})`,
                fix: `Use a preset (${PRESET_NAMES.join(", ")}) or a path relative to ${dirname(file)}.`,
            });
        }
        await collectLayers(target, [...stack, file], out, ctx);
    }
    out.push({ kind: "file", file, raw });
}

function pushPreset(name: PresetName, out: Layer[]): void {
    for (const base of PRESETS[name].extends) pushPreset(base, out);
    out.push({ kind: "preset", name });
}

function invalid(file: string, segs: ReadonlyArray<string | number>, message: string, fix: string): LintConfigError {
    const jsonPath = formatJsonPath(segs);
    return new LintConfigError({ file, jsonPath, message: `Invalid ${basename(file)} at ${jsonPath}: ${message}`, fix });
}

function checkRegex(file: string, segs: ReadonlyArray<string | number>, flagsSegs: ReadonlyArray<string | number>, pattern: string, flags: string | undefined): void {
    try {
        new RegExp("", (flags ?? "") + "g");
    } catch (e) {
        throw invalid(file, flagsSegs, `${JSON.stringify(flags)} is not a valid combination of flags (${e instanceof Error ? e.message : String(e)})`, "Use at most one of u and v, and each flag once.");
    }
    try {
        new RegExp(pattern, (flags ?? "") + "g");
    } catch (e) {
        throw invalid(file, segs, `not a valid regular expression: ${e instanceof Error ? e.message : String(e)}`, "Correct the pattern (in JSON, a backslash is written \\\\, e.g. \"\\\\d+\").");
    }
    const problem = checkPatternSafety(pattern, flags);
    if (problem) throw invalid(file, segs, `the pattern ${JSON.stringify(pattern)} is rejected because it can make linting hang. ${problem.reason}`, problem.fix);
}

/** The checks the schema cannot express (everything that does not need the other files). */
function validateFileSemantics(file: string, raw: RawConfig, ctx: Ctx): void {
    const ids = new Set<string>();
    for (const [i, def] of (raw.customRules ?? []).entries()) {
        const kinds = (["pattern", "required", "requiredPattern"] as const).filter((k) => def[k] !== undefined);
        if (kinds.length !== 1) {
            throw invalid(file, ["customRules", i], kinds.length === 0 ? `custom rule "${def.id}" has no pattern, required or requiredPattern` : `custom rule "${def.id}" sets ${kinds.join(" and ")}`,
                "Set exactly one of pattern (a regex that must not match), required (a text that must appear) or requiredPattern (a regex that must match).");
        }
        if (ids.has(def.id)) throw invalid(file, ["customRules", i, "id"], `the id "${def.id}" is used twice`, "Give each custom rule its own id.");
        ids.add(def.id);
        if (def.pattern !== undefined) checkRegex(file, ["customRules", i, "pattern"], ["customRules", i, "flags"], def.pattern, def.flags);
        if (def.requiredPattern !== undefined) checkRegex(file, ["customRules", i, "requiredPattern"], ["customRules", i, "flags"], def.requiredPattern, def.flags);
        if (def.required !== undefined) checkRegex(file, ["customRules", i, "required"], ["customRules", i, "flags"], "", def.flags);
    }
    for (const [i, entry] of (raw.allowlist ?? []).entries()) {
        if (typeof entry === "string") continue;
        if ((entry.text === undefined) === (entry.pattern === undefined)) {
            throw invalid(file, ["allowlist", i], entry.text === undefined ? "the entry has neither text nor pattern" : "the entry has both text and pattern",
                "Write { \"text\": \"...\" } for an exact text or { \"pattern\": \"...\" } for a regular expression.");
        }
        if (entry.pattern !== undefined) checkRegex(file, ["allowlist", i, "pattern"], ["allowlist", i, "flags"], entry.pattern, entry.flags);
        else if (entry.flags !== undefined) throw invalid(file, ["allowlist", i, "flags"], "flags apply only to a pattern", "Remove flags, or use pattern instead of text.");
    }
    for (const [id, value] of Object.entries(raw.rules ?? {})) {
        const optionSchema = ctx.ruleOptionSchemas[id];
        if (!optionSchema || !Array.isArray(value) || value.length < 2) continue;
        let v = optionValidators.get(optionSchema);
        if (!v) {
            v = ajv().compile(optionSchema);
            optionValidators.set(optionSchema, v);
        }
        if (!v(value[1])) throw schemaError(file, v.errors ?? [], ["rules", id, 1]);
    }
}

/** Errors for rule ids the config names that no rule has. */
function checkRuleIds(layers: readonly Layer[], known: ReadonlySet<string>): void {
    for (const layer of layers) {
        if (layer.kind !== "file") continue;
        const { file, raw } = layer;
        for (const id of Object.keys(raw.rules ?? {})) {
            if (known.has(id)) continue;
            const s = closest(id, known);
            const isCategory = (CATEGORIES as readonly string[]).includes(id);
            throw invalid(file, ["rules", id], `unknown rule "${id}"${didYouMean(s)}`,
                s ? `Rename it to "${s}".` : isCategory ? `"${id}" is a category, not a rule: set its rules one by one.` : `Remove it, or use a rule id from the docs (custom rules are custom/<id>).`);
        }
        for (const [i, entry] of (raw.allowlist ?? []).entries()) {
            if (typeof entry === "string" || entry.rule === undefined) continue;
            if (known.has(entry.rule) || (CATEGORIES as readonly string[]).includes(entry.rule)) continue;
            const s = closest(entry.rule, [...known, ...CATEGORIES]);
            throw invalid(file, ["allowlist", i, "rule"], `unknown rule "${entry.rule}"${didYouMean(s)}`, s ? `Rename it to "${s}".` : "Use a rule id or a category.");
        }
    }
}

function applyPreset(config: LintConfig, name: PresetName): void {
    const p = PRESETS[name];
    Object.assign(config.categories, p.categories);
    config.rulePatterns.push(...p.rulePatterns.map((r) => ({ ...r })));
    for (const [id, setting] of Object.entries(p.rules)) config.rules[id] = { severity: setting.severity, options: { ...setting.options } };
    if (!config.presets.includes(name)) config.presets.push(name);
}

function setRule(config: LintConfig, id: string, severity: Severity, options: Record<string, unknown> | undefined): void {
    config.rules[id] = { severity, options: options ?? config.rules[id]?.options ?? {} };
}

async function applyFile(config: LintConfig, file: string, raw: RawConfig, ctx: Ctx, setIn: Map<string, string>): Promise<void> {
    const dir = dirname(file);
    if (raw.files) config.files = [...raw.files];
    if (raw.ignore) for (const g of raw.ignore) if (!config.ignore.includes(g)) config.ignore.push(g);
    for (const def of raw.customRules ?? []) {
        const sourced: SourcedCustomRule = { ...def, source: file };
        const at = config.customRules.findIndex((d) => d.id === def.id);
        if (at >= 0) config.customRules[at] = sourced;
        else config.customRules.push(sourced);
        if (def.severity) setRule(config, customRuleId(def.id), def.severity, undefined);
    }
    for (const [id, value] of Object.entries(raw.rules ?? {})) {
        if (typeof value === "string") setRule(config, id, value, undefined);
        else setRule(config, id, value[0], value[1]);
        setIn.set(id, file);
    }
    for (const [i, entry] of (raw.lexicons ?? []).entries()) {
        const ref: LexiconRef = typeof entry === "string" ? { path: resolve(dir, entry) } : { ...entry, path: resolve(dir, entry.path) };
        if (ctx.trusted && !(await isFile(ref.path))) {
            throw invalid(file, typeof entry === "string" ? ["lexicons", i] : ["lexicons", i, "path"], `the lexicon file ${ref.path} does not exist`, `Check the path; it is relative to ${dir}.`);
        }
        const at = config.lexicons.findIndex((l) => l.path === ref.path);
        if (at >= 0) config.lexicons[at] = ref;
        else config.lexicons.push(ref);
    }
    for (const entry of raw.allowlist ?? []) {
        if (typeof entry === "string") config.allowlist.push({ text: entry });
        else if (entry.pattern !== undefined) config.allowlist.push({ pattern: entry.pattern, ...(entry.flags ? { flags: entry.flags } : {}), ...(entry.rule ? { rule: entry.rule } : {}) });
        else if (entry.text !== undefined) config.allowlist.push({ text: entry.text, ...(entry.rule ? { rule: entry.rule } : {}) });
    }
    if (!config.sources.includes(file)) config.sources.push(file);
}

/**
 * Loads a config file and everything it extends. Throws a LintConfigError (a PromptsmithError with
 * code CONFIG_INVALID) naming the file, the JSON path of the problem and a fix.
 */
export async function loadLintConfig(path: string, options: LoadLintConfigOptions = {}): Promise<LintConfig> {
    const file = resolve(path);
    const ctx: Ctx = { trusted: options.trusted ?? true, ruleOptionSchemas: options.ruleOptionSchemas ?? {} };
    const layers: Layer[] = [];
    await collectLayers(file, [], layers, ctx);

    if (options.knownRuleIds) {
        const known = new Set(options.knownRuleIds);
        known.add(UNUSED_SUPPRESSION_RULE_ID);
        for (const l of layers) if (l.kind === "file") for (const d of l.raw.customRules ?? []) known.add(customRuleId(d.id));
        checkRuleIds(layers, known);
    }

    const config = emptyConfig();
    config.root = dirname(file);
    const setIn = new Map<string, string>();
    for (const layer of layers) {
        if (layer.kind === "preset") applyPreset(config, layer.name);
        else await applyFile(config, layer.file, layer.raw, ctx, setIn);
    }

    // token-limit needs a budget once a config file turns it on.
    const tl = config.rules["token-limit"];
    const tlFile = setIn.get("token-limit");
    if (tl && tlFile && tl.severity !== "off" && typeof tl.options.budget !== "number") {
        throw invalid(tlFile, ["rules", "token-limit"], "token-limit is on but has no budget", `Write ["${tl.severity}", { "budget": 4000 }] (the budget in tokens).`);
    }

    if (!ctx.trusted) {
        const n = config.customRules.length;
        if (n > 0) {
            config.restricted.push(`Restricted Mode: ${n} custom rule${n === 1 ? "" : "s"} (${config.customRules.map((d) => customRuleId(d.id)).join(", ")}) from the workspace config ${n === 1 ? "was" : "were"} not loaded, as workspace regular expressions run only in a trusted workspace.`);
            config.customRules = [];
        }
        const l = config.lexicons.length;
        if (l > 0) {
            config.restricted.push(`Restricted Mode: ${l} lexicon file${l === 1 ? "" : "s"} (${config.lexicons.map((x) => basename(x.path)).join(", ")}) named by the workspace config ${l === 1 ? "was" : "were"} not loaded, as workspace files are read only in a trusted workspace.`);
            config.lexicons = [];
        }
        const patterns = config.allowlist.filter((a) => a.pattern !== undefined).length;
        if (patterns > 0) {
            config.restricted.push(`Restricted Mode: ${patterns} allowlist pattern${patterns === 1 ? "" : "s"} from the workspace config ${patterns === 1 ? "was" : "were"} not used (exact allowlist texts still apply), as workspace regular expressions run only in a trusted workspace.`);
            config.allowlist = config.allowlist.filter((a) => a.pattern === undefined);
        }
    }
    return config;
}

/** The nearest .promptsmithrc.json in startDir or a folder above it. */
export async function findLintConfig(startDir: string): Promise<string | undefined> {
    let dir = resolve(startDir);
    for (;;) {
        const candidate = join(dir, CONFIG_FILE_NAME);
        if (await isFile(candidate)) return candidate;
        const parent = dirname(dir);
        if (parent === dir) return undefined;
        dir = parent;
    }
}

/** The config without a file: promptsmith:recommended. (`knownRuleIds` is accepted for symmetry; defaults come from the rules.) */
export function defaultLintConfig(_knownRuleIds?: Iterable<string>): LintConfig {
    const config = emptyConfig();
    applyPreset(config, "promptsmith:recommended");
    return config;
}

/** The config of the nearest .promptsmithrc.json above startDir, else the default config. */
export async function resolveLintConfig(startDir: string, options: LoadLintConfigOptions = {}): Promise<LintConfig> {
    const file = await findLintConfig(startDir);
    return file ? loadLintConfig(file, options) : defaultLintConfig(options.knownRuleIds);
}

/** A rule's effective severity and options under a config (see the top of this file for the order). */
export function resolveSeverity(config: LintConfig, rule: { id: string; category: Category; defaultSeverity: Severity }): { severity: Severity; options: Record<string, unknown> } {
    const exact = config.rules[rule.id];
    if (exact) return { severity: exact.severity, options: exact.options };
    for (let i = config.rulePatterns.length - 1; i >= 0; i--) {
        const p = config.rulePatterns[i]!;
        if (matchesRulePattern(p.pattern, rule.id)) return { severity: p.severity, options: {} };
    }
    const cat = config.categories[rule.category];
    if (cat) return { severity: cat, options: {} };
    return { severity: SEVERITIES.includes(rule.defaultSeverity) ? rule.defaultSeverity : "warning", options: {} };
}
