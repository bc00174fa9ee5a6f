// {{variable}} placeholders: finding them and filling them in. Pure and browser-safe (no Node, no YAML, no
// ajv), so the playground webview can import it without the front-matter parser.
//
// Syntax: {{name}} or {{ name }}; a name starts with a letter or _ and continues with letters, digits, _
// or -. A backslash right before {{ makes it literal: \{{name}} renders as {{name}} (and \\{{name}} as a
// backslash followed by the value). Values are inserted as they are, never expanded again.
import { PromptsmithError } from "../errors.ts";
import type { PromptFile } from "./promptFile.ts";

export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Sets `record[key]` as an own, enumerable property, whatever the key: a variable may be called
 * `__proto__`, `constructor` or `toString` (plain assignment to `__proto__` would change the prototype
 * and drop the value).
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/** `record[key]` when it is the record's own property (never something inherited from Object.prototype). */
export function getOwn<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
    return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

export type TemplatePart =
    | { kind: "text"; text: string }
    /** start/end: offsets of the whole {{…}} in the scanned text. */
    | { kind: "variable"; name: string; start: number; end: number };

export interface TemplateScan {
    parts: TemplatePart[];
    /** `{{…}}` on one line that is not a placeholder (e.g. {{user.name}}, {{#if x}}): kept as text. */
    malformed: Array<{ start: number; end: number; text: string }>;
}

const PLACEHOLDER_AT = /\{\{[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\}\}/y;
const BRACES_ON_LINE = /\{\{[^\n]*?\}\}/y;

/** Splits a template into literal text and placeholders, applying the \{{ escape. */
export function scanTemplate(template: string): TemplateScan {
    const parts: TemplatePart[] = [];
    const malformed: TemplateScan["malformed"] = [];
    let text = "";
    let i = 0;
    while (i < template.length) {
        const at = template.indexOf("{{", i);
        if (at < 0) {
            text += template.slice(i);
            break;
        }
        // Backslashes right before {{: pairs are literal backslashes, an odd one escapes the braces.
        let bs = 0;
        while (at - bs - 1 >= i && template[at - bs - 1] === "\\") bs++;
        text += template.slice(i, at - bs) + "\\".repeat(Math.floor(bs / 2));
        if (bs % 2 === 1) {
            text += "{{";
            i = at + 2;
            continue;
        }
        PLACEHOLDER_AT.lastIndex = at;
        const m = PLACEHOLDER_AT.exec(template);
        if (m) {
            if (text) parts.push({ kind: "text", text });
            text = "";
            parts.push({ kind: "variable", name: m[1]!, start: at, end: at + m[0].length });
            i = at + m[0].length;
            continue;
        }
        if (template[at + 2] !== "{") {
            BRACES_ON_LINE.lastIndex = at;
            const b = BRACES_ON_LINE.exec(template);
            if (b) malformed.push({ start: at, end: at + b[0].length, text: b[0] });
        }
        text += "{";
        i = at + 1;
    }
    if (text) parts.push({ kind: "text", text });
    return { parts, malformed };
}

/** The placeholder names in a template, each once, in order of first use. Escaped ones (\{{x}}) are not placeholders. */
export function variablesIn(template: string): string[] {
    const seen = new Set<string>();
    for (const p of scanTemplate(template).parts) if (p.kind === "variable") seen.add(p.name);
    return [...seen];
}

export interface Rendered {
    system?: string;
    user: string;
    /** Required variables with no value and no default (their placeholders are left in the text). */
    missing: string[];
    /** Values given that no placeholder uses (a typo, or a variable the file no longer has). */
    unused: string[];
    /** The value each placeholder got (given, else the default; "" for an optional variable without one). */
    values: Record<string, string>;
}

/**
 * Fills in the placeholders: a given value (an empty string counts as given), else the variable's default,
 * else "" for a variable declared `required: false`; otherwise the variable is missing and its placeholder
 * stays as written. Values are inserted literally: a value containing {{x}} is not expanded again.
 */
export function renderPrompt(prompt: Pick<PromptFile, "system" | "user" | "variables">, vars: Record<string, string>): Rendered {
    const decl = new Map(prompt.variables.map((v) => [v.name, v]));
    const used = new Set<string>();
    const missing: string[] = [];
    const values: Record<string, string> = {};
    const fill = (template: string): string => {
        let out = "";
        for (const p of scanTemplate(template).parts) {
            if (p.kind === "text") {
                out += p.text;
                continue;
            }
            used.add(p.name);
            const d = decl.get(p.name);
            const value = Object.prototype.hasOwnProperty.call(vars, p.name) ? vars[p.name] : d?.default ?? (d && !d.required ? "" : undefined);
            if (value === undefined) {
                if (!missing.includes(p.name)) missing.push(p.name);
                out += `{{${p.name}}}`;
            } else {
                setOwn(values, p.name, value);
                out += value;
            }
        }
        return out;
    };
    const system = prompt.system !== undefined ? fill(prompt.system) : undefined;
    const user = fill(prompt.user);
    const unused = Object.keys(vars).filter((k) => !used.has(k));
    return { ...(system !== undefined ? { system } : {}), user, missing, unused, values };
}

/** renderPrompt, but a missing variable is a PROMPT_VARIABLE_MISSING error naming the file, the variables and the fix. */
export function renderPromptOrThrow(prompt: Pick<PromptFile, "system" | "user" | "variables">, vars: Record<string, string>, file?: string): Rendered {
    const r = renderPrompt(prompt, vars);
    if (r.missing.length > 0) {
        const list = r.missing.map((n) => `{{${n}}}`).join(", ");
        const flags = r.missing.map((n) => `--var ${n}=VALUE`).join(" ");
        throw new PromptsmithError({
            code: "PROMPT_VARIABLE_MISSING",
            message: `${file ? `${file} needs` : "The prompt needs"} a value for ${r.missing.length === 1 ? "the variable" : "the variables"} ${list}.`,
            ...(file ? { file } : {}),
            fix: `Give ${r.missing.length === 1 ? "it" : "them"} a value (${flags}, or the playground's variables table), or a default in the front matter (variables: { ${r.missing[0]}: { default: "…" } }).`,
        });
    }
    return r;
}
