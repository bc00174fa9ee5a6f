// A bounded LRU cache of responses to deterministic requests (greedy, or a fixed seed).
import { createHash } from "node:crypto";
import { stat, realpath } from "node:fs/promises";
import type { GenerateRequest, GenerateResult } from "./protocol.ts";

export interface CacheOptions {
    /** Most entries kept. */
    maxEntries?: number;
    /** Most characters of answer text kept in total. */
    maxChars?: number;
}

export class ResponseCache {
    private readonly entries = new Map<string, GenerateResult>();
    private chars = 0;
    private readonly maxEntries: number;
    private readonly maxChars: number;
    hits = 0;
    misses = 0;

    constructor({ maxEntries = 256, maxChars = 4_000_000 }: CacheOptions = {}) {
        this.maxEntries = maxEntries;
        this.maxChars = maxChars;
    }

    get size(): number {
        return this.entries.size;
    }

    get(key: string): GenerateResult | undefined {
        const v = this.entries.get(key);
        if (!v) {
            this.misses++;
            return undefined;
        }
        this.hits++;
        this.entries.delete(key); // refresh recency
        this.entries.set(key, v);
        return v;
    }

    set(key: string, value: GenerateResult): void {
        if (value.text.length > this.maxChars) return;
        const old = this.entries.get(key);
        if (old) {
            this.chars -= old.text.length;
            this.entries.delete(key);
        }
        this.entries.set(key, value);
        this.chars += value.text.length;
        for (const [k, v] of this.entries) {
            if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
            this.entries.delete(k);
            this.chars -= v.text.length;
        }
    }

    clear(): void {
        this.entries.clear();
        this.chars = 0;
    }
}

/**
 * The cache key: the model file's identity (resolved path, size, modification time, inode) plus every
 * parameter that can change the output, plus the prompt. Hashing the model's bytes would take seconds
 * for a multi-gigabyte file; a changed file changes its size or mtime.
 */
export async function cacheKey(request: GenerateRequest): Promise<string> {
    const real = await realpath(request.modelPath);
    const st = await stat(real);
    const identity = { path: real, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    return createHash("sha256").update(stableStringify({ identity, prompt: request.prompt, sampling: request.sampling ?? {}, load: request.load ?? {} })).digest("hex");
}

/** JSON with sorted object keys, so equal requests give equal keys. */
export function stableStringify(v: unknown): string {
    if (v === undefined) return "null";
    if (v === null || typeof v !== "object") return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(stableStringify).join(",")}]`;
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(",")}}`;
}
