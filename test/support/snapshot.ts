// Snapshot assertions: compare a string with a file under test/snapshots/.
//   assertSnapshot("codegen/python-no-context", text)  →  test/snapshots/codegen/python-no-context.txt
// A missing or different snapshot fails the test; run with UPDATE_SNAPSHOTS=1 to (re)write the files,
// then review the diff in git before committing.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** The repository root: the nearest folder above the working directory that holds a package.json.
 * (Not import.meta.url / __dirname: this works whether tsx runs the file as ESM or as CommonJS.) */
function repoRoot(): string {
    let dir = process.cwd();
    while (!existsSync(join(dir, "package.json"))) {
        const parent = dirname(dir);
        if (parent === dir) return process.cwd();
        dir = parent;
    }
    return dir;
}

export function snapshotPath(name: string): string {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/.test(name) || name.split("/").includes("..")) {
        throw new Error(`Snapshot name "${name}" is not a plain relative path (letters, digits, ".", "_", "-", "/").`);
    }
    return join(repoRoot(), "test", "snapshots", /\.[A-Za-z0-9]+$/.test(name) ? name : `${name}.txt`);
}

export function updatingSnapshots(): boolean {
    return process.env.UPDATE_SNAPSHOTS === "1" || process.env.UPDATE_SNAPSHOTS === "true";
}

/** Asserts that `actual` equals the stored snapshot `name` (line ends compared as "\n"). */
export function assertSnapshot(name: string, actual: string): void {
    const file = snapshotPath(name);
    const shown = relative(process.cwd(), file) || file;
    if (updatingSnapshots()) {
        const current = existsSync(file) ? readFileSync(file, "utf8") : undefined;
        if (current !== actual) {
            mkdirSync(dirname(file), { recursive: true });
            writeFileSync(file, actual, "utf8");
        }
        return;
    }
    if (!existsSync(file)) {
        assert.fail(`Snapshot ${shown} does not exist. Create it by running the test with UPDATE_SNAPSHOTS=1 set (e.g. UPDATE_SNAPSHOTS=1 node scripts/run-tests.mjs <spec file name>), review it, and commit it.`);
    }
    const expected = readFileSync(file, "utf8").replace(/\r\n/g, "\n");
    assert.equal(actual, expected, `Snapshot ${shown} differs. If the change is intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff.`);
}
