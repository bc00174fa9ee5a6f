// `promptsmith` — the command-line interface, on the same core as the editor.
// Exit codes: 0 ok, 1 generation failed, 2 usage or configuration error, 130 interrupted.
import { readFile, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { PromptsmithError, toPromptsmithError, type ErrorCode } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import { formatBytes } from "../core/format.ts";
import { RunnerClient } from "../core/runner/client.ts";
import type { GenerateResult } from "../core/runner/protocol.ts";
import { readSamplingFlags, SAMPLING_RUNTIME_OPTIONS } from "./flags.ts";
import { buildCodegenPrompt } from "../core/codegen/prompt.ts";
import { extractCode } from "../core/codegen/extract.ts";
import { readGgufInfo, describeGgufInfo } from "../core/gguf/reader.ts";
import { resolveModel, defaultModelsDir } from "../core/models/resolve.ts";
import { downloadModel, type DownloadProgress } from "../core/models/download.ts";
import { RECOMMENDED_MODEL, exactSizeOf } from "../core/models/recommended.ts";
import { loadUserConfig, defaultUserConfigPath, type UserConfig } from "../core/userConfig.ts";
import { LINT_HELP, LintUsageError, runLint } from "./lint.ts";
import { cmdRun, type CliKit } from "./run.ts";

const VERSION = "0.1.0";

/** Errors the user fixes by changing what they passed (arguments, config, the model file): exit code 2. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set([
    "INVALID_ARGUMENT", "CONFIG_INVALID", "NO_MODEL", "MODEL_NOT_FOUND", "NOT_GGUF", "GGUF_TRUNCATED", "GGUF_CORRUPT", "UNSUPPORTED_ARCHITECTURE",
    "PROMPT_FILE_INVALID", "PROMPT_VARIABLE_MISSING",
]);

class UsageError extends Error {}

const MAIN_HELP = `promptsmith — local model tools for prompts and code (no server, no cloud)

Usage:
  promptsmith generate --requirements FILE|- [options]   generate code from written requirements
  promptsmith run FILE [--var NAME=VALUE]... [options]   run a prompt file (*.prompt.md): variables, model, sampling
  promptsmith lint [paths|globs...] [options]             check prompts: personal data, secrets, injection, …
  promptsmith models info PATH                            show a GGUF model's metadata
  promptsmith models download                             download the recommended code model
  promptsmith <command> --help                            help for a command

Exit codes: 0 ok, 1 generation failed, 2 usage or configuration error (arguments, config file, an
unusable model file), 130 interrupted.
Model: --model PATH, else $PROMPTSMITH_MODEL, else "modelPath" in the config file, else the
recommended model in the models folder (downloaded only when you agree).`;

const GENERATE_HELP = `promptsmith generate — generate code from a requirements file with a local model

Usage: promptsmith generate --requirements FILE|- [options]

Input:
  -r, --requirements FILE|-   requirements text (- reads standard input)
  -l, --language LANG         target language (python, typescript, go, …)
  -m, --model PATH            GGUF model file (default: $PROMPTSMITH_MODEL, config, recommended model)
      --config FILE           config file (default: ${defaultUserConfigPath()})
      --download              download the recommended model if no model is set, without asking
Output:
      --json                  print one JSON object: code, text, stopReason, seed, metrics, …
  -q, --quiet                 print only the code (no metrics on stderr)
  -v, --verbose               log runner events to stderr
Sampling:
      --temperature N         0 = greedy/deterministic (default 0.3)
      --top-k N               0 = off (default 40)
      --top-p N               1 = off (default 0.9)
      --min-p N               0 = off (default 0.05)
      --repeat-penalty N      1 = off (default 1)
      --frequency-penalty N   0 = off
      --presence-penalty N    0 = off
      --repeat-last-n N       tokens the penalties look back over (default 64)
      --seed N                fixed seed for reproducible sampling
      --max-tokens N          most tokens to generate (default 512)
      --stop TEXT             stop before TEXT (repeatable)
      --json-schema FILE      constrain output to a JSON schema
      --grammar FILE          constrain output to a GBNF grammar
Runtime:
      --threads N             CPU threads (default: usable cores, minus one on ≤4 cores)
      --context-size N        context window in tokens (default: min(4096, model's training context))
      --gpu-layers N|auto     layers to offload to a GPU (default: auto)

Negative numbers go after "=" or as the next argument: --frequency-penalty=-0.5 or --frequency-penalty -0.5.`;

const MODELS_HELP = `promptsmith models — inspect and fetch GGUF models

Usage:
  promptsmith models info PATH [--json]     architecture, parameters, quantization, context, size
  promptsmith models download [--dir DIR]   download ${RECOMMENDED_MODEL.displayName} (${formatBytes(RECOMMENDED_MODEL.sizeBytes)})`;

function stderrLogger(verbose: boolean): Logger {
    const w = (prefix: string) => (m: string) => process.stderr.write(`${prefix}${m}\n`);
    return { debug: verbose ? w("· ") : () => {}, info: verbose ? w("· ") : () => {}, warn: w("warning: "), error: w("error: ") };
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** A decimal number flag (no hex, no empty string); range checks happen where the value is used. */
function num(name: string, v: string | undefined, integer = false): number | undefined {
    if (v === undefined) return undefined;
    const t = v.trim();
    if (!(integer ? INTEGER : DECIMAL).test(t)) {
        throw new UsageError(`--${name} expects ${integer ? "a whole number" : "a number"}, got "${v}".`);
    }
    return Number(t);
}

function ranged(name: string, v: string | undefined, min: number, max: number): number | undefined {
    const n = num(name, v, true);
    if (n !== undefined && (n < min || n > max)) throw new UsageError(`--${name} must be from ${min} to ${max}, got ${n}.`);
    return n;
}

/**
 * Node's parseArgs reads "-0.5" after an option as another option; a terminal user expects
 * "--frequency-penalty -0.5" to work, so a negative number after a value option is joined to it.
 */
function joinNegativeValues(args: string[], options: NonNullable<ParseArgsConfig["options"]>): string[] {
    const out: string[] = [];
    for (let i = 0; i < args.length; i++) {
        const a = args[i]!;
        const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : undefined;
        const next = args[i + 1];
        if (name && options[name]?.type === "string" && next !== undefined && /^-(\d|\.\d)/.test(next)) {
            out.push(`${a}=${next}`);
            i++;
        } else {
            out.push(a);
        }
    }
    return out;
}

function parse<T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
    try {
        return parseArgs({ args: joinNegativeValues(args, options), options, allowPositionals: true, strict: true });
    } catch (e) {
        throw new UsageError(e instanceof Error ? e.message.replace(/^TypeError \[[A-Z_]+\]: /, "") : String(e));
    }
}

/** Larger inputs cannot fit any model's context; refusing them early beats tokenizing megabytes. */
const MAX_INPUT_BYTES = 4 * 1024 * 1024;

function tooLarge(path: string, what: string, bytes: number): PromptsmithError {
    return new PromptsmithError({
        code: "INVALID_ARGUMENT",
        message: `The ${what} ${path === "-" ? "on standard input" : "file"} is ${formatBytes(bytes)}; the limit is ${formatBytes(MAX_INPUT_BYTES)}.`,
        ...(path === "-" ? {} : { file: path }),
        fix: `Pass a shorter ${what} text: no model's context window holds this much.`,
    });
}

async function readText(path: string, what: string): Promise<string> {
    try {
        if (path === "-") {
            const chunks: Buffer[] = [];
            let size = 0;
            for await (const c of process.stdin) {
                size += (c as Buffer).length;
                if (size > MAX_INPUT_BYTES) throw tooLarge(path, what, size);
                chunks.push(c as Buffer);
            }
            return Buffer.concat(chunks).toString("utf8");
        }
        const st = await stat(path);
        if (st.isFile() && st.size > MAX_INPUT_BYTES) throw tooLarge(path, what, st.size);
        return await readFile(path, "utf8");
    } catch (e) {
        if (e instanceof PromptsmithError) throw e;
        const code = (e as NodeJS.ErrnoException).code;
        throw new PromptsmithError({
            code: "INVALID_ARGUMENT",
            message: `Cannot read the ${what} file ${path}: ${code === "ENOENT" ? "it does not exist" : code === "EISDIR" ? "it is a folder" : (e as Error).message}.`,
            file: path,
            fix: `Pass the path of an existing ${what} file${what === "requirements" ? ", or - to read standard input" : ""}.`,
        });
    }
}

function progressPrinter(): (p: DownloadProgress) => void {
    let last = -1;
    return (p) => {
        const pct = Math.floor(p.percent);
        if (pct === last) return;
        last = pct;
        const line = `Downloading ${pct}% (${formatBytes(p.downloadedBytes)} of ${formatBytes(p.totalBytes)}, ${formatBytes(p.bytesPerSecond)}/s)`;
        if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
        else if (pct % 10 === 0) process.stderr.write(`${line}\n`);
        if (pct >= 100 && process.stderr.isTTY) process.stderr.write("\n");
    };
}

async function askYesNo(question: string): Promise<boolean> {
    if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
    const { createInterface } = await import("node:readline/promises");
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
        return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
    } finally {
        rl.close();
    }
}

async function loadConfig(path: string | undefined): Promise<UserConfig> {
    return loadUserConfig(path ?? defaultUserConfigPath(), { required: path !== undefined });
}

function workerPath(): string {
    return fileURLToPath(new URL("./runner.mjs", import.meta.url));
}

async function cmdGenerate(args: string[]): Promise<number> {
    const { values: v, positionals } = parse(args, {
        requirements: { type: "string", short: "r" },
        language: { type: "string", short: "l" },
        model: { type: "string", short: "m" },
        config: { type: "string" },
        download: { type: "boolean" },
        json: { type: "boolean" },
        quiet: { type: "boolean", short: "q" },
        verbose: { type: "boolean", short: "v" },
        ...SAMPLING_RUNTIME_OPTIONS,
        help: { type: "boolean", short: "h" },
    });
    if (v.help) {
        process.stdout.write(`${GENERATE_HELP}\n`);
        return 0;
    }
    if (positionals.length) throw new UsageError(`generate takes no positional arguments (got "${positionals[0]}"); pass the requirements with --requirements FILE.`);
    if (!v.requirements) throw new UsageError("generate needs --requirements FILE (or - for standard input).");
    // Runtime options are checked before anything else happens (a model download, above all).
    const { sampling, gpuLayers: gpuLayersArg, threads: threadsArg, contextSize: contextSizeArg } = await readSamplingFlags(v, { num, ranged, readText });

    const verbose = Boolean(v.verbose);
    const logger = stderrLogger(verbose);
    const config = await loadConfig(v.config);
    const requirements = await readText(v.requirements, "requirements");
    const built = buildCodegenPrompt({ requirements, language: v.language });

    const controller = new AbortController();
    let interrupted = false;
    const onSigint = (): void => {
        if (interrupted) process.exit(130);
        interrupted = true;
        process.stderr.write("\nStopping… (Ctrl-C again to quit at once)\n");
        controller.abort();
    };
    process.on("SIGINT", onSigint);

    const resolved = await resolveModel({
        cliPath: v.model,
        env: process.env,
        configuredPath: config.modelPath,
        modelsDir: config.modelsDir ?? defaultModelsDir(),
        confirmDownload: async (m, dir) => v.download === true || askYesNo(`No model is set. Download ${m.displayName} (${formatBytes(m.sizeBytes)}) into ${dir}?`),
        onProgress: progressPrinter(),
        signal: controller.signal,
    });
    logger.debug(`model: ${resolved.path} (from ${resolved.source})`);

    const client = new RunnerClient({ workerPath: workerPath(), logger });
    const streaming = !v.json && process.stdout.isTTY === true;
    let result: GenerateResult;
    try {
        result = await client.generate(
            {
                modelPath: resolved.path,
                prompt: { system: built.system, user: built.user, completion: built.completion, mode: "auto" },
                sampling,
                load: {
                    threads: threadsArg ?? config.threads,
                    contextSize: contextSizeArg ?? config.contextSize,
                    gpuLayers: gpuLayersArg ?? config.gpuLayers,
                },
            },
            {
                signal: controller.signal,
                onText: streaming ? (t) => process.stdout.write(t) : undefined,
                onPhase: (phase, progress) => {
                    if (phase === "loading" && verbose && progress !== undefined) logger.debug(`loading model ${Math.round(progress * 100)}%`);
                },
            },
        );
    } catch (e) {
        // The prompt came from the requirements file: that is the file to point at.
        if (e instanceof PromptsmithError && e.code === "PROMPT_TOO_LONG" && v.requirements !== "-") {
            throw new PromptsmithError({ ...e.toJSON(), file: v.requirements });
        }
        throw e;
    } finally {
        await client.dispose();
        process.off("SIGINT", onSigint);
    }

    const answer = result.mode === "completion" ? built.responsePrefix + result.text : result.text;
    const extracted = extractCode(answer, { language: built.language });
    const latency = client.latency.summary();
    if (v.json) {
        process.stdout.write(`${JSON.stringify({
            code: extracted.code,
            language: extracted.language || built.language || null,
            truncated: extracted.truncated,
            text: result.text,
            stopReason: result.stopReason,
            seed: result.seed ?? null,
            mode: result.mode,
            model: { path: resolved.path, source: resolved.source },
            metrics: result.metrics,
            latency,
        }, null, 2)}\n`);
    } else {
        if (streaming) {
            process.stdout.write("\n");
            if (extracted.code.trim() !== result.text.trim()) {
                process.stdout.write(`\n── extracted ${extracted.language ?? built.language} code ──\n${extracted.code}\n`);
            }
        } else {
            process.stdout.write(`${extracted.code}\n`);
        }
        if (!v.quiet) {
            const m = result.metrics;
            process.stderr.write(
                `\n${result.stopReason === "abort" ? "stopped" : "done"} (${result.stopReason}${extracted.truncated ? (result.stopReason === "abort" ? ", code incomplete" : ", code cut off by the token limit") : ""})` +
                ` · ${m.promptTokens} prompt + ${m.outputTokens} output tokens` +
                ` · first token ${m.timeToFirstTokenMs.toFixed(1)} ms · ${m.tokensPerSecond.toFixed(0)} tok/s · prompt ${m.promptTokensPerSecond.toFixed(0)} tok/s` +
                ` · load ${m.loadMs.toFixed(0)} ms · total ${m.totalMs.toFixed(0)} ms · ${m.threads} thread${m.threads === 1 ? "" : "s"}, context ${m.contextSize}` +
                `${result.seed !== undefined ? ` · seed ${result.seed}` : ""}${m.cacheHit ? " · cache hit" : ""}\n`,
            );
        }
    }
    return interrupted ? 130 : 0;
}

async function cmdModels(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    if (!sub || sub === "--help" || sub === "-h" || sub === "help") {
        process.stdout.write(`${MODELS_HELP}\n`);
        return sub ? 0 : 2;
    }
    if (sub === "info") {
        const { values: v, positionals } = parse(rest, { json: { type: "boolean" }, tensors: { type: "boolean" }, help: { type: "boolean", short: "h" } });
        if (v.help) {
            process.stdout.write("Usage: promptsmith models info PATH [--json [--tensors]]\nReads a GGUF file's metadata without loading the model. --tensors adds every tensor to the JSON.\n");
            return 0;
        }
        if (positionals.length !== 1) throw new UsageError("models info needs exactly one PATH to a .gguf file.");
        const info = await readGgufInfo(positionals[0]!);
        if (v.json) {
            const { metadata: _metadata, tensors, ...summary } = info;
            process.stdout.write(`${JSON.stringify(v.tensors ? { ...summary, tensors } : summary, null, 2)}\n`);
        } else {
            const rows = describeGgufInfo(info);
            const w = Math.max(...rows.map(([k]) => k.length));
            process.stdout.write(rows.map(([k, val]) => `${k.padEnd(w)}  ${val}`).join("\n") + "\n");
        }
        return 0;
    }
    if (sub === "download") {
        const { values: v } = parse(rest, { dir: { type: "string" }, config: { type: "string" }, help: { type: "boolean", short: "h" } });
        if (v.help) {
            process.stdout.write(`Usage: promptsmith models download [--dir DIR]\nDownloads ${RECOMMENDED_MODEL.displayName} (${formatBytes(RECOMMENDED_MODEL.sizeBytes)}) from ${RECOMMENDED_MODEL.url}\n`);
            return 0;
        }
        const config = await loadConfig(v.config);
        const dir = v.dir ?? config.modelsDir ?? defaultModelsDir();
        const controller = new AbortController();
        process.once("SIGINT", () => controller.abort());
        const path = await downloadModel({
            url: RECOMMENDED_MODEL.url,
            dir,
            fileName: RECOMMENDED_MODEL.fileName,
            expectedSize: exactSizeOf(RECOMMENDED_MODEL),
            sha256: RECOMMENDED_MODEL.sha256,
            signal: controller.signal,
            onProgress: progressPrinter(),
        });
        process.stdout.write(`${path}\n`);
        return 0;
    }
    throw new UsageError(`Unknown models command "${sub}". Use "models info PATH" or "models download".`);
}

async function cmdLint(args: string[]): Promise<number> {
    const { values: v, positionals } = parse(args, {
        stdin: { type: "boolean" },
        "stdin-filename": { type: "string" },
        format: { type: "string", short: "f" },
        output: { type: "string", short: "o" },
        fix: { type: "boolean" },
        "fix-type": { type: "string" },
        "max-warnings": { type: "string" },
        config: { type: "string", short: "c" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
    });
    if (v.help) {
        process.stdout.write(`${LINT_HELP}\n`);
        return 0;
    }
    return runLint({
        positionals,
        stdin: v.stdin,
        stdinFilename: v["stdin-filename"],
        format: v.format,
        output: v.output,
        fix: v.fix,
        fixType: v["fix-type"],
        maxWarnings: ranged("max-warnings", v["max-warnings"], 0, Number.MAX_SAFE_INTEGER),
        config: v.config,
        quiet: v.quiet,
    }, VERSION);
}

/** What `run` (run.ts) shares with generate: argument parsing, input files, config, model download prompts. */
const CLI_KIT: CliKit = { parse, num, ranged, readText, loadConfig, workerPath, stderrLogger, askYesNo, progressPrinter, usageError: (m) => new UsageError(m) };

export async function main(argv: string[]): Promise<number> {
    const [cmd, ...rest] = argv;
    try {
        switch (cmd) {
            case "generate":
                return await cmdGenerate(rest);
            case "run":
                return await cmdRun(rest, CLI_KIT);
            case "models":
                return await cmdModels(rest);
            case "lint":
                return await cmdLint(rest);
            case undefined:
            case "help":
            case "--help":
            case "-h":
                process.stdout.write(`${MAIN_HELP}\n`);
                return cmd === undefined ? 2 : 0;
            case "--version":
            case "-V":
                process.stdout.write(`promptsmith ${VERSION}\n`);
                return 0;
            default:
                throw new UsageError(`Unknown command "${cmd}".`);
        }
    } catch (e) {
        if (e instanceof UsageError || e instanceof LintUsageError) {
            const known = cmd === "generate" || cmd === "run" || cmd === "models" || cmd === "lint";
            process.stderr.write(`promptsmith: ${e.message}\nRun "promptsmith ${known ? `${cmd} ` : ""}--help" for usage.\n`);
            return 2;
        }
        const err = toPromptsmithError(e);
        process.stderr.write(`promptsmith: ${err.describe()}\n`);
        if (err.detail && process.env.PROMPTSMITH_DEBUG) process.stderr.write(`${err.detail}\n`);
        if (err.code === "ABORTED") return 130;
        // For lint, 1 means "findings"; anything that stopped it from linting is exit 2.
        return USAGE_CODES.has(err.code) || cmd === "lint" ? 2 : 1;
    }
}

main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e) => { process.stderr.write(`promptsmith: internal error: ${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 1; },
);
