// The lint engine's own mechanics (suppressions, allowlist, de-duplication, fixes, paragraph cache,
// output formats), with small rules written for the test.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Linter, chunkText } from "../src/core/lint/engine.ts";
import { parseSuppressions } from "../src/core/lint/suppress.ts";
import { applyFixes } from "../src/core/lint/fix.ts";
import { toJson, toSarif, toStylish, type FileReport } from "../src/core/lint/report.ts";
import type { Rule, RuleFinding } from "../src/core/lint/types.ts";
import { repoRoot } from "./support/env.ts";

// ajv-draft-04 is CommonJS whose default export TypeScript's NodeNext typing cannot construct directly.
const Ajv04 = createRequire(import.meta.url)("ajv-draft-04") as typeof import("ajv-draft-04").default;

let calls = 0;
/** Flags every occurrence of `word`, with a placeholder and a remove fix. */
function wordRule(id: string, word: string, category: Rule["category"] = "policy", scope?: Rule["scope"]): Rule {
    return {
        id, category, defaultSeverity: "warning", description: `Flags ${word}.`, ...(scope ? { scope } : {}),
        check(ctx) {
            calls++;
            const out: RuleFinding[] = [];
            for (let i = ctx.text.indexOf(word); i >= 0; i = ctx.text.indexOf(word, i + 1)) {
                out.push({ ruleId: id, category, message: category === "secret" ? "Found a secret." : `Found ${word}.`, start: i, end: i + word.length, fixes: [
                    { kind: "placeholder", title: "Replace", start: i, end: i + word.length, replacement: `[${id.toUpperCase()}]` },
                    { kind: "remove", title: "Remove", start: i, end: i + word.length, replacement: "" },
                ] });
            }
            return out;
        },
    };
}

test("findings carry severity from settings, the original text, and are sorted", () => {
    const linter = new Linter({ rules: [wordRule("a", "alpha"), wordRule("b", "beta")], settingFor: (r) => ({ severity: r.id === "a" ? "error" : "info", options: {} }) });
    const { findings } = linter.lint("beta and alpha\n\nalpha");
    for (const f of findings) assert.deepEqual(f.fixes.map((x) => [x.start, x.end]), [[f.start, f.end], [f.start, f.end]], "fix ranges move with their paragraph");
    assert.deepEqual(findings.map((f) => [f.ruleId, f.severity, f.start, f.end, f.text]), [
        ["b", "info", 0, 4, "beta"], ["a", "error", 9, 14, "alpha"], ["a", "error", 16, 21, "alpha"],
    ]);
    const off = new Linter({ rules: [wordRule("a", "alpha")], settingFor: () => ({ severity: "off", options: {} }) });
    assert.equal(off.lint("alpha").findings.length, 0);
});

test("suppressions in every comment syntax, with reasons; unused ones are reported with a fix", () => {
    const text = [
        "<!-- promptsmith-disable-next-line a -- test fixture -->",
        "alpha one",
        "# promptsmith-disable-next-line policy",
        "alpha two",
        "// promptsmith-disable a",
        "alpha three",
        "alpha four",
        "// promptsmith-enable a",
        "alpha five",
        "{# promptsmith-disable-next-line b -- nothing to hide #}",
        "alpha six",
    ].join("\n");
    const s = parseSuppressions(text);
    assert.deepEqual(s.map((x) => [x.kind, x.rules, x.reason ?? null, x.line]), [
        ["disable-next-line", ["a"], "test fixture", 0], ["disable-next-line", ["policy"], null, 2], ["disable", ["a"], null, 4],
        ["enable", ["a"], null, 7], ["disable-next-line", ["b"], "nothing to hide", 9],
    ]);
    const { findings, suppressed } = new Linter({ rules: [wordRule("a", "alpha")] }).lint(text);
    assert.equal(suppressed, 4);
    assert.deepEqual(findings.map((f) => [f.ruleId, f.text]), [["a", "alpha"], ["unused-suppression", "{# promptsmith-disable-next-line b -- nothing to hide #}"], ["a", "alpha"]]);
    const unused = findings.find((f) => f.ruleId === "unused-suppression")!;
    const fixed = applyFixes(text, [unused], ["remove"]);
    assert.ok(!fixed.text.includes("nothing to hide"));
});

test("the allowlist accepts exact texts and patterns, optionally per rule", () => {
    const linter = new Linter({ rules: [wordRule("a", "alpha"), wordRule("b", "beta")], allowlist: [{ text: "alpha" , rule: "a" }, { pattern: "^bet", rule: "policy" }] });
    assert.equal(linter.lint("alpha beta").findings.length, 0);
    const other = new Linter({ rules: [wordRule("a", "alpha")], allowlist: [{ text: "alpha", rule: "b" }] });
    assert.equal(other.lint("alpha").findings.length, 1);
});

test("overlapping findings of one category are reported once: the more severe wins", () => {
    const linter = new Linter({ rules: [wordRule("short", "555-1234", "pii"), wordRule("long", "+1 555-1234", "pii")], settingFor: (r) => ({ severity: r.id === "short" ? "error" : "warning", options: {} }) });
    const f = linter.lint("call +1 555-1234").findings;
    assert.deepEqual(f.map((x) => x.ruleId), ["short"]);
});

test("fixes apply from the end, skip overlaps and never choose remove unless asked", () => {
    const linter = new Linter({ rules: [wordRule("a", "alpha"), wordRule("x", "pha be", "sensitive")] });
    const text = "alpha beta alpha";
    const { findings } = linter.lint(text);
    const out = applyFixes(text, findings);
    assert.equal(out.text, "[A] beta [A]");
    assert.equal(out.skipped.length, 1, "the overlapping finding is left for a rerun");
    assert.equal(applyFixes(text, findings, ["remove"]).text, " beta ");
});

test("paragraph results are cached: an edit relints only the paragraph it touched, with identical results", () => {
    const rule = wordRule("a", "alpha");
    const linter = new Linter({ rules: [rule] });
    const paras = Array.from({ length: 200 }, (_, i) => `paragraph ${i} alpha\nsecond line`);
    const text = paras.join("\n\n");
    const first = linter.lint(text).findings;
    calls = 0;
    const edited = text.replace("paragraph 100 alpha", "paragraph 100 alpha!");
    const second = linter.lint(edited).findings;
    assert.equal(calls, 1, "only the edited paragraph is checked again");
    assert.equal(second.length, first.length);
    assert.deepEqual(new Linter({ rules: [rule] }).lint(edited).findings, second, "incremental and fresh results are identical");
    assert.deepEqual(chunkText("a\n\nb\n \nc"), [[0, 2], [2, 5], [5, 8]]);
    // Document-scope rules see the whole text across paragraphs.
    const doc = new Linter({ rules: [wordRule("d", "a\n\nb", "policy", "document")] });
    assert.equal(doc.lint("a\n\nb").findings.length, 1);
});

const reports = (): FileReport[] => {
    const linter = new Linter({ rules: [wordRule("a", "alpha"), wordRule("s", "sk-secretvalue123", "secret")], settingFor: (r) => ({ severity: r.id === "s" ? "error" : "warning", options: {} }) });
    const t1 = "line one\n  alpha 😀 alpha\nkey sk-secretvalue123";
    return [{ path: "prompts/a.prompt.md", text: t1, ...linter.lint(t1) }, { path: "b.txt", text: "clean", ...linter.lint("clean") }];
};

test("JSON output follows the documented contract (UTF-16 offsets, 0-based ranges, masked secrets)", () => {
    const j = JSON.parse(toJson(reports())) as { version: number; files: Array<{ path: string; findings: Array<Record<string, unknown>> }>; summary: Record<string, number> };
    assert.equal(j.version, 1);
    const [a] = j.files;
    assert.equal(a!.path, "prompts/a.prompt.md");
    assert.deepEqual(a!.findings[1], {
        ruleId: "a", category: "policy", severity: "warning", message: "Found alpha.", start: 20, end: 25,
        range: { start: { line: 1, character: 11 }, end: { line: 1, character: 16 } }, text: "alpha",
        fixes: [{ kind: "placeholder", title: "Replace", start: 20, end: 25, replacement: "[A]" }, { kind: "remove", title: "Remove", start: 20, end: 25, replacement: "" }],
    });
    const secret = a!.findings[2]!;
    assert.equal(secret.category, "secret");
    assert.ok(!String(secret.text).includes("secretvalue123"), `secret printed: ${String(secret.text)}`);
    assert.equal(j.summary.errors, 1);
    assert.equal(j.summary.warnings, 2);
    assert.equal(j.summary.files, 2);
    assert.match(toStylish(reports()), /2:12 +warning +Found alpha\. +a/);
});

test("SARIF output validates against the official SARIF 2.1.0 schema", () => {
    const sarif = JSON.parse(toSarif(reports(), [], "file:///repo", "0.1.0")) as { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation: { region: Record<string, number> } }> }> }> };
    const schema = JSON.parse(readFileSync(`${repoRoot}/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json`, "utf8")) as object;
    const validate = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false, validateFormats: false, logger: false }).compile(schema);
    assert.ok(validate(sarif), JSON.stringify(validate.errors, null, 1));
    const region = sarif.runs[0]!.results[1]!.locations[0]!.physicalLocation.region;
    assert.deepEqual(region, { startLine: 2, startColumn: 12, endLine: 2, endColumn: 17, charOffset: 20, charLength: 5 });
    assert.ok(!JSON.stringify(sarif).includes("secretvalue123"));
});
