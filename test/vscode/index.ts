// The in-editor suite's runner. scripts/vscode-test.mjs bundles it with every *.test.ts under
// test/vscode (the bundle's entry imports each test file, then re-exports run()), and VS Code calls
// run() in the extension host. It runs the registered tests in order, each with its own timeout, prints
// one line per test and a closing "N passed, N failed" line, and throws when any test failed.
import { tests, SkipError, log } from "./harness.ts";

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function describe(e: unknown): string {
    if (!(e instanceof Error)) return String(e);
    const at = (e.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).slice(0, 3).map((l) => `    ${l.trim()}`);
    return [e.message, ...at].join("\n");
}

export async function run(): Promise<void> {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const started = performance.now();
    for (const t of tests) {
        const t0 = performance.now();
        try {
            await withTimeout(Promise.resolve().then(t.fn), t.timeoutMs);
            passed++;
            log(`✔ ${t.name} (${Math.round(performance.now() - t0)} ms)`);
        } catch (e) {
            if (e instanceof SkipError) {
                skipped++;
                log(`- ${t.name} (skipped: ${e.message})`);
            } else {
                failed++;
                log(`✖ ${t.name}: ${describe(e)}`);
            }
        }
    }
    log(`in-editor suite: ${tests.length} tests in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
    if (failed > 0 || tests.length === 0) throw new Error(tests.length === 0 ? "No tests were registered" : `${failed} test(s) failed`);
}
