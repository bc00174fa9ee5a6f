// A small append-only JSON Lines file with bounds, for local history (no database, nothing leaves the
// machine). One object per line, "\n"-terminated, UTF-8.
//
// - Appends go through one promise chain per file path in this process, and each is a single write(2)
//   on a file opened with O_APPEND, so two windows (two extension hosts) appending at once never
//   interleave lines.
// - Reading never throws away the rest of the file for one bad line: a corrupt or truncated line is
//   skipped and counted.
// - Bounds: at most maxEntries (newest kept) are returned; the file itself is compacted (temp file +
//   rename, atomic) once it holds maxEntries plus some slack, or grows past maxBytes. An entry larger
//   than maxEntryBytes is trimmed (its longest strings are cut, with a marker), not refused.
// - What was read is cached and re-read only when the file's identity, size or mtime changed; an
//   append by another process is read incrementally (only the new bytes).
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, type FileHandle } from "node:fs/promises";
import type { Stats } from "node:fs";
import { dirname } from "node:path";
import { PromptsmithError } from "../errors.ts";
import { silentLogger, type Logger } from "../logger.ts";

export const DEFAULT_MAX_ENTRY_BYTES = 256 * 1024;
export const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;
/** Strings shorter than this are never trimmed (ids, dates, names). */
const MIN_TRIMMABLE_CHARS = 160;

export interface JsonlOptions<T> {
    path: string;
    /** How many entries are kept (the newest); 0 keeps none. */
    maxEntries: number;
    /** Size the file may grow to before it is compacted (default 32 MiB). */
    maxBytes?: number;
    /** Largest line (UTF-8 bytes of the JSON); larger entries are trimmed (default 256 KiB). */
    maxEntryBytes?: number;
    /** Lines whose JSON is valid but not an entry are skipped and counted like corrupt ones. */
    validate?: (value: unknown) => value is T;
    logger?: Logger;
}

export interface JsonlReadResult<T> {
    /** Oldest first; at most maxEntries (the newest). */
    entries: T[];
    /** Corrupt, truncated or invalid lines skipped. */
    skipped: number;
    /** The file's size in bytes (0 when it does not exist). */
    bytes: number;
}

interface FileState {
    dev: number;
    ino: number;
    size: number;
    mtimeMs: number;
    /** Bytes up to and including the last "\n": parsed into `entries`. */
    committed: number;
    entries: Array<{ value: unknown; bytes: number }>;
    skipped: number;
    /** A last line without its "\n" (a truncated write, or one in flight in another process). */
    tail?: { value: unknown; bytes: number };
    tailSkipped: number;
}

const EMPTY: FileState = Object.freeze({ dev: 0, ino: 0, size: 0, mtimeMs: 0, committed: 0, entries: [], skipped: 0, tailSkipped: 0 }) as FileState;

/** One promise chain per file path in this process: appends, compactions and reads never overlap. */
const chains = new Map<string, Promise<unknown>>();
function serialised<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const prev = chains.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(() => undefined, () => undefined);
    chains.set(key, tail);
    void tail.then(() => {
        if (chains.get(key) === tail) chains.delete(key);
    });
    return run;
}

const isErrno = (e: unknown, code: string): boolean => (e as NodeJS.ErrnoException | undefined)?.code === code;

export class JsonlFile<T extends object> {
    readonly path: string;
    private maxEntriesValue: number;
    private maxBytesValue: number;
    readonly maxEntryBytes: number;
    private readonly validate: (value: unknown) => value is T;
    private readonly logger: Logger;
    private state: FileState | undefined;

    constructor(options: JsonlOptions<T>) {
        this.path = options.path;
        this.maxEntriesValue = checkCount(options.maxEntries, "maxEntries");
        this.maxBytesValue = checkCount(options.maxBytes ?? DEFAULT_MAX_FILE_BYTES, "maxBytes");
        this.maxEntryBytes = checkCount(options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES, "maxEntryBytes");
        if (this.maxEntryBytes < 1024) throw new RangeError("maxEntryBytes must be at least 1024.");
        this.validate = options.validate ?? ((v: unknown): v is T => typeof v === "object" && v !== null && !Array.isArray(v));
        this.logger = options.logger ?? silentLogger;
    }

    get maxEntries(): number {
        return this.maxEntriesValue;
    }

    get maxBytes(): number {
        return this.maxBytesValue;
    }

    /** Changes the bound; when it shrank, the file is compacted at once (0 removes every entry). Resolves true when entries were dropped. */
    setBounds(bounds: { maxEntries?: number; maxBytes?: number }): Promise<boolean> {
        if (bounds.maxEntries !== undefined) this.maxEntriesValue = checkCount(bounds.maxEntries, "maxEntries");
        if (bounds.maxBytes !== undefined) this.maxBytesValue = checkCount(bounds.maxBytes, "maxBytes");
        return serialised(this.path, async () => {
            const s = await this.load();
            if (s.entries.length + (s.tail ? 1 : 0) <= this.maxEntriesValue && s.size <= this.maxBytesValue) return false;
            return this.compactNow(0);
        });
    }

    /**
     * Appends one entry (trimmed first when it is larger than maxEntryBytes) and compacts when the file
     * went over its bounds. Resolves with the entry as stored. With maxEntries 0 nothing is written.
     */
    append(entry: T): Promise<T> {
        const { value, line } = fitEntry(entry, this.maxEntryBytes);
        return serialised(this.path, async () => {
            if (this.maxEntriesValue === 0) return value;
            await this.appendLine(line);
            const s = await this.load();
            const count = s.entries.length + (s.tail ? 1 : 0);
            if (count > this.maxEntriesValue + slack(this.maxEntriesValue) || s.size > this.maxBytesValue) {
                await this.compactNow(0);
            }
            return value;
        });
    }

    /** Every entry, oldest first (at most maxEntries, the newest), with the number of lines skipped. */
    read(): Promise<JsonlReadResult<T>> {
        return serialised(this.path, async () => {
            const s = await this.load();
            const all = s.tail ? [...s.entries, s.tail] : s.entries;
            const kept = all.length > this.maxEntriesValue ? all.slice(all.length - this.maxEntriesValue) : all;
            return { entries: kept.map((e) => e.value as T), skipped: s.skipped + s.tailSkipped, bytes: s.size };
        });
    }

    /** Rewrites the file with only the entries within the bounds, atomically. Resolves true when entries were dropped. */
    compact(): Promise<boolean> {
        return serialised(this.path, () => this.compactNow(0));
    }

    /** Removes the file (and every entry). */
    clear(): Promise<void> {
        return serialised(this.path, async () => {
            await rm(this.path, { force: true });
            this.state = EMPTY;
        });
    }

    /** Whether the file on disk differs from what was last read or written here (another process wrote to it). */
    async changedOnDisk(): Promise<boolean> {
        const s = this.state;
        try {
            const st = await stat(this.path);
            return !s || st.ino !== s.ino || st.dev !== s.dev || st.size !== s.size || st.mtimeMs !== s.mtimeMs;
        } catch (e) {
            if (isErrno(e, "ENOENT")) return !!s && s.size > 0;
            throw e;
        }
    }

    // ---- inside the chain ----

    private async appendLine(line: string): Promise<void> {
        let fh: FileHandle;
        try {
            fh = await open(this.path, "a+", 0o600);
        } catch (e) {
            if (!isErrno(e, "ENOENT")) throw e;
            await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
            fh = await open(this.path, "a+", 0o600);
        }
        try {
            const { size } = await fh.stat();
            let text = `${line}\n`;
            if (size > 0) {
                // A line cut short (a crash mid-write) must not swallow this one: start on a fresh line.
                const last = Buffer.alloc(1);
                await fh.read(last, 0, 1, size - 1);
                if (last[0] !== 0x0a) text = `\n${text}`;
            }
            const buf = Buffer.from(text, "utf8");
            // O_APPEND: one write(2) lands at the end of the file even when another process appends too.
            const { bytesWritten } = await fh.write(buf, 0, buf.length);
            if (bytesWritten !== buf.length) throw new Error(`short write (${bytesWritten} of ${buf.length} bytes)`);
        } finally {
            await fh.close();
        }
    }

    /** The file's entries, reading only what changed since the last time. */
    private async load(): Promise<FileState> {
        let st: Stats;
        try {
            st = await stat(this.path);
        } catch (e) {
            if (isErrno(e, "ENOENT")) return (this.state = EMPTY);
            throw e;
        }
        const prev = this.state;
        if (prev && prev.ino === st.ino && prev.dev === st.dev) {
            if (prev.size === st.size && prev.mtimeMs === st.mtimeMs) return prev;
            // Grown (an append, here or in another window): read only the new bytes (and the last partial line again).
            if (st.size >= prev.size) return (this.state = await this.readFrom(prev, st));
        }
        return (this.state = await this.readFrom(undefined, st));
    }

    private async readFrom(prev: FileState | undefined, st: Stats): Promise<FileState> {
        const start = prev?.committed ?? 0;
        let buf: Buffer;
        if (start === 0) {
            buf = await readFile(this.path);
        } else {
            const fh = await open(this.path, "r");
            try {
                const want = Math.max(0, st.size - start);
                buf = Buffer.alloc(want);
                let got = 0;
                while (got < want) {
                    const { bytesRead } = await fh.read(buf, got, want - got, start + got);
                    if (bytesRead === 0) break;
                    got += bytesRead;
                }
                buf = buf.subarray(0, got);
            } finally {
                await fh.close();
            }
        }
        const entries = prev ? prev.entries.slice() : [];
        let skipped = prev?.skipped ?? 0;
        let pos = 0;
        let nl: number;
        while ((nl = buf.indexOf(0x0a, pos)) >= 0) {
            const parsed = this.parseLine(buf.subarray(pos, nl));
            if (parsed === "bad") skipped++;
            else if (parsed) entries.push(parsed);
            pos = nl + 1;
        }
        let tail: FileState["tail"];
        let tailSkipped = 0;
        if (pos < buf.length) {
            const parsed = this.parseLine(buf.subarray(pos));
            if (parsed === "bad") tailSkipped = 1;
            else if (parsed) tail = parsed;
        }
        if (skipped > (prev?.skipped ?? 0) || tailSkipped) {
            this.logger.warn(`${this.path}: skipped ${skipped - (prev?.skipped ?? 0) + tailSkipped} corrupt or truncated line(s).`);
        }
        // The size read may be larger than the stat (an append landed in between): use what was read.
        const size = start + buf.length;
        return { dev: st.dev, ino: st.ino, size, mtimeMs: size === st.size ? st.mtimeMs : -1, committed: start + pos, entries, skipped, tail, tailSkipped };
    }

    private parseLine(bytes: Buffer): { value: unknown; bytes: number } | "bad" | undefined {
        const text = bytes.toString("utf8").trim();
        if (!text) return undefined;
        try {
            const value: unknown = JSON.parse(text);
            return this.validate(value) ? { value, bytes: bytes.length + 1 } : "bad";
        } catch {
            return "bad";
        }
    }

    private async compactNow(attempt: number): Promise<boolean> {
        const s = await this.load();
        const all = s.tail ? [...s.entries, s.tail] : s.entries;
        if (this.maxEntriesValue === 0) {
            const had = all.length > 0 || s.skipped + s.tailSkipped > 0;
            if (s.size > 0) await rm(this.path, { force: true });
            this.state = EMPTY;
            return had;
        }
        // Keep the newest entries that fit both bounds (bytes with 10% room, so the next appends do not compact again at once).
        const byteTarget = Math.floor(this.maxBytesValue * 0.9);
        let keepFrom = Math.max(0, all.length - this.maxEntriesValue);
        let bytes = 0;
        for (let i = all.length - 1; i >= keepFrom; i--) {
            bytes += all[i]!.bytes;
            if (bytes > byteTarget) {
                keepFrom = i + 1;
                break;
            }
        }
        const kept = all.slice(keepFrom);
        const text = kept.map((e) => `${JSON.stringify(e.value)}\n`).join("");
        const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
        const fh = await open(tmp, "wx", 0o600);
        try {
            await fh.writeFile(text, "utf8");
            await fh.sync();
        } finally {
            await fh.close();
        }
        // Another process appended since this read: start over, or its entry would be lost in the rename.
        let now: Stats | undefined;
        try {
            now = await stat(this.path);
        } catch (e) {
            if (!isErrno(e, "ENOENT")) throw e;
        }
        if (now && (now.ino !== s.ino || now.size !== s.size) && attempt < 3) {
            await rm(tmp, { force: true });
            return this.compactNow(attempt + 1);
        }
        try {
            await rename(tmp, this.path);
        } catch (e) {
            await rm(tmp, { force: true });
            throw e;
        }
        this.state = undefined; // re-read (and re-stat) on next use
        const dropped = all.length - kept.length;
        if (dropped > 0 || s.skipped + s.tailSkipped > 0) this.logger.debug(`${this.path}: compacted, ${kept.length} entries kept, ${dropped} dropped.`);
        return dropped > 0;
    }
}

/** Slack over maxEntries before the file is rewritten, so that a full history is not rewritten on every append. */
function slack(maxEntries: number): number {
    return maxEntries === 0 ? 0 : Math.max(8, Math.ceil(maxEntries / 10));
}

function checkCount(n: number, name: string): number {
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a non-negative number, got ${n}.`);
    return Math.floor(n);
}

/**
 * The entry as it will be stored and its JSON line (without "\n"). An entry whose JSON is larger than
 * maxBytes has its longest strings cut (at a character boundary), each ending with a marker saying
 * how much was not stored; an entry that cannot be brought under the limit that way is refused.
 */
export function fitEntry<T extends object>(entry: T, maxBytes: number): { value: T; line: string; trimmed: boolean } {
    let line = JSON.stringify(entry);
    if (line === undefined) throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: "The history entry is not a JSON value." });
    if (Buffer.byteLength(line, "utf8") <= maxBytes) return { value: entry, line, trimmed: false };
    const value = JSON.parse(line) as T; // a plain deep copy: the caller's object stays untouched
    for (let round = 0; round < 64; round++) {
        const over = Buffer.byteLength(line, "utf8") - maxBytes;
        if (over <= 0) return { value, line, trimmed: true };
        const longest = longestString(value);
        if (!longest || longest.text.length < MIN_TRIMMABLE_CHARS) break;
        const { text, set } = longest;
        const original = originalLength(text);
        const body = stripMarker(text);
        const bodyBytes = Buffer.byteLength(JSON.stringify(body), "utf8");
        // Cut the JSON-encoded body by what is over, plus room for the marker; escapes are re-measured next round.
        const keepBytes = Math.max(0, bodyBytes - over - 96);
        const kept = cutToBytes(body, keepBytes);
        set(`${kept}${marker(original - kept.length, original)}`);
        line = JSON.stringify(value);
    }
    if (Buffer.byteLength(line, "utf8") <= maxBytes) return { value, line, trimmed: true };
    throw new PromptsmithError({
        code: "INVALID_ARGUMENT",
        message: `A history entry is ${Buffer.byteLength(line, "utf8")} bytes even with its long texts cut; the limit is ${maxBytes} bytes.`,
        fix: "Store fewer fields (for example fewer variables) in one entry.",
    });
}

const MARKER_RE = /\n… \[truncated: (\d+) of (\d+) characters not stored\]$/;
function marker(removed: number, total: number): string {
    return `\n… [truncated: ${removed} of ${total} characters not stored]`;
}
function originalLength(text: string): number {
    const m = MARKER_RE.exec(text);
    return m ? Number(m[2]) : text.length;
}
function stripMarker(text: string): string {
    return text.replace(MARKER_RE, "");
}

/** The longest prefix of `text` whose JSON encoding (without quotes) is at most `maxBytes`, never splitting a surrogate pair. */
function cutToBytes(text: string, maxBytes: number): string {
    // Binary search on the length: JSON escapes make the byte count non-linear in characters.
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (Buffer.byteLength(JSON.stringify(text.slice(0, mid)), "utf8") - 2 <= maxBytes) lo = mid;
        else hi = mid - 1;
    }
    let end = lo;
    const c = text.charCodeAt(end - 1);
    if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--; // a high surrogate without its pair
    return text.slice(0, end);
}

function longestString(root: unknown): { text: string; set: (s: string) => void } | undefined {
    let best: { text: string; set: (s: string) => void } | undefined;
    const visit = (node: unknown): void => {
        if (Array.isArray(node)) {
            node.forEach((v, i) => {
                if (typeof v === "string") {
                    if (!best || v.length > best.text.length) best = { text: v, set: (s) => { node[i] = s; } };
                } else visit(v);
            });
        } else if (node && typeof node === "object") {
            const obj = node as Record<string, unknown>;
            for (const [k, v] of Object.entries(obj)) {
                if (typeof v === "string") {
                    if (!best || v.length > best.text.length) best = { text: v, set: (s) => { obj[k] = s; } };
                } else visit(v);
            }
        }
    };
    visit(root);
    return best;
}
