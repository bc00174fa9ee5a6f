// Shared by the in-editor suite (vscode-test.mjs) and the end-to-end UI test (vscode-e2e.mjs): a
// free loopback port, the code-server process group's shutdown, log reading, and Chromium's launch options.
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const CHROMIUM_LAUNCH = {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
};

export function freePort() {
    return new Promise((res, rej) => {
        const s = createServer();
        s.on("error", rej);
        s.listen(0, "127.0.0.1", () => {
            const p = s.address().port;
            s.close(() => res(p));
        });
    });
}

export function tail(path, n) {
    try {
        return readFileSync(path, "utf8").trimEnd().split("\n").slice(-n).join("\n");
    } catch {
        return "";
    }
}

/** Lines of the extension's "Promptsmith" output channel: log files named after it under these folders. */
export function extensionLogLines(...roots) {
    const found = [];
    const walk = (d) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
            const p = join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (/promptsmith/i.test(e.name) && e.name.endsWith(".log")) found.push(p);
        }
    };
    try {
        for (const r of roots) walk(r);
    } catch {
        return [];
    }
    return found.flatMap((p) => readFileSync(p, "utf8").split("\n").filter(Boolean));
}

/**
 * Stops a server started with `detached: true` (its own process group): SIGTERM, then SIGKILL, then
 * SIGKILL to the whole group again for stragglers (extension host, file watcher, the model runner).
 */
export async function killProcessGroup(pid, hasExited) {
    for (const sig of ["SIGTERM", "SIGKILL"]) {
        if (hasExited()) break;
        try {
            process.kill(-pid, sig);
        } catch {
            break;
        }
        for (let i = 0; i < 30 && !hasExited(); i++) await new Promise((r) => setTimeout(r, 100));
    }
    try {
        process.kill(-pid, "SIGKILL");
    } catch {
        // the group is gone
    }
}
