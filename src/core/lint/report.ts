// Output formats of `promptsmith lint`: the JSON contract (docs/lint-json.md), a human "stylish"
// listing and SARIF 2.1.0 for code scanning.
import { createHash } from "node:crypto";
import { lineOf, lineStarts } from "./suppress.ts";
import type { Finding, Fix, Rule } from "./types.ts";

export interface FileReport {
    /** Path as given/walked (relative to the working folder when possible), or "<stdin>". */
    path: string;
    text: string;
    findings: Finding[];
    suppressed: number;
    /** Set when --fix rewrote the file. */
    fixed?: number;
}

export interface Position { line: number; character: number }

export function positionAt(starts: readonly number[], offset: number): Position {
    const line = lineOf(starts, offset);
    return { line, character: offset - starts[line]! };
}

/** What a finding's text shows in reports: secrets are never printed in full. */
export function displayText(f: Finding): string {
    if (f.category !== "secret") return f.text;
    return maskSecret(f.text);
}

export function maskSecret(s: string): string {
    if (s.length <= 8) return "*".repeat(s.length);
    return `${s.slice(0, 4)}${"*".repeat(Math.min(12, s.length - 6))}${s.slice(-2)}`;
}

export interface Summary { files: number; filesWithFindings: number; findings: number; errors: number; warnings: number; infos: number; suppressed: number; fixed: number }

export function summarize(files: readonly FileReport[]): Summary {
    const all = files.flatMap((f) => f.findings);
    return {
        files: files.length,
        filesWithFindings: files.filter((f) => f.findings.length > 0).length,
        findings: all.length,
        errors: all.filter((f) => f.severity === "error").length,
        warnings: all.filter((f) => f.severity === "warning").length,
        infos: all.filter((f) => f.severity === "info").length,
        suppressed: files.reduce((n, f) => n + f.suppressed, 0),
        fixed: files.reduce((n, f) => n + (f.fixed ?? 0), 0),
    };
}

export function toJson(files: readonly FileReport[]): string {
    return JSON.stringify({
        version: 1,
        files: files.map((file) => {
            const starts = lineStarts(file.text);
            return {
                path: file.path,
                findings: file.findings.map((f) => ({
                    ruleId: f.ruleId,
                    category: f.category,
                    severity: f.severity,
                    message: f.message,
                    start: f.start,
                    end: f.end,
                    range: { start: positionAt(starts, f.start), end: positionAt(starts, f.end) },
                    text: displayText(f),
                    ...(f.confidence !== undefined ? { confidence: f.confidence } : {}),
                    fixes: f.fixes.map((x: Fix) => ({ kind: x.kind, title: x.title, start: x.start, end: x.end, replacement: x.replacement })),
                })),
                ...(file.fixed ? { fixed: file.fixed } : {}),
            };
        }),
        summary: summarize(files),
    }, null, 2);
}

export function toStylish(files: readonly FileReport[], color = false): string {
    const c = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
    const out: string[] = [];
    for (const file of files) {
        if (file.findings.length === 0) continue;
        const starts = lineStarts(file.text);
        out.push(c(4, file.path));
        for (const f of file.findings) {
            const p = positionAt(starts, f.start);
            const sev = f.severity === "error" ? c(31, "error  ") : f.severity === "warning" ? c(33, "warning") : c(36, "info   ");
            out.push(`  ${`${p.line + 1}:${p.character + 1}`.padEnd(8)} ${sev}  ${f.message}  ${c(90, f.ruleId)}`);
        }
        out.push("");
    }
    const s = summarize(files);
    if (s.findings === 0) out.push(`No problems in ${s.files} file${s.files === 1 ? "" : "s"}${s.suppressed ? ` (${s.suppressed} suppressed)` : ""}.`);
    else out.push(c(s.errors ? 31 : 33, `✖ ${s.findings} problem${s.findings === 1 ? "" : "s"} (${s.errors} error${s.errors === 1 ? "" : "s"}, ${s.warnings} warning${s.warnings === 1 ? "" : "s"}, ${s.infos} info) in ${s.filesWithFindings} of ${s.files} file${s.files === 1 ? "" : "s"}${s.suppressed ? `; ${s.suppressed} suppressed` : ""}${s.fixed ? `; ${s.fixed} fixed` : ""}`));
    return out.join("\n") + "\n";
}

const LEVEL = { error: "error", warning: "warning", info: "note" } as const;

/** SARIF 2.1.0 as GitHub code scanning accepts it (1-based lines and UTF-16 columns; stable fingerprints). */
export function toSarif(files: readonly FileReport[], rules: readonly Pick<Rule, "id" | "category" | "description" | "defaultSeverity">[], baseUri: string, version: string): string {
    const used = new Map<string, number>();
    const ruleMeta: object[] = [];
    const index = (f: Finding): number => {
        let i = used.get(f.ruleId);
        if (i === undefined) {
            i = ruleMeta.length;
            used.set(f.ruleId, i);
            const r = rules.find((x) => x.id === f.ruleId);
            const level = r && r.defaultSeverity !== "off" ? LEVEL[r.defaultSeverity] : LEVEL[f.severity];
            ruleMeta.push({
                id: f.ruleId,
                name: f.ruleId.replace(/(^|[-/])(\w)/g, (_m, _s: string, ch: string) => ch.toUpperCase()),
                shortDescription: { text: r?.description ?? f.message },
                defaultConfiguration: { level },
                properties: { category: f.category, tags: ["prompt", f.category] },
            });
        }
        return i;
    };
    const results = files.flatMap((file) => {
        const starts = lineStarts(file.text);
        return file.findings.map((f) => {
            const s = positionAt(starts, f.start);
            const e = positionAt(starts, f.end);
            return {
                ruleId: f.ruleId,
                ruleIndex: index(f),
                level: LEVEL[f.severity],
                message: { text: f.message },
                locations: [{
                    physicalLocation: {
                        artifactLocation: { uri: encodeURI(file.path.split("\\").join("/")), uriBaseId: "%SRCROOT%" },
                        region: { startLine: s.line + 1, startColumn: s.character + 1, endLine: e.line + 1, endColumn: e.character + 1, charOffset: f.start, charLength: f.end - f.start },
                    },
                }],
                partialFingerprints: {
                    // Stable across unrelated edits: the rule, the file and the matched text (hashed: it may be personal data).
                    "promptsmithFinding/v1": createHash("sha256").update(`${f.ruleId}\0${file.path}\0${f.text}`).digest("hex").slice(0, 32),
                },
            };
        });
    });
    return JSON.stringify({
        $schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [{
            tool: { driver: { name: "Promptsmith", version, rules: ruleMeta } },
            originalUriBaseIds: { "%SRCROOT%": { uri: baseUri.endsWith("/") ? baseUri : `${baseUri}/` } },
            columnKind: "utf16CodeUnits",
            results,
        }],
    }, null, 2);
}
