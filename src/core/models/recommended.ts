// The model Promptsmith recommends (and offers to download) when the user has not pointed it at a GGUF file.

export interface RecommendedModel {
    /** Stable identifier, used in messages and `promptsmith models` output. */
    id: string;
    displayName: string;
    /** Name of the file in the models folder (same as the file's name in the upstream repository). */
    fileName: string;
    /** Direct https download URL (Hugging Face `resolve/main`). */
    url: string;
    /**
     * Size in bytes. Exact, and verified after download, unless `sizeIsApproximate` is true: then it is only
     * for messages ("about 1.1 GB") and the size the server announces is checked instead.
     */
    sizeBytes: number;
    sizeIsApproximate?: boolean;
    /** Lower-case hex SHA-256 of the file, when verified; undefined when not pinned. */
    sha256: string | undefined;
    /** SPDX identifier of the model's license. */
    license: string;
    licenseUrl: string;
    description: string;
}

/**
 * Qwen2.5-Coder-1.5B-Instruct, Q4_K_M quantization, from the official Qwen repository on Hugging Face.
 *
 * !!! NOT PINNED: `sha256` is deliberately `undefined` and `sizeBytes` is only approximate. !!!
 * No record of the LFS pointer (`oid sha256:` / `size`) of this exact file in the official
 * `Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF` repository could be found and verified while this was written
 * (the only hashes found belonged to third-party re-quantizations with similar names, which are different
 * files). A hash that has not been verified must not be invented, so until someone pins the values:
 *   - downloadModel() checks the size the server announces (Content-Length, or Hugging Face's
 *     `X-Linked-Size`) and, when Hugging Face announces it, the SHA-256 in `X-Linked-Etag`;
 *   - nothing is checked against a value fixed in this file.
 * To pin: `curl -sI <url>` shows `x-linked-size` and `x-linked-etag` (the LFS SHA-256); or download it and
 * run `sha256sum`; then set `sha256`, the exact `sizeBytes`, and remove `sizeIsApproximate`.
 */
export const RECOMMENDED_MODEL: RecommendedModel = {
    id: "qwen2.5-coder-1.5b-instruct-q4_k_m",
    displayName: "Qwen2.5-Coder 1.5B Instruct (Q4_K_M)",
    fileName: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    url: "https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/resolve/main/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sizeBytes: 1_120_000_000, // about 1.12 GB — NOT the exact size, see above
    sizeIsApproximate: true,
    sha256: undefined,
    license: "Apache-2.0",
    licenseUrl: "https://huggingface.co/Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF/blob/main/LICENSE",
    description:
        "Small code model from the Qwen team (1.5B parameters, 4-bit Q4_K_M quantization). Runs on a laptop CPU; good for completions, short functions and explanations.",
};

/** The size to verify a download against: `sizeBytes` when exact, undefined when it is only approximate. */
export function exactSizeOf(model: RecommendedModel): number | undefined {
    return model.sizeIsApproximate ? undefined : model.sizeBytes;
}
