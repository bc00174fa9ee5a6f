import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { readGgufInfo, describeGgufInfo, type GgufInfo } from "../src/core/gguf/reader.ts";
import { formatBytes, formatParameterCount } from "../src/core/format.ts";
import { ggmlTensorBytes, ggmlTypeInfo, llamaFileTypeName, GGML_TYPES } from "../src/core/gguf/ggml.ts";
import { PromptsmithError, type ErrorCode } from "../src/core/errors.ts";
import { CHATML_TEMPLATE, encodeGguf, writeGguf, writeTinyLlama, type GgufSpec } from "./support/gguf-writer.ts";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const realModel = process.env.PROMPTSMITH_TEST_MODEL ?? resolve(repoRoot, "../shared/models/stories260K.gguf");

let dir: string;
before(async () => {
    dir = await mkdtemp(join(tmpdir(), "promptsmith-gguf-"));
});
after(async () => {
    await rm(dir, { recursive: true, force: true });
});

async function expectError(p: Promise<unknown>, code: ErrorCode, file: string, message?: RegExp): Promise<PromptsmithError> {
    try {
        await p;
    } catch (e) {
        assert.ok(e instanceof PromptsmithError, `expected a PromptsmithError, got ${String(e)}`);
        assert.equal(e.code, code, `wrong code; message: ${e.message}`);
        assert.equal(e.file, file);
        assert.ok(e.fix && e.fix.length > 10, "error has a fix sentence");
        if (message) assert.match(e.message, message);
        return e;
    }
    assert.fail(`expected ${code}, but it succeeded`);
}

describe("ggml tables", () => {
    test("file types and block sizes", () => {
        assert.equal(llamaFileTypeName(15), "Q4_K_M");
        assert.equal(llamaFileTypeName(0), "F32");
        assert.equal(llamaFileTypeName(7), "Q8_0");
        assert.equal(llamaFileTypeName(38), "MXFP4_MOE");
        assert.equal(llamaFileTypeName(999), undefined);
        assert.equal(GGML_TYPES.length, 43);
        GGML_TYPES.forEach((t, i) => assert.equal(t.id, i));
        assert.deepEqual([ggmlTypeInfo(12)?.blockSize, ggmlTypeInfo(12)?.bytesPerBlock], [256, 144]);
        assert.deepEqual([ggmlTypeInfo(39)?.name, ggmlTypeInfo(39)?.blockSize, ggmlTypeInfo(39)?.bytesPerBlock], ["MXFP4", 32, 17]);
        assert.equal(ggmlTensorBytes(0, [64n, 512n]), 131072n);
        assert.equal(ggmlTensorBytes(2, [4096n, 10n]), 128n * 18n * 10n);
        assert.equal(ggmlTensorBytes(12, [100n]), undefined, "row not a multiple of the block size");
    });
    test("formatting", () => {
        assert.equal(formatParameterCount(292800), "293K");
        assert.equal(formatParameterCount(1_543_714_304), "1.5B");
        assert.equal(formatParameterCount(260_000), "260K");
        assert.equal(formatParameterCount(999), "999");
        assert.equal(formatBytes(1185376), "1.1 MB");
        assert.equal(formatBytes(512), "512 B");
    });
});

describe("real model (stories260K)", () => {
    let info: GgufInfo;
    before(async () => {
        assert.ok(existsSync(realModel), `The test model is missing: looked for ${realModel} (set PROMPTSMITH_TEST_MODEL to its path).`);
        info = await readGgufInfo(realModel);
    });

    test("header summary", () => {
        assert.equal(info.version, 3);
        assert.equal(info.architecture, "llama");
        assert.equal(info.name, "llama");
        assert.equal(info.contextLength, 2048);
        assert.equal(info.embeddingLength, 64);
        assert.equal(info.blockCount, 5);
        assert.equal(info.headCount, 8);
        assert.equal(info.vocabularySize, 512);
        assert.equal(info.tokenizerModel, "llama");
        assert.equal(info.bosTokenId, 1);
        assert.equal(info.eosTokenId, 2);
        assert.equal(info.chatTemplate, undefined);
        assert.equal(info.fileType, undefined, "this file has no general.file_type");
        assert.equal(info.quantization, "F32");
        assert.equal(info.tensorCount, 48);
        assert.equal(info.tensors.length, 48);
        assert.deepEqual(info.metadata["tokenizer.ggml.tokens"], { type: "array", itemType: "string", length: 512 });
        assert.equal(info.metadata["llama.attention.head_count_kv"], 4);
    });

    test("parameter count and sizes", () => {
        // vocab 512, n_embd 64, n_ff 172, 5 layers, 4 KV heads of 8 dims (kv width 32), untied output
        const nEmbd = 64, nVocab = 512, nFf = 172, nKv = 32, layers = 5;
        const perLayer = nEmbd * nEmbd * 2 + nEmbd * nKv * 2 + nEmbd * nFf * 3 + nEmbd * 2;
        const expected = nEmbd * nVocab * 2 + nEmbd + layers * perLayer;
        assert.equal(expected, 292_800);
        assert.equal(info.parameterCount, expected);
        assert.equal(info.fileSize, 1_185_376);
        assert.equal(info.expectedSize, info.fileSize);
        assert.equal(info.dataOffset % 32, 0);
        assert.equal(info.tensorTypeBytes.F32, expected * 4);
    });

    test("describe", () => {
        const rows = Object.fromEntries(describeGgufInfo(info));
        assert.equal(rows.Architecture, "llama");
        assert.equal(rows.Parameters, "293K");
        assert.equal(rows.Quantization, "F32");
        assert.equal(rows["Context length"], "2,048 tokens");
        assert.equal(rows["Size on disk"], "1.1 MB");
        assert.equal(rows["Chat template"], "no");
        assert.match(rows.Vocabulary ?? "", /^512 tokens/);
        assert.equal(rows.File, realModel);
    });
});

describe("writer → reader round trip", () => {
    test("generic metadata types, nested arrays, F16 tensors", async () => {
        const path = join(dir, "generic.gguf");
        const bigTokens = Array.from({ length: 150_000 }, (_, i) => `tok${i}`);
        const spec: GgufSpec = {
            alignment: 64,
            metadata: [
                { key: "general.architecture", type: "string", value: "llama" },
                { key: "general.file_type", type: "uint32", value: 15 },
                { key: "test.u8", type: "uint8", value: 200 },
                { key: "test.i8", type: "int8", value: -5 },
                { key: "test.u16", type: "uint16", value: 60000 },
                { key: "test.i16", type: "int16", value: -30000 },
                { key: "test.i32", type: "int32", value: -123456 },
                { key: "test.f32", type: "float32", value: 0.5 },
                { key: "test.f64", type: "float64", value: Math.PI },
                { key: "test.bool", type: "bool", value: true },
                { key: "test.u64", type: "uint64", value: 12345678901n },
                { key: "test.u64big", type: "uint64", value: 2n ** 63n },
                { key: "test.i64", type: "int64", value: -9n },
                { key: "test.text", type: "string", value: "héllo ✓" },
                { key: "test.small", type: "array", itemType: "int32", value: [1, 2, 3] },
                { key: "test.nested", type: "array", itemType: "array", nestedItemType: "string", value: [["a", "b"], ["c"]] },
                { key: "tokenizer.ggml.tokens", type: "array", itemType: "string", value: bigTokens },
                { key: "tokenizer.ggml.scores", type: "array", itemType: "float32", value: bigTokens.map(() => 0) },
                { key: "tokenizer.chat_template", type: "string", value: CHATML_TEMPLATE },
            ],
            tensors: [
                { name: "a.weight", dims: [8, 3], type: "F32", data: Array.from({ length: 24 }, (_, i) => i) },
                { name: "b.weight", dims: [5], type: "F16", data: [1, 2, 3, 4, 5] },
            ],
        };
        const { size } = await writeGguf(path, spec);
        const info = await readGgufInfo(path);
        const m = info.metadata;
        assert.equal(info.fileSize, size);
        assert.equal(info.expectedSize, size);
        assert.equal(info.alignment, 64);
        assert.equal(info.dataOffset % 64, 0);
        assert.equal(info.tensorCount, 2);
        assert.equal(info.parameterCount, 29);
        assert.deepEqual(info.tensors.map((t) => [t.name, t.typeName, t.offset, t.byteSize]), [["a.weight", "F32", 0, 96], ["b.weight", "F16", 128, 10]]);
        assert.equal(info.fileType, 15);
        assert.equal(info.quantization, "Q4_K_M");
        assert.equal(info.vocabularySize, 150_000);
        assert.equal(info.chatTemplate, CHATML_TEMPLATE);
        assert.deepEqual(m["tokenizer.ggml.tokens"], { type: "array", itemType: "string", length: 150_000 });
        assert.deepEqual(m["tokenizer.ggml.scores"], { type: "array", itemType: "float32", length: 150_000 });
        assert.equal(m["test.u8"], 200);
        assert.equal(m["test.i8"], -5);
        assert.equal(m["test.u16"], 60000);
        assert.equal(m["test.i16"], -30000);
        assert.equal(m["test.i32"], -123456);
        assert.equal(m["test.f32"], 0.5);
        assert.equal(m["test.f64"], Math.PI);
        assert.equal(m["test.bool"], true);
        assert.equal(m["test.u64"], 12345678901);
        assert.equal(m["test.u64big"], "9223372036854775808");
        assert.equal(m["test.i64"], -9);
        assert.equal(m["test.text"], "héllo ✓");
        assert.deepEqual(m["test.small"], [1, 2, 3]);
        assert.deepEqual(m["test.nested"], [["a", "b"], ["c"]]);
        const bytes = await readFile(path);
        const f16 = bytes.subarray(info.dataOffset + 128, info.dataOffset + 138);
        assert.deepEqual([...Array(5).keys()].map((i) => f16.readUInt16LE(i * 2)), [0x3c00, 0x4000, 0x4200, 0x4400, 0x4500]);
    });

    test("tiny llama", async () => {
        const path = join(dir, "tiny.gguf");
        const r = await writeTinyLlama(path, { contextLength: 512, seed: 3 });
        const again = await writeTinyLlama(join(dir, "tiny2.gguf"), { contextLength: 512, seed: 3 });
        assert.deepEqual(await readFile(path), await readFile(join(dir, "tiny2.gguf")), "deterministic for a seed");
        assert.equal(again.size, r.size);
        const info = await readGgufInfo(path);
        assert.equal(info.architecture, "llama");
        assert.equal(info.contextLength, 512);
        assert.equal(info.embeddingLength, 32);
        assert.equal(info.blockCount, 2);
        assert.equal(info.headCount, 4);
        assert.equal(info.tensorCount, r.tensors.length);
        assert.equal(info.parameterCount, r.parameterCount);
        assert.equal(info.vocabularySize, r.vocabulary.length);
        assert.equal(info.chatTemplate, CHATML_TEMPLATE);
        assert.equal(info.quantization, "F32");
        assert.equal(info.fileSize, r.size);
        assert.equal(info.expectedSize, r.size);
        assert.equal(r.tokenTypes[r.vocabulary.indexOf("<|im_start|>")], 3);
        assert.equal(r.vocabulary[3], "<0x00>");
        assert.equal(r.vocabulary[258], "<0xFF>");

        const other = await writeTinyLlama(join(dir, "noarch.gguf"), { architecture: "notarealarch", chatTemplate: null });
        const oinfo = await readGgufInfo(join(dir, "noarch.gguf"));
        assert.equal(oinfo.architecture, "notarealarch");
        assert.equal(oinfo.contextLength, 1024);
        assert.equal(oinfo.chatTemplate, undefined);
        assert.equal(oinfo.expectedSize, other.size);
        assert.equal(Object.fromEntries(describeGgufInfo(oinfo))["Chat template"], "no");
    });
});

describe("broken files", () => {
    let good: Buffer;
    before(async () => {
        const path = join(dir, "base.gguf");
        await writeTinyLlama(path, { seed: 5 });
        good = await readFile(path);
    });
    async function variant(name: string, bytes: Buffer | string): Promise<string> {
        const path = join(dir, name);
        await writeFile(path, bytes);
        return path;
    }

    test("cut inside the tensor data → GGUF_TRUNCATED with expected and actual sizes", async () => {
        const path = await variant("cut-data.gguf", good.subarray(0, good.length - 1000));
        const e = await expectError(readGgufInfo(path), "GGUF_TRUNCATED", path);
        assert.match(e.message, new RegExp(`${good.length} bytes.*only ${good.length - 1000} bytes`));
        assert.match(e.fix ?? "", /download/i);
    });

    test("cut inside the header → GGUF_TRUNCATED", async () => {
        const path = await variant("cut-header.gguf", good.subarray(0, 300));
        await expectError(readGgufInfo(path), "GGUF_TRUNCATED", path, /ends inside its GGUF header.*300 bytes/);
        const path2 = await variant("cut-tiny.gguf", good.subarray(0, 10));
        await expectError(readGgufInfo(path2), "GGUF_TRUNCATED", path2);
        const empty = await variant("empty.gguf", Buffer.alloc(0));
        await expectError(readGgufInfo(empty), "GGUF_TRUNCATED", empty, /empty/);
    });

    test("bad magic → NOT_GGUF", async () => {
        const bytes = Buffer.from(good);
        bytes.write("GGUX", 0, "latin1");
        const path = await variant("bad-magic.gguf", bytes);
        const e = await expectError(readGgufInfo(path), "NOT_GGUF", path);
        assert.match(e.fix ?? "", /convert_hf_to_gguf\.py/);
    });

    test("huge string length in the KV section → GGUF_CORRUPT at that offset", async () => {
        // header: magic 4 + version 4 + tensor_count 8 + kv_count 8; the first key's length is at byte 24
        const bytes = Buffer.from(good);
        bytes.writeBigUInt64LE(0xffff_ffff_ffffn, 24);
        const path = await variant("huge-string.gguf", bytes);
        await expectError(readGgufInfo(path), "GGUF_CORRUPT", path, /byte offset 24\b/);
    });

    test("bad value type → GGUF_CORRUPT", async () => {
        const bytes = Buffer.from(good);
        const keyLen = Number(bytes.readBigUInt64LE(24));
        assert.equal(bytes.toString("utf8", 32, 32 + keyLen), "general.architecture");
        const typeAt = 32 + keyLen;
        bytes.writeUInt32LE(77, typeAt);
        const path = await variant("bad-type.gguf", bytes);
        await expectError(readGgufInfo(path), "GGUF_CORRUPT", path, new RegExp(`byte offset ${typeAt}\\b.*unknown value type 77`));
    });

    test("unsupported version, implausible counts, too many dims → GGUF_CORRUPT", async () => {
        const v4 = Buffer.from(good);
        v4.writeUInt32LE(4, 4);
        const p1 = await variant("v4.gguf", v4);
        await expectError(readGgufInfo(p1), "GGUF_CORRUPT", p1, /byte offset 4\b.*version 4/);

        const kv = Buffer.from(good);
        kv.writeBigUInt64LE(1n << 40n, 16);
        const p2 = await variant("kv-count.gguf", kv);
        await expectError(readGgufInfo(p2), "GGUF_CORRUPT", p2, /byte offset 16\b/);

        const dims = encodeGguf({ metadata: [], tensors: [{ name: "x", dims: [1, 1, 1, 1, 1], type: "F32", data: [0] }] });
        const p3 = await variant("dims.gguf", dims);
        await expectError(readGgufInfo(p3), "GGUF_CORRUPT", p3, /5 dimensions/);
    });

    test("missing file and folder → MODEL_NOT_FOUND", async () => {
        const missing = join(dir, "does-not-exist.gguf");
        await expectError(readGgufInfo(missing), "MODEL_NOT_FOUND", missing, /does not exist/);
        const folder = join(dir, "a-folder.gguf");
        await mkdir(folder);
        await expectError(readGgufInfo(folder), "MODEL_NOT_FOUND", folder, /folder/);
    });

    test("an HTML page → NOT_GGUF that says so", async () => {
        const path = await variant("model.gguf.html", "<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please log in</body></html>\n");
        const e = await expectError(readGgufInfo(path), "NOT_GGUF", path, /HTML web page/);
        assert.match(e.fix ?? "", /\.gguf/);
    });

    test("safetensors and PyTorch zip are recognised", async () => {
        const header = Buffer.from('{"__metadata__":{}}');
        const st = Buffer.concat([Buffer.alloc(8), header]);
        st.writeBigUInt64LE(BigInt(header.length), 0);
        const p1 = await variant("model.safetensors", st);
        await expectError(readGgufInfo(p1), "NOT_GGUF", p1, /safetensors/);
        const p2 = await variant("pytorch_model.bin", Buffer.from("PK\x03\x04rest-of-zip", "latin1"));
        await expectError(readGgufInfo(p2), "NOT_GGUF", p2, /PyTorch/);
    });

    test("abort signal → ABORTED", async () => {
        const path = await variant("abort.gguf", good);
        const ac = new AbortController();
        ac.abort();
        await assert.rejects(readGgufInfo(path, { signal: ac.signal }), (e: unknown) => e instanceof PromptsmithError && e.code === "ABORTED");
    });
});
