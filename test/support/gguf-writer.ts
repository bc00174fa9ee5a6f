// A small GGUF v3 writer for test fixtures: a generic writer (`encodeGguf` / `writeGguf`) and
// `writeTinyLlama`, which writes a real, loadable llama-architecture model with deterministic random
// weights and a tiny SentencePiece vocabulary that can tokenize any text (byte fallback).

import { writeFile } from "node:fs/promises";

export type GgufScalarType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "bool" | "string" | "uint64" | "int64" | "float64";

const TYPE_IDS: Record<GgufScalarType | "array", number> = {
    uint8: 0, int8: 1, uint16: 2, int16: 3, uint32: 4, int32: 5, float32: 6, bool: 7, string: 8, array: 9, uint64: 10, int64: 11, float64: 12,
};

export type GgufMetadataEntry =
    | { key: string; type: GgufScalarType; value: string | number | bigint | boolean }
    | { key: string; type: "array"; itemType: GgufScalarType | "array"; value: unknown[]; /** for arrays of arrays */ nestedItemType?: GgufScalarType };

export type GgufTensorType = "F32" | "F16";

export interface GgufTensorSpec {
    name: string;
    /** ggml order: dims[0] is the row length (fastest varying). */
    dims: number[];
    type: GgufTensorType;
    data: Float32Array | number[];
}

export interface GgufSpec {
    /** Default 3. */
    version?: number;
    /** Data alignment; written as general.alignment only when it is not 32. */
    alignment?: number;
    metadata: GgufMetadataEntry[];
    tensors: GgufTensorSpec[];
}

class ByteWriter {
    private parts: Buffer[] = [];
    length = 0;
    push(b: Buffer): void {
        this.parts.push(b);
        this.length += b.length;
    }
    u8(v: number): void { const b = Buffer.alloc(1); b.writeUInt8(v); this.push(b); }
    i8(v: number): void { const b = Buffer.alloc(1); b.writeInt8(v); this.push(b); }
    u16(v: number): void { const b = Buffer.alloc(2); b.writeUInt16LE(v); this.push(b); }
    i16(v: number): void { const b = Buffer.alloc(2); b.writeInt16LE(v); this.push(b); }
    u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v); this.push(b); }
    i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v); this.push(b); }
    f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
    f64(v: number): void { const b = Buffer.alloc(8); b.writeDoubleLE(v); this.push(b); }
    u64(v: number | bigint): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
    i64(v: number | bigint): void { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(v)); this.push(b); }
    str(s: string): void {
        const b = Buffer.from(s, "utf8");
        this.u64(b.length);
        this.push(b);
    }
    padTo(alignment: number): void {
        const n = (alignment - (this.length % alignment)) % alignment;
        if (n) this.push(Buffer.alloc(n));
    }
    toBuffer(): Buffer {
        return Buffer.concat(this.parts, this.length);
    }
}

function writeScalar(w: ByteWriter, type: GgufScalarType, value: unknown): void {
    switch (type) {
        case "uint8": w.u8(Number(value)); break;
        case "int8": w.i8(Number(value)); break;
        case "uint16": w.u16(Number(value)); break;
        case "int16": w.i16(Number(value)); break;
        case "uint32": w.u32(Number(value)); break;
        case "int32": w.i32(Number(value)); break;
        case "float32": w.f32(Number(value)); break;
        case "bool": w.u8(value ? 1 : 0); break;
        case "string": w.str(String(value)); break;
        case "uint64": w.u64(value as number | bigint); break;
        case "int64": w.i64(value as number | bigint); break;
        case "float64": w.f64(Number(value)); break;
    }
}

function writeArray(w: ByteWriter, itemType: GgufScalarType | "array", values: unknown[], nestedItemType?: GgufScalarType): void {
    w.u32(TYPE_IDS[itemType]);
    w.u64(values.length);
    for (const v of values) {
        if (itemType === "array") writeArray(w, nestedItemType ?? "int32", v as unknown[]);
        else writeScalar(w, itemType, v);
    }
}

/** IEEE 754 half precision, round to nearest even. */
export function toFloat16Bits(value: number): number {
    const f32 = new Float32Array(1);
    const u32 = new Uint32Array(f32.buffer);
    f32[0] = value;
    const x = u32[0] ?? 0;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
    const e = exp - 127 + 15;
    if (e >= 0x1f) return sign | 0x7c00;
    if (e <= 0) {
        if (e < -10) return sign;
        mant |= 0x800000;
        const shift = 14 - e;
        let half = mant >>> shift;
        const rem = mant & ((1 << shift) - 1);
        const mid = 1 << (shift - 1);
        if (rem > mid || (rem === mid && (half & 1))) half++;
        return sign | half;
    }
    let half = (e << 10) | (mant >>> 13);
    const rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
    return sign | half;
}

function tensorBytes(t: GgufTensorSpec): Buffer {
    const n = t.dims.reduce((a, b) => a * b, 1);
    if (t.data.length !== n) throw new Error(`tensor ${t.name}: ${t.data.length} values for dims ${t.dims.join("x")} (${n})`);
    if (t.type === "F32") {
        const b = Buffer.alloc(n * 4);
        for (let i = 0; i < n; i++) b.writeFloatLE(t.data[i] ?? 0, i * 4);
        return b;
    }
    const b = Buffer.alloc(n * 2);
    for (let i = 0; i < n; i++) b.writeUInt16LE(toFloat16Bits(t.data[i] ?? 0), i * 2);
    return b;
}

/** Encodes a complete GGUF file in memory. */
export function encodeGguf(spec: GgufSpec): Buffer {
    const alignment = spec.alignment ?? 32;
    const metadata = [...spec.metadata];
    if (alignment !== 32 && !metadata.some((m) => m.key === "general.alignment")) {
        metadata.push({ key: "general.alignment", type: "uint32", value: alignment });
    }
    const w = new ByteWriter();
    w.push(Buffer.from("GGUF", "latin1"));
    w.u32(spec.version ?? 3);
    w.u64(spec.tensors.length);
    w.u64(metadata.length);
    for (const m of metadata) {
        w.str(m.key);
        w.u32(TYPE_IDS[m.type]);
        if (m.type === "array") writeArray(w, m.itemType, m.value, m.nestedItemType);
        else writeScalar(w, m.type, m.value);
    }
    const datas = spec.tensors.map(tensorBytes);
    let offset = 0;
    spec.tensors.forEach((t, i) => {
        w.str(t.name);
        w.u32(t.dims.length);
        for (const d of t.dims) w.u64(d);
        w.u32(t.type === "F32" ? 0 : 1);
        w.u64(offset);
        const size = datas[i]?.length ?? 0;
        offset += Math.ceil(size / alignment) * alignment;
    });
    w.padTo(alignment);
    datas.forEach((d, i) => {
        w.push(d);
        if (i < datas.length - 1) w.padTo(alignment);
    });
    return w.toBuffer();
}

export async function writeGguf(path: string, spec: GgufSpec): Promise<{ size: number }> {
    const buf = encodeGguf(spec);
    await writeFile(path, buf);
    return { size: buf.length };
}

// ---- tiny llama ----

/** Deterministic PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export const CHATML_TEMPLATE =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export interface TinyLlamaOptions {
    /** PRNG seed for the weights (default 1). */
    seed?: number;
    /** Written as general.architecture and as the prefix of the hyper-parameter keys (default "llama"). */
    architecture?: string;
    name?: string;
    contextLength?: number; // default 1024
    embeddingLength?: number; // default 32
    blockCount?: number; // default 2
    headCount?: number; // default 4
    headCountKv?: number; // default headCount
    feedForwardLength?: number; // default 64
    tensorType?: GgufTensorType; // default F32 (norm vectors are always F32)
    /** Jinja chat template; null leaves tokenizer.chat_template out. Default: ChatML. */
    chatTemplate?: string | null;
    /** Control tokens added to the vocabulary (default <|im_start|>, <|im_end|>). */
    controlTokens?: string[];
    /** Ordinary SentencePiece pieces ("▁" marks a word start); defaults to a small English set. */
    pieces?: string[];
    /** Leave output.weight out (llama.cpp then ties it to token_embd.weight). */
    tieEmbeddings?: boolean;
    extraMetadata?: GgufMetadataEntry[];
}

export interface TinyLlamaResult {
    size: number;
    vocabulary: string[];
    tokenTypes: number[];
    parameterCount: number;
    metadata: GgufMetadataEntry[];
    tensors: Array<{ name: string; dims: number[] }>;
}

// Words that get their own pieces (with every prefix, so SentencePiece can merge up to them): the
// ChatML role names, node-llama-cpp's default system prompt and a few common words, so that a chat
// prompt takes a few dozen tokens instead of one per byte.
const DEFAULT_WORDS = (
    "system user assistant You are a helpful respectful and honest assistant Always answer as helpfully possible " +
    "If question does not make any sense or is factually coherent explain why instead of answering something incorrectly " +
    "you don't know the to share false information hi hello Hello world Once upon time there was little def return print " +
    "function code python it in of that for with"
).split(" ");

function defaultPieces(): string[] {
    const pieces: string[] = ["▁"];
    for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,:;!?'\"()[]{}=+-*/_#<>|") pieces.push(c);
    for (const w of DEFAULT_WORDS) {
        const full = [..."▁" + w];
        for (let n = 2; n <= full.length; n++) pieces.push(full.slice(0, n).join(""));
    }
    return pieces;
}

/** Token types as in llama.cpp: 1 normal, 2 unknown, 3 control, 6 byte. */
export function tinyVocabulary(options: Pick<TinyLlamaOptions, "controlTokens" | "pieces"> = {}): { tokens: string[]; types: number[]; scores: number[] } {
    const tokens: string[] = ["<unk>", "<s>", "</s>"];
    const types: number[] = [2, 3, 3];
    for (let b = 0; b < 256; b++) {
        tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
        types.push(6);
    }
    for (const c of options.controlTokens ?? ["<|im_start|>", "<|im_end|>"]) {
        tokens.push(c);
        types.push(3);
    }
    const scores = tokens.map(() => 0);
    const seen = new Set(tokens);
    let score = -1;
    for (const p of options.pieces ?? defaultPieces()) {
        if (seen.has(p)) continue;
        seen.add(p);
        tokens.push(p);
        types.push(1);
        // longer pieces get higher scores, so SentencePiece merges them first
        scores.push(score-- + 10 * [...p].length);
    }
    return { tokens, types, scores };
}

export async function writeTinyLlama(path: string, options: TinyLlamaOptions = {}): Promise<TinyLlamaResult> {
    const arch = options.architecture ?? "llama";
    const nEmbd = options.embeddingLength ?? 32;
    const nLayer = options.blockCount ?? 2;
    const nHead = options.headCount ?? 4;
    const nHeadKv = options.headCountKv ?? nHead;
    const nFf = options.feedForwardLength ?? 64;
    const nCtx = options.contextLength ?? 1024;
    const headDim = nEmbd / nHead;
    if (!Number.isInteger(headDim)) throw new Error(`embeddingLength ${nEmbd} is not a multiple of headCount ${nHead}`);
    const nEmbdKv = headDim * nHeadKv;
    const type = options.tensorType ?? "F32";
    const rand = mulberry32(options.seed ?? 1);
    const vocab = tinyVocabulary(options);
    const nVocab = vocab.tokens.length;
    const imEnd = vocab.tokens.indexOf("<|im_end|>");

    const metadata: GgufMetadataEntry[] = [
        { key: "general.architecture", type: "string", value: arch },
        { key: "general.name", type: "string", value: options.name ?? "tiny-test-llama" },
        { key: "general.file_type", type: "uint32", value: type === "F32" ? 0 : 1 },
        { key: `${arch}.context_length`, type: "uint32", value: nCtx },
        { key: `${arch}.embedding_length`, type: "uint32", value: nEmbd },
        { key: `${arch}.block_count`, type: "uint32", value: nLayer },
        { key: `${arch}.feed_forward_length`, type: "uint32", value: nFf },
        { key: `${arch}.rope.dimension_count`, type: "uint32", value: headDim },
        { key: `${arch}.attention.head_count`, type: "uint32", value: nHead },
        { key: `${arch}.attention.head_count_kv`, type: "uint32", value: nHeadKv },
        { key: `${arch}.attention.layer_norm_rms_epsilon`, type: "float32", value: 1e-5 },
        { key: `${arch}.vocab_size`, type: "uint32", value: nVocab },
        { key: "tokenizer.ggml.model", type: "string", value: "llama" },
        { key: "tokenizer.ggml.tokens", type: "array", itemType: "string", value: vocab.tokens },
        { key: "tokenizer.ggml.scores", type: "array", itemType: "float32", value: vocab.scores },
        { key: "tokenizer.ggml.token_type", type: "array", itemType: "int32", value: vocab.types },
        { key: "tokenizer.ggml.unknown_token_id", type: "uint32", value: 0 },
        { key: "tokenizer.ggml.bos_token_id", type: "uint32", value: 1 },
        { key: "tokenizer.ggml.eos_token_id", type: "uint32", value: 2 },
        { key: "tokenizer.ggml.add_bos_token", type: "bool", value: true },
        { key: "tokenizer.ggml.add_eos_token", type: "bool", value: false },
    ];
    if (imEnd >= 0) metadata.push({ key: "tokenizer.ggml.eot_token_id", type: "uint32", value: imEnd });
    const template = options.chatTemplate === undefined ? CHATML_TEMPLATE : options.chatTemplate;
    if (template !== null) metadata.push({ key: "tokenizer.chat_template", type: "string", value: template });
    metadata.push(...(options.extraMetadata ?? []));

    const tensors: GgufTensorSpec[] = [];
    const weight = (name: string, dims: number[]): void => {
        const n = dims.reduce((a, b) => a * b, 1);
        const scale = 1 / Math.sqrt(dims[0] ?? 1);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = (rand() * 2 - 1) * scale;
        tensors.push({ name, dims, type, data });
    };
    const norm = (name: string): void => {
        tensors.push({ name, dims: [nEmbd], type: "F32", data: new Float32Array(nEmbd).fill(1) });
    };
    weight("token_embd.weight", [nEmbd, nVocab]);
    norm("output_norm.weight");
    if (!options.tieEmbeddings) weight("output.weight", [nEmbd, nVocab]);
    for (let l = 0; l < nLayer; l++) {
        norm(`blk.${l}.attn_norm.weight`);
        weight(`blk.${l}.attn_q.weight`, [nEmbd, nEmbd]);
        weight(`blk.${l}.attn_k.weight`, [nEmbd, nEmbdKv]);
        weight(`blk.${l}.attn_v.weight`, [nEmbd, nEmbdKv]);
        weight(`blk.${l}.attn_output.weight`, [nEmbd, nEmbd]);
        norm(`blk.${l}.ffn_norm.weight`);
        weight(`blk.${l}.ffn_gate.weight`, [nEmbd, nFf]);
        weight(`blk.${l}.ffn_down.weight`, [nFf, nEmbd]);
        weight(`blk.${l}.ffn_up.weight`, [nEmbd, nFf]);
    }

    const { size } = await writeGguf(path, { metadata, tensors });
    return {
        size,
        vocabulary: vocab.tokens,
        tokenTypes: vocab.types,
        parameterCount: tensors.reduce((a, t) => a + t.data.length, 0),
        metadata,
        tensors: tensors.map((t) => ({ name: t.name, dims: t.dims })),
    };
}
