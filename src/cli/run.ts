// `promptsmith run FILE` — runs a prompt file (*.prompt.md) with a local model, on the same core as
// `generate`: the file's variables filled in, its model and sampling (file preset < file sampling < --preset
// < flags), the answer streamed, then the metrics line. Exit codes as generate.
import type { ParseArgsConfig, parseArgs } from "node:util";
import { PromptsmithError } from "../core/errors.ts";
import { formatBytes } from "../core/format.ts";
import type { Logger } from "../core/logger.ts";
import { resolveModel, defaultModelsDir, type ModelSource } from "../core/models/resolve.ts";
import type { DownloadProgress } from "../core/models/download.ts";
import { BUILTIN_PRESETS } from "../core/presets.ts";
import { readPromptFile, resolvePromptModel } from "../core/prompts/load.ts";
import { promptSampling, renderPromptOrThrow, VARIABLE_NAME } from "../core/prompts/promptFile.ts";
import { setOwn } from "../core/prompts/render.ts";
import { RunnerClient } from "../core/runner/client.ts";
import { readSamplingFlags, SAMPLING_RUNTIME_OPTIONS } from "./flags.ts";
import type { GenerateResult } from "../core/runner/protocol.ts";
import { normalizeSampling } from "../core/sampling.ts";
import type { UserConfig } from "../core/userConfig.ts";

export const RUN_HELP = `promptsmith run — run a prompt file (*.prompt.md) with a local model

Usage: promptsmith run FILE [options]

The file's front matter sets the model, preset, sampling, variables and output constraint
(docs/prompt-files.md). Sampling, lowest precedence first: the defaults, the file's preset, the file's
sampling, --preset, the sampling flags below.

Input:
      --var NAME=VALUE        a value for {{NAME}} (repeatable); variables without one use their default
  -m, --model PATH            GGUF model file (default: the file's "model", else $PROMPTSMITH_MODEL,
                              the config file, the recommended model)
      --preset NAME           sampling preset: ${BUILTIN_PRESETS.map((p) => p.id).join(", ")}
      --config FILE           config file
      --download              download the recommended model if no model is set, without asking
Output:
      --json                  print one JSON object: text, stopReason, seed, metrics, prompt, file, variables, …
      --no-stream             print the answer when it is complete instead of as it is generated
  -q, --quiet                 no metrics line and no warnings on stderr
  -v, --verbose               log runner events to stderr
Sampling (as for generate):
      --temperature N  --top-k N  --top-p N  --min-p N  --repeat-penalty N  --frequency-penalty N
      --presence-penalty N  --repeat-last-n N  --seed N  --max-tokens N  --stop TEXT (repeatable)
      --json-schema FILE  --grammar FILE   (replace the file's output constraint)
Runtime:
      --threads N  --context-size N  --gpu-layers N|auto

Exit codes: 0 ok, 1 generation failed, 2 a problem with the prompt file (front matter, a variable without
a value), the arguments, the config or the model file, 130 interrupted.`;

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** The CLI's shared helpers (src/cli/main.ts), handed in so that `run` parses, reads and reports exactly like `generate`. */
export interface CliKit {
    parse<T extends Options>(args: string[], options: T): Parsed<T>;
    num(name: string, v: string | undefined, integer?: boolean): number | undefined;
    ranged(name: string, v: string | undefined, min: number, max: number): number | undefined;
    readText(path: string, what: string): Promise<string>;
    loadConfig(path: string | undefined): Promise<UserConfig>;
    workerPath(): string;
    stderrLogger(verbose: boolean): Logger;
    askYesNo(question: string): Promise<boolean>;
    progressPrinter(): (p: DownloadProgress) => void;
    /** An error main() reports as a usage error (exit 2, "see --help"). */
    usageError(message: string): Error;
}

const RUN_OPTIONS = {
    var: { type: "string", multiple: true },
    model: { type: "string", short: "m" },
    preset: { type: "string" },
    config: { type: "string" },
    download: { type: "boolean" },
    json: { type: "boolean" },
    "no-stream": { type: "boolean" },
    quiet: { type: "boolean", short: "q" },
    verbose: { type: "boolean", short: "v" },
    ...SAMPLING_RUNTIME_OPTIONS,
    help: { type: "boolean", short: "h" },
} as const satisfies Options;

/** The metrics line generate prints, for a prompt-file run. */
export function metricsLine(result: GenerateResult): string {
    const m = result.metrics;
    return (
        `${result.stopReason === "abort" ? "stopped" : "done"} (${result.stopReason})` +
        ` · ${m.promptTokens} prompt + ${m.outputTokens} output tokens` +
        ` · first token ${m.timeToFirstTokenMs.toFixed(1)} ms · ${m.tokensPerSecond.toFixed(0)} tok/s · prompt ${m.promptTokensPerSecond.toFixed(0)} tok/s` +
        ` · load ${m.loadMs.toFixed(0)} ms · total ${m.totalMs.toFixed(0)} ms · ${m.threads} thread${m.threads === 1 ? "" : "s"}, context ${m.contextSize}` +
        `${result.seed !== undefined ? ` · seed ${result.seed}` : ""}${m.cacheHit ? " · cache hit" : ""}`
    );
}

export async function cmdRun(args: string[], kit: CliKit): Promise<number> {
    const { values: v, positionals } = kit.parse(args, RUN_OPTIONS);
    if (v.help) {
        process.stdout.write(`${RUN_HELP}\n`);
        return 0;
    }
    if (positionals.length !== 1) {
        throw kit.usageError(positionals.length === 0 ? "run needs a prompt file: promptsmith run FILE.prompt.md." : `run takes one prompt file (got ${positionals.length}: ${positionals.join(", ")}).`);
    }
    const file = positionals[0]!;
    const vars: Record<string, string> = {};
    for (const kv of v.var ?? []) {
        const eq = kv.indexOf("=");
        const name = eq < 0 ? kv : kv.slice(0, eq);
        if (eq < 0 || !VARIABLE_NAME.test(name)) {
            throw kit.usageError(eq < 0 ? `--var expects NAME=VALUE, got "${kv}".` : `--var "${name}" is not a variable name (letters, digits, _ and -, starting with a letter or _).`);
        }
        setOwn(vars, name, kv.slice(eq + 1)); // `--var __proto__=x` is a value like any other
    }
    // Runtime and sampling flags are checked before anything else happens (a model download, above all).
    const { sampling: overrides, gpuLayers: gpuLayersArg, threads: threadsArg, contextSize: contextSizeArg } = await readSamplingFlags(v, kit);

    const verbose = Boolean(v.verbose);
    const quiet = Boolean(v.quiet);
    const logger = kit.stderrLogger(verbose);
    const config = await kit.loadConfig(v.config);
    const { prompt, diagnostics } = await readPromptFile(file);
    if (!quiet) {
        for (const d of diagnostics) {
            if (d.severity === "warning" || verbose) process.stderr.write(`${file}:${d.line}:${d.column}: ${d.severity}: ${d.message}\n`);
        }
    }
    const sampling = promptSampling(prompt, { preset: v.preset, presetLabel: "--preset", overrides, file });
    try {
        normalizeSampling(sampling);
    } catch (e) {
        // A value from the file was checked when it was parsed: what is left came from a flag or a preset.
        throw e instanceof PromptsmithError ? new PromptsmithError({ ...e.toJSON(), fix: `${e.fix ?? ""} (from a flag, or the file ${file})`.trim() }) : e;
    }
    const rendered = renderPromptOrThrow(prompt, vars, file);
    if (!quiet) {
        for (const name of rendered.unused) process.stderr.write(`warning: --var ${name} is not used by ${file} (it has no {{${name}}}).\n`);
    }

    const controller = new AbortController();
    let interrupted = false;
    const onSigint = (): void => {
        if (interrupted) process.exit(130);
        interrupted = true;
        process.stderr.write("\nStopping… (Ctrl-C again to quit at once)\n");
        controller.abort();
    };
    process.on("SIGINT", onSigint);

    const modelsDir = config.modelsDir ?? defaultModelsDir();
    let model: { path: string; source: ModelSource | "prompt-file" };
    if (!v.model && prompt.model) {
        model = { path: await resolvePromptModel(prompt.model, file, modelsDir), source: "prompt-file" };
    } else {
        model = await resolveModel({
            cliPath: v.model,
            env: process.env,
            configuredPath: config.modelPath,
            modelsDir,
            confirmDownload: async (m, dir) => v.download === true || kit.askYesNo(`No model is set. Download ${m.displayName} (${formatBytes(m.sizeBytes)}) into ${dir}?`),
            onProgress: kit.progressPrinter(),
            signal: controller.signal,
        });
    }
    logger.debug(`model: ${model.path} (from ${model.source})`);

    const client = new RunnerClient({ workerPath: kit.workerPath(), logger });
    const streaming = !v.json && !v["no-stream"];
    let result: GenerateResult;
    try {
        result = await client.generate(
            {
                modelPath: model.path,
                prompt: { ...(rendered.system !== undefined ? { system: rendered.system } : {}), user: rendered.user, mode: "auto" },
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
        // The prompt came from the prompt file: that is the file to point at.
        if (e instanceof PromptsmithError && e.code === "PROMPT_TOO_LONG") throw new PromptsmithError({ ...e.toJSON(), file });
        throw e;
    } finally {
        await client.dispose();
        process.off("SIGINT", onSigint);
    }

    if (v.json) {
        process.stdout.write(`${JSON.stringify({
            text: result.text,
            stopReason: result.stopReason,
            seed: result.seed ?? null,
            mode: result.mode,
            model,
            metrics: result.metrics,
            prompt: { system: rendered.system ?? null, user: rendered.user },
            file,
            variables: rendered.values,
            sampling,
        }, null, 2)}\n`);
    } else {
        process.stdout.write(streaming ? "\n" : `${result.text}\n`);
        if (!quiet) process.stderr.write(`\n${metricsLine(result)}\n`);
    }
    return interrupted ? 130 : 0;
}
