// npm run bench:lint — the sensitive-term lexicon (src/core/lint/lexicon.ts) against mint-filter on the
// same ≥ 10 MB of mixed Chinese/English text, in the same run. Prints numbers; it is not a test.
// Targets: compiling the 65k-term lexicon < 300 ms; matching throughput ≥ 3× mint-filter's.
//
// Data is read from ../shared/datasets (relative to the repository root), never copied into the repo.
// Environment: BENCH_RUNS (default 5), BENCH_CHARS (default 10,000,000 UTF-16 units).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Linter } from "../src/core/lint/engine.ts";
import { builtinRules } from "../src/core/lint/index.ts";
import { Mint } from "mint-filter";
import { Lexicon, type LexiconEntry } from "../src/core/lint/lexicon.ts";
import { normalize } from "../src/core/lint/normalize.ts";
import { sensitiveRule } from "../src/core/lint/rules/sensitive.ts";
import type { Rule } from "../src/core/lint/types.ts";

const ROOT = join(import.meta.dirname, "..");
const DATA = join(ROOT, "..", "shared", "datasets");
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
const TARGET_CHARS = Number(process.env.BENCH_CHARS ?? 10_000_000);

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const now = () => performance.now();
const fmt = (x: number, d = 1) => x.toFixed(d);
const mchars = (chars: number, ms: number) => `${fmt(chars / ms / 1000)} M chars/s`;

/** mulberry32: a small seeded PRNG, so the text is the same in every run. */
function prng(seed: number): () => number {
    return () => {
        seed = (seed + 0x6d2b79f5) | 0;
        let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

function readJsonlTexts(file: string): string[] {
    return readFileSync(join(DATA, file), "utf8").split("\n").filter((l) => l.trim()).map((l) => String((JSON.parse(l) as { text: unknown }).text));
}

/** Splits into sentences (keeping the end punctuation). */
function sentences(texts: string[]): string[] {
    const out: string[] = [];
    for (const t of texts) for (const s of t.split(/(?<=[。！？!?.])\s*/u)) if (s.trim()) out.push(s.trim());
    return out;
}

/** ≥ `chars` UTF-16 units of mixed Chinese/English sentences with lexicon terms sprinkled in (about one every 20 sentences). */
export function buildText(zh: string[], en: string[], terms: string[], chars: number, seed = 20240407): string {
    const rnd = prng(seed);
    const parts: string[] = [];
    let len = 0;
    while (len < chars) {
        const pool = rnd() < 0.5 ? zh : en;
        let s = pool[Math.floor(rnd() * pool.length)]!;
        if (rnd() < 0.05) {
            const term = terms[Math.floor(rnd() * terms.length)]!;
            const at = Math.floor(rnd() * (s.length + 1));
            s = s.slice(0, at) + term + s.slice(at);
        }
        parts.push(s);
        len += s.length + 1;
        if (rnd() < 0.1) {
            parts.push("\n");
            len += 1;
        }
    }
    return parts.join(" ");
}

/** A fresh engine per run (its paragraph cache starts empty), every built-in rule plus the lexicon. */
function benchPipeline(text: string, rules: Rule[], runs = RUNS): { medianMs: number; findings: number } {
    const times: number[] = [];
    let findings = 0;
    for (let r = 0; r < runs; r++) {
        const linter = new Linter({ rules });
        const t0 = now();
        findings = linter.lint(text).findings.length;
        times.push(now() - t0);
    }
    return { medianMs: median(times), findings };
}

/** Relinting a 2,000-line prompt file after a one-character edit, against linting it from scratch. */
function benchIncremental(rules: Rule[], zh: string[], en: string[], terms: string[]): void {
    const rnd = prng(7);
    const lines: string[] = [];
    for (let i = 0; lines.length < 2000; i++) {
        const pick = (xs: string[]) => xs[Math.floor(rnd() * xs.length)]!;
        lines.push(rnd() < 0.5 ? pick(zh) : pick(en));
        if (i % 6 === 5) lines.push(""); // paragraphs, as prompt files have
    }
    const base = lines.join("\n");
    const linter = new Linter({ rules });
    linter.lint(base); // the editor has linted the file once already
    const edits: number[] = [];
    const fulls: number[] = [];
    let text = base;
    for (let k = 0; k < 50; k++) {
        const at = Math.floor(rnd() * text.length);
        text = text.slice(0, at) + (k % 2 ? "x" : "字") + text.slice(at);
        let t0 = now();
        linter.lint(text);
        edits.push(now() - t0);
        t0 = now();
        new Linter({ rules }).lint(text);
        fulls.push(now() - t0);
    }
    void terms;
    console.log(`\n(d) 2,000-line file (${base.length.toLocaleString()} chars), one-character edit, 50 edits: relint ${fmt(median(edits), 2)} ms median, ${fmt(Math.max(...edits), 2)} ms worst; linting it from scratch ${fmt(median(fulls), 1)} ms. Target < 10 ms: ${median(edits) < 10 ? "met" : "NOT met"}`);
}

async function main(): Promise<void> {
    const termLines = readFileSync(join(DATA, "lexicon-zh-houbb.txt"), "utf8").split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const entries: LexiconEntry[] = termLines.map((term) => ({ term }));
    const zh = sentences(readJsonlTexts("benign-cvalues-zh.jsonl"));
    const en = sentences(readJsonlTexts("benign-awesome-prompts.jsonl"));
    const text = buildText(zh, en, termLines, TARGET_CHARS);
    const bytes = Buffer.byteLength(text, "utf8");
    console.log(`Node ${process.version}; ${termLines.length.toLocaleString()} terms; text: ${text.length.toLocaleString()} UTF-16 units, ${fmt(bytes / 1024 / 1024)} MiB UTF-8 (${zh.length} zh + ${en.length} en sentences, seeded); ${RUNS} runs each, interleaved, medians.`);

    // (a) compile
    const oursCompile: number[] = [];
    const mintCompile: number[] = [];
    let lex: Lexicon | undefined;
    let mint: Mint | undefined;
    for (let r = 0; r < RUNS; r++) {
        let t0 = now();
        lex = Lexicon.compile(entries);
        oursCompile.push(now() - t0);
        t0 = now();
        mint = new Mint(termLines);
        mintCompile.push(now() - t0);
    }
    const ours = lex!;
    const theirs = mint!;
    console.log(`\n(a) compile ${termLines.length.toLocaleString()} terms: ours ${fmt(median(oursCompile))} ms (${ours.size.toLocaleString()} distinct terms, ${ours.states.toLocaleString()} states); mint-filter ${fmt(median(mintCompile))} ms`);

    // (b) matching throughput
    const pre = normalize(text, ours.normalizeOptions);
    const tNorm: number[] = [];
    const tMatch: number[] = [];
    const tBoth: number[] = [];
    const tMint: number[] = [];
    let oursHits = 0;
    let mintHits = 0;
    for (let r = 0; r < RUNS; r++) {
        let t0 = now();
        oursHits = ours.match(text).length; // normalisation + matching, as the linter does
        tBoth.push(now() - t0);
        t0 = now();
        ours.match(pre); // matching only, on already-normalised text
        tMatch.push(now() - t0);
        t0 = now();
        normalize(text, ours.normalizeOptions);
        tNorm.push(now() - t0);
        t0 = now();
        mintHits = theirs.filter(text, { replace: false }).words.length;
        tMint.push(now() - t0);
    }
    const both = median(tBoth);
    const matchOnly = median(tMatch);
    const mintMs = median(tMint);
    const n = text.length;
    console.log(`\n(b) lexicon-only matching over ${n.toLocaleString()} chars:`);
    console.log(`    ours, normalisation + matching: ${fmt(both)} ms  ${mchars(n, both)}  (${oursHits.toLocaleString()} matches: leftmost-longest, word boundaries for Latin terms)`);
    console.log(`    ours, matching only:            ${fmt(matchOnly)} ms  ${mchars(n, matchOnly)}`);
    console.log(`    ours, normalisation only:       ${fmt(median(tNorm))} ms  ${mchars(n, median(tNorm))}`);
    console.log(`    mint-filter filter():           ${fmt(mintMs)} ms  ${mchars(n, mintMs)}  (${mintHits.toLocaleString()} words, overlapping, no boundaries)`);
    const ratioBoth = mintMs / both;
    const ratioMatch = mintMs / matchOnly;
    console.log(`    ratio vs mint-filter: ${fmt(ratioBoth, 2)}× with normalisation, ${fmt(ratioMatch, 2)}× matching only`);

    // The rule on its own (normalisation + matching + findings with fixes).
    const rule = sensitiveRule([ours]);
    const tRule: number[] = [];
    let ruleFindings = 0;
    for (let r = 0; r < RUNS; r++) {
        let cached: ReturnType<typeof normalize> | undefined;
        const t0 = now();
        ruleFindings = rule.check({ text, normalized: () => (cached ??= normalize(text)), options: {} }).length;
        tRule.push(now() - t0);
    }
    console.log(`    sensitive-term rule (whole text): ${fmt(median(tRule))} ms  ${mchars(n, median(tRule))}  (${ruleFindings.toLocaleString()} findings)`);

    const allRules = [...builtinRules(), rule];
    const pipeline = benchPipeline(text, allRules);
    const pipeOk = pipeline.medianMs <= mintMs;
    console.log(`\n(c) whole pipeline (engine: normalisation, every built-in rule — PII, secrets, injection — and the 65k-term lexicon): ${fmt(pipeline.medianMs)} ms  ${mchars(n, pipeline.medianMs)}  (${pipeline.findings.toLocaleString()} findings); mint-filter lexicon-only ${fmt(mintMs)} ms. Target at least as fast: ${pipeOk ? "met" : "NOT met"}`);

    benchIncremental(allRules, zh, en, termLines);

    const compileOk = median(oursCompile) < 300;
    const matchOk = ratioBoth >= 3;
    console.log(`Targets: compile < 300 ms: ${compileOk ? "met" : "NOT met"} (${fmt(median(oursCompile))} ms); matching ≥ 3× mint-filter (with normalisation): ${matchOk ? "met" : "NOT met"} (${fmt(ratioBoth, 2)}×)`);
}

if (process.env.BENCH_NO_MAIN !== "1") await main();
