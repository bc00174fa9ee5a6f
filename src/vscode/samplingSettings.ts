// The sampling settings shared by code generation and the playground: the promptsmith.sampling.*
// defaults and the user's own presets (promptsmith.playground.presets), read in one place.
import * as vscode from "vscode";
import { BUILTIN_PRESETS, userPresets, type Preset } from "../core/presets.ts";
import { DEFAULT_SAMPLING, type SamplingParams } from "../core/sampling.ts";

/** promptsmith.sampling.*: the defaults for generation and for a prompt without its own settings. */
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

/** The user's presets from promptsmith.playground.presets (invalid ones left out, with the reasons). */
export function ownPresets(): { presets: Preset[]; errors: string[] } {
    return userPresets(vscode.workspace.getConfiguration("promptsmith.playground").get<unknown>("presets"));
}

/** Built-in presets, then the user's own. */
export function allPresets(): Preset[] {
    return [...BUILTIN_PRESETS, ...ownPresets().presets];
}
