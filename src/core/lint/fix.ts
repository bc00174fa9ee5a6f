// Applying the fixes that findings carry. Edits never overlap, are applied from the end so offsets
// stay valid, and a file is rewritten atomically (temporary file + rename) or not at all.
import { rename, writeFile, unlink, stat } from "node:fs/promises";
import { dirname, basename, join } from "node:path";
import type { Finding, Fix } from "./types.ts";

export type FixKind = Fix["kind"];

/** What `--fix` prefers when a finding offers several fixes. `remove` is never chosen automatically. */
export const DEFAULT_FIX_PREFERENCE: readonly FixKind[] = ["placeholder", "variable", "replace", "mask"];

export function chooseFix(f: Finding, prefer: readonly FixKind[] = DEFAULT_FIX_PREFERENCE): Fix | undefined {
    for (const kind of prefer) {
        const fix = f.fixes.find((x) => x.kind === kind);
        if (fix) return fix;
    }
    return undefined;
}

export interface FixOutcome {
    text: string;
    applied: Fix[];
    /** Findings left as they were: no automatic fix, or their fix overlapped one already applied. */
    skipped: Finding[];
}

export function applyFixes(text: string, findings: readonly Finding[], prefer: readonly FixKind[] = DEFAULT_FIX_PREFERENCE): FixOutcome {
    const chosen: Array<{ fix: Fix; finding: Finding }> = [];
    const skipped: Finding[] = [];
    for (const finding of findings) {
        const fix = chooseFix(finding, prefer);
        if (fix) chosen.push({ fix, finding });
        else skipped.push(finding);
    }
    // Earliest first; on overlap the earlier (then longer) edit wins and the other finding is left for a rerun.
    chosen.sort((a, b) => a.fix.start - b.fix.start || b.fix.end - a.fix.end);
    const accepted: Fix[] = [];
    let lastEnd = -1;
    for (const { fix, finding } of chosen) {
        if (fix.start < lastEnd) {
            skipped.push(finding);
            continue;
        }
        accepted.push(fix);
        lastEnd = Math.max(lastEnd, fix.end);
    }
    let out = text;
    for (let i = accepted.length - 1; i >= 0; i--) {
        const f = accepted[i]!;
        out = out.slice(0, f.start) + f.replacement + out.slice(f.end);
    }
    return { text: out, applied: accepted, skipped };
}

/** Writes `text` to `path` atomically: readers see the old file or the new one, never half of it. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
    const tmp = join(dirname(path), `.${basename(path)}.promptsmith-${process.pid}-${Date.now()}.tmp`);
    const mode = (await stat(path).catch(() => undefined))?.mode;
    try {
        await writeFile(tmp, text, { encoding: "utf8", ...(mode !== undefined ? { mode } : {}) });
        await rename(tmp, path);
    } catch (e) {
        await unlink(tmp).catch(() => undefined);
        throw e;
    }
}
