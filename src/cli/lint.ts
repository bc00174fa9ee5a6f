// `promptsmith lint` — the prompt compliance linter for terminals and CI.
// Exit codes: 0 no error findings (and warnings within --max-warnings), 1 findings, 2 usage or config error.
import { open, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { relative, resolve, sep, dirname } from "node:path";
import { pathToFileURL } from "node:url";
import picomatch from "picomatch";
import { PromptsmithError } from "../core/errors.ts";
import { formatBytes } from "../core/format.ts";
import { applyFixes, writeFileAtomic, type FixKind } from "../core/lint/fix.ts";
import { createLinter, loadConfigFor } from "../core/lint/index.ts";
import { summarize, toJson, toSarif, toStylish, type FileReport } from "../core/lint/report.ts";

export const LINT_HELP = `promptsmith lint — check prompts for personal data, secrets, prompt injection, sensitive terms and token budgets

Usage: promptsmith lint [paths or globs...] [options]

  paths/globs                files, folders (walked for the config's "files" globs) or quoted globs; default: .
      --stdin                lint standard input instead of files
      --stdin-filename NAME  name to report for standard input
  -f, --format FORMAT        stylish (default), json (docs/lint-json.md) or sarif (SARIF 2.1.0)
  -o, --output FILE          write the report to FILE instead of standard output
      --fix                  apply each finding's automatic fix (atomic per file; other files untouched)
      --fix-type KIND        preferred fix: placeholder (default), variable, mask or replace
      --max-warnings N       exit 1 when there are more than N warnings (default: no limit)
  -c, --config FILE          config file (default: the nearest .promptsmithrc.json, else promptsmith:recommended)
  -q, --quiet                report errors only

Exit codes: 0 no error findings (and warnings within --max-warnings), 1 findings, 2 usage or config error.`;

/** Files above this size are skipped with a note: prompts are far smaller, and this keeps CI memory bounded. */
const MAX_FILE_BYTES = 20 * 1024 * 1024;
const ALWAYS_SKIPPED_DIRS = new Set(["node_modules", ".git", ".hg", ".svn"]);

export interface LintArgs {
    positionals: string[];
    stdin?: boolean;
    stdinFilename?: string;
    format?: string;
    output?: string;
    fix?: boolean;
    fixType?: string;
    maxWarnings?: number;
    config?: string;
    quiet?: boolean;
}

export class LintUsageError extends Error {}

export async function runLint(a: LintArgs, version: string): Promise<number> {
    const format = a.format ?? "stylish";
    if (!["stylish", "json", "sarif"].includes(format)) throw new LintUsageError(`--format must be stylish, json or sarif, got "${format}".`);
    const prefer: FixKind[] = a.fixType ? [a.fixType as FixKind] : ["placeholder", "variable", "replace", "mask"];
    if (a.fixType && !["placeholder", "variable", "mask", "replace"].includes(a.fixType)) throw new LintUsageError(`--fix-type must be placeholder, variable, mask or replace, got "${a.fixType}".`);
    if (a.stdin && a.positionals.length) throw new LintUsageError("Pass either --stdin or paths, not both.");

    const cwd = process.cwd();
    const { config, configFile } = await loadConfigFor(a.config, cwd);
    const linter = await createLinter(config);
    const notes: string[] = [...(config.restricted ?? [])];

    const reports: FileReport[] = [];
    if (a.stdin) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        const text = Buffer.concat(chunks).toString("utf8");
        const out = linter.lint(text);
        let report: FileReport = { path: a.stdinFilename ?? "<stdin>", text, findings: out.findings, suppressed: out.suppressed };
        if (a.fix) {
            const fixed = applyFixes(text, out.findings, prefer);
            process.stdout.write(fixed.text);
            const again = linter.lint(fixed.text);
            report = { ...report, text: fixed.text, findings: again.findings, suppressed: again.suppressed, fixed: fixed.applied.length };
        }
        reports.push(report);
    } else {
        const files = await collectFiles(a.positionals.length ? a.positionals : ["."], cwd, config.files, config.ignore, configFile ? dirname(configFile) : cwd, notes);
        for (const file of files) {
            const text = await readFile(file, "utf8");
            const shown = relative(cwd, file) || file;
            const out = linter.lint(text);
            let report: FileReport = { path: shown.split(sep).join("/"), text, findings: out.findings, suppressed: out.suppressed };
            if (a.fix && out.findings.some((f) => f.fixes.length)) {
                const fixed = applyFixes(text, out.findings, prefer);
                if (fixed.applied.length) {
                    await writeFileAtomic(file, fixed.text);
                    const again = linter.lint(fixed.text);
                    report = { ...report, text: fixed.text, findings: again.findings, suppressed: again.suppressed, fixed: fixed.applied.length };
                }
            }
            reports.push(report);
        }
    }

    const shownReports = a.quiet ? reports.map((r) => ({ ...r, findings: r.findings.filter((f) => f.severity === "error") })) : reports;
    const rendered = format === "json" ? `${toJson(shownReports)}\n`
        : format === "sarif" ? `${toSarif(shownReports, linter.activeRules.map((r) => r.rule), pathToFileURL(cwd).href, version)}\n`
        : toStylish(shownReports, !a.output && process.stdout.isTTY === true && !a.fix);
    if (a.output) await writeFile(a.output, rendered, "utf8");
    else if (!(a.stdin && a.fix)) process.stdout.write(rendered);
    else process.stderr.write(rendered);
    for (const n of notes) process.stderr.write(`promptsmith: ${n}\n`);

    const s = summarize(reports);
    if (s.errors > 0) return 1;
    if (a.maxWarnings !== undefined && s.warnings > a.maxWarnings) return 1;
    return 0;
}

/** Expands paths, folders and globs into the files to lint, sorted, without duplicates. */
async function collectFiles(args: string[], cwd: string, includeGlobs: readonly string[], ignoreGlobs: readonly string[], globBase: string, notes: string[]): Promise<string[]> {
    const include = picomatch(includeGlobs.length ? [...includeGlobs] : ["**/*"], { dot: true });
    const ignore = ignoreGlobs.length ? picomatch([...ignoreGlobs], { dot: true }) : () => false;
    const rel = (p: string, base: string) => relative(base, p).split(sep).join("/");
    const found = new Set<string>();

    const walk = async (dir: string, accept: (file: string) => boolean): Promise<void> => {
        let entries;
        try {
            entries = await readdir(dir, { withFileTypes: true });
        } catch (e) {
            notes.push(`cannot read folder ${dir}: ${(e as Error).message}`);
            return;
        }
        for (const e of entries) {
            const p = resolve(dir, e.name);
            if (e.isDirectory()) {
                if (ALWAYS_SKIPPED_DIRS.has(e.name) || ignore(rel(p, globBase))) continue;
                await walk(p, accept);
            } else if (e.isFile() && accept(p) && !ignore(rel(p, globBase))) {
                found.add(p);
            }
        }
    };

    for (const arg of args) {
        if (/[*?[\]{}]/.test(arg)) {
            const m = picomatch(arg, { dot: true });
            await walk(cwd, (f) => m(rel(f, cwd)));
            continue;
        }
        const p = resolve(cwd, arg);
        const st = await stat(p).catch(() => undefined);
        if (!st) {
            throw new PromptsmithError({ code: "INVALID_ARGUMENT", message: `No such file or folder: ${arg}`, file: arg, fix: "Check the path, or quote a glob so the shell does not expand it." });
        }
        if (st.isDirectory()) await walk(p, (f) => include(rel(f, globBase)));
        else found.add(p); // an explicitly named file is always linted
    }

    const files: string[] = [];
    for (const f of [...found].sort()) {
        const st = await stat(f);
        if (st.size > MAX_FILE_BYTES) {
            notes.push(`skipped ${relative(cwd, f)}: ${formatBytes(st.size)} is over the ${formatBytes(MAX_FILE_BYTES)} limit for one file`);
            continue;
        }
        if (await isBinary(f)) continue;
        files.push(f);
    }
    return files;
}

async function isBinary(file: string): Promise<boolean> {
    const fh = await open(file, "r");
    try {
        const buf = Buffer.alloc(8192);
        const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
        return buf.subarray(0, bytesRead).includes(0);
    } finally {
        await fh.close();
    }
}
