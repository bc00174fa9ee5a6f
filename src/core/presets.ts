// Sampling presets (built-in and the user's own, from promptsmith.playground.presets) and the
// description of every sampling control the playground shows. Browser-safe: no Node APIs, no vscode.
// The ranges here are exactly the ones normalizeSampling (sampling.ts) accepts; test/presets.spec.ts
// checks that they agree.
import { normalizeSampling, MAX_SEED, type SamplingParams } from "./sampling.ts";

export interface Preset {
    /** Stable identifier: "precise", "balanced", "creative" for the built-ins; the setting's key for the user's own. */
    id: string;
    name: string;
    description: string;
    sampling: SamplingParams;
    builtin: boolean;
}

/**
 * The built-in presets set every "style" parameter (temperature, top-p, top-k, min-p and the three
 * penalties) so that choosing one gives the same sampling whatever was set before. They leave maxTokens,
 * seed and stop alone: those belong to the task, not to the style.
 */
export const BUILTIN_PRESETS: readonly Preset[] = Object.freeze([
    {
        id: "precise",
        name: "Precise",
        description: "Focused, repeatable answers for facts, extraction and code: temperature 0.3, top-p 0.9.",
        sampling: { temperature: 0.3, topP: 0.9, topK: 40, minP: 0.05, repeatPenalty: 1, frequencyPenalty: 0, presencePenalty: 0 },
        builtin: true,
    },
    {
        id: "balanced",
        name: "Balanced",
        description: "Natural, varied wording that stays on topic (chat, summaries): temperature 0.7, top-p 0.95.",
        sampling: { temperature: 0.7, topP: 0.95, topK: 40, minP: 0.05, repeatPenalty: 1.05, frequencyPenalty: 0, presencePenalty: 0 },
        builtin: true,
    },
    {
        id: "creative",
        name: "Creative",
        description: "More surprising word choices for brainstorming and stories: temperature 1.0, top-k off, min-p 0.05 keeps it coherent.",
        sampling: { temperature: 1, topP: 0.95, topK: 0, minP: 0.05, repeatPenalty: 1.1, frequencyPenalty: 0, presencePenalty: 0.3 },
        builtin: true,
    },
].map((p) => Object.freeze({ ...p, sampling: Object.freeze(p.sampling) })));

export interface SamplingControl {
    key: "temperature" | "topP" | "topK" | "minP" | "repeatPenalty" | "frequencyPenalty" | "presencePenalty" | "maxTokens" | "seed";
    label: string;
    kind: "number" | "integer";
    /** Smallest value normalizeSampling accepts. */
    min: number;
    /** Largest value normalizeSampling accepts; when `unboundedAbove`, only where a slider ends. */
    max: number;
    step: number;
    /** value that turns it off, if any */
    off?: number;
    /** One line a user understands. */
    explanation: string;
    /** True when normalizeSampling accepts any larger value (topK): `max` is a practical slider end, a number field may go higher. */
    unboundedAbove?: boolean;
}

export const SAMPLING_CONTROLS: readonly SamplingControl[] = Object.freeze([
    { key: "temperature", label: "Temperature", kind: "number", min: 0, max: 5, step: 0.05, explanation: "Higher is more random; 0 always picks the most likely token." },
    { key: "topP", label: "Top-p", kind: "number", min: 0.01, max: 1, step: 0.01, off: 1, explanation: "Samples only from the most likely tokens that together reach this probability; 1 turns it off." },
    { key: "topK", label: "Top-k", kind: "integer", min: 0, max: 200, step: 1, off: 0, unboundedAbove: true, explanation: "Samples only from this many most likely tokens; 0 turns it off." },
    { key: "minP", label: "Min-p", kind: "number", min: 0, max: 1, step: 0.01, off: 0, explanation: "Drops tokens less likely than this share of the best token's probability; 0 turns it off." },
    { key: "repeatPenalty", label: "Repeat penalty", kind: "number", min: 0, max: 10, step: 0.05, off: 1, explanation: "Above 1 makes recently used tokens less likely (fewer loops); 1 turns it off." },
    { key: "frequencyPenalty", label: "Frequency penalty", kind: "number", min: -2, max: 2, step: 0.05, off: 0, explanation: "Penalises a token more each time it has appeared; negative values encourage repeats; 0 turns it off." },
    { key: "presencePenalty", label: "Presence penalty", kind: "number", min: -2, max: 2, step: 0.05, off: 0, explanation: "Penalises any token that has appeared at all, nudging towards new topics; 0 turns it off." },
    { key: "maxTokens", label: "Max tokens", kind: "integer", min: 1, max: 1_000_000, step: 1, explanation: "The answer stops after this many tokens (or at the end of the context window)." },
    { key: "seed", label: "Seed", kind: "integer", min: 0, max: MAX_SEED, step: 1, explanation: "The same seed, prompt and settings give the same answer; leave empty for a new random seed each run." },
].map((c) => Object.freeze(c as SamplingControl)));

/** The sampling keys a preset (or a prompt file's `sampling` block) may set. */
export const PRESET_KEYS: readonly (keyof SamplingParams)[] = Object.freeze([
    "temperature", "topP", "topK", "minP", "repeatPenalty", "frequencyPenalty", "presencePenalty", "repeatLastN", "maxTokens", "seed", "stop",
] as const);

/**
 * The user's presets from the setting promptsmith.playground.presets ({ "Name": { temperature: 0.3, … } }).
 * A preset with an unknown key or a value out of range is left out with an error naming it and the key
 * (a half-applied preset would sample differently from what its name promises). A name equal to a
 * built-in preset's id or name is refused: prompt files shared with others rely on the built-ins.
 */
export function userPresets(setting: unknown): { presets: Preset[]; errors: string[] } {
    const presets: Preset[] = [];
    const errors: string[] = [];
    if (setting === undefined || setting === null) return { presets, errors };
    if (typeof setting !== "object" || Array.isArray(setting)) {
        return { presets, errors: ["promptsmith.playground.presets must be an object of named presets, e.g. { \"Factual\": { \"temperature\": 0.3 } }."] };
    }
    for (const [name, value] of Object.entries(setting as Record<string, unknown>)) {
        const label = `Preset "${name}"`;
        if (name.trim() === "") {
            errors.push("A preset in promptsmith.playground.presets has an empty name; give it a name.");
            continue;
        }
        if (BUILTIN_PRESETS.some((b) => b.id === name.toLowerCase() || b.name.toLowerCase() === name.toLowerCase())) {
            errors.push(`${label} has the name of a built-in preset; rename it (the built-in ${name.toLowerCase()} keeps its meaning in shared prompt files).`);
            continue;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            errors.push(`${label} must be an object of sampling values, e.g. { "temperature": 0.3, "topP": 0.9 }.`);
            continue;
        }
        const problem = checkSamplingObject(value as Record<string, unknown>);
        if (problem) {
            errors.push(`${label}: ${problem}`);
            continue;
        }
        const sampling = { ...(value as SamplingParams) };
        if (presets.some((p) => p.id.toLowerCase() === name.toLowerCase())) {
            errors.push(`${label} differs from another preset only in upper/lower case; rename one of them.`);
            continue;
        }
        presets.push({ id: name, name, description: describeSampling(sampling), sampling, builtin: false });
    }
    return { presets, errors };
}

/** Why a sampling object is not acceptable (unknown key, wrong type or range), or undefined when it is. */
export function checkSamplingObject(o: Record<string, unknown>): string | undefined {
    for (const [k, v] of Object.entries(o)) {
        if (!(PRESET_KEYS as readonly string[]).includes(k)) {
            const hint = suggestKey(k, PRESET_KEYS);
            return `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ""}; allowed: ${PRESET_KEYS.join(", ")}.`;
        }
        const p = samplingProblem(k as keyof SamplingParams, v);
        if (p) return p;
    }
    return undefined;
}

/** normalizeSampling's verdict on one value: its message and fix, or undefined when the value is accepted. */
export function samplingProblem(key: keyof SamplingParams, value: unknown): string | undefined {
    try {
        normalizeSampling({ [key]: value } as SamplingParams);
        return undefined;
    } catch (e) {
        const err = e as { message?: string; fix?: string };
        return [err.message, err.fix].filter(Boolean).join(" ");
    }
}

/** Finds a preset by id or name, case-insensitive: built-ins first, then the user's. */
export function resolvePreset(name: string, user: readonly Preset[]): Preset | undefined {
    const n = name.trim().toLowerCase();
    if (!n) return undefined;
    return [...BUILTIN_PRESETS, ...user].find((p) => p.id.toLowerCase() === n || p.name.toLowerCase() === n);
}

const SHORT_LABELS: Partial<Record<keyof SamplingParams, string>> = {
    temperature: "temperature",
    topP: "top-p",
    topK: "top-k",
    minP: "min-p",
    repeatPenalty: "repeat penalty",
    frequencyPenalty: "frequency penalty",
    presencePenalty: "presence penalty",
    repeatLastN: "repeat last n",
    maxTokens: "max tokens",
    seed: "seed",
};

/** "temperature 0.3 · top-p 0.9 · seed 42": a one-line summary for pickers and tooltips. */
export function describeSampling(s: SamplingParams): string {
    const parts: string[] = [];
    for (const k of PRESET_KEYS) {
        const v = s[k];
        if (v === undefined) continue;
        if (k === "stop") parts.push(`stop ${(v as string[]).map((x) => JSON.stringify(x)).join(", ")}`);
        else parts.push(`${SHORT_LABELS[k] ?? k} ${String(v)}`);
    }
    return parts.join(" · ") || "no sampling values";
}

/** A close known key for a typo or another spelling (top_p, TopP, max-tokens, temprature). */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
    const squash = (s: string) => s.toLowerCase().replace(/[-_\s]/g, "");
    const k = squash(key);
    const exact = known.find((x) => squash(x) === k);
    if (exact) return exact;
    let best: { key: string; d: number } | undefined;
    for (const x of known) {
        const d = editDistance(k, squash(x));
        if (d <= Math.max(1, Math.floor(x.length / 4)) && (!best || d < best.d)) best = { key: x, d };
    }
    return best?.key;
}

/** Edits (insert, delete, replace, swap two neighbours) between two strings. */
function editDistance(a: string, b: string): number {
    const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++) {
            const row = d[i]!;
            row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
            if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
        }
    }
    return d[a.length]![b.length]!;
}
