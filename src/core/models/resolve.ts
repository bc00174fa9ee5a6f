// Decides which GGUF file to run. Order: --model, PROMPTSMITH_MODEL, the configured path, the recommended
// model already in the models folder, and only if the user agrees, a download of the recommended model.
// A path the user gave explicitly that does not exist is an error naming where it came from: we never
// fall through silently to another model.

import { stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { PromptsmithError } from "../errors.ts";
import { defaultUserConfigPath, expandUserPath } from "../userConfig.ts";
import { downloadModel, fileSize, type DownloadProgress } from "./download.ts";
import { RECOMMENDED_MODEL, exactSizeOf, type RecommendedModel } from "./recommended.ts";

export type ModelSource = "cli" | "env" | "config" | "models-dir" | "downloaded";

export interface ResolveModelOptions {
    /** `--model PATH` */
    cliPath?: string;
    /** Defaults to process.env. */
    env?: NodeJS.ProcessEnv;
    /** The configured model path (config file `modelPath`, or the VS Code setting). */
    configuredPath?: string;
    /** How to name the configured path in messages. Default: `"modelPath" in the config file`. */
    configuredPathLabel?: string;
    /** Defaults to defaultModelsDir(env). */
    modelsDir?: string;
    /** Base for relative paths. Defaults to process.cwd(). */
    cwd?: string;
    /** Asked before downloading anything; downloads only happen when it resolves true. */
    confirmDownload: (model: RecommendedModel, dir: string) => Promise<boolean>;
    onProgress?: (p: DownloadProgress) => void;
    signal?: AbortSignal;
    /** Override of the recommended model (tests: loopback URL, size, hash). */
    recommended?: RecommendedModel;
    /** Passed to downloadModel (tests). */
    stallTimeoutMs?: number;
}

export interface ResolvedModel {
    path: string;
    source: ModelSource;
}

/** The folder for downloaded models: PROMPTSMITH_MODELS_DIR, else the platform's usual data folder. */
export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
    const p = platform === "win32" ? path.win32 : path.posix;
    if (env.PROMPTSMITH_MODELS_DIR) return expandUserPath(env.PROMPTSMITH_MODELS_DIR, process.cwd(), env, platform);
    const home = (platform === "win32" ? env.USERPROFILE || env.HOME : env.HOME) || os.homedir();
    if (platform === "win32") return p.join(env.LOCALAPPDATA || p.join(home, "AppData", "Local"), "Promptsmith", "models");
    if (platform === "darwin") return p.join(home, "Library", "Application Support", "Promptsmith", "models");
    const xdg = env.XDG_DATA_HOME && p.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : p.join(home, ".local", "share");
    return p.join(xdg, "promptsmith", "models");
}

export async function resolveModel(options: ResolveModelOptions): Promise<ResolvedModel> {
    const env = options.env ?? process.env;
    const cwd = options.cwd ?? process.cwd();
    const recommended = options.recommended ?? RECOMMENDED_MODEL;

    const explicit: Array<{ value: string | undefined; source: ModelSource; label: string }> = [
        { value: options.cliPath, source: "cli", label: "--model" },
        { value: env.PROMPTSMITH_MODEL, source: "env", label: "PROMPTSMITH_MODEL" },
        { value: options.configuredPath, source: "config", label: options.configuredPathLabel ?? `"modelPath" in the config file` },
    ];
    for (const { value, source, label } of explicit) {
        if (value === undefined || value.trim() === "") continue;
        const file = expandUserPath(value.trim(), cwd, env);
        await requireModelFile(file, label, source);
        return { path: file, source };
    }

    const modelsDir = options.modelsDir ? expandUserPath(options.modelsDir, cwd, env) : defaultModelsDir(env);
    const candidate = path.join(modelsDir, recommended.fileName);
    const size = await fileSize(candidate);
    const exactSize = exactSizeOf(recommended);
    if (size !== undefined && size > 0 && (exactSize === undefined || size === exactSize)) {
        return { path: candidate, source: "models-dir" };
    }

    if (!(await options.confirmDownload(recommended, modelsDir))) {
        throw new PromptsmithError({
            code: "NO_MODEL",
            message:
                `No model to run: none was given and ${recommended.displayName} is not in ${modelsDir}. ` +
                `Point Promptsmith at a local GGUF file with --model PATH, the PROMPTSMITH_MODEL=/path/to/model.gguf environment variable, ` +
                `or "modelPath" in the config file (${defaultUserConfigPath(env)}); ` +
                `or download the recommended model (about ${formatGB(recommended.sizeBytes)}) with \`promptsmith models download\`.`,
            fix: "Pass --model PATH, set PROMPTSMITH_MODEL or modelPath, or run `promptsmith models download`.",
        });
    }
    const downloaded = await downloadModel({
        url: recommended.url,
        dir: modelsDir,
        fileName: recommended.fileName,
        expectedSize: exactSize,
        sha256: recommended.sha256,
        signal: options.signal,
        onProgress: options.onProgress,
        stallTimeoutMs: options.stallTimeoutMs,
    });
    return { path: downloaded, source: "downloaded" };
}

async function requireModelFile(file: string, label: string, source: ModelSource): Promise<void> {
    const how =
        source === "cli" ? "Pass the path of an existing .gguf file to --model." : source === "env" ? "Fix or unset PROMPTSMITH_MODEL." : `Fix or remove ${label}.`;
    let isFile: boolean;
    try {
        isFile = (await stat(file)).isFile();
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new PromptsmithError(
            {
                code: "MODEL_NOT_FOUND",
                message: code === "ENOENT" || code === "ENOTDIR" ? `Model file not found: ${file} (from ${label}).` : `Cannot read model file ${file} (from ${label}): ${code ?? String(e)}.`,
                file,
                fix: how,
            },
            { cause: e },
        );
    }
    if (!isFile) {
        throw new PromptsmithError({ code: "MODEL_NOT_FOUND", message: `${file} (from ${label}) is a folder, not a GGUF model file.`, file, fix: how });
    }
}


function formatGB(bytes: number): string {
    return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}
