// Planning the edit that puts generated code into a document, and finding its place again after the
// document changed (rebaseEdit).
// The last suite runs the whole path once with the real test model (stories260K.gguf, through the
// built runner): budget, conversation, context, input check, generation, extraction, output check,
// edit plan and rebase. Needs the .md loader and a build (dist/runner.mjs):
//   node --import tsx --import ./scripts/md-loader.mjs --test test/codegen-edit.spec.ts
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { checkInput, checkOutput } from "../src/core/codegen/checks.ts";
import { contextBudget, packContext } from "../src/core/codegen/context.ts";
import { Conversation, toHistory } from "../src/core/codegen/conversation.ts";
import { eolOf, planEdit, rebaseEdit, type PlannedEdit } from "../src/core/codegen/edit.ts";
import { extractCode } from "../src/core/codegen/extract.ts";
import { buildCodegenPrompt } from "../src/core/codegen/prompt.ts";
import { PromptsmithError } from "../src/core/errors.ts";
import { createLinter, knownRuleIds } from "../src/core/lint/index.ts";
import { defaultLintConfig } from "../src/core/lint/config.ts";
import { RunnerClient } from "../src/core/runner/client.ts";
import { builtFile, testModelPath } from "./support/env.ts";

const L = (...lines: string[]): string => lines.join("\n");

/** The invariants of every plan: after = before with newText over [start, end), the anchor around it. */
function assertPlan(p: PlannedEdit): void {
    assert.equal(p.after, p.before.slice(0, p.start) + p.newText + p.before.slice(p.end));
    assert.equal(p.anchor.removed, p.before.slice(p.start, p.end));
    assert.ok(p.before.slice(0, p.start).endsWith(p.anchor.prefix));
    assert.ok(p.before.slice(p.end).startsWith(p.anchor.suffix));
}

describe("planEdit", () => {
    it("inserts at the start of a line with text after it: indented like that line, the text moves down", () => {
        const doc = L("function main() {", "    setup();", "    run();", "}", "");
        const cursor = doc.indexOf("    run();");
        const p = planEdit({ mode: "insert", documentText: doc, start: cursor, end: cursor, version: 3, uri: "file:///a.js", languageId: "javascript" }, "const x = 1;\nif (x) {\n    log(x);\n}\n");
        assertPlan(p);
        assert.equal(p.after, L("function main() {", "    setup();", "    const x = 1;", "    if (x) {", "        log(x);", "    }", "    run();", "}", ""));
        assert.deepEqual([p.start, p.end, p.version, p.uri, p.languageId, p.mode], [cursor, cursor, 3, "file:///a.js", "javascript", "insert"]);
        assert.equal(p.before, doc);
    });

    it("inserts with the cursor inside the indentation: the first line fills it up, the text after keeps its indentation", () => {
        const doc = L("def main():", "    setup()", "    run()", "");
        const cursor = doc.indexOf("run()") - 2; // two of the four spaces before run()
        const p = planEdit({ mode: "insert", documentText: doc, start: cursor }, "x = 1\ny = 2");
        assertPlan(p);
        assert.equal(p.after, L("def main():", "    setup()", "    x = 1", "    y = 2", "    run()", ""));
    });

    it("inserts on an empty line: indentation of the next line, or of the line above when the next one closes a block", () => {
        const doc = L("class A:", "    def f(self):", "        return 1", "", "    def g(self):", "        return 2", "");
        const cursor = doc.indexOf("\n\n") + 1;
        const p = planEdit({ mode: "insert", documentText: doc, start: cursor }, "def h(self):\n    return 3");
        assertPlan(p);
        // The blank line separated two methods: the new one gets a blank line on each side.
        assert.equal(p.after, L("class A:", "    def f(self):", "        return 1", "", "    def h(self):", "        return 3", "", "    def g(self):", "        return 2", ""));

        // A blank line before a block's end is not a separator: the code takes it.
        const js = L("function f() {", "    a();", "", "}", "");
        const at = js.indexOf("\n\n") + 1;
        const q = planEdit({ mode: "insert", documentText: js, start: at }, "b();\nc();");
        assert.equal(q.after, L("function f() {", "    a();", "    b();", "    c();", "}", ""));
    });

    it("inserting on a blank line between two functions keeps a blank line between the code and each of them", () => {
        // The teammate's case: one blank line between two top-level functions.
        const one = L("def f():", "    return 1", "", "def g():", "    return 2", "");
        const at = one.indexOf("\n\n") + 1;
        const p = planEdit({ mode: "insert", documentText: one, start: at, end: at }, "def h():\n    return 3\n");
        assertPlan(p);
        assert.equal(p.after, L("def f():", "    return 1", "", "def h():", "    return 3", "", "def g():", "    return 2", ""));

        // Two blank lines (PEP 8), the cursor on the second one: the first stays above, one is kept below.
        const two = L("def f():", "    return 1", "", "", "def g():", "    return 2", "");
        const second = two.indexOf("\n\n\n") + 2;
        const q = planEdit({ mode: "insert", documentText: two, start: second }, "def h():\n    return 3");
        assertPlan(q);
        assert.equal(q.after, L("def f():", "    return 1", "", "def h():", "    return 3", "", "def g():", "    return 2", ""));
        // The cursor on the first one: one is kept above, the second stays below.
        const first = two.indexOf("\n\n\n") + 1;
        const r = planEdit({ mode: "insert", documentText: two, start: first }, "def h():\n    return 3");
        assert.equal(r.after, q.after);

        // A blank line right after a block opener: no blank line is added between the opener and the code.
        const opener = L("class A:", "", "    def g(self):", "        return 2", "");
        const o = planEdit({ mode: "insert", documentText: opener, start: opener.indexOf("\n\n") + 1 }, "def h(self):\n    return 3");
        assert.equal(o.after, L("class A:", "    def h(self):", "        return 3", "", "    def g(self):", "        return 2", ""));

        // CRLF documents keep CRLF in the added line breaks.
        const crlf = one.replace(/\n/g, "\r\n");
        const c = planEdit({ mode: "insert", documentText: crlf, start: crlf.indexOf("\r\n\r\n") + 2 }, "def h():\n    return 3");
        assert.equal(c.after, p.after.replace(/\n/g, "\r\n"));
    });

    it("inserts after code on a line: the first line continues it, the others get the line's indentation", () => {
        const doc = L("    const total = ", "next();");
        const cursor = doc.indexOf("\n");
        const p = planEdit({ mode: "insert", documentText: doc, start: cursor }, "items\n    .map((i) => i.price)\n    .reduce((a, b) => a + b, 0);");
        assertPlan(p);
        assert.equal(p.after, L("    const total = items", "        .map((i) => i.price)", "        .reduce((a, b) => a + b, 0);", "next();"));
    });

    it("inserting on the empty last line keeps the file's final newline", () => {
        const doc = "import os\n";
        const p = planEdit({ mode: "insert", documentText: doc, start: doc.length }, "print(os.getcwd())");
        assert.equal(p.after, "import os\nprint(os.getcwd())\n");
        const empty = planEdit({ mode: "insert", documentText: "", start: 0 }, "x = 1\n");
        assert.equal(empty.after, "x = 1");
    });

    it("replaces whole selected lines, re-indented to the selection's first line, keeping the line break after them", () => {
        const doc = L("def area(shape):", "    if shape.kind == 'square':", "        return shape.side ** 2", "    return 0", "");
        const start = doc.indexOf("    if shape");
        const end = doc.indexOf("    return 0");
        const code = "```\nif shape.kind == 'square':\n    return shape.side ** 2\nif shape.kind == 'circle':\n    return 3.14159 * shape.r ** 2\n".replace("```\n", "");
        const p = planEdit({ mode: "replace", documentText: doc, start, end }, code);
        assertPlan(p);
        assert.equal(p.anchor.removed, "    if shape.kind == 'square':\n        return shape.side ** 2\n");
        assert.equal(p.after, L("def area(shape):", "    if shape.kind == 'square':", "        return shape.side ** 2", "    if shape.kind == 'circle':", "        return 3.14159 * shape.r ** 2", "    return 0", ""));
    });

    it("replaces a selection that starts after the indentation or inside a line", () => {
        const doc = L("  items.forEach(x => console.log(x));", "  done();");
        const start = doc.indexOf("items");
        const end = doc.indexOf(";") + 1;
        const p = planEdit({ mode: "replace", documentText: doc, start, end }, "for (const x of items) {\n  console.log(x);\n}");
        assertPlan(p);
        assert.equal(p.after, L("  for (const x of items) {", "    console.log(x);", "  }", "  done();"));
        // Reversed offsets (a selection made upwards) mean the same range.
        assert.equal(planEdit({ mode: "replace", documentText: doc, start: end, end: start }, "x").after, "  x\n  done();");
        const expr = "const v = a + b;";
        const q = planEdit({ mode: "replace", documentText: expr, start: 10, end: 15 }, "sum(a, b)");
        assert.equal(q.after, "const v = sum(a, b);");
    });

    it("new file: before is empty, after is the code", () => {
        const code = "package main\n\nfunc main() {}\n";
        const p = planEdit({ mode: "newFile", languageId: "go" }, code);
        assert.deepEqual([p.before, p.after, p.newText, p.start, p.end, p.mode, p.languageId], ["", code, code, 0, 0, "newFile", "go"]);
        assert.deepEqual(p.anchor, { removed: "", prefix: "", suffix: "" });
    });

    it("a CRLF document gets CRLF line ends, and an offset inside a CRLF pair moves before it", () => {
        const doc = "int main() {\r\n    return 0;\r\n}\r\n";
        const cursor = doc.indexOf("    return");
        const p = planEdit({ mode: "insert", documentText: doc, start: cursor }, "int a = 1;\nint b = a + 1;\n");
        assertPlan(p);
        assert.equal(p.after, "int main() {\r\n    int a = 1;\r\n    int b = a + 1;\r\n    return 0;\r\n}\r\n");
        assert.ok(!/(?<!\r)\n/.test(p.after), "no bare LF");
        assert.equal(eolOf(doc), "\r\n");
        assert.equal(eolOf("a\nb\r\nc\n"), "\n");
        const inside = planEdit({ mode: "insert", documentText: "a\r\nb", start: 2 }, "x");
        assert.equal(inside.start, 1);
        assert.equal(inside.after, "ax\r\nb");
    });

    it("indentation: the code's own indentation is normalised; tabs or spaces follow the editor's options", () => {
        const doc = "class A {\n\tm() {\n\t\tfoo();\n\t}\n}\n";
        const cursor = doc.indexOf("\t\tfoo");
        // The model indented everything by 8 spaces and nests with 4.
        const code = "        if (x) {\n            bar();\n        }";
        const tabs = planEdit({ mode: "insert", documentText: doc, start: cursor, insertSpaces: false, tabSize: 4 }, code);
        assert.equal(tabs.after, "class A {\n\tm() {\n\t\tif (x) {\n\t\t\tbar();\n\t\t}\n\t\tfoo();\n\t}\n}\n");
        const spaces = planEdit({ mode: "insert", documentText: "  a();\n", start: 0, insertSpaces: true, tabSize: 2 }, "if (x) {\n\tb();\n}");
        assert.equal(spaces.after, "  if (x) {\n    b();\n  }\n  a();\n");
        // Without editor options the code's indentation is kept as the model wrote it (relative to its first level).
        const kept = planEdit({ mode: "insert", documentText: "  a();\n", start: 0 }, "if (x) {\n\tb();\n}");
        assert.equal(kept.after, "  if (x) {\n  \tb();\n  }\n  a();\n");
        // Blank lines inside the code stay empty (no trailing spaces).
        const blank = planEdit({ mode: "insert", documentText: "    z()\n", start: 0 }, "a()\n\nb()");
        assert.equal(blank.after, "    a()\n\n    b()\n    z()\n");
    });

    it("unicode: offsets are UTF-16 code units, emoji and CJK before the cursor stay intact", () => {
        const doc = "// 你好，世界 😀👩‍💻\nconst s = \"𝒳\"; // 注释\nnext();\n";
        const cursor = doc.indexOf("next();");
        assert.ok(cursor > [...doc.slice(0, cursor)].length, "the test text has characters outside the BMP");
        const p = planEdit({ mode: "insert", documentText: doc, start: cursor }, "const 名字 = \"😀\";");
        assertPlan(p);
        assert.equal(p.after, "// 你好，世界 😀👩‍💻\nconst s = \"𝒳\"; // 注释\nconst 名字 = \"😀\";\nnext();\n");
        // An offset between the two halves of a surrogate pair never splits it.
        const pair = "a😀b";
        const q = planEdit({ mode: "insert", documentText: pair, start: 2 }, "X");
        assert.equal(q.after, "aX😀b");
    });

    it("an insert or replace without the document's text is an error that says so", () => {
        assert.throws(() => planEdit({ mode: "insert", start: 0 }, "x"), (e: unknown) => e instanceof PromptsmithError && /document's text/.test(e.message));
    });
});

describe("rebaseEdit", () => {
    const doc = L(
        "import { sum } from './math';",
        "",
        "export function total(items) {",
        "    const prices = items.map((i) => i.price);",
        "    return sum(prices);",
        "}",
        "",
        "export function count(items) {",
        "    return items.length;",
        "}",
        "",
    );
    const start = doc.indexOf("    return sum(prices);");
    const end = start + "    return sum(prices);\n".length;
    const plan = planEdit({ mode: "replace", documentText: doc, start, end, version: 7, uri: "file:///t.js" }, "const t = sum(prices);\nreturn Math.round(t * 100) / 100;");

    it("same version and text: same", () => {
        const r = rebaseEdit(plan, doc, 7);
        assert.equal(r.status, "same");
        assert.equal(r.status === "same" && r.plan, plan);
    });

    it("same text at a later version (edited and undone): same, at the new version", () => {
        const r = rebaseEdit(plan, doc, 9);
        assert.equal(r.status, "same");
        assert.equal(r.status === "same" && r.plan.version, 9);
        assert.equal(r.status === "same" && r.plan.after, plan.after);
    });

    it("lines added above the target: rebased to the new offsets, with a note", () => {
        const added = "// Totals and counts.\n// Second line of the header.\n";
        const current = added + doc;
        const r = rebaseEdit(plan, current, 8);
        assert.equal(r.status, "rebased");
        if (r.status !== "rebased") return;
        assert.equal(r.plan.start, plan.start + added.length);
        assert.equal(r.plan.end, plan.end + added.length);
        assert.equal(r.plan.version, 8);
        assert.equal(r.plan.before, current);
        assert.equal(r.plan.after, added + plan.after);
        assert.match(r.note, /line 7 \(it was line 5\)/);
        assert.match(r.note, /after the code was generated/);
        assertPlan(r.plan);
        // Planned against the text as it was when the request started: the note says the edit was made meanwhile.
        const during = rebaseEdit(plan, current, 8, { since: "request" });
        assert.ok(during.status === "rebased" && /changed while the code was being generated; the code now goes at line 7/.test(during.note), JSON.stringify(during));
        const lost = rebaseEdit(plan, current.replace("return sum(prices);", "return 0;"), 9, { since: "request" });
        assert.ok(lost.status === "conflict" && /edited while the code was being generated/.test(lost.reason), JSON.stringify(lost));
    });

    it("the line right after the target edited: still found from the lines before it", () => {
        const current = doc.replace("}\n\nexport function count", "} // end of total\n\nexport function count");
        const r = rebaseEdit(plan, current, 8);
        assert.equal(r.status, "rebased");
        if (r.status !== "rebased") return;
        assert.equal(r.plan.start, plan.start);
        assert.equal(r.plan.after, plan.after.replace("}\n\nexport function count", "} // end of total\n\nexport function count"));
        assert.match(r.note, /still goes at line 5/);
    });

    it("an insert point found again after edits elsewhere", () => {
        const cursor = doc.indexOf("    return items.length;");
        const ins = planEdit({ mode: "insert", documentText: doc, start: cursor, version: 1 }, "if (!items) return 0;");
        const current = doc.replace("import { sum } from './math';", "import { sum, round } from './math';\nimport { log } from './log';");
        const r = rebaseEdit(ins, current, 2);
        assert.equal(r.status, "rebased");
        if (r.status !== "rebased") return;
        assert.equal(r.plan.after, current.replace("    return items.length;", "    if (!items) return 0;\n    return items.length;"));
    });

    it("the target text itself edited: conflict, with a reason a user understands", () => {
        const current = doc.replace("    return sum(prices);", "    return sum(prices) * 1.2;");
        const r = rebaseEdit(plan, current, 8);
        assert.equal(r.status, "conflict");
        assert.match(r.status === "conflict" ? r.reason : "", /code you selected \(line 5\) was edited.*Generate again/);
    });

    it("the target edited while a copy of it exists elsewhere: conflict, not the copy", () => {
        const withCopy = doc + L("export function other(prices) {", "    return sum(prices);", "}", "");
        const p = planEdit({ mode: "replace", documentText: withCopy, start, end, version: 1 }, "return 0;");
        const current = withCopy.replace("    return sum(prices);\n}\n\nexport function count", "    return sum(prices) + tax;\n}\n\nexport function count");
        const r = rebaseEdit(p, current, 2);
        assert.equal(r.status, "conflict", JSON.stringify(r));
    });

    it("the target and its surroundings now appear twice: conflict, never a guess", () => {
        const current = doc + doc;
        const r = rebaseEdit(plan, current, 8);
        assert.equal(r.status, "conflict");
        assert.match(r.status === "conflict" ? r.reason : "", /more than one place/);
    });

    it("the whole place gone: conflict", () => {
        const r = rebaseEdit(plan, "export const nothing = 1;\n", 8);
        assert.equal(r.status, "conflict");
        const ins = planEdit({ mode: "insert", documentText: doc, start: doc.indexOf("    return items"), version: 1 }, "x();");
        const gone = rebaseEdit(ins, "totally different\ncontent here now\n", 2);
        assert.equal(gone.status, "conflict");
        assert.match(gone.status === "conflict" ? gone.reason : "", /cannot be found again/);
    });

    it("a new file: same while untouched", () => {
        const nf = planEdit({ mode: "newFile" }, "x = 1\n");
        assert.equal(rebaseEdit(nf, "", 1).status, "same");
        assert.equal(rebaseEdit(nf, "typed", 2).status, "conflict");
    });
});

describe("the whole path with the real model", () => {
    const modelPath = testModelPath();
    const client = new RunnerClient({ workerPath: builtFile("runner.mjs") });
    after(() => client.dispose());

    it("Edit Selection with Instruction: the prompt fits the model's window, the answer becomes a checked, rebased edit", async () => {
        // Every token of a byte-level tokenizer covers at least one UTF-8 byte (plus one for a leading
        // space marker): a cheap counter that can only over-count the model's own tokens.
        const upper = (s: string) => Buffer.byteLength(s, "utf8") + 1;
        const doc = ["import { log } from './log';", "", "export class Store {", "    private items: string[] = [];", "", "    add(item: string): void {", "        this.items.push(item);", "    }", "}", ""].join("\n");
        const selStart = doc.indexOf("    add(item");
        const selEnd = doc.indexOf("    }\n}") + "    }\n".length;
        const selection = doc.slice(selStart, selEnd);
        const conversation = new Conversation([{ requirements: "Write a Store class that keeps strings.", language: "typescript", answer: "export class Store {}", at: Date.now() - 60_000 }]);
        const instruction = "Log every added item.";
        const maxTokens = 24;

        const bare = buildCodegenPrompt({ requirements: "", language: "typescript", edit: { code: selection, instruction } });
        const measured = await client.countTokens({ modelPath, texts: [bare.completion] });
        const budget = contextBudget({ contextSize: measured.contextSize, maxTokens, promptTokens: measured.counts[0]!, share: 0.5 });
        assert.ok(budget > 0, `budget ${budget} in a window of ${measured.contextSize}`);
        const history = conversation.fit(Math.floor(budget / 2), upper);
        const packed = packContext([
            { id: "sel", kind: "selection", label: "Selection", code: selection, language: "typescript" },
            { id: "cur", kind: "currentFile", label: "src/store.ts", code: doc.repeat(30), focusOffset: selStart },
        ], budget - history.tokens, upper);
        assert.ok(packed.tokens + history.tokens <= budget);
        const built = buildCodegenPrompt({ requirements: "", language: "typescript", edit: { code: selection, instruction }, context: packed.snippets, history: toHistory(history.turns) });

        const linter = await createLinter(defaultLintConfig(knownRuleIds()));
        const input = checkInput(linter, [{ source: "Instruction", text: instruction }, ...packed.snippets.map((s) => ({ source: s.label, text: s.code }))], "error");
        assert.equal(input.blocked, false, JSON.stringify(input.findings));

        const result = await client.generate({ modelPath, prompt: { system: built.system, user: built.user, completion: built.completion, mode: "auto" }, sampling: { temperature: 0, maxTokens } }, { cache: false });
        // The packed prompt really fits the model's window with room for the answer.
        assert.ok(result.metrics.promptTokens + maxTokens <= result.metrics.contextSize, `${result.metrics.promptTokens} prompt tokens + ${maxTokens} in ${result.metrics.contextSize}`);
        const answer = result.mode === "completion" ? built.responsePrefix + result.text : result.text;
        const extracted = extractCode(answer, { language: built.language });
        // The test model writes stories, not code: whatever it wrote is what the edit carries.
        const code = extracted.code.trim() === "" ? "// (the test model wrote nothing)" : extracted.code;
        const output = checkOutput(linter, code);
        assert.equal(output.blocked, false);

        const plan = planEdit({ mode: "replace", uri: "file:///src/store.ts", documentText: doc, version: 1, start: selStart, end: selEnd, languageId: "typescript" }, code);
        assert.equal(plan.after.slice(0, selStart), doc.slice(0, selStart));
        assert.ok(plan.after.endsWith("}\n"), "the text after the selection is kept");
        for (const line of plan.newText.split("\n").filter((l) => l.trim() !== "")) assert.ok(line.startsWith("    "), `re-indented: ${JSON.stringify(line)}`);
        const edited = "// header added while the preview was open\n" + doc;
        const rebased = rebaseEdit(plan, edited, 2);
        assert.equal(rebased.status, "rebased");
        assert.equal(rebased.status === "rebased" && rebased.plan.after, "// header added while the preview was open\n" + plan.after);

        conversation.add({ requirements: instruction, language: built.language, answer: code, at: Date.now() });
        assert.equal(conversation.length, 2);
    });
});
