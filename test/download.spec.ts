// downloadModel against a loopback HTTP server (127.0.0.1 only): progress, atomic rename, verification,
// interruption, abort, reuse and unreachable hosts. Every server is closed; every test is time-bounded.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { downloadModel, type DownloadProgress } from "../src/core/models/download.ts";
import { expectError } from "./support/errors.ts";

const SIZE = 6 * 1024 * 1024 + 12345; // more than one ipull chunk (5 MiB), not a round number
const DATA = makeData(SIZE);
const SHA = createHash("sha256").update(DATA).digest("hex");
const FILE = "test-model.gguf";

function makeData(n: number): Buffer {
    const b = Buffer.alloc(n);
    let x = 0x12345678;
    for (let i = 0; i < n; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        b[i] = x >>> 24;
    }
    return b;
}

interface ServerOptions {
    data?: Buffer;
    /** Destroy the socket once this absolute byte offset is reached. */
    cutAt?: number;
    /** Only cut the first this-many body requests (default: all). */
    cutRequests?: number;
    /** No Content-Length, no Range support, body streamed with chunked encoding. */
    chunked?: boolean;
    /** Answer HEAD with a 302 to /file carrying Hugging Face's X-Linked-Size / X-Linked-Etag. */
    linked?: { size: number; sha256: string };
    /** Pause between 64 KiB writes, to make progress visible. */
    delayMs?: number;
}

interface TestServer {
    url: string;
    requests: string[];
    close(): Promise<void>;
}

async function startServer(o: ServerOptions = {}): Promise<TestServer> {
    const data = o.data ?? DATA;
    const requests: string[] = [];
    let bodyRequests = 0;
    const server = http.createServer((req, res) => {
        requests.push(`${req.method} ${req.url} ${req.headers.range ?? ""}`.trim());
        if (o.linked && req.url === "/resolve/main/model.gguf") {
            res.writeHead(302, { location: "/file", "x-linked-size": String(o.linked.size), "x-linked-etag": `"${o.linked.sha256}"`, "content-length": 0 });
            res.end();
            return;
        }
        let start = 0;
        let end = data.length - 1;
        const m = o.chunked ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
        if (m) {
            start = Number(m[1]);
            end = m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
        }
        const headers: http.OutgoingHttpHeaders = { "content-type": "application/octet-stream" };
        if (!o.chunked) {
            headers["accept-ranges"] = "bytes";
            headers["content-length"] = end - start + 1;
            if (m) headers["content-range"] = `bytes ${start}-${end}/${data.length}`;
        }
        res.writeHead(m ? 206 : 200, headers);
        if (req.method === "HEAD") {
            res.end();
            return;
        }
        let pos = start;
        const cutAt = o.cutRequests === undefined || bodyRequests++ < o.cutRequests ? o.cutAt : undefined;
        const pump = () => {
            if (res.destroyed) return;
            if (cutAt !== undefined && pos >= cutAt) {
                res.destroy();
                return;
            }
            if (pos > end) {
                res.end();
                return;
            }
            let n = Math.min(64 * 1024, end + 1 - pos);
            if (cutAt !== undefined && pos < cutAt) n = Math.min(n, cutAt - pos);
            const ok = res.write(data.subarray(pos, pos + n));
            pos += n;
            if (o.delayMs) setTimeout(pump, o.delayMs);
            else if (ok) setImmediate(pump);
            else res.once("drain", pump);
        };
        pump();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

async function tempDir(): Promise<string> {
    return mkdtemp(path.join(os.tmpdir(), "promptsmith-dl-"));
}


/** ipull may still be winding down for a moment after we gave up on it: wait until the folder is quiet. */
async function settledListing(dir: string): Promise<string[]> {
    await new Promise((r) => setTimeout(r, 300));
    return (await readdir(dir)).sort();
}

const OPTS = { stallTimeoutMs: 1500, connectTimeoutMs: 3000 } as const;

test("full download: monotonic progress ending at 100%, right hash, no temp files", { timeout: 15_000 }, async () => {
    const server = await startServer({ delayMs: 2 });
    const dir = await tempDir();
    try {
        // Leftovers of a crashed run must not confuse the download.
        await writeFile(path.join(dir, `${FILE}.partial`), "garbage");
        await writeFile(path.join(dir, `${FILE}.partial.ipull`), "garbage{not json");
        const events: DownloadProgress[] = [];
        const result = await downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE, sha256: SHA, onProgress: (p) => events.push(p), progressIntervalMs: 20, ...OPTS });
        assert.equal(result, path.join(dir, FILE));
        assert.equal(createHash("sha256").update(await readFile(result)).digest("hex"), SHA);
        assert.deepEqual(await readdir(dir), [FILE]);

        assert.ok(events.length >= 3, `expected several progress events, got ${events.length}`);
        for (let i = 1; i < events.length; i++) {
            assert.ok(events[i]!.downloadedBytes >= events[i - 1]!.downloadedBytes, "downloadedBytes must never go back");
            assert.ok(events[i]!.percent >= events[i - 1]!.percent, "percent must never go back");
        }
        for (const e of events) {
            assert.ok(e.percent >= 0 && e.percent <= 100);
            assert.equal(e.totalBytes, SIZE);
            assert.ok(e.bytesPerSecond >= 0);
        }
        const last = events.at(-1)!;
        assert.equal(last.percent, 100);
        assert.equal(last.downloadedBytes, SIZE);
        assert.equal(last.etaSeconds, 0);
        assert.equal(events.filter((e) => e.percent === 100).length, 1, "100% is reported once, after verification");
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("server drops the connection once half-way: the downloader's retry completes it, hash verified", { timeout: 15_000 }, async () => {
    // ipull first GETs the whole file just to read its headers (it never reads that body), then GETs ranges.
    const server = await startServer({ cutAt: Math.floor(SIZE / 2), cutRequests: 2 });
    const dir = await tempDir();
    try {
        const result = await downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE, sha256: SHA, ...OPTS });
        assert.equal(createHash("sha256").update(await readFile(result)).digest("hex"), SHA);
        assert.deepEqual(await readdir(dir), [FILE]);
        assert.ok(server.requests.filter((r) => r.startsWith("GET")).length >= 3, `a range was retried: ${server.requests.join(" | ")}`);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("server drops the connection half-way every time: bounded by the stall timeout, typed error, nothing left", { timeout: 15_000 }, async () => {
    const server = await startServer({ cutAt: Math.floor(SIZE / 2) });
    const dir = await tempDir();
    try {
        const t0 = Date.now();
        const err = await expectError(downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE, ...OPTS }), "DOWNLOAD_FAILED");
        const ms = Date.now() - t0;
        assert.match(err.message, /stalled/);
        assert.ok(ms < 8000, `took ${ms} ms`);
        assert.ok(server.requests.filter((r) => r.startsWith("GET")).length >= 2, "ipull retried");
        assert.deepEqual(await settledListing(dir), []);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

// node-llama-cpp's ModelDownloader.download({ signal }) resolves with the path after an abort (ipull returns
// normally once closed); downloadModel must still report ABORTED and leave nothing behind.
test("abort via AbortSignal mid-way: ABORTED, nothing left", { timeout: 15_000 }, async () => {
    const server = await startServer({ delayMs: 3 });
    const dir = await tempDir();
    try {
        const ac = new AbortController();
        let seen = 0;
        const err = await expectError(
            downloadModel({
                url: `${server.url}/${FILE}`,
                dir,
                fileName: FILE,
                expectedSize: SIZE,
                signal: ac.signal,
                progressIntervalMs: 0,
                onProgress: (p) => {
                    seen = p.downloadedBytes;
                    if (p.downloadedBytes > SIZE / 4) ac.abort();
                },
                ...OPTS,
            }),
            "ABORTED",
        );
        assert.ok(seen > 0 && seen < SIZE, `aborted mid-way (at ${seen})`);
        assert.equal(err.file, path.join(dir, FILE));
        assert.deepEqual(await settledListing(dir), []);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("an already-aborted signal downloads nothing", { timeout: 5_000 }, async () => {
    const server = await startServer();
    const dir = await tempDir();
    try {
        await expectError(downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, signal: AbortSignal.abort(), ...OPTS }), "ABORTED");
        assert.deepEqual(server.requests, []);
        assert.deepEqual(await readdir(dir), []);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("checksum mismatch: CHECKSUM_MISMATCH naming file, expected and actual hash; no final file", { timeout: 15_000 }, async () => {
    const server = await startServer();
    const dir = await tempDir();
    try {
        const wrong = "0".repeat(64);
        const err = await expectError(downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE, sha256: wrong, ...OPTS }), "CHECKSUM_MISMATCH");
        assert.ok(err.message.includes(FILE), err.message);
        assert.ok(err.message.includes(wrong), err.message);
        assert.ok(err.message.includes(SHA), err.message);
        assert.equal(err.file, path.join(dir, FILE));
        assert.deepEqual(await settledListing(dir), []);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("size mismatch announced by the server: CHECKSUM_MISMATCH before anything is downloaded", { timeout: 10_000 }, async () => {
    const server = await startServer();
    const dir = await tempDir();
    try {
        const err = await expectError(downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE + 1, ...OPTS }), "CHECKSUM_MISMATCH");
        assert.match(err.message, new RegExp(`${SIZE}.*${SIZE + 1}`));
        assert.deepEqual(server.requests, [`HEAD /${FILE}`]);
        assert.deepEqual(await readdir(dir), []);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("size mismatch found after download (server gives no length): CHECKSUM_MISMATCH, nothing left", { timeout: 15_000 }, async () => {
    const short = DATA.subarray(0, SIZE - 1000);
    const server = await startServer({ chunked: true, data: short });
    const dir = await tempDir();
    try {
        const err = await expectError(downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE, ...OPTS }), "CHECKSUM_MISMATCH");
        // (ipull itself writes a wrong number of bytes for bodies of unknown length: only our check catches it)
        assert.match(err.message, new RegExp(`has \\d+ bytes but ${SIZE} were expected`));
        assert.ok(server.requests.some((r) => r.startsWith("GET")), "it did download");
        assert.deepEqual(await settledListing(dir), []);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("an existing verified file is reused without any request", { timeout: 10_000 }, async () => {
    const server = await startServer();
    const dir = await tempDir();
    try {
        await writeFile(path.join(dir, FILE), DATA);
        const result = await downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE, sha256: SHA, ...OPTS });
        assert.equal(result, path.join(dir, FILE));
        assert.equal(server.requests.length, 0);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("an existing file that fails verification is replaced by a fresh download", { timeout: 15_000 }, async () => {
    const server = await startServer();
    const dir = await tempDir();
    try {
        await writeFile(path.join(dir, FILE), DATA.subarray(0, 1000));
        const result = await downloadModel({ url: `${server.url}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE, sha256: SHA, ...OPTS });
        assert.equal(createHash("sha256").update(await readFile(result)).digest("hex"), SHA);
        assert.ok(server.requests.length > 0);
        assert.deepEqual(await readdir(dir), [FILE]);
    } finally {
        await server.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("hash announced by a Hugging Face-style redirect (X-Linked-Etag) is verified when none is pinned", { timeout: 20_000 }, async () => {
    const good = await startServer({ linked: { size: SIZE, sha256: SHA } });
    const bad = await startServer({ linked: { size: SIZE, sha256: "f".repeat(64) } });
    const dir = await tempDir();
    try {
        const result = await downloadModel({ url: `${good.url}/resolve/main/model.gguf`, dir, fileName: FILE, ...OPTS });
        assert.equal(createHash("sha256").update(await readFile(result)).digest("hex"), SHA);
        await rm(result);

        const err = await expectError(downloadModel({ url: `${bad.url}/resolve/main/model.gguf`, dir, fileName: FILE, ...OPTS }), "CHECKSUM_MISMATCH");
        assert.ok(err.message.includes("f".repeat(64)) && err.message.includes(SHA), err.message);
        assert.deepEqual(await settledListing(dir), []);
    } finally {
        await good.close();
        await bad.close();
        await rm(dir, { recursive: true, force: true });
    }
});

test("HTTP 404: DOWNLOAD_FAILED naming the status", { timeout: 10_000 }, async () => {
    const server = http.createServer((_req, res) => {
        res.writeHead(404);
        res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const dir = await tempDir();
    try {
        const { port } = server.address() as AddressInfo;
        const err = await expectError(downloadModel({ url: `http://127.0.0.1:${port}/${FILE}`, dir, fileName: FILE, ...OPTS }), "DOWNLOAD_FAILED");
        assert.match(err.message, /404/);
        assert.deepEqual(await readdir(dir), []);
    } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await rm(dir, { recursive: true, force: true });
    }
});

test("connection refused: fast DOWNLOAD_FAILED that says how to use a local file", { timeout: 10_000 }, async () => {
    // A port that was just free: listen, note it, close.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const dir = await tempDir();
    try {
        const t0 = Date.now();
        const err = await expectError(downloadModel({ url: `http://127.0.0.1:${port}/${FILE}`, dir, fileName: FILE, expectedSize: SIZE, ...OPTS }), "DOWNLOAD_FAILED");
        assert.ok(Date.now() - t0 < 3000, "no retry loop");
        assert.ok(err.message.includes("set PROMPTSMITH_MODEL=/path/to/model.gguf or pass --model PATH"), err.message);
        assert.match(err.message, /ECONNREFUSED/);
        assert.deepEqual(await readdir(dir), []);
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
});
