// Tables describing ggml tensor types and llama.cpp "file types" (general.file_type).
//
// Cross-checked against the llama.cpp sources bundled with node-llama-cpp 3.21.1
// (ggml/include/ggml.h `enum ggml_type`, ggml/src/ggml.c `type_traits` blck_size/type_size with
// sizeof(block_*) from ggml-common.h, include/llama.h `enum llama_ftype`) and node-llama-cpp's own
// `GgmlType` / `GgufFileType` enums.

export interface GgmlTypeInfo {
    /** ggml_type id as stored in a GGUF tensor info. */
    readonly id: number;
    /** Upper-case name as llama.cpp tools print it, e.g. "Q4_K". */
    readonly name: string;
    /** Number of elements in one block (1 for plain float/int types). */
    readonly blockSize: number;
    /** Bytes used by one block. */
    readonly bytesPerBlock: number;
    /** Removed from current llama.cpp (the loader refuses it), but may still appear in old files. */
    readonly removed?: boolean;
}

const QK_K = 256;

function t(id: number, name: string, blockSize: number, bytesPerBlock: number, removed?: boolean): GgmlTypeInfo {
    return removed ? { id, name, blockSize, bytesPerBlock, removed } : { id, name, blockSize, bytesPerBlock };
}

/** Every ggml tensor type id (0..42) known to llama.cpp as shipped in node-llama-cpp 3.21.1. */
export const GGML_TYPES: readonly GgmlTypeInfo[] = [
    t(0, "F32", 1, 4),
    t(1, "F16", 1, 2),
    t(2, "Q4_0", 32, 18),
    t(3, "Q4_1", 32, 20),
    // Removed before GGUF existed; historical layouts: 16 elements, fp16 d (+ fp16 m) + 8 bytes of nibbles.
    t(4, "Q4_2", 16, 10, true),
    t(5, "Q4_3", 16, 12, true),
    t(6, "Q5_0", 32, 22),
    t(7, "Q5_1", 32, 24),
    t(8, "Q8_0", 32, 34),
    t(9, "Q8_1", 32, 36),
    t(10, "Q2_K", QK_K, 84),
    t(11, "Q3_K", QK_K, 110),
    t(12, "Q4_K", QK_K, 144),
    t(13, "Q5_K", QK_K, 176),
    t(14, "Q6_K", QK_K, 210),
    t(15, "Q8_K", QK_K, 292),
    t(16, "IQ2_XXS", QK_K, 66),
    t(17, "IQ2_XS", QK_K, 74),
    t(18, "IQ3_XXS", QK_K, 98),
    t(19, "IQ1_S", QK_K, 50),
    t(20, "IQ4_NL", 32, 18),
    t(21, "IQ3_S", QK_K, 110),
    t(22, "IQ2_S", QK_K, 82),
    t(23, "IQ4_XS", QK_K, 136),
    t(24, "I8", 1, 1),
    t(25, "I16", 1, 2),
    t(26, "I32", 1, 4),
    t(27, "I64", 1, 8),
    t(28, "F64", 1, 8),
    t(29, "IQ1_M", QK_K, 56),
    t(30, "BF16", 1, 2),
    // Interleaved (repacked) variants: removed from GGUF files, same byte layout as Q4_0 / IQ4_NL.
    t(31, "Q4_0_4_4", 32, 18, true),
    t(32, "Q4_0_4_8", 32, 18, true),
    t(33, "Q4_0_8_8", 32, 18, true),
    t(34, "TQ1_0", QK_K, 54),
    t(35, "TQ2_0", QK_K, 66),
    t(36, "IQ4_NL_4_4", 32, 18, true),
    t(37, "IQ4_NL_4_8", 32, 18, true),
    t(38, "IQ4_NL_8_8", 32, 18, true),
    t(39, "MXFP4", 32, 17),
    t(40, "NVFP4", 64, 36),
    t(41, "Q1_0", 128, 18),
    t(42, "Q2_0", 64, 18),
];

const BY_ID = new Map<number, GgmlTypeInfo>(GGML_TYPES.map((x) => [x.id, x]));

export function ggmlTypeInfo(id: number): GgmlTypeInfo | undefined {
    return BY_ID.get(id);
}

export function ggmlTypeName(id: number): string {
    return BY_ID.get(id)?.name ?? `unknown type ${id}`;
}

/**
 * Bytes used by a tensor of `elements` elements of type `id` whose first dimension is `firstDim`
 * (ggml_nbytes for a contiguous tensor: rows of ceil(ne0 / block) blocks). Undefined for an
 * unknown type or when the first dimension is not a multiple of the block size.
 */
export function ggmlTensorBytes(id: number, dims: readonly bigint[]): bigint | undefined {
    const info = BY_ID.get(id);
    if (!info) return undefined;
    const block = BigInt(info.blockSize);
    const ne0 = dims[0] ?? 1n;
    if (ne0 % block !== 0n) return undefined;
    let rows = 1n;
    for (let i = 1; i < dims.length; i++) rows *= dims[i] ?? 1n;
    return (ne0 / block) * BigInt(info.bytesPerBlock) * rows;
}

/**
 * llama.cpp `enum llama_ftype` (the `general.file_type` metadata value) → short human name.
 * 4–6 and 33–35 are removed from current llama.cpp but kept so that old files still get a name.
 */
export const LLAMA_FILE_TYPES: ReadonlyMap<number, string> = new Map<number, string>([
    [0, "F32"], // ALL_F32
    [1, "F16"], // MOSTLY_F16
    [2, "Q4_0"],
    [3, "Q4_1"],
    [4, "Q4_1_SOME_F16"], // removed
    [5, "Q4_2"], // removed
    [6, "Q4_3"], // removed
    [7, "Q8_0"],
    [8, "Q5_0"],
    [9, "Q5_1"],
    [10, "Q2_K"],
    [11, "Q3_K_S"],
    [12, "Q3_K_M"],
    [13, "Q3_K_L"],
    [14, "Q4_K_S"],
    [15, "Q4_K_M"],
    [16, "Q5_K_S"],
    [17, "Q5_K_M"],
    [18, "Q6_K"],
    [19, "IQ2_XXS"],
    [20, "IQ2_XS"],
    [21, "Q2_K_S"],
    [22, "IQ3_XS"],
    [23, "IQ3_XXS"],
    [24, "IQ1_S"],
    [25, "IQ4_NL"],
    [26, "IQ3_S"],
    [27, "IQ3_M"],
    [28, "IQ2_S"],
    [29, "IQ2_M"],
    [30, "IQ4_XS"],
    [31, "IQ1_M"],
    [32, "BF16"],
    [33, "Q4_0_4_4"], // removed
    [34, "Q4_0_4_8"], // removed
    [35, "Q4_0_8_8"], // removed
    [36, "TQ1_0"],
    [37, "TQ2_0"],
    [38, "MXFP4_MOE"],
    [39, "NVFP4"],
    [40, "Q1_0"],
    [41, "Q2_0"],
    [1024, "GUESSED"], // LLAMA_FTYPE_GUESSED: not specified in the model file
]);

/** "Q4_K_M" for 15, undefined for an unknown value. */
export function llamaFileTypeName(fileType: number): string | undefined {
    return LLAMA_FILE_TYPES.get(fileType);
}
