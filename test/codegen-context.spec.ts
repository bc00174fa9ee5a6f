// Context packing for code generation: priority, whole/cut snippets, duplicates, the budget invariant
// with a real tokenizer (js-tiktoken cl100k_base through the linter's counter) and a simple counter.
// Needs the .md loader: node --import tsx --import ./scripts/md-loader.mjs --test test/codegen-context.spec.ts
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { contextBudget, packContext, type ContextCandidate, type PackResult } from "../src/core/codegen/context.ts";
import { buildCodegenPrompt, CONTEXT_INTRO, renderContextBlock } from "../src/core/codegen/prompt.ts";
import { countTokens } from "../src/core/lint/rules/tokenLimit.ts";

/** One token per whitespace-separated word plus one per line break: cheap and predictable. */
const words = (s: string): number => (s.match(/\S+/g)?.length ?? 0) + (s.match(/\n/g)?.length ?? 0);
const tiktoken = (s: string): number => countTokens(s, "cl100k_base");

/** A deterministic source file of `n` lines, line i mentions its own number. */
function sourceFile(n: number, eol = "\n"): string {
    const out: string[] = [];
    for (let i = 1; i <= n; i++) {
        if (i % 7 === 0) out.push("");
        else if (i % 5 === 0) out.push(`    // step ${i}: 中文注释 😀 and \`ticks\``);
        else out.push(`    const value${i} = compute(${i}, "line ${i}") + offset * ${i % 13};`);
    }
    return out.join(eol) + eol;
}

/** The context part of the prompt, exactly as buildCodegenPrompt renders the packed snippets. */
function renderedContext(r: PackResult): string {
    if (r.snippets.length === 0) return "";
    return `${CONTEXT_INTRO}${r.snippets.map((s, i) => renderContextBlock(s, i)).join("\n\n")}\n\n`;
}

function assertWithinBudget(r: PackResult, count: (s: string) => number): void {
    const sum = r.snippets.reduce((n, s) => n + s.tokens, 0) + (r.snippets.length ? count(CONTEXT_INTRO) : 0);
    assert.equal(r.tokens, sum, "tokens is the snippets' total plus the introduction line");
    assert.ok(r.tokens <= r.budget, `${r.tokens} tokens over the budget of ${r.budget}`);
    for (const [i, s] of r.snippets.entries()) assert.equal(s.tokens, count(renderContextBlock(s, i) + "\n\n"), `tokens of ${s.label}`);
}

describe("packContext", () => {
    it("takes the selection, then the current file, then open files in order, whole when they fit", () => {
        const cands: ContextCandidate[] = [
            { id: "o2", kind: "openFile", label: "src/b.ts", code: "export const b = 2;\n" },
            { id: "cur", kind: "currentFile", label: "src/main.ts", code: "import { a } from './a';\nconsole.log(a);\n", focusOffset: 5 },
            { id: "o1", kind: "openFile", label: "src/a.ts", code: "export const a = 1;\n" },
            { id: "sel", kind: "selection", label: "Selection", code: "console.log(a);", language: "typescript" },
        ];
        const r = packContext(cands, 10_000, words);
        assert.deepEqual(r.snippets.map((s) => s.id), ["sel", "cur", "o2", "o1"]);
        assert.deepEqual(r.omitted, []);
        assert.ok(r.snippets.every((s) => !s.truncated && s.lines === undefined));
        assert.equal(r.snippets[1]!.language, "typescript", "language guessed from the label when not given");
        assert.equal(r.snippets[1]!.code, cands[1]!.code, "whole snippets keep their code as given");
        assertWithinBudget(r, words);
        assert.equal(r.budget, 10_000);
    });

    it("leaves out empty candidates and repeats (a selection that is the whole file)", () => {
        const file = "def f():\n    return 1\n";
        const r = packContext([
            { id: "cur", kind: "currentFile", label: "f.py", code: file.replace(/\n/g, "\r\n") },
            { id: "sel", kind: "selection", label: "Selection", code: "def f():\n    return 1" },
            { id: "blank", kind: "openFile", label: "empty.py", code: " \n\t\n" },
            { id: "again", kind: "openFile", label: "copy/f.py", code: file },
        ], 1000, words);
        assert.deepEqual(r.snippets.map((s) => s.id), ["sel"]);
        assert.deepEqual(r.omitted.map((o) => [o.id, o.reason]), [["cur", "duplicate"], ["blank", "empty"], ["again", "duplicate"]]);
        assert.equal(r.omitted.find((o) => o.id === "blank")!.tokens, 0);
        assert.ok(r.omitted.find((o) => o.id === "cur")!.tokens > 0);
    });

    it("cuts the current file to a window around the cursor, labelled with the kept lines", () => {
        const code = sourceFile(400);
        const focusLine = 250; // 1-based
        const focusOffset = code.split("\n").slice(0, focusLine - 1).join("\n").length + 1 + 6;
        const r = packContext([{ id: "cur", kind: "currentFile", label: "src/big.ts", code, focusOffset }], 600, words);
        assert.equal(r.snippets.length, 1);
        const s = r.snippets[0]!;
        assert.equal(s.truncated, true);
        assert.ok(s.lines, "a cut snippet has its line range");
        const [a, b] = s.lines!;
        assert.ok(a <= focusLine && focusLine <= b, `window ${a}–${b} holds line ${focusLine}`);
        assert.ok(a > 1 && b < 400, "cut at both ends");
        // Roughly centred: neither side is more than twice the other (plus a line).
        assert.ok(focusLine - a <= 2 * (b - focusLine) + 2 && b - focusLine <= 2 * (focusLine - a) + 2, `${a}–${b} around ${focusLine}`);
        assert.equal(s.label, `src/big.ts (lines ${a}–${b})`);
        assert.equal(s.code, code.split("\n").slice(a - 1, b).join("\n"));
        assert.equal(s.language, "typescript", "the label suffix hides the extension, so the language is set");
        assertWithinBudget(r, words);
        // Nearly all of the room is used: one more line would not fit.
        assert.ok(r.tokens > r.budget - 40, `${r.tokens} of ${r.budget}`);
    });

    it("a cursor near the end of the file keeps the lines above it", () => {
        const code = sourceFile(300);
        const r = packContext([{ id: "cur", kind: "currentFile", label: "big.ts", code, focusOffset: code.length }], 500, words);
        const s = r.snippets[0]!;
        assert.equal(s.lines![1], 300);
        assert.ok(s.lines![0] > 1);
        assertWithinBudget(r, words);
    });

    it("cuts an open file (and a selection) to its first lines", () => {
        const code = sourceFile(200);
        const r = packContext([
            { id: "sel", kind: "selection", label: "Selection", code: sourceFile(40), language: "ts" },
            { id: "o", kind: "openFile", label: "lib/x.ts", code },
        ], 700, words);
        assert.deepEqual(r.snippets.map((s) => [s.id, s.truncated]), [["sel", false], ["o", true]]);
        const o = r.snippets[1]!;
        assert.equal(o.lines![0], 1);
        assert.ok(o.lines![1] < 200);
        assert.ok(o.label.startsWith("lib/x.ts (lines 1–"));
        assertWithinBudget(r, words);

        const onlySel = packContext([{ id: "sel", kind: "selection", label: "Selection", code: sourceFile(100) }], 300, words);
        assert.equal(onlySel.snippets[0]!.truncated, true);
        assert.equal(onlySel.snippets[0]!.lines![0], 1);
        assertWithinBudget(onlySel, words);
    });

    it("omits a candidate when no useful part fits, and later smaller ones still get in", () => {
        const r = packContext([
            { id: "cur", kind: "currentFile", label: "big.ts", code: sourceFile(100), focusOffset: 0 },
            { id: "small", kind: "openFile", label: "s.ts", code: "x();" },
        ], 40, words);
        assert.deepEqual(r.snippets.map((s) => s.id), ["small"]);
        assert.deepEqual(r.omitted.map((o) => [o.id, o.reason]), [["cur", "budget"]]);
        assert.ok(r.omitted[0]!.tokens > 40, "an omitted candidate reports its whole size");
        assertWithinBudget(r, words);
        const zero = packContext([{ id: "s", kind: "selection", label: "Selection", code: "x" }], 0, words);
        assert.deepEqual(zero.snippets, []);
        assert.equal(zero.tokens, 0);
        assert.deepEqual(zero.omitted.map((o) => o.reason), ["budget"]);
    });

    it("never goes over the budget with a real tokenizer, and counts exactly what the prompt holds", () => {
        const cands: ContextCandidate[] = [
            { id: "sel", kind: "selection", label: "Selection", code: sourceFile(30, "\r\n"), language: "typescript" },
            { id: "cur", kind: "currentFile", label: "src/current.ts", code: sourceFile(500, "\r\n"), focusOffset: 9000 },
            { id: "o1", kind: "openFile", label: "src/one.py", code: "def one():\n\n\n    return 1\n\n\n" },
            { id: "o2", kind: "openFile", label: "src/two.ts", code: sourceFile(150) },
        ];
        for (const budget of [0, 10, 60, 150, 400, 777, 1500, 3000, 6000, 20_000, 100_000]) {
            const r = packContext(cands, budget, tiktoken);
            assertWithinBudget(r, tiktoken);
            // cl100k_base counts text cut after its line breaks piece by piece, so the rendered context
            // costs exactly the reported total.
            assert.equal(tiktoken(renderedContext(r)), r.tokens, `budget ${budget}`);
            assert.equal(r.snippets.length + r.omitted.length, cands.length);
            // The rendered prompt holds every packed snippet.
            if (r.snippets.length) {
                const p = buildCodegenPrompt({ requirements: "Add a function.", language: "ts", context: r.snippets });
                for (const s of r.snippets) assert.ok(p.user.includes(`${s.label}:\n`), s.label);
            }
        }
    });

    it("a counter whose line counts under-estimate the text still stays within the budget", () => {
        // Counts the text as a whole: every line break pair "\n\n" costs 5 more than its lines do apart.
        const joined = (s: string) => words(s) + 5 * (s.match(/\n(?=[^\n]*\n)/g)?.length ?? 0);
        const r = packContext([{ id: "cur", kind: "currentFile", label: "a.ts", code: sourceFile(300), focusOffset: 4000 }], 900, joined);
        assert.equal(r.snippets.length, 1);
        assert.equal(r.snippets[0]!.truncated, true);
        assertWithinBudget(r, joined);
    });

    it("counts each candidate once and each line of a cut one once (no quadratic recounting)", () => {
        const code = sourceFile(3000);
        let calls = 0;
        let chars = 0;
        const counting = (s: string) => {
            calls++;
            chars += s.length;
            return words(s);
        };
        const r = packContext([
            { id: "cur", kind: "currentFile", label: "huge.ts", code, focusOffset: Math.floor(code.length / 2) },
            { id: "o", kind: "openFile", label: "o.ts", code: "export const o = 1;\n" },
        ], 2000, counting);
        assert.equal(r.snippets[0]!.truncated, true);
        // intro + whole + one per line + overhead + the window (+ a recount or two) + the open file.
        assert.ok(calls <= 3000 + 10, `${calls} counter calls`);
        assert.ok(chars <= 2.5 * code.length + 20_000, `${chars} characters counted for a ${code.length}-character file`);
    });

    it("the cursor offset is in UTF-16 units and CRLF files are cut on the same lines", () => {
        const lines = Array.from({ length: 120 }, (_, i) => (i === 59 ? "const here = '😀😀 中文';" : `line_${i + 1}();`));
        const crlf = lines.join("\r\n");
        const focusOffset = crlf.indexOf("const here") + "const here = '😀😀".length;
        const r = packContext([{ id: "c", kind: "currentFile", label: "x.js", code: crlf, focusOffset }], 60, words);
        const s = r.snippets[0]!;
        assert.ok(s.lines![0] <= 60 && 60 <= s.lines![1], `${s.lines} holds line 60`);
        assert.ok(!s.code.includes("\r"));
        assert.equal(s.code.split("\n")[60 - s.lines![0]], lines[59]);
    });
});

describe("contextBudget", () => {
    it("share × (contextSize − maxTokens − promptTokens), floored, never negative", () => {
        assert.equal(contextBudget({ contextSize: 8192, maxTokens: 1024, promptTokens: 300 }), Math.floor(0.5 * (8192 - 1024 - 300)));
        assert.equal(contextBudget({ contextSize: 8192, maxTokens: 1024, promptTokens: 300, share: 0.8 }), Math.floor(0.8 * 6868));
        assert.equal(contextBudget({ contextSize: 4096, maxTokens: 4000, promptTokens: 200 }), 0);
        assert.equal(contextBudget({ contextSize: 2048, maxTokens: 0, promptTokens: 0, share: 1 }), 2048);
        assert.equal(contextBudget({ contextSize: 2048, maxTokens: 0, promptTokens: 0, share: 5 }), 2048, "share is clamped to 1");
        assert.equal(contextBudget({ contextSize: 2048, maxTokens: 0, promptTokens: 0, share: -1 }), 0);
        assert.equal(contextBudget({ contextSize: 2048, maxTokens: 48, promptTokens: 0, share: Number.NaN }), 1000, "NaN share means the default");
    });
});
