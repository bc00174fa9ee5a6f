// Sampling for code generation: the promptsmith.sampling.* settings, optionally overridden by a preset
// chosen in the pane (built-in or the user's own from promptsmith.playground.presets).
import type { SamplingParams } from "../../core/sampling.ts";
import type { OptionView } from "../../protocol/codegen.ts";
import { allPresets, settingsSampling } from "../samplingSettings.ts";


/** The presets the pane offers; "" is the settings. */
export function presetOptions(): OptionView[] {
    const s = settingsSampling();
    return [
        { id: "", name: "From settings", description: `promptsmith.sampling.*: temperature ${s.temperature}, top-p ${s.topP}, up to ${s.maxTokens} tokens` },
        ...allPresets().map((p) => ({ id: p.id, name: p.name, description: p.description })),
    ];
}

/** Sampling for a run: the settings, then the preset's values (an unknown preset id falls back to the settings). */
export function resolveSampling(presetId: string): { sampling: SamplingParams; preset?: string } {
    const base = settingsSampling();
    const preset = presetId ? allPresets().find((p) => p.id === presetId) : undefined;
    if (!preset) return { sampling: base };
    return { sampling: { ...base, ...preset.sampling }, preset: preset.id };
}
