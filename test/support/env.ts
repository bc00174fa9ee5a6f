// Where tests find the real test model and the built runner. Missing files fail loudly, never skip.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function testModelPath(): string {
    const p = process.env.PROMPTSMITH_TEST_MODEL ?? resolve(repoRoot, "../shared/models/stories260K.gguf");
    if (!existsSync(p)) {
        throw new Error(`The test model was not found at ${p}. Set PROMPTSMITH_TEST_MODEL to the path of stories260K.gguf (see shared/models/README.md).`);
    }
    return p;
}

export function builtFile(name: "runner.mjs" | "cli.mjs"): string {
    const p = resolve(repoRoot, "dist", name);
    if (!existsSync(p)) throw new Error(`${p} is missing: run "npm run build" first (npm test does).`);
    return p;
}
