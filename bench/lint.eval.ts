// npm run eval:lint — measures the linter's rules on the public corpora in ../shared/datasets (never
// copied into the repository; see its README.md). Prints numbers; it is not a test.
//
// Injection: recall on the jailbreak sets (a row counts as detected if it has ≥ 1 injection finding)
// and the false-positive rate on each benign set (a row with ≥ 1 injection finding).
// Targets: recall ≥ 85 % on each jailbreak set, false positives ≤ 2 % on each benign set.
//
// PII (when src/core/lint/rules/pii.ts exports piiRules()): span-level recall per Presidio type mapped
// to our rules (a labelled span counts as found if a finding of a matching rule overlaps it).
//
// Usage: npm run eval:lint [-- --verbose]     (PROMPTSMITH_DATASETS overrides the datasets folder)
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { normalize } from "../src/core/lint/normalize.ts";
import { injectionRules } from "../src/core/lint/rules/injection.ts";
import type { NormalizedText, Rule, RuleContext, RuleFinding } from "../src/core/lint/types.ts";
import { createLinter, knownRuleIds } from "../src/core/lint/index.ts";
import { defaultLintConfig } from "../src/core/lint/config.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const datasets = process.env.PROMPTSMITH_DATASETS ?? resolve(repoRoot, "../shared/datasets");
const verbose = process.argv.includes("--verbose");

interface Row {
    id: string;
    text: string;
    label: string;
    lang: string;
    source: string;
    spans?: Array<{ type: string; start: number; end: number; value: string }>;
}

function load(name: string): Row[] | undefined {
    const file = resolve(datasets, name);
    if (!existsSync(file)) {
        console.log(`(skipped: ${file} not found)`);
        return undefined;
    }
    return readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Row);
}

/** The rules alone, over the whole text at once (no paragraph split, suppressions or config). */
function contextFor(text: string, options: Record<string, unknown> = {}): RuleContext {
    let n: NormalizedText | undefined;
    return { text, normalized: () => (n ??= normalize(text)), options };
}

function check(rules: Rule[], text: string): RuleFinding[] {
    return rules.flatMap((r) => r.check(contextFor(text)));
}

const pct = (n: number, d: number) => (d === 0 ? "  n/a" : `${((100 * n) / d).toFixed(1).padStart(5)}%`);
const oneLine = (s: string, max: number) => {
    const t = s.replace(/\s+/g, " ").trim();
    return t.length > max ? t.slice(0, max) + "…" : t;
};

function table(head: string[], rows: string[][]): void {
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
    console.log(line(head));
    console.log(widths.map((w) => "-".repeat(w)).join("  "));
    for (const r of rows) console.log(line(r));
}

// ---------------------------------------------------------------------------------------------------
// Injection

const rules = injectionRules();
// What a user gets: the engine with the default config (promptsmith:recommended), paragraph by paragraph.
const linter = await createLinter(defaultLintConfig(knownRuleIds()));
const sets: Array<{ file: string; kind: "attack" | "benign" }> = [
    { file: "injection-inthewild.jsonl", kind: "attack" },
    { file: "injection-giskard.jsonl", kind: "attack" },
    { file: "benign-awesome-prompts.jsonl", kind: "benign" },
    { file: "benign-cvalues-zh.jsonl", kind: "benign" },
];

console.log("== Injection rules ==\n");
const summary: string[][] = [];
const misses: Array<{ set: string; row: Row }> = [];
const falsePositives: Array<{ set: string; row: Row; findings: RuleFinding[] }> = [];
const perRule = new Map<string, number>();
let totalMs = 0;
let totalChars = 0;
for (const { file, kind } of sets) {
    const rows = load(file);
    if (!rows) continue;
    let flagged = 0;
    let flaggedNoTemplate = 0;
    let flaggedByEngine = 0;
    for (const row of rows) {
        const t0 = performance.now();
        const findings = check(rules, row.text);
        totalMs += performance.now() - t0;
        totalChars += row.text.length;
        const hit = findings.some((f) => f.category === "injection");
        if (linter.lint(row.text).findings.some((f) => f.category === "injection")) flaggedByEngine++;
        if (hit) flagged++;
        if (findings.some((f) => f.category === "injection" && f.ruleId !== "injection-unsafe-template")) flaggedNoTemplate++;
        if (kind === "attack") {
            for (const id of new Set(findings.map((f) => f.ruleId))) perRule.set(id, (perRule.get(id) ?? 0) + 1);
            if (!hit) misses.push({ set: file, row });
        } else if (hit) falsePositives.push({ set: file, row, findings });
    }
    const target = kind === "attack" ? "≥ 85%" : "≤ 2%";
    const ok = kind === "attack" ? flagged / rows.length >= 0.85 : flagged / rows.length <= 0.02;
    summary.push([file, kind === "attack" ? "recall" : "false positives", `${flagged}/${rows.length}`, pct(flagged, rows.length), pct(flaggedNoTemplate, rows.length), pct(flaggedByEngine, rows.length), target, ok ? "ok" : "MISSED"]);
}
table(["set", "measure", "rows", "rate (rules, whole text)", "w/o template rule", "linter (default config)", "target", ""], summary);
console.log(`\nSpeed: ${(totalChars / 1024).toFixed(0)} KiB in ${totalMs.toFixed(0)} ms (${((totalChars / 1024 / totalMs) * 1000).toFixed(0)} KiB/s, all injection rules).`);

console.log("\nJailbreak rows flagged per rule:");
for (const [id, n] of [...perRule].sort((a, b) => b[1] - a[1])) console.log(`  ${id.padEnd(30)} ${n}`);

console.log(`\nMissed jailbreak rows (${misses.length}):`);
for (const { row } of misses) console.log(`  ${row.id.padEnd(9)} ${oneLine(row.text, verbose ? 400 : 100)}`);

console.log(`\nFalse positives on benign rows (${falsePositives.length}):`);
for (const { row, findings } of falsePositives) {
    console.log(`  ${row.id.padEnd(9)} ${oneLine(row.text, 100)}`);
    for (const f of findings) console.log(`            ${f.ruleId}: "${oneLine(row.text.slice(f.start, f.end), 80)}" (confidence ${f.confidence ?? "-"})`);
}

// ---------------------------------------------------------------------------------------------------
// PII (only when the PII rules exist)

const PII_MAP: Record<string, string[]> = {
    EMAIL_ADDRESS: ["pii-email"],
    PHONE_NUMBER: ["pii-phone", "pii-cn-mobile"],
    CREDIT_CARD: ["pii-bank-card"],
    IP_ADDRESS: ["pii-ipv4", "pii-ipv6"],
    IBAN_CODE: ["pii-iban"],
    US_SSN: ["pii-us-ssn"],
};

async function piiSection(): Promise<void> {
    const piiFile = resolve(repoRoot, "src/core/lint/rules/pii.ts");
    if (!existsSync(piiFile)) return;
    let piiRules: (() => Rule[]) | undefined;
    try {
        const mod = (await import(pathToFileURL(piiFile).href)) as Record<string, unknown>;
        if (typeof mod["piiRules"] === "function") piiRules = mod["piiRules"] as () => Rule[];
    } catch (e) {
        console.log(`\n== PII rules ==\n(skipped: pii.ts failed to load: ${e instanceof Error ? e.message : String(e)})`);
        return;
    }
    if (!piiRules) return;
    const rows = load("pii-presidio-synth.jsonl");
    if (!rows) return;
    console.log("\n== PII rules (span-level recall, pii-presidio-synth.jsonl) ==\n");
    const pr = piiRules();
    const ours = new Set(Object.values(PII_MAP).flat());
    const found = new Map<string, { n: number; hit: number }>();
    const missed: string[] = [];
    let unmatched = 0;
    let ourFindings = 0;
    for (const row of rows) {
        const findings = check(pr, row.text);
        for (const s of row.spans ?? []) {
            const ids = PII_MAP[s.type];
            if (!ids) continue;
            const c = found.get(s.type) ?? { n: 0, hit: 0 };
            c.n++;
            const ok = findings.some((f) => ids.includes(f.ruleId) && f.start < s.end && f.end > s.start);
            if (ok) c.hit++;
            else missed.push(`  ${s.type.padEnd(14)} ${row.id.padEnd(8)} ${JSON.stringify(s.value)}`);
            found.set(s.type, c);
        }
        for (const f of findings) {
            if (!ours.has(f.ruleId)) continue;
            ourFindings++;
            const overlaps = (row.spans ?? []).some((s) => PII_MAP[s.type]?.includes(f.ruleId) && f.start < s.end && f.end > s.start);
            if (!overlaps) unmatched++;
        }
    }
    table(
        ["type", "rules", "spans", "found", "recall"],
        Object.entries(PII_MAP).map(([type, ids]) => {
            const c = found.get(type) ?? { n: 0, hit: 0 };
            return [type, ids.join(","), String(c.n), String(c.hit), pct(c.hit, c.n)];
        }),
    );
    console.log(`\nFindings of these rules that overlap no labelled span of their type: ${unmatched}/${ourFindings} (the corpus labels only some values; read these as candidates, not certain false positives).`);
    console.log(`\nMissed spans (${missed.length}):`);
    for (const m of missed.slice(0, verbose ? missed.length : 40)) console.log(m);
    if (!verbose && missed.length > 40) console.log(`  … ${missed.length - 40} more (--verbose)`);
}

await piiSection();
