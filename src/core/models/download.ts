// Downloads a model file with node-llama-cpp's downloader (ipull under the hood), safely:
//  - the download goes to `<fileName>.partial` (ipull itself writes `<fileName>.partial.ipull` first);
//  - only after the size (and SHA-256, when known) is verified is it renamed to the final name, so an
//    interrupted or failed download never leaves a file under the final name;
//  - ipull retries network errors for a very long time, so a stall watchdog bounds every download;
//  - ipull can report success after it was cancelled, so the file on disk and `signal.aborted` are what count.
//
// node-llama-cpp is ESM-only and heavy: it is loaded with a dynamic import, only when a download starts.

import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { PromptsmithError, isPromptsmithError } from "../errors.ts";

export interface DownloadProgress {
    downloadedBytes: number;
    /** 0 while unknown. */
    totalBytes: number;
    /** 0..100; 0 while the total is unknown. */
    percent: number;
    bytesPerSecond: number;
    /** Infinity while it cannot be estimated. */
    etaSeconds: number;
}

export interface DownloadOptions {
    url: string;
    dir: string;
    fileName: string;
    expectedSize?: number;
    /** Hex SHA-256 of the file. */
    sha256?: string;
    signal?: AbortSignal;
    onProgress?: (p: DownloadProgress) => void;
    headers?: Record<string, string>;
    /** Give up when no new byte has arrived for this long (ipull retries failures almost forever). Default 60 s. */
    stallTimeoutMs?: number;
    /** Limit for the first request that checks the server is reachable. Default 30 s. */
    connectTimeoutMs?: number;
    /** Minimum time between two progress callbacks (the first and the last are always sent). Default 100 ms. */
    progressIntervalMs?: number;
}

export const LOCAL_FILE_ADVICE = "set PROMPTSMITH_MODEL=/path/to/model.gguf or pass --model PATH";

const DEFAULT_STALL_TIMEOUT_MS = 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_PROGRESS_INTERVAL_MS = 100;
/** How long to wait for ipull to wind down after a cancel before deleting its files. */
const CANCEL_GRACE_MS = 2_000;

const UNREACHABLE_CODES = new Set([
    "ENOTFOUND",
    "ECONNREFUSED",
    "EAI_AGAIN",
    "EAI_NONAME",
    "ENETUNREACH",
    "ENETDOWN",
    "EHOSTUNREACH",
    "EHOSTDOWN",
    "ETIMEDOUT",
    "UND_ERR_CONNECT_TIMEOUT",
]);

/** The temporary files a download of `fileName` may create in `dir`. */
export function tempFilesFor(dir: string, fileName: string): string[] {
    const partial = path.join(dir, `${fileName}.partial`);
    return [partial, `${partial}.ipull`];
}

/**
 * Downloads `url` to `dir/fileName` and returns the final path. Reuses an existing file that passes
 * verification without any network request when `expectedSize` or `sha256` is given.
 */
export async function downloadModel(options: DownloadOptions): Promise<string> {
    const { url, dir, fileName, signal } = options;
    const expectedHash = options.sha256?.trim().toLowerCase();
    if (fileName === "" || path.basename(fileName) !== fileName || fileName === "." || fileName === "..") {
        throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: `Invalid model file name "${fileName}": it must be a plain file name.` });
    }
    if (expectedHash !== undefined && !/^[0-9a-f]{64}$/.test(expectedHash)) {
        throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: `Invalid SHA-256 "${options.sha256}": expected 64 hexadecimal digits.` });
    }
    const finalPath = path.join(dir, fileName);
    const [partialPath] = tempFilesFor(dir, fileName) as [string, string];
    throwIfAborted(signal, finalPath);

    // 1. A verified file is already there: nothing to do.
    const existing = await fileSize(finalPath);
    if (existing !== undefined && (options.expectedSize !== undefined || expectedHash !== undefined)) {
        if (await matches(finalPath, existing, options.expectedSize, expectedHash, signal)) return finalPath;
        // Known bad (a partial copy someone put there, an older version...): it must not be used.
        await rm(finalPath, { force: true });
    }

    await mkdir(dir, { recursive: true }).catch((e: unknown) => {
        throw new PromptsmithError(
            { code: "DOWNLOAD_FAILED", message: `Cannot create the models folder ${dir}: ${errorText(e)}`, file: dir, fix: `Choose a writable folder (PROMPTSMITH_MODELS_DIR), or ${LOCAL_FILE_ADVICE}.` },
            { cause: e },
        );
    });
    await removeAll(tempFilesFor(dir, fileName)); // leftovers of a crashed run

    // 2. Check the server is reachable (fails fast instead of ipull's long retry loop) and learn what it offers.
    const offered = await preflight(url, options.headers, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, signal, finalPath);
    if (existing !== undefined && options.expectedSize === undefined && expectedHash === undefined && offered.size !== undefined) {
        const stillThere = await fileSize(finalPath);
        if (stillThere !== undefined && (await matches(finalPath, stillThere, offered.size, offered.sha256, signal))) return finalPath;
    }
    if (options.expectedSize !== undefined && offered.size !== undefined && offered.size !== options.expectedSize) {
        throw new PromptsmithError({
            code: "CHECKSUM_MISMATCH",
            message: `The server offers ${offered.size} bytes for ${fileName} but ${options.expectedSize} bytes were expected: it is not the expected file. Nothing was downloaded.`,
            file: finalPath,
            fix: `Check the download URL (${url}), or ${LOCAL_FILE_ADVICE}.`,
        });
    }
    if (expectedHash !== undefined && offered.sha256 !== undefined && offered.sha256 !== expectedHash) {
        throw new PromptsmithError({
            code: "CHECKSUM_MISMATCH",
            message: `The server announces SHA-256 ${offered.sha256} for ${fileName} but ${expectedHash} was expected: it is not the expected file. Nothing was downloaded.`,
            file: finalPath,
            fix: `Check the download URL (${url}), or ${LOCAL_FILE_ADVICE}.`,
        });
    }
    const wantSize = options.expectedSize ?? offered.size;
    const wantHash = expectedHash ?? offered.sha256;

    // 3. Download into <fileName>.partial.
    const progress = new ProgressReporter(options.onProgress, wantSize ?? 0, options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS);
    try {
        await runDownloader({ ...options, partialName: path.basename(partialPath), progress, finalPath });
        throwIfAborted(signal, finalPath);

        // 4. Check the file on disk, whatever the downloader said.
        const got = await fileSize(partialPath);
        if (got === undefined) {
            throw new PromptsmithError({
                code: "DOWNLOAD_FAILED",
                message: `The download of ${fileName} ended without producing a file.`,
                file: finalPath,
                fix: `Try again, or ${LOCAL_FILE_ADVICE}.`,
            });
        }
        if (wantSize !== undefined && got !== wantSize) {
            throw new PromptsmithError({
                code: "CHECKSUM_MISMATCH",
                message: `Downloaded ${fileName} has ${got} bytes but ${wantSize} were expected; the incomplete file was deleted.`,
                file: finalPath,
                fix: `Try again, or ${LOCAL_FILE_ADVICE}.`,
            });
        }
        if (wantHash !== undefined) {
            const actual = await sha256File(partialPath, signal);
            throwIfAborted(signal, finalPath);
            if (actual !== wantHash) {
                throw new PromptsmithError({
                    code: "CHECKSUM_MISMATCH",
                    message: `Downloaded ${fileName} is not the expected file: SHA-256 expected ${wantHash}, actual ${actual}. It was deleted.`,
                    file: finalPath,
                    fix: `Try again; if it keeps happening the file on the server changed — ${LOCAL_FILE_ADVICE}.`,
                    detail: `expected=${wantHash} actual=${actual}`,
                });
            }
        }
        throwIfAborted(signal, finalPath);
        await rename(partialPath, finalPath); // atomic on the same filesystem
        progress.finish(got);
        return finalPath;
    } catch (e) {
        await removeAll(tempFilesFor(dir, fileName));
        if (signal?.aborted) throw abortedError(finalPath, e);
        if (isPromptsmithError(e)) throw e;
        throw downloadFailed(e, url, finalPath);
    }
}

// ---------------------------------------------------------------------------------------------------------

interface RunOptions extends DownloadOptions {
    partialName: string;
    finalPath: string;
    progress: ProgressReporter;
}

type ModelDownloaderLike = { download(): Promise<string>; cancel(o?: { deleteTempFile?: boolean }): Promise<void> };

/** Runs node-llama-cpp's downloader, bounded by the stall watchdog and the abort signal. */
async function runDownloader(o: RunOptions): Promise<void> {
    const stallMs = o.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    let lastAdvance = Date.now();
    let stopped = false;
    let downloader: ModelDownloaderLike | undefined;

    let fail!: (e: unknown) => void;
    const stopper = new Promise<never>((_resolve, reject) => (fail = reject));
    stopper.catch(() => {}); // handled by the race below

    const onAbort = () => fail(abortedError(o.finalPath));
    o.signal?.addEventListener("abort", onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    const watchdog = setInterval(
        () => {
            if (Date.now() - lastAdvance > stallMs) {
                fail(
                    new PromptsmithError({
                        code: "DOWNLOAD_FAILED",
                        message: `The download of ${path.basename(o.finalPath)} stalled: nothing arrived for ${formatSeconds(stallMs)} (at ${o.progress.downloaded} bytes).`,
                        file: o.finalPath,
                        fix: `Check your connection and try again, or ${LOCAL_FILE_ADVICE}.`,
                    }),
                );
            }
        },
        Math.max(10, Math.min(1000, Math.floor(stallMs / 4))),
    );

    // ipull keeps (and reuses by reference) this object for every request it makes, retries included.
    const headers: Record<string, string> = { ...o.headers };

    const work = (async () => {
        const { createModelDownloader } = await import("node-llama-cpp");
        if (stopped) return;
        const d = (await createModelDownloader({
            modelUri: o.url,
            dirPath: o.dir,
            fileName: o.partialName,
            headers,
            showCliProgress: false,
            skipExisting: false,
            deleteTempFileOnCancel: true,
            onProgress: (s) => {
                if (stopped) return;
                if (o.progress.update(s.downloadedSize, s.totalSize)) lastAdvance = Date.now();
            },
        })) as ModelDownloaderLike;
        downloader = d;
        if (stopped) return;
        await d.download();
    })();
    work.catch(() => {}); // may settle after we gave up on it

    try {
        await Promise.race([work, stopper]);
    } catch (e) {
        stopped = true;
        poisonHeaders(headers);
        // Stop ipull and let it wind down (bounded) so it does not write after we delete its files.
        const d = downloader;
        if (d) await d.cancel({ deleteTempFile: true }).catch(() => {});
        else
            void work.then(
                () => downloader?.cancel({ deleteTempFile: true }).catch(() => {}),
                () => {},
            );
        await Promise.race([work.catch(() => {}), sleep(CANCEL_GRACE_MS, undefined, { ref: false })]);
        throw e;
    } finally {
        stopped = true;
        clearInterval(watchdog);
        o.signal?.removeEventListener("abort", onAbort);
    }
}

/**
 * ipull's cancel does not stop its chunk retry loop: when a retry's request fails before any byte arrives
 * (connection refused, host gone), it keeps retrying with back-off (150 tries, up to 5 s apart, ~12 min),
 * holding the process open long after we gave up. The loop does stop on an error named "AbortError", and
 * every attempt spreads the same headers object, so a header getter that throws one ends it at its next try.
 */
function poisonHeaders(headers: Record<string, string>): void {
    Object.defineProperty(headers, "x-promptsmith-cancelled", {
        enumerable: true,
        configurable: true,
        get() {
            const e = new Error("The download was cancelled.");
            e.name = "AbortError";
            throw e;
        },
    });
}

class ProgressReporter {
    downloaded = 0;
    private readonly start = Date.now();
    private lastSent = 0;
    private sentAny = false;
    private readonly onProgress: ((p: DownloadProgress) => void) | undefined;
    private total: number;
    private readonly intervalMs: number;

    constructor(onProgress: ((p: DownloadProgress) => void) | undefined, total: number, intervalMs: number) {
        this.onProgress = onProgress;
        this.total = total;
        this.intervalMs = intervalMs;
    }

    /** Returns true when the highest byte count grew (ipull's count goes back when it retries a chunk). */
    update(downloaded: number, total: number): boolean {
        if (total > 0) this.total = total;
        const advanced = downloaded > this.downloaded;
        if (advanced) this.downloaded = this.total > 0 ? Math.min(downloaded, this.total) : downloaded;
        const now = Date.now();
        // 100% is only reported once the file is verified and in place (finish()).
        if (advanced && (!this.sentAny || now - this.lastSent >= this.intervalMs) && (this.total === 0 || this.downloaded < this.total)) this.send(now);
        return advanced;
    }

    finish(size: number): void {
        this.downloaded = size;
        this.total = size;
        this.send(Date.now());
    }

    private send(now: number): void {
        if (!this.onProgress) return;
        this.sentAny = true;
        this.lastSent = now;
        const seconds = Math.max((now - this.start) / 1000, 0.001);
        const bytesPerSecond = this.downloaded / seconds;
        const percent = this.total > 0 ? Math.min(100, (this.downloaded / this.total) * 100) : 0;
        const remaining = this.total - this.downloaded;
        const etaSeconds = this.total > 0 && remaining <= 0 ? 0 : this.total > 0 && bytesPerSecond > 0 ? remaining / bytesPerSecond : Infinity;
        try {
            this.onProgress({ downloadedBytes: this.downloaded, totalBytes: this.total, percent, bytesPerSecond, etaSeconds });
        } catch {
            // a failing progress callback must not break the download
        }
    }
}

interface Offered {
    size?: number;
    sha256?: string;
}

/**
 * One HEAD request (following redirects by hand, at most 5) to check the host is reachable and learn the
 * size and, from Hugging Face's `X-Linked-Size` / `X-Linked-Etag`, the SHA-256 of LFS files.
 */
async function preflight(url: string, headers: Record<string, string> | undefined, timeoutMs: number, signal: AbortSignal | undefined, finalPath: string): Promise<Offered> {
    const offered: Offered = {};
    let current = url;
    for (let hop = 0; hop < 6; hop++) {
        const timeout = AbortSignal.timeout(timeoutMs);
        const res = await fetch(current, {
            method: "HEAD",
            redirect: "manual",
            headers: { "Accept-Encoding": "identity", ...headers },
            signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        }).catch((e: unknown) => {
            if (signal?.aborted) throw abortedError(finalPath, e);
            if (timeout.aborted) throw downloadFailed(Object.assign(new Error(`no answer within ${formatSeconds(timeoutMs)}`), { code: "ETIMEDOUT" }), current, finalPath);
            throw downloadFailed(e, current, finalPath);
        });
        await res.body?.cancel().catch(() => {});
        const linkedSize = toSize(res.headers.get("x-linked-size"));
        const linkedHash = toSha256(res.headers.get("x-linked-etag"));
        if (linkedSize !== undefined) offered.size ??= linkedSize;
        if (linkedHash !== undefined) offered.sha256 ??= linkedHash;
        if (res.status >= 300 && res.status < 400) {
            const location = res.headers.get("location");
            // Hugging Face announced the file: no need to HEAD its (signed, possibly GET-only) CDN URL.
            if (!location || linkedSize !== undefined) break;
            current = new URL(location, current).href;
            continue;
        }
        if (res.status >= 200 && res.status < 300) {
            if (!res.headers.get("content-encoding")) offered.size ??= toSize(res.headers.get("content-length"));
            return offered;
        }
        // No HEAD support, or a redirect target (often a URL signed for GET only) refusing HEAD: let the downloader find out.
        if (res.status === 405 || res.status === 501 || hop > 0) return offered;
        throw new PromptsmithError({
            code: "DOWNLOAD_FAILED",
            message: `Download of ${path.basename(finalPath)} failed: the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""} for ${current}.`,
            file: finalPath,
            fix:
                res.status === 401 || res.status === 403
                    ? `The file needs credentials (for Hugging Face: set HF_TOKEN), or ${LOCAL_FILE_ADVICE}.`
                    : res.status >= 500 || res.status === 429
                      ? `The server has a problem; try again later, or ${LOCAL_FILE_ADVICE}.`
                      : `Check the URL, or ${LOCAL_FILE_ADVICE}.`,
        });
    }
    return offered;
}

function toSize(v: string | null): number | undefined {
    if (v === null || !/^\d+$/.test(v.trim())) return undefined;
    const n = Number(v.trim());
    return Number.isSafeInteger(n) ? n : undefined;
}

function toSha256(v: string | null): string | undefined {
    const m = v === null ? null : /^(?:W\/)?"?([0-9a-fA-F]{64})"?$/.exec(v.trim());
    return m?.[1]?.toLowerCase();
}

/** Size of a regular file, or undefined when there is none. */
export async function fileSize(p: string): Promise<number | undefined> {
    try {
        const s = await stat(p);
        return s.isFile() ? s.size : undefined;
    } catch {
        return undefined;
    }
}

async function matches(p: string, size: number, wantSize: number | undefined, wantHash: string | undefined, signal?: AbortSignal): Promise<boolean> {
    if (wantSize !== undefined && size !== wantSize) return false;
    if (wantHash !== undefined) return (await sha256File(p, signal)) === wantHash;
    return wantSize !== undefined;
}

/** Hex SHA-256 of a file, streamed (models are gigabytes). */
export async function sha256File(p: string, signal?: AbortSignal): Promise<string> {
    const hash = createHash("sha256");
    await pipeline(createReadStream(p, { highWaterMark: 1 << 20 }), hash, { signal });
    return hash.digest("hex");
}

async function removeAll(paths: string[]): Promise<void> {
    await Promise.all(paths.map((p) => rm(p, { force: true }).catch(() => {})));
}

function throwIfAborted(signal: AbortSignal | undefined, finalPath: string): void {
    if (signal?.aborted) throw abortedError(finalPath);
}

function abortedError(finalPath: string, cause?: unknown): PromptsmithError {
    return new PromptsmithError(
        { code: "ABORTED", message: `Download of ${path.basename(finalPath)} cancelled; nothing was kept.`, file: finalPath },
        cause === undefined ? undefined : { cause },
    );
}

/** Codes found anywhere in an error's cause chain (undici wraps the system error; AggregateError holds several). */
function errorCodes(e: unknown, seen = new Set<unknown>()): string[] {
    if (e === null || typeof e !== "object" || seen.has(e)) return [];
    seen.add(e);
    const o = e as { code?: unknown; cause?: unknown; errors?: unknown };
    const own = typeof o.code === "string" ? [o.code] : [];
    const nested = Array.isArray(o.errors) ? o.errors.flatMap((x) => errorCodes(x, seen)) : [];
    return [...own, ...errorCodes(o.cause, seen), ...nested];
}

function formatSeconds(ms: number): string {
    return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function errorText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

function downloadFailed(e: unknown, url: string, finalPath: string): PromptsmithError {
    if (isPromptsmithError(e)) return e;
    const codes = errorCodes(e);
    const unreachable = codes.find((c) => UNREACHABLE_CODES.has(c));
    let host = url;
    try {
        host = new URL(url).host;
    } catch {
        // keep the URL
    }
    const status = (e as { statusCode?: unknown } | null)?.statusCode;
    const name = path.basename(finalPath);
    const message =
        unreachable !== undefined
            ? `Cannot reach ${host} to download ${name} (${unreachable}): you may be offline. To use a local file instead, ${LOCAL_FILE_ADVICE}.`
            : typeof status === "number"
              ? `Download of ${name} failed: the server answered HTTP ${status}.`
              : `Download of ${name} failed: ${errorText(e)}${codes.length ? ` (${codes.join(", ")})` : ""}.`;
    return new PromptsmithError(
        {
            code: "DOWNLOAD_FAILED",
            message,
            file: finalPath,
            fix: unreachable !== undefined ? `Check your connection, or ${LOCAL_FILE_ADVICE}.` : `Try again, or ${LOCAL_FILE_ADVICE}.`,
            detail: `${errorText(e)}${codes.length ? ` [${codes.join(", ")}]` : ""} url=${url}`,
        },
        { cause: e },
    );
}
