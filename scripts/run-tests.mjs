// Runs every *.spec.ts under test/ with Node's own test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [filter-substring ...]
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { spawnSync } from "node:child_process";

function find(dir) {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? find(join(dir, e.name)) : e.name.endsWith(".spec.ts") ? [join(dir, e.name)] : []);
}
const filters = process.argv.slice(2);
const files = find("test").filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) {
    console.error(`No test files matched ${filters.join(", ")}`);
    process.exit(2);
}
// One file at a time: the real-model tests are CPU-bound and this machine class has 2 cores.
const r = spawnSync(process.execPath, ["--import", "tsx", "--import", "./scripts/md-loader.mjs", "--test", "--test-concurrency=1", "--test-reporter=spec", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
