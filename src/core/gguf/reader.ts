// Our own GGUF (v2/v3) header reader. It reads the file through a handle in chunks and never loads
// the tensor data, so it is cheap even for models of many GB. Big metadata arrays (e.g. a 150k-entry
// tokenizer.ggml.tokens) are skipped and summarised by their length.
//
// Format (little-endian): "GGUF" magic, u32 version, u64 tensor_count, u64 kv_count, kv_count typed
// key/value pairs, tensor_count tensor infos (name, u32 n_dims, u64 dims[n_dims], u32 ggml type,
// u64 offset), padding to general.alignment (default 32), then the tensor data.

import { open, stat, type FileHandle } from "node:fs/promises";
import { PromptsmithError } from "../errors.ts";
import { ggmlTensorBytes, ggmlTypeInfo, ggmlTypeName, llamaFileTypeName } from "./ggml.ts";
import { formatBytes, formatParameterCount } from "../format.ts";

/** A metadata array that was too big to keep (only its length and element type are kept). */
export interface GgufArraySummary {
    type: "array";
    itemType: string;
    length: number;
}

export interface GgufTensorSummary {
    name: string;
    dims: number[];
    /** ggml type id */
    type: number;
    typeName: string;
    /** Offset relative to the start of the data section. */
    offset: number;
    byteSize: number;
}

export interface GgufInfo {
    path: string;
    fileSize: number;
    version: number;
    architecture?: string;
    name?: string;
    /** Sum of the element counts of all tensors. */
    parameterCount: number;
    /** general.file_type (llama_ftype), when present. */
    fileType?: number;
    /** Human name of general.file_type, e.g. "Q4_K_M". */
    fileTypeName?: string;
    /** fileTypeName, or else the tensor type that takes the most bytes, e.g. "F32". */
    quantization: string;
    contextLength?: number;
    embeddingLength?: number;
    blockCount?: number;
    headCount?: number;
    vocabularySize?: number;
    /** tokenizer.ggml.model, e.g. "llama" (SentencePiece) or "gpt2" (BPE). */
    tokenizerModel?: string;
    chatTemplate?: string;
    bosTokenId?: number;
    eosTokenId?: number;
    tensorCount: number;
    alignment: number;
    /** Byte offset where the tensor data section starts. */
    dataOffset: number;
    /** dataOffset + the end of the last tensor: the smallest size a complete file can have. */
    expectedSize: number;
    /** Bytes of tensor data per ggml type name, e.g. { F32: 1171200 }. */
    tensorTypeBytes: Record<string, number>;
    tensors: GgufTensorSummary[];
    /**
     * Every key/value from the header, keyed by full name ("llama.context_length"). 64-bit integers
     * are numbers when they are safe integers, else decimal strings; arrays longer than
     * ARRAY_KEEP_LIMIT are summarised as { type: "array", itemType, length }.
     */
    metadata: Record<string, unknown>;
}

// ---- limits (a hostile file must not make us allocate gigabytes) ----
const MAX_STRING_BYTES = 64 * 1024 * 1024;
const MAX_KV_COUNT = 1_000_000;
const MAX_TENSOR_COUNT = 10_000_000;
const MAX_ARRAY_LENGTH = 1024 * 1024 * 1024; // llama.cpp's GGUF_MAX_ARRAY_ELEMENTS
const MAX_DIMS = 4; // GGML_MAX_DIMS: llama.cpp refuses more
const MAX_TENSOR_NAME_BYTES = 63; // GGML_MAX_NAME - 1
const MAX_NESTING = 8;
/** Arrays up to this many elements are kept in `metadata`; longer ones are summarised. */
export const ARRAY_KEEP_LIMIT = 256;
const CHUNK_BYTES = 1024 * 1024;

const enum T {
    UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
    STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
}
const VALUE_TYPE_NAMES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"];
const FIXED_SIZES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

const REDOWNLOAD = "Copy or download the file again (this copy is incomplete), or use another .gguf file.";
const CORRUPT_FIX = "The file is damaged or was written by a broken tool: download the model again or pick another .gguf file.";

/** Thrown internally when the file ends in the middle of the header. */
class EndOfFile extends Error {
    constructor(readonly at: number, readonly wanted: number) {
        super("end of file");
    }
}

/** Buffered little-endian reader over a file handle, tracking the absolute position. */
class ChunkReader {
    private buf = Buffer.alloc(0);
    private bufStart = 0; // absolute file offset of buf[0]
    /** absolute position of the next byte to read */
    pos = 0;

    constructor(private readonly fh: FileHandle, readonly fileSize: number, private readonly signal?: AbortSignal, private readonly onAbort?: () => never) {}

    /** Makes sure `n` bytes starting at pos are in the buffer. */
    private async ensure(n: number): Promise<void> {
        const offInBuf = this.pos - this.bufStart;
        if (offInBuf >= 0 && offInBuf + n <= this.buf.length) return;
        if (this.signal?.aborted) this.onAbort?.();
        if (this.pos + n > this.fileSize) throw new EndOfFile(this.fileSize, this.pos + n);
        const want = Math.min(Math.max(n, CHUNK_BYTES), this.fileSize - this.pos);
        const next = Buffer.allocUnsafe(want);
        // keep the unread tail of the current buffer
        let have = 0;
        if (offInBuf >= 0 && offInBuf < this.buf.length) {
            have = this.buf.copy(next, 0, offInBuf);
        }
        while (have < want) {
            const { bytesRead } = await this.fh.read(next, have, want - have, this.pos + have);
            if (bytesRead === 0) throw new EndOfFile(this.pos + have, this.pos + n);
            have += bytesRead;
        }
        this.buf = next;
        this.bufStart = this.pos;
    }

    // Note: callers must read this.buf only after awaiting take(): it may replace the buffer.
    private async take(n: number): Promise<number> {
        await this.ensure(n);
        const at = this.pos - this.bufStart;
        this.pos += n;
        return at;
    }

    async u8(): Promise<number> { const at = await this.take(1); return this.buf.readUInt8(at); }
    async i8(): Promise<number> { const at = await this.take(1); return this.buf.readInt8(at); }
    async u16(): Promise<number> { const at = await this.take(2); return this.buf.readUInt16LE(at); }
    async i16(): Promise<number> { const at = await this.take(2); return this.buf.readInt16LE(at); }
    async u32(): Promise<number> { const at = await this.take(4); return this.buf.readUInt32LE(at); }
    async i32(): Promise<number> { const at = await this.take(4); return this.buf.readInt32LE(at); }
    async f32(): Promise<number> { const at = await this.take(4); return this.buf.readFloatLE(at); }
    async f64(): Promise<number> { const at = await this.take(8); return this.buf.readDoubleLE(at); }
    async u64(): Promise<bigint> { const at = await this.take(8); return this.buf.readBigUInt64LE(at); }
    async i64(): Promise<bigint> { const at = await this.take(8); return this.buf.readBigInt64LE(at); }
    async bytes(n: number): Promise<Buffer> {
        const at = await this.take(n);
        return this.buf.subarray(at, at + n);
    }

    /** Moves forward without reading (the bytes must exist in the file). */
    skip(n: number): void {
        if (this.pos + n > this.fileSize) throw new EndOfFile(this.fileSize, this.pos + n);
        this.pos += n;
    }
}

function notFound(path: string, code: string | undefined, cause: unknown): PromptsmithError {
    const why =
        code === "ENOENT" ? "does not exist" :
        code === "EISDIR" ? "is a folder, not a .gguf file" :
        code === "EACCES" || code === "EPERM" ? "cannot be read (permission denied)" :
        `cannot be opened (${code ?? String(cause)})`;
    const fix =
        code === "ENOENT" ? "Check the path (a typo, or a file that was moved), or point Promptsmith at another .gguf file." :
        code === "EISDIR" ? "Point the model path at the .gguf file inside that folder, not at the folder itself." :
        code === "EACCES" || code === "EPERM" ? "Give your user read permission on the file (e.g. chmod +r), or move it somewhere you can read." :
        "Check that the path points to a readable .gguf file.";
    return new PromptsmithError({ code: "MODEL_NOT_FOUND", message: `The model file ${why}.`, file: path, fix, ...(code ? { detail: code } : {}) }, { cause });
}

/** Explains what a non-GGUF file looks like, from its first bytes. */
function sniffNotGguf(head: Buffer): string {
    const text = head.toString("latin1");
    const trimmed = text.replace(/^\uFEFF|^\xEF\xBB\xBF/, "").trimStart().toLowerCase();
    if (trimmed.startsWith("<!doctype html") || trimmed.startsWith("<html") || /<(html|head|body)[\s>]/.test(trimmed.slice(0, 1024))) {
        return "It is an HTML web page, not a model: the download probably saved a login, error or redirect page instead of the file.";
    }
    if (trimmed.startsWith("version https://git-lfs")) {
        return "It is a Git LFS pointer file, not the model itself: the repository was cloned without fetching the LFS objects.";
    }
    if (head.length >= 9) {
        const headerLen = head.readBigUInt64LE(0);
        if (headerLen > 1n && headerLen < 100_000_000n && head[8] === 0x7b /* { */) {
            return "It looks like a safetensors file (Hugging Face weights), which llama.cpp cannot load directly.";
        }
    }
    if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
        return "It is a ZIP archive, which is how PyTorch saves checkpoints (.bin/.pt/.pth); llama.cpp cannot load those directly.";
    }
    if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5) {
        return "It looks like a Python pickle (an old PyTorch checkpoint), which llama.cpp cannot load directly.";
    }
    const magic = head.subarray(0, 4).toString("latin1");
    if (magic === "lmgg" || magic === "fmgg" || magic === "tjgg" || magic === "algg") {
        return "It is an old GGML/GGJT model, a format from before GGUF that current llama.cpp no longer loads.";
    }
    if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
        return "It looks like a JSON text file (perhaps an error response or a config file), not a model.";
    }
    return `Its first bytes are ${[...head.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join(" ")} instead of the GGUF signature "GGUF".`;
}

function toNumber(v: bigint): number | string {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
}

function pad(n: bigint, alignment: bigint): bigint {
    return ((n + alignment - 1n) / alignment) * alignment;
}

export async function readGgufInfo(path: string, options?: { signal?: AbortSignal }): Promise<GgufInfo> {
    const signal = options?.signal;
    const aborted = (): never => {
        throw new PromptsmithError({ code: "ABORTED", message: "Reading the model header was cancelled.", file: path }, { cause: signal?.reason });
    };
    if (signal?.aborted) aborted();

    let fh: FileHandle;
    let fileSize: number;
    try {
        const st = await stat(path);
        if (st.isDirectory()) {
            const e = Object.assign(new Error(`EISDIR: ${path}`), { code: "EISDIR" });
            throw e;
        }
        fh = await open(path, "r");
        fileSize = st.size;
    } catch (e) {
        throw notFound(path, (e as NodeJS.ErrnoException).code, e);
    }

    try {
        return await parse(fh, path, fileSize, signal, aborted);
    } catch (e) {
        if (e instanceof PromptsmithError) throw e;
        if (e instanceof EndOfFile) {
            throw new PromptsmithError({
                code: "GGUF_TRUNCATED",
                message: fileSize === 0
                    ? "The model file is empty (0 bytes)."
                    : `The model file ends inside its GGUF header: it is ${fileSize} bytes, but the header needs at least ${e.wanted} bytes.`,
                file: path,
                fix: REDOWNLOAD,
            });
        }
        const code = (e as NodeJS.ErrnoException).code;
        if (code) throw notFound(path, code, e);
        throw new PromptsmithError({ code: "GGUF_CORRUPT", message: `The GGUF header could not be read: ${(e as Error).message}`, file: path, fix: CORRUPT_FIX }, { cause: e });
    } finally {
        await fh.close().catch(() => undefined);
    }
}

async function parse(fh: FileHandle, path: string, fileSize: number, signal: AbortSignal | undefined, aborted: () => never): Promise<GgufInfo> {
    const r = new ChunkReader(fh, fileSize, signal, aborted);
    const corrupt = (at: number, what: string): never => {
        throw new PromptsmithError({ code: "GGUF_CORRUPT", message: `The GGUF header is corrupt at byte offset ${at}: ${what}.`, file: path, fix: CORRUPT_FIX });
    };

    // ---- magic ----
    const headLen = Math.min(fileSize, 4096);
    const head = Buffer.from(await r.bytes(Math.min(headLen, 4)));
    const magic = head.toString("latin1");
    if (magic !== "GGUF") {
        if ("GGUF".startsWith(magic) && fileSize < 4) throw new EndOfFile(fileSize, 4);
        const { buffer } = await fh.read(Buffer.alloc(headLen), 0, headLen, 0);
        throw new PromptsmithError({
            code: "NOT_GGUF",
            message: `This is not a GGUF model file. ${sniffNotGguf(buffer)}`,
            file: path,
            fix: "Download the model as a .gguf file (search for the model name plus \"GGUF\"), or convert it with llama.cpp's convert_hf_to_gguf.py.",
        });
    }

    // ---- version and counts ----
    const versionAt = r.pos;
    const version = await r.u32();
    if (version === 1) corrupt(versionAt, "this is GGUF version 1, which llama.cpp no longer supports (convert or download a newer file)");
    if (version !== 2 && version !== 3) {
        const hint = (version & 0xffff) === 0 ? " (a big-endian file? only little-endian GGUF is supported)" : "";
        corrupt(versionAt, `unsupported GGUF version ${version}${hint}; supported versions are 2 and 3`);
    }
    const tensorCountAt = r.pos;
    const tensorCountBig = await r.u64();
    if (tensorCountBig > BigInt(MAX_TENSOR_COUNT)) corrupt(tensorCountAt, `implausible tensor count ${tensorCountBig}`);
    const kvCountAt = r.pos;
    const kvCountBig = await r.u64();
    if (kvCountBig > BigInt(MAX_KV_COUNT)) corrupt(kvCountAt, `implausible metadata entry count ${kvCountBig}`);
    const tensorCount = Number(tensorCountBig);
    const kvCount = Number(kvCountBig);

    const readString = async (what: string, max = MAX_STRING_BYTES): Promise<string> => {
        const at = r.pos;
        const len = await r.u64();
        if (len > BigInt(max)) corrupt(at, `${what} claims a length of ${len} bytes (limit ${max})`);
        return (await r.bytes(Number(len))).toString("utf8");
    };
    const skipString = async (what: string): Promise<void> => {
        const at = r.pos;
        const len = await r.u64();
        if (len > BigInt(MAX_STRING_BYTES)) corrupt(at, `${what} claims a length of ${len} bytes (limit ${MAX_STRING_BYTES})`);
        r.skip(Number(len));
    };

    const readScalar = async (type: number, what: string): Promise<unknown> => {
        switch (type) {
            case T.UINT8: return r.u8();
            case T.INT8: return r.i8();
            case T.UINT16: return r.u16();
            case T.INT16: return r.i16();
            case T.UINT32: return r.u32();
            case T.INT32: return r.i32();
            case T.FLOAT32: return r.f32();
            case T.BOOL: {
                const at = r.pos;
                const b = await r.u8();
                if (b > 1) corrupt(at, `${what} is a bool with value ${b}`);
                return b === 1;
            }
            case T.STRING: return readString(what);
            case T.UINT64: return toNumber(await r.u64());
            case T.INT64: return toNumber(await r.i64());
            case T.FLOAT64: return r.f64();
            default: throw new Error(`unreachable type ${type}`);
        }
    };

    const readValue = async (type: number, what: string, typeAt: number, depth: number): Promise<unknown> => {
        if (type === T.ARRAY) {
            if (depth >= MAX_NESTING) corrupt(typeAt, `${what} nests arrays more than ${MAX_NESTING} deep`);
            const itemTypeAt = r.pos;
            const itemType = await r.u32();
            if (itemType > T.FLOAT64) corrupt(itemTypeAt, `${what} has an unknown array element type ${itemType}`);
            const lenAt = r.pos;
            const lenBig = await r.u64();
            if (lenBig > BigInt(MAX_ARRAY_LENGTH)) corrupt(lenAt, `${what} claims ${lenBig} array elements`);
            const length = Number(lenBig);
            const itemTypeName = VALUE_TYPE_NAMES[itemType] ?? String(itemType);
            const fixed = FIXED_SIZES[itemType];
            if (length > ARRAY_KEEP_LIMIT) {
                if (fixed !== undefined) {
                    r.skip(length * fixed);
                } else if (itemType === T.STRING) {
                    for (let i = 0; i < length; i++) await skipString(`${what}[${i}]`);
                } else {
                    for (let i = 0; i < length; i++) await readValue(itemType, `${what}[${i}]`, itemTypeAt, depth + 1);
                }
                return { type: "array", itemType: itemTypeName, length } satisfies GgufArraySummary;
            }
            const out: unknown[] = [];
            for (let i = 0; i < length; i++) out.push(await readValue(itemType, `${what}[${i}]`, itemTypeAt, depth + 1));
            return out;
        }
        if (type > T.FLOAT64) corrupt(typeAt, `${what} has an unknown value type ${type}`);
        return readScalar(type, what);
    };

    // ---- key/value pairs ----
    const metadata: Record<string, unknown> = {};
    let alignmentRaw: { value: unknown; type: number; at: number } | undefined;
    for (let i = 0; i < kvCount; i++) {
        const keyAt = r.pos;
        const key = await readString(`the name of metadata entry ${i}`, 65536);
        if (key.length === 0) corrupt(keyAt, `metadata entry ${i} has an empty name`);
        if (Object.prototype.hasOwnProperty.call(metadata, key)) corrupt(keyAt, `metadata key "${key}" appears twice`);
        const typeAt = r.pos;
        const type = await r.u32();
        const value = await readValue(type, `metadata "${key}"`, typeAt, 0);
        Object.defineProperty(metadata, key, { value, enumerable: true, writable: true, configurable: true });
        if (key === "general.alignment") alignmentRaw = { value, type, at: typeAt };
    }

    let alignment = 32;
    if (alignmentRaw) {
        const v = alignmentRaw.value;
        if (alignmentRaw.type !== T.UINT32 || typeof v !== "number") corrupt(alignmentRaw.at, "general.alignment must be a uint32");
        else if (v === 0 || (v & (v - 1)) !== 0) corrupt(alignmentRaw.at, `general.alignment ${v} is not a power of 2`);
        else alignment = v;
    }
    const alignBig = BigInt(alignment);

    // ---- tensor infos ----
    const tensors: GgufTensorSummary[] = [];
    const names = new Set<string>();
    const typeBytes = new Map<string, bigint>();
    let parameterCount = 0n;
    let dataEnd = 0n;
    let expectedOffset = 0n;
    for (let i = 0; i < tensorCount; i++) {
        const nameAt = r.pos;
        const name = await readString(`the name of tensor ${i}`, 65536);
        if (Buffer.byteLength(name) > MAX_TENSOR_NAME_BYTES) corrupt(nameAt, `tensor name "${name.slice(0, 80)}" is longer than ${MAX_TENSOR_NAME_BYTES} bytes`);
        if (names.has(name)) corrupt(nameAt, `tensor "${name}" appears twice`);
        names.add(name);
        const dimsAt = r.pos;
        const nDims = await r.u32();
        if (nDims > MAX_DIMS) corrupt(dimsAt, `tensor "${name}" has ${nDims} dimensions (at most ${MAX_DIMS} are allowed)`);
        const dims: bigint[] = [];
        let elements = 1n;
        for (let d = 0; d < nDims; d++) {
            const dimAt = r.pos;
            const n = await r.u64();
            if (n > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(dimAt, `tensor "${name}" dimension ${d} is ${n}`);
            dims.push(n);
            elements *= n;
        }
        if (elements > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(dimsAt, `tensor "${name}" has ${elements} elements`);
        const typeAt = r.pos;
        const type = await r.u32();
        const typeInfo = ggmlTypeInfo(type);
        if (!typeInfo) corrupt(typeAt, `tensor "${name}" has unknown ggml type ${type}`);
        const bytes = ggmlTensorBytes(type, dims);
        if (bytes === undefined) corrupt(typeAt, `tensor "${name}" has ${dims[0] ?? 1n} elements per row, not a multiple of the ${ggmlTypeName(type)} block size ${typeInfo?.blockSize}`);
        const byteSize = bytes ?? 0n;
        const offsetAt = r.pos;
        const offset = await r.u64();
        if (offset !== expectedOffset) {
            corrupt(offsetAt, `tensor "${name}" has data offset ${offset}, expected ${expectedOffset} (tensors must follow each other, aligned to ${alignment} bytes)`);
        }
        expectedOffset = pad(offset + byteSize, alignBig);
        if (offset + byteSize > dataEnd) dataEnd = offset + byteSize;
        parameterCount += elements;
        const typeName = ggmlTypeName(type);
        typeBytes.set(typeName, (typeBytes.get(typeName) ?? 0n) + byteSize);
        tensors.push({ name, dims: dims.map(Number), type, typeName, offset: Number(offset), byteSize: Number(byteSize) });
    }

    const dataOffsetBig = pad(BigInt(r.pos), alignBig);
    const expectedSizeBig = tensorCount > 0 ? dataOffsetBig + dataEnd : BigInt(r.pos);
    if (expectedSizeBig > BigInt(Number.MAX_SAFE_INTEGER)) corrupt(r.pos, `the tensors claim ${expectedSizeBig} bytes of data`);
    const dataOffset = Number(dataOffsetBig);
    const expectedSize = Number(expectedSizeBig);
    if (fileSize < expectedSize) {
        throw new PromptsmithError({
            code: "GGUF_TRUNCATED",
            message: `The model file is incomplete: its header promises ${expectedSize} bytes, but the file is only ${fileSize} bytes (${expectedSize - fileSize} missing).`,
            file: path,
            fix: REDOWNLOAD,
        });
    }

    // ---- summary ----
    const str = (k: string): string | undefined => (typeof metadata[k] === "string" ? (metadata[k] as string) : undefined);
    const num = (k: string): number | undefined => {
        const v = metadata[k];
        if (typeof v === "number") return v;
        if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number")) return Math.max(...(v as number[]));
        return undefined;
    };
    const architecture = str("general.architecture");
    const arch = (k: string): number | undefined => (architecture ? num(`${architecture}.${k}`) : undefined);
    const fileType = num("general.file_type");
    const fileTypeName = fileType === undefined ? undefined : (llamaFileTypeName(fileType) ?? `unknown file type ${fileType}`);
    let predominant: string | undefined;
    let most = -1n;
    for (const [name, bytes] of typeBytes) {
        if (bytes > most) {
            most = bytes;
            predominant = name;
        }
    }
    const tokens = metadata["tokenizer.ggml.tokens"];
    const vocabularySize = Array.isArray(tokens) ? tokens.length
        : tokens && typeof tokens === "object" && (tokens as GgufArraySummary).type === "array" ? (tokens as GgufArraySummary).length
        : arch("vocab_size");

    return {
        path,
        fileSize,
        version,
        architecture,
        name: str("general.name"),
        parameterCount: Number(parameterCount),
        fileType,
        fileTypeName,
        quantization: fileTypeName ?? predominant ?? "unknown",
        contextLength: arch("context_length"),
        embeddingLength: arch("embedding_length"),
        blockCount: arch("block_count"),
        headCount: arch("attention.head_count"),
        vocabularySize,
        tokenizerModel: str("tokenizer.ggml.model"),
        chatTemplate: str("tokenizer.chat_template"),
        bosTokenId: num("tokenizer.ggml.bos_token_id"),
        eosTokenId: num("tokenizer.ggml.eos_token_id"),
        tensorCount,
        alignment,
        dataOffset,
        expectedSize,
        tensorTypeBytes: Object.fromEntries([...typeBytes].map(([k, v]) => [k, Number(v)])),
        tensors,
        metadata,
    };
}

// ---- human-readable description ----

export function describeGgufInfo(info: GgufInfo): Array<[label: string, value: string]> {
    const rows: Array<[string, string]> = [];
    rows.push(["Architecture", info.architecture ?? "unknown"]);
    if (info.name) rows.push(["Name", info.name]);
    rows.push(["Parameters", formatParameterCount(info.parameterCount)]);
    rows.push(["Quantization", info.quantization]);
    rows.push(["Context length", info.contextLength !== undefined ? `${info.contextLength.toLocaleString("en-US")} tokens` : "unknown"]);
    rows.push(["Size on disk", formatBytes(info.fileSize)]);
    rows.push(["Chat template", info.chatTemplate ? "yes" : "no"]);
    const vocab = info.vocabularySize !== undefined ? `${info.vocabularySize.toLocaleString("en-US")} tokens` : "unknown";
    rows.push(["Vocabulary", info.tokenizerModel ? `${vocab} (${info.tokenizerModel} tokenizer)` : vocab]);
    rows.push(["File", info.path]);
    return rows;
}
