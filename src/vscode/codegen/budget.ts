// The context budget of a request: how many tokens the included code and the earlier turns of the
// conversation may take, and what fits. The same computation serves the pane's live display and the
// request itself, so what the pane shows is what is sent.
//
// Counting: cl100k_base (js-tiktoken) as an estimate while typing; once the selected model is loaded,
// the model's own tokenizer counts a sample (the prompt and the candidates) and the estimate is scaled by
// that ratio (with a small margin), so the budget holds for the model's real tokens. The context window
// is the model's (runner) or, before it is loaded, min(4096, the GGUF header's training context) or the
// promptsmith.contextSize setting.
//
// Cost: the pane recounts 250 ms after each keystroke or selection change, and a file of a few hundred
// thousand characters takes a tokenizer a noticeable time (hundreds of milliseconds when its lines are
// new to the piece cache), all on the extension host's thread. So counts are cached (short texts by
// their text, long ones by a hash of it, both bounded), and while typing ("live") a long text whose
// count is not cached is estimated from its length (characters per token as measured on the texts
// counted so far), and so is any short text once this recount has spent LIVE_COUNT_MS counting (the
// lines of a large file that must be cut to fit); the pane marks such a budget with "≈". Each live
// recount counts a little more exactly (what it counted is cached). Generate counts exactly ("exact"),
// which also fills the caches, so the next live budget is exact again while the file is unchanged.
import * as vscode from "vscode";
import { createHash } from "node:crypto";
import { readGgufInfo } from "../../core/gguf/reader.ts";
import { countTokens } from "../../core/lint/rules/tokenLimit.ts";
import { contextBudget, packContext, type ContextCandidate, type PackResult } from "../../core/codegen/context.ts";
import type { Conversation } from "../../core/codegen/conversation.ts";
import type { BuiltPrompt } from "../../core/codegen/prompt.ts";
import { DEFAULT_CONTEXT_SIZE } from "../../core/runner/protocol.ts";
import type { Logger } from "../../core/logger.ts";
import type { BudgetItem, BudgetView } from "../../protocol/codegen.ts";
import { countModelTokens, getModelState, modelLoadOptions } from "../models.ts";

export type Counter = (text: string) => number;

/** Share of the budget the conversation may take at most; the context code gets the rest. */
const CONVERSATION_SHARE = 0.5;
/** The scaled estimate is raised by this much so a slightly different split of tokens still fits. */
const MARGIN = 1.1;

export interface ContextPlan {
    promptTokens: number;
    budget: number;
    conversation: ReturnType<Conversation["fit"]>;
    packed: PackResult;
    view: BudgetView;
}

/** The prompt's own text as the runner may send it (chat or completion form, whichever is longer). */
function promptText(prompt: BuiltPrompt): string {
    const chat = `${prompt.system}\n${prompt.user}`;
    return chat.length >= prompt.completion.length ? chat : prompt.completion;
}

/** Plans the context of a request: the conversation first (up to half the budget), then the code. */
export function planContext(o: {
    prompt: BuiltPrompt;
    candidates: ContextCandidate[];
    conversation: Conversation;
    contextSize: number;
    maxTokens: number;
    share: number;
    count: Counter;
    counter: BudgetView["counter"];
    /** Whether `count` estimated some text from its length (read after planning). */
    approximated?: () => boolean;
}): ContextPlan {
    const promptTokens = o.count(promptText(o.prompt));
    const budget = contextBudget({ contextSize: o.contextSize, maxTokens: o.maxTokens, promptTokens, share: o.share });
    const conversation = o.conversation.fit(Math.floor(budget * CONVERSATION_SHARE), o.count);
    const packed = packContext(o.candidates, Math.max(0, budget - conversation.tokens), o.count);
    const items: BudgetItem[] = [];
    for (const s of packed.snippets) {
        items.push({ id: s.id, kind: s.kind, label: s.label, tokens: s.tokens, included: true, truncated: s.truncated, ...(s.truncated ? { reason: "only the lines that fit" } : {}) });
    }
    for (const m of packed.omitted) {
        if (m.reason === "empty") continue;
        const kind = o.candidates.find((c) => c.id === m.id)?.kind ?? "openFile";
        items.push({ id: m.id, kind, label: m.label, tokens: m.tokens, included: false, truncated: false, reason: m.reason === "duplicate" ? "same code as above" : "does not fit" });
    }
    const turns = conversation.turns.length;
    const dropped = conversation.dropped;
    if (turns + dropped > 0) {
        items.push({
            id: "conversation",
            kind: "conversation",
            label: `Earlier requests (${turns} of ${turns + dropped})`,
            tokens: conversation.tokens,
            included: turns > 0,
            truncated: dropped > 0,
            ...(dropped > 0 ? { reason: turns === 0 ? "they do not fit" : `the ${dropped} oldest do not fit` } : {}),
        });
    }
    return {
        promptTokens,
        budget,
        conversation,
        packed,
        view: { used: packed.tokens + conversation.tokens, budget, contextSize: o.contextSize, promptTokens, maxTokens: o.maxTokens, items, counter: o.counter, ...(o.approximated?.() ? { approximate: true } : {}) },
    };
}

/** Texts up to this long are counted exactly while typing (and cached by their text), within LIVE_COUNT_MS. */
export const LIVE_EXACT_CHARS = 20_000;
/** What one live recount may spend counting texts that are not cached; the rest is estimated. */
const LIVE_COUNT_MS = 25;
const SHORT_CACHE_ENTRIES = 20_000;
const LONG_CACHE_ENTRIES = 64;
/** Characters per token assumed before anything long was counted (low: the estimate errs towards more tokens). */
const DEFAULT_CHARS_PER_TOKEN = 3;

/** Counting for the budget: the estimate, scaled to the loaded model's tokenizer once it has counted. */
export class TokenCounter {
    private ratio: { model: string; value: number; contextSize: number } | undefined;
    private calibrating: Promise<void> | undefined;
    private readonly short = new Map<string, number>();
    private readonly long = new Map<string, number>();
    private measured = { chars: 0, tokens: 0 };
    private readonly headerContext = new Map<string, Promise<number | undefined>>();

    constructor(private readonly logger: Logger) {}

    /**
     * The counter to use for `modelPath` now, and whether it is the model's. "live" (the pane's budget
     * while typing) estimates long texts that were not counted yet from their length; `approximated()`
     * says whether it did. "exact" (a request) counts everything.
     */
    counterFor(modelPath: string | undefined, mode: "exact" | "live" = "exact"): { count: Counter; counter: BudgetView["counter"]; approximated: () => boolean } {
        let approx = false;
        let spent = 0;
        const base = mode === "exact" ? (t: string) => this.estimate(t) : (t: string) => {
            const hit = t.length <= LIVE_EXACT_CHARS ? this.short.get(t) : this.cached(t);
            if (hit !== undefined) return hit;
            if (t.length <= LIVE_EXACT_CHARS && spent < LIVE_COUNT_MS) {
                const t0 = performance.now();
                const n = this.estimate(t);
                spent += performance.now() - t0;
                return n;
            }
            approx = true;
            return Math.ceil(t.length / this.charsPerToken());
        };
        const r = modelPath && this.ratio?.model === modelPath ? this.ratio.value : undefined;
        const approximated = () => approx;
        if (r === undefined) return { count: base, counter: "estimate", approximated };
        return { count: (t) => Math.ceil(base(t) * r), counter: "model", approximated };
    }

    /** cl100k_base, exact, cached (the pane recounts on every keystroke). */
    estimate(text: string): number {
        const hit = this.cached(text);
        if (hit !== undefined) return hit;
        const n = countTokens(text);
        if (text.length <= LIVE_EXACT_CHARS) remember(this.short, text, n, SHORT_CACHE_ENTRIES);
        else {
            remember(this.long, hashOf(text), n, LONG_CACHE_ENTRIES);
            this.measured = { chars: this.measured.chars + text.length, tokens: this.measured.tokens + n };
        }
        return n;
    }

    /** The exact count when it is cheap: a short text (counted now if need be) or a long one counted before. */
    private cached(text: string): number | undefined {
        if (text.length <= LIVE_EXACT_CHARS) {
            const hit = this.short.get(text);
            if (hit !== undefined) return hit;
            const n = countTokens(text);
            remember(this.short, text, n, SHORT_CACHE_ENTRIES);
            return n;
        }
        const key = hashOf(text);
        const hit = this.long.get(key);
        if (hit !== undefined) remember(this.long, key, hit, LONG_CACHE_ENTRIES);
        return hit;
    }

    private charsPerToken(): number {
        const { chars, tokens } = this.measured;
        return tokens >= 1000 ? Math.max(1, chars / tokens) : DEFAULT_CHARS_PER_TOKEN;
    }

    /** Whether the model's tokenizer has been sampled for `modelPath`. */
    calibrated(modelPath: string | undefined): boolean {
        return !!modelPath && this.ratio?.model === modelPath;
    }

    /**
     * Counts a sample with the model's tokenizer (only when that model is loaded: typing never loads a
     * model) and keeps the ratio to the estimate. Resolves true when the ratio changed.
     */
    async calibrate(modelPath: string, sample: string[], options: { force?: boolean } = {}): Promise<boolean> {
        if (this.calibrated(modelPath) && !options.force) return false;
        const st = getModelState();
        if (!options.force && !(st.kind === "ready" && st.path === modelPath)) return false;
        if (this.calibrating) {
            await this.calibrating;
            return this.calibrated(modelPath);
        }
        const texts = sample.filter((t) => t.trim() !== "");
        if (texts.length === 0) return false;
        let changed = false;
        this.calibrating = (async () => {
            try {
                const result = await countModelTokens(texts);
                if (!result) return;
                const model = result.counts.reduce((a: number, b: number) => a + b, 0);
                const est = texts.reduce((a, t) => a + this.estimate(t), 0);
                if (est <= 0 || model <= 0) return;
                const value = (model / est) * MARGIN;
                this.ratio = { model: modelPath, value, contextSize: result.contextSize };
                changed = true;
                this.logger.debug(`Code generation budget: ${model} model tokens for ${est} estimated (ratio ${value.toFixed(2)} with margin).`);
            } catch (e) {
                this.logger.debug(`Code generation budget: the model could not count tokens (${e instanceof Error ? e.message : String(e)}); using the estimate.`);
            }
        })();
        try {
            await this.calibrating;
        } finally {
            this.calibrating = undefined;
        }
        return changed;
    }

    /** The model's context window: the setting, else min(4096, its training context from the GGUF header). */
    async contextSize(modelPath: string | undefined): Promise<number> {
        // The runner's own answer, once it counted for this model.
        if (modelPath && this.ratio?.model === modelPath && this.ratio.contextSize > 0) return this.ratio.contextSize;
        const configured = modelLoadOptions().contextSize;
        if (configured) return configured;
        if (!modelPath) return DEFAULT_CONTEXT_SIZE;
        let p = this.headerContext.get(modelPath);
        if (!p) {
            p = readGgufInfo(modelPath).then((i) => i.contextLength, () => undefined);
            this.headerContext.set(modelPath, p);
        }
        const train = await p;
        return Math.min(DEFAULT_CONTEXT_SIZE, train && train > 0 ? train : DEFAULT_CONTEXT_SIZE);
    }

    /** Forgets header reads (a model file replaced on disk). */
    reset(): void {
        this.headerContext.clear();
        this.ratio = undefined;
    }
}

/** Keeps `key` as the newest entry of a bounded map (the oldest goes first). */
function remember<K>(map: Map<K, number>, key: K, value: number, max: number): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > max) map.delete(map.keys().next().value!);
}

function hashOf(text: string): string {
    return `${text.length}:${createHash("sha1").update(text).digest("base64")}`;
}

/** The promptsmith.codegen.contextBudgetShare setting. */
export function budgetShare(): number {
    const v = vscode.workspace.getConfiguration("promptsmith.codegen").get<number>("contextBudgetShare", 0.5);
    return typeof v === "number" && Number.isFinite(v) ? Math.min(0.9, Math.max(0.1, v)) : 0.5;
}
