// Sampling parameters: one definition used by the runner, the CLI and (later) the playground.
import { PromptsmithError } from "./errors.ts";

export interface SamplingParams {
    /** 0 = greedy (deterministic). */
    temperature?: number;
    /** 0 = off. */
    topK?: number;
    /** 1 = off. */
    topP?: number;
    /** 0 = off. */
    minP?: number;
    /** 1 = off. Multiplicative penalty on recently used tokens. */
    repeatPenalty?: number;
    /** 0 = off. Subtracted once per previous occurrence. */
    frequencyPenalty?: number;
    /** 0 = off. Subtracted once if the token occurred at all. */
    presencePenalty?: number;
    /** How many recent tokens the penalties look at. */
    repeatLastN?: number;
    /** Fixed seed for reproducible sampling; when absent and temperature > 0 a random one is chosen and reported. */
    seed?: number;
    maxTokens?: number;
    /** Generation stops before any of these strings; the string itself is not returned. */
    stop?: string[];
    /** Constrain the output to this JSON schema (node-llama-cpp's GBNF JSON schema subset). */
    jsonSchema?: object;
    /** Constrain the output to this GBNF grammar. */
    grammar?: string;
}

/** Defaults for code generation: "precise" sampling (the guide's temperature 0.3 with top-p). */
export const DEFAULT_SAMPLING: Readonly<Required<Omit<SamplingParams, "seed" | "stop" | "jsonSchema" | "grammar">>> = Object.freeze({
    temperature: 0.3,
    topK: 40,
    topP: 0.9,
    minP: 0.05,
    repeatPenalty: 1,
    frequencyPenalty: 0,
    presencePenalty: 0,
    repeatLastN: 64,
    maxTokens: 512,
});

export const MAX_SEED = 0xffffffff;

function check(ok: boolean, name: string, rule: string, value: unknown): void {
    if (!ok) {
        throw new PromptsmithError({
            code: "INVALID_ARGUMENT",
            message: `Invalid sampling parameter ${name}: ${JSON.stringify(value)}.`,
            fix: `Use ${rule}.`,
        });
    }
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);

/** Validates and fills defaults. Throws INVALID_ARGUMENT naming the parameter and the allowed range. */
export function normalizeSampling(p: SamplingParams = {}): SamplingParams & typeof DEFAULT_SAMPLING {
    const s = { ...DEFAULT_SAMPLING, ...dropUndefined(p) };
    check(isNum(s.temperature) && s.temperature >= 0 && s.temperature <= 5, "temperature", "a number from 0 (greedy) to 5", s.temperature);
    check(isInt(s.topK) && s.topK >= 0, "topK", "a whole number ≥ 0 (0 turns it off)", s.topK);
    check(isNum(s.topP) && s.topP > 0 && s.topP <= 1, "topP", "a number above 0 and at most 1 (1 turns it off)", s.topP);
    check(isNum(s.minP) && s.minP >= 0 && s.minP <= 1, "minP", "a number from 0 to 1 (0 turns it off)", s.minP);
    check(isNum(s.repeatPenalty) && s.repeatPenalty >= 0 && s.repeatPenalty <= 10, "repeatPenalty", "a number from 0 to 10 (1 turns it off)", s.repeatPenalty);
    check(isNum(s.frequencyPenalty) && Math.abs(s.frequencyPenalty) <= 2, "frequencyPenalty", "a number from -2 to 2", s.frequencyPenalty);
    check(isNum(s.presencePenalty) && Math.abs(s.presencePenalty) <= 2, "presencePenalty", "a number from -2 to 2", s.presencePenalty);
    check(isInt(s.repeatLastN) && s.repeatLastN >= 0, "repeatLastN", "a whole number ≥ 0", s.repeatLastN);
    check(isInt(s.maxTokens) && s.maxTokens >= 1 && s.maxTokens <= 1_000_000, "maxTokens", "a whole number from 1 to 1000000", s.maxTokens);
    if (s.seed !== undefined) check(isInt(s.seed) && s.seed >= 0 && s.seed <= MAX_SEED, "seed", `a whole number from 0 to ${MAX_SEED}`, s.seed);
    if (s.stop !== undefined) {
        check(Array.isArray(s.stop) && s.stop.every((x) => typeof x === "string" && x.length > 0), "stop", "a list of non-empty strings", s.stop);
    }
    if (s.grammar !== undefined) check(typeof s.grammar === "string" && s.grammar.trim().length > 0, "grammar", "a non-empty GBNF grammar", "(grammar)");
    if (s.jsonSchema !== undefined) check(typeof s.jsonSchema === "object" && s.jsonSchema !== null, "jsonSchema", "a JSON schema object", s.jsonSchema);
    if (s.grammar !== undefined && s.jsonSchema !== undefined) {
        throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: "Both a grammar and a JSON schema were given.", fix: "Pass only one of them." });
    }
    return s;
}

/** A request is reproducible (and so cacheable) when it is greedy or has a fixed seed. */
export function isDeterministic(s: SamplingParams): boolean {
    return s.temperature === 0 || s.seed !== undefined;
}

export function randomSeed(): number {
    return Math.floor(Math.random() * MAX_SEED);
}

function dropUndefined<T extends object>(o: T): Partial<T> {
    return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
