// Live token counts of the playground's prompt as it is typed: js-tiktoken (cl100k_base) always, and the
// model's own tokenizer with its context window when a model is available. The prompt is rendered with
// the variables first (a missing variable counts as its placeholder text).
import path from "node:path";
import { encodeTokens } from "../../core/lint/rules/tokenLimit.ts";
import { renderPrompt } from "../../core/prompts/render.ts";
import type { TokenCounts } from "../../core/runner/protocol.ts";
import type { PromptDraft, TokenInfo, VariableRow } from "../../protocol/playground.ts";

export type ModelCounter = (texts: string[], modelPath: string | undefined, signal: AbortSignal) => Promise<(TokenCounts & { modelPath?: string }) | undefined>;

/** The prompt as the model gets it (system, user), variables filled in where they have values or defaults. */
export function renderedTexts(draft: PromptDraft, variables: readonly VariableRow[]): string[] {
    const decl = variables.filter((v) => v.declared).map((v) => ({ name: v.name, ...(v.default !== undefined ? { default: v.default } : {}), required: v.required }));
    const r = renderPrompt({ system: draft.system.trim() ? draft.system : undefined, user: draft.user, variables: decl }, draft.values);
    return r.system !== undefined ? [r.system, r.user] : [r.user];
}

export async function countPromptTokens(texts: string[], modelPath: string | undefined, counter: ModelCounter | undefined, signal: AbortSignal): Promise<TokenInfo> {
    const info: TokenInfo = { tiktoken: texts.reduce((n, t) => n + encodeTokens(t).length, 0) };
    if (!counter) return info;
    const counts = await counter(texts, modelPath, signal).catch(() => undefined);
    if (counts) {
        info.model = counts.counts.reduce((a, b) => a + b, 0);
        info.contextSize = counts.contextSize;
        info.trainContextSize = counts.trainContextSize;
        const p = modelPath ?? counts.modelPath;
        if (p) info.modelName = path.basename(p);
    }
    return info;
}
