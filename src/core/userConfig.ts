// The CLI's user config file (JSON). Every problem is reported as CONFIG_INVALID naming the file, the key
// and what to do, never as a stack trace.

import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PromptsmithError } from "./errors.ts";

export interface UserConfig {
    /** Absolute path of a GGUF model file (relative values in the file are resolved against its folder). */
    modelPath?: string;
    /** Absolute path of the folder holding downloaded models. */
    modelsDir?: string;
    threads?: number;
    contextSize?: number;
    gpuLayers?: number;
}

export const CONTEXT_SIZE_MIN = 64;
export const CONTEXT_SIZE_MAX = 1_048_576;

type KeySpec = { kind: "path" } | { kind: "int"; min: number; max?: number };

const KEYS: Record<keyof UserConfig, KeySpec> = {
    modelPath: { kind: "path" },
    modelsDir: { kind: "path" },
    threads: { kind: "int", min: 1 },
    contextSize: { kind: "int", min: CONTEXT_SIZE_MIN, max: CONTEXT_SIZE_MAX },
    gpuLayers: { kind: "int", min: 0 },
};
/** Keys accepted and ignored (editor schema hints). */
const IGNORED_KEYS = new Set(["$schema"]);

function pathFor(platform: NodeJS.Platform): path.PlatformPath {
    return platform === "win32" ? path.win32 : path.posix;
}

function homeDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
    const fromEnv = platform === "win32" ? env.USERPROFILE || env.HOME : env.HOME;
    return fromEnv || os.homedir();
}

/** Where the CLI looks for its config file: PROMPTSMITH_CONFIG, else the platform's usual config folder. */
export function defaultUserConfigPath(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
    const p = pathFor(platform);
    if (env.PROMPTSMITH_CONFIG) return expandUserPath(env.PROMPTSMITH_CONFIG, process.cwd(), env, platform);
    const home = homeDir(env, platform);
    if (platform === "win32") return p.join(env.APPDATA || p.join(home, "AppData", "Roaming"), "Promptsmith", "config.json");
    if (platform === "darwin") return p.join(home, "Library", "Application Support", "Promptsmith", "config.json");
    const xdg = env.XDG_CONFIG_HOME && p.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : p.join(home, ".config");
    return p.join(xdg, "promptsmith", "config.json");
}

/** Expands a leading `~` and resolves a relative path against `baseDir`. */
export function expandUserPath(value: string, baseDir: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
    const p = pathFor(platform);
    let v = value;
    if (v === "~" || v.startsWith("~/") || (platform === "win32" && v.startsWith("~\\"))) v = p.join(homeDir(env, platform), v.slice(1));
    return p.resolve(baseDir, v);
}

/**
 * Reads and validates the config file. A missing file gives `{}` unless `required` (the user named the file).
 * Relative `modelPath` / `modelsDir` are resolved against the config file's folder.
 */
export async function loadUserConfig(configPath: string, { required }: { required: boolean }): Promise<UserConfig> {
    const file = path.resolve(configPath);
    let text: string;
    try {
        text = await readFile(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT" && !required) return {};
        throw new PromptsmithError(
            {
                code: "CONFIG_INVALID",
                message: code === "ENOENT" ? `Config file not found: ${file}` : code === "EISDIR" ? `Config path is a folder, not a file: ${file}` : `Cannot read config file ${file} (${code ?? String(e)}).`,
                file,
                fix: code === "ENOENT" ? "Check the path given with --config / PROMPTSMITH_CONFIG, or create the file." : "Check the path and its permissions.",
            },
            { cause: e },
        );
    }
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch (e) {
        const { line, column } = jsonErrorPosition(text, e);
        const reason = (e instanceof Error ? e.message : String(e)).replace(/\s*in JSON at position \d+.*$/s, "").replace(/\s*\(line \d+ column \d+\)/, "");
        throw new PromptsmithError(
            {
                code: "CONFIG_INVALID",
                message: `Config file ${file} is not valid JSON at line ${line}, column ${column}: ${reason}.`,
                file,
                fix: `Fix the JSON syntax at line ${line}, column ${column} (no comments or trailing commas), or delete the file to use the defaults.`,
                detail: e instanceof Error ? e.message : String(e),
            },
            { cause: e },
        );
    }
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
        throw invalid(file, `Config file ${file} must contain a JSON object ({ ... }), not ${describe(data)}.`, `Write the settings as an object, e.g. { "modelPath": "/path/to/model.gguf" }.`);
    }

    const dir = path.dirname(file);
    const out: UserConfig = {};
    for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
        if (IGNORED_KEYS.has(key)) continue;
        if (!Object.hasOwn(KEYS, key)) {
            const known = Object.keys(KEYS);
            const close = known.find((k) => k.toLowerCase() === key.toLowerCase().replace(/[_-]/g, ""));
            throw invalid(
                file,
                `Unknown key "${key}" in config file ${file}.`,
                `${close ? `Did you mean "${close}"? ` : ""}Remove it or use one of: ${known.join(", ")}.`,
            );
        }
        const k = key as keyof UserConfig;
        const spec = KEYS[k];
        if (spec.kind === "path") {
            if (typeof value !== "string" || value.trim() === "") {
                throw invalid(file, `"${key}" in config file ${file} must be a non-empty string (a path), not ${describe(value)}.`, `Set "${key}" to a path, e.g. "${key}": "${k === "modelPath" ? "~/models/model.gguf" : "~/models"}", or remove it.`);
            }
            (out as Record<string, unknown>)[k] = expandUserPath(value.trim(), dir);
        } else {
            const range = spec.max !== undefined ? `an integer from ${spec.min} to ${spec.max}` : `an integer ≥ ${spec.min}`;
            if (typeof value !== "number" || !Number.isInteger(value) || value < spec.min || (spec.max !== undefined && value > spec.max)) {
                throw invalid(file, `"${key}" in config file ${file} must be ${range}, not ${describe(value)}.`, `Set "${key}" to ${range}, or remove it to use the default.`);
            }
            (out as Record<string, unknown>)[k] = value;
        }
    }
    return out;
}

function invalid(file: string, message: string, fix: string): PromptsmithError {
    return new PromptsmithError({ code: "CONFIG_INVALID", message, file, fix });
}

function describe(v: unknown): string {
    if (v === null) return "null";
    if (Array.isArray(v)) return "an array";
    if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
    if (typeof v === "number") return String(v);
    if (typeof v === "object") return "an object";
    return `${typeof v} ${String(v)}`;
}

/** 1-based line and column of a JSON.parse error, from "position N" (or "line L column C") in V8's message. */
function jsonErrorPosition(text: string, e: unknown): { line: number; column: number } {
    const msg = e instanceof Error ? e.message : "";
    const lc = /line (\d+) column (\d+)/.exec(msg);
    if (lc) return { line: Number(lc[1]), column: Number(lc[2]) };
    const pos = /position (\d+)/.exec(msg);
    const offset = pos ? Math.min(Number(pos[1]), text.length) : /end of JSON input/i.test(msg) ? text.length : 0;
    const before = text.slice(0, offset);
    const lines = before.split(/\r\n|\r|\n/);
    return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}
