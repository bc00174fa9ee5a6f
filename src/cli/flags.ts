// The sampling and runtime flags `generate` and `run` share: their definitions for parseArgs and how
// their values become SamplingParams and load options (checked before anything else happens).
import { PromptsmithError } from "../core/errors.ts";
import type { SamplingParams } from "../core/sampling.ts";

export const SAMPLING_RUNTIME_OPTIONS = {
    temperature: { type: "string" },
    "top-k": { type: "string" },
    "top-p": { type: "string" },
    "min-p": { type: "string" },
    "repeat-penalty": { type: "string" },
    "frequency-penalty": { type: "string" },
    "presence-penalty": { type: "string" },
    "repeat-last-n": { type: "string" },
    seed: { type: "string" },
    "max-tokens": { type: "string" },
    stop: { type: "string", multiple: true },
    "json-schema": { type: "string" },
    grammar: { type: "string" },
    threads: { type: "string" },
    "context-size": { type: "string" },
    "gpu-layers": { type: "string" },
} as const;

type FlagValues = { [K in keyof typeof SAMPLING_RUNTIME_OPTIONS]?: K extends "stop" ? string[] : string };

export interface FlagHelpers {
    num(name: string, v: string | undefined, integer?: boolean): number | undefined;
    ranged(name: string, v: string | undefined, min: number, max: number): number | undefined;
    readText(path: string, what: string): Promise<string>;
}

export interface FlagSettings {
    /** Only the sampling flags given (no undefined keys). */
    sampling: SamplingParams;
    gpuLayers: number | "auto" | undefined;
    threads: number | undefined;
    contextSize: number | undefined;
}

/** Reads the shared flags; throws INVALID_ARGUMENT (via the helpers) naming the flag. */
export async function readSamplingFlags(v: FlagValues, h: FlagHelpers): Promise<FlagSettings> {
    const gpuLayers = v["gpu-layers"] === "auto" ? "auto" : h.ranged("gpu-layers", v["gpu-layers"], 0, 100_000);
    const threads = h.ranged("threads", v.threads, 1, 1024);
    const contextSize = h.ranged("context-size", v["context-size"], 64, 1_048_576);
    const all: SamplingParams = {
        temperature: h.num("temperature", v.temperature),
        topK: h.num("top-k", v["top-k"], true),
        topP: h.num("top-p", v["top-p"]),
        minP: h.num("min-p", v["min-p"]),
        repeatPenalty: h.num("repeat-penalty", v["repeat-penalty"]),
        frequencyPenalty: h.num("frequency-penalty", v["frequency-penalty"]),
        presencePenalty: h.num("presence-penalty", v["presence-penalty"]),
        repeatLastN: h.num("repeat-last-n", v["repeat-last-n"], true),
        seed: h.num("seed", v.seed, true),
        maxTokens: h.num("max-tokens", v["max-tokens"], true),
        stop: v.stop,
    };
    const sampling = Object.fromEntries(Object.entries(all).filter(([, x]) => x !== undefined)) as SamplingParams;
    if (v["json-schema"]) {
        const text = await h.readText(v["json-schema"], "JSON schema");
        try {
            sampling.jsonSchema = JSON.parse(text) as object;
        } catch (e) {
            throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: `The JSON schema file is not valid JSON: ${(e as Error).message}`, file: v["json-schema"], fix: "Fix the JSON syntax." });
        }
    }
    if (v.grammar) sampling.grammar = await h.readText(v.grammar, "grammar");
    return { sampling, gpuLayers, threads, contextSize };
}
