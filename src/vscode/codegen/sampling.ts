// Sampling for code generation: the promptsmith.sampling.* settings, optionally overridden by a preset
// chosen in the pane (built-in or the user's own from promptsmith.playground.presets).
import * as vscode from "vscode";
import { BUILTIN_PRESETS, userPresets, type Preset } from "../../core/presets.ts";
import { DEFAULT_SAMPLING, type SamplingParams } from "../../core/sampling.ts";
import type { OptionView } from "../../protocol/codegen.ts";

/** The promptsmith.sampling.* settings (the defaults for generation). */
export function settingsSampling(): SamplingParams {
    const c = vscode.workspace.getConfiguration("promptsmith.sampling");
    return {
        temperature: c.get<number>("temperature", DEFAULT_SAMPLING.temperature),
        topP: c.get<number>("topP", DEFAULT_SAMPLING.topP),
        topK: c.get<number>("topK", DEFAULT_SAMPLING.topK),
        minP: c.get<number>("minP", DEFAULT_SAMPLING.minP),
        maxTokens: c.get<number>("maxTokens", DEFAULT_SAMPLING.maxTokens),
    };
}

function presets(): Preset[] {
    const { presets: own } = userPresets(vscode.workspace.getConfiguration("promptsmith.playground").get<unknown>("presets"));
    return [...BUILTIN_PRESETS, ...own];
}

/** The presets the pane offers; "" is the settings. */
export function presetOptions(): OptionView[] {
    const s = settingsSampling();
    return [
        { id: "", name: "From settings", description: `promptsmith.sampling.*: temperature ${s.temperature}, top-p ${s.topP}, up to ${s.maxTokens} tokens` },
        ...presets().map((p) => ({ id: p.id, name: p.name, description: p.description })),
    ];
}

/** Sampling for a run: the settings, then the preset's values (an unknown preset id falls back to the settings). */
export function resolveSampling(presetId: string): { sampling: SamplingParams; preset?: string } {
    const base = settingsSampling();
    const preset = presetId ? presets().find((p) => p.id === presetId) : undefined;
    if (!preset) return { sampling: base };
    return { sampling: { ...base, ...preset.sampling }, preset: preset.id };
}
