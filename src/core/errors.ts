// Typed, plain-language errors. Every error names what went wrong, the file involved (when there is
// one) and what the user can do about it. They cross the runner process boundary as plain objects.

export type ErrorCode =
    | "MODEL_NOT_FOUND" // the model file does not exist / cannot be read
    | "NOT_GGUF" // the file is not a GGUF file at all
    | "GGUF_TRUNCATED" // the file ends before the data its header promises
    | "GGUF_CORRUPT" // the header or metadata cannot be parsed
    | "UNSUPPORTED_ARCHITECTURE" // llama.cpp does not know the model's architecture
    | "MODEL_LOAD_FAILED" // llama.cpp refused the model for another reason
    | "PROMPT_TOO_LONG" // the prompt does not fit the context window
    | "RUNNER_CRASHED" // the model process exited unexpectedly
    | "RUNNER_FAILED" // the model process could not be started or answered with nonsense
    | "INVALID_ARGUMENT" // a sampling parameter or option is out of range
    | "CONFIG_INVALID" // a configuration file is malformed
    | "NO_MODEL" // no model configured and none downloaded
    | "DOWNLOAD_FAILED" // network error or interrupted download
    | "CHECKSUM_MISMATCH" // the downloaded file is not the expected one
    | "ABORTED" // the user cancelled before anything was produced (e.g. during a download)
    | "PROMPT_FILE_INVALID" // a prompt file (*.prompt.md) cannot be used: front matter syntax, types or ranges
    | "PROMPT_VARIABLE_MISSING" // a prompt file's {{variable}} has no value and no default
    | "INTERNAL"; // a bug: reported with as much detail as we have

export interface ErrorInfo {
    code: ErrorCode;
    message: string;
    /** The file the error is about, when there is one. */
    file?: string;
    /** What the user can do next, in one sentence. */
    fix?: string;
    /** Extra detail for logs (e.g. llama.cpp's own message). Never contains prompt text. */
    detail?: string;
}

export class PromptsmithError extends Error implements ErrorInfo {
    readonly code: ErrorCode;
    readonly file?: string;
    readonly fix?: string;
    readonly detail?: string;

    constructor(info: ErrorInfo, options?: { cause?: unknown }) {
        super(info.message, options);
        this.name = "PromptsmithError";
        this.code = info.code;
        this.file = info.file;
        this.fix = info.fix;
        this.detail = info.detail;
    }

    toJSON(): ErrorInfo {
        const { code, message, file, fix, detail } = this;
        return { code, message, ...(file ? { file } : {}), ...(fix ? { fix } : {}), ...(detail ? { detail } : {}) };
    }

    /** Message, file and fix on separate lines, for a terminal or a notification. */
    describe(): string {
        return [this.message, this.file ? `File: ${this.file}` : "", this.fix ? `Fix: ${this.fix}` : ""].filter(Boolean).join("\n");
    }

    static from(info: ErrorInfo): PromptsmithError {
        return new PromptsmithError(info);
    }
}

export function isPromptsmithError(e: unknown): e is PromptsmithError {
    return e instanceof PromptsmithError;
}

/** Wraps anything thrown into a PromptsmithError without losing the original message. */
export function toPromptsmithError(e: unknown, fallback: Omit<ErrorInfo, "message"> & { message?: string } = { code: "INTERNAL" }): PromptsmithError {
    if (e instanceof PromptsmithError) return e;
    const msg = e instanceof Error ? e.message : String(e);
    return new PromptsmithError({ ...fallback, message: fallback.message ?? msg, detail: fallback.message ? msg : fallback.detail }, { cause: e });
}
