// Code generation prompt building and code extraction.
// Needs the .md loader: node --import tsx --import ./scripts/md-loader.mjs --test test/codegen.spec.ts
// Snapshots: test/snapshots/codegen/*.txt (UPDATE_SNAPSHOTS=1 rewrites them).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildCodegenPrompt, fenceFor, languageFromPath, normalizeLanguage, type BuiltPrompt } from "../src/core/codegen/prompt.ts";
import { extractCode } from "../src/core/codegen/extract.ts";
import { PromptsmithError } from "../src/core/errors.ts";
import { assertSnapshot } from "./support/snapshot.ts";

const F = "```";
const lines = (...l: string[]): string => l.join("\n");

function show(p: BuiltPrompt): string {
    return [
        `=== language: ${JSON.stringify(p.language)}  responsePrefix: ${JSON.stringify(p.responsePrefix)}`,
        "=== system",
        p.system,
        "=== user",
        p.user,
        "=== completion",
        p.completion,
    ].join("\n");
}

describe("normalizeLanguage / languageFromPath", () => {
    it("maps aliases to canonical ids", () => {
        const cases: [string | undefined, string][] = [
            ["py", "python"], ["Python3", "python"], ["js", "javascript"], ["ts", "typescript"], ["TSX", "typescript"],
            ["c++", "cpp"], ["cpp", "cpp"], ["c#", "csharp"], ["cs", "csharp"], ["sh", "bash"], ["shell", "bash"],
            ["bash", "bash"], ["golang", "go"], ["rs", "rust"], ["yml", "yaml"], [" Kotlin ", "kotlin"],
            ["Nim", "nim"], [undefined, ""], ["  ", ""],
        ];
        for (const [input, expected] of cases) assert.equal(normalizeLanguage(input), expected, `normalizeLanguage(${JSON.stringify(input)})`);
    });

    it("guesses a language from a path", () => {
        assert.equal(languageFromPath("src/app/main.py"), "python");
        assert.equal(languageFromPath("C:\\work\\lib\\util.HPP"), "cpp");
        assert.equal(languageFromPath("web/index.tsx"), "typescript");
        assert.equal(languageFromPath("build/Dockerfile"), "dockerfile");
        assert.equal(languageFromPath("Makefile"), "makefile");
        assert.equal(languageFromPath(".bashrc"), undefined);
        assert.equal(languageFromPath("README"), undefined);
        assert.equal(languageFromPath("notes.unknownext"), undefined);
    });

    it("picks a fence longer than any backtick run", () => {
        assert.equal(fenceFor("x = 1"), "```");
        assert.equal(fenceFor("a ``` b"), "````");
        assert.equal(fenceFor("`````"), "``````");
    });
});

describe("buildCodegenPrompt", () => {
    it("python, no context (snapshot)", () => {
        const p = buildCodegenPrompt({
            requirements: "# FizzBuzz\r\n\r\nWrite a function `fizzbuzz(n: int) -> list[str]` that returns the FizzBuzz sequence from 1 to n.\r\n- Multiples of 3 give \"Fizz\", of 5 \"Buzz\", of both \"FizzBuzz\".\r\n",
            language: "py",
        });
        assert.equal(p.language, "python");
        assert.equal(p.responsePrefix, "```python\n");
        assert.ok(p.completion.endsWith(p.responsePrefix));
        assert.ok(!p.user.includes("\r") && !p.completion.includes("\r"));
        assertSnapshot("codegen/python-no-context", show(p));
    });

    it("typescript with two context snippets (snapshot)", () => {
        const p = buildCodegenPrompt({
            requirements: "Add a function `parseDuration(text: string): number` that turns \"1h30m\" into milliseconds, using the unit table in units.ts. Throw a `DurationError` for bad input.",
            language: "ts",
            context: [
                { label: "src/units.ts", code: "export const UNIT_MS: Record<string, number> = {\n    s: 1000,\n    m: 60_000,\n    h: 3_600_000,\n};\n" },
                { label: "src/errors.ts", language: "typescript", code: "export class DurationError extends Error {\n    constructor(readonly input: string) {\n        super(`Bad duration: ${input}`);\n    }\n}" },
            ],
        });
        assert.equal(p.language, "typescript");
        assertSnapshot("codegen/typescript-two-snippets", show(p));
    });

    it("a context snippet containing a ``` fence cannot break out (snapshot)", () => {
        const readme = lines("# Usage", "", F + "bash", "mytool --help", F, "", "````text", "four", "````");
        const p = buildCodegenPrompt({
            requirements: "Write a Python script that prints the usage text shown in README.md.",
            language: "python",
            context: [{ label: "README.md", code: readme }],
        });
        // The snippet is wrapped in a 5-backtick fence (its longest run is 4), tagged from the label.
        assert.ok(p.user.includes("README.md:\n`````markdown\n# Usage\n"));
        assert.ok(p.user.includes("````\n`````\n"));
        // Extracting the context block from the prompt gives the snippet back unchanged.
        const ctx = extractCode(p.user, { language: "markdown" });
        assert.equal(ctx.blocks.find((b) => b.language === "markdown")?.code, readme);
        assertSnapshot("codegen/context-with-fence", show(p));
    });

    it("infers the language from context when none is given, else leaves it to the model", () => {
        const withCtx = buildCodegenPrompt({ requirements: "Add a helper.", context: [{ label: "lib/util.go", code: "package util" }] });
        assert.equal(withCtx.language, "go");
        assert.equal(withCtx.responsePrefix, "```go\n");
        assert.ok(withCtx.completion.startsWith("// Task: write code in Go"));
        const none = buildCodegenPrompt({ requirements: "Sort a list of numbers." });
        assert.equal(none.language, "");
        assert.equal(none.responsePrefix, "```\n");
        assert.ok(none.user.includes("the programming language that best fits the requirements"));
        assert.ok(none.completion.startsWith("Task: write code in"));
    });

    it("uses the target language's comment syntax in the completion prompt", () => {
        const html = buildCodegenPrompt({ requirements: "A login form.\n\nTwo fields.", language: "html" });
        assert.ok(html.completion.startsWith("<!-- Task: write code in HTML"));
        assert.ok(html.completion.includes("<!-- A login form. -->\n\n<!-- Two fields. -->"));
        const sql = buildCodegenPrompt({ requirements: "Count users.\n\nBy country.", language: "sql" });
        assert.ok(sql.completion.includes("-- Count users.\n--\n-- By country.\n"));
    });

    it("does not expand placeholders inside the requirements or context", () => {
        const p = buildCodegenPrompt({ requirements: "Print {{language}} and {{context}} literally.", language: "python", context: [{ label: "a.py", code: "x = '{{requirements}}'" }] });
        assert.ok(p.user.includes("Print {{language}} and {{context}} literally."));
        assert.ok(p.user.includes("x = '{{requirements}}'"));
    });

    it("skips empty context snippets and labels unlabelled ones", () => {
        const p = buildCodegenPrompt({ requirements: "Do it.", language: "python", context: [{ label: "empty.py", code: "  \n" }, { label: " ", code: "y = 2" }] });
        assert.ok(!p.user.includes("empty.py"));
        assert.ok(p.user.includes("Context 2:\n```\ny = 2\n```"));
    });

    it("a follow-up with earlier turns of the conversation (snapshot)", () => {
        const p = buildCodegenPrompt({
            requirements: "Now add pytest tests for it, including the edge cases.",
            language: "python",
            history: [
                { requirements: "Write `slugify(title: str) -> str`: lower case, runs of other characters become one hyphen, no hyphens at the ends.", code: "import re\n\ndef slugify(title: str) -> str:\n    return re.sub(r\"[^a-z0-9]+\", \"-\", title.lower()).strip(\"-\")\n" },
                { requirements: "Make it keep digits and accept an optional `max_len`.", code: "def slugify(title: str, max_len: int | None = None) -> str:\n    s = re.sub(r\"[^a-z0-9]+\", \"-\", title.lower()).strip(\"-\")\n    return s[:max_len].rstrip(\"-\") if max_len else s" },
            ],
            context: [{ label: "app/text.py", code: "import re\n" }],
        });
        // Earlier turns come first, oldest first, then the new request.
        const first = p.user.indexOf("Write `slugify");
        const second = p.user.indexOf("Make it keep digits");
        const now = p.user.indexOf("Now add pytest tests");
        assert.ok(first >= 0 && first < second && second < now, "oldest first, then the new request");
        assert.ok(p.completion.indexOf("# Make it keep digits") < p.completion.indexOf("# Now add pytest tests"));
        assert.ok(p.completion.endsWith(p.responsePrefix));
        assertSnapshot("codegen/python-history", show(p));
    });

    it("history: a code fence inside an earlier answer cannot break out; empty turns are left out", () => {
        const p = buildCodegenPrompt({
            requirements: "Add a section.",
            language: "markdown",
            history: [{ requirements: "Write a README.", code: "# Tool\n\n" + F + "sh\ntool --help\n" + F }, { requirements: " ", code: "\n" }],
        });
        assert.ok(p.user.includes("Your answer:\n\n````markdown\n# Tool"));
        assert.equal(p.user.split("Earlier request:").length, 2, "one earlier turn");
        const none = buildCodegenPrompt({ requirements: "Add a section.", language: "markdown", history: [] });
        assert.ok(!none.user.includes("Earlier"));
    });

    it("Edit Selection with Instruction (snapshot)", () => {
        const p = buildCodegenPrompt({
            requirements: "Parse durations like \"1h30m\".",
            language: "typescript",
            edit: {
                code: "    export function parse(text: string): number {\n        return Number(text);\n    }\n",
                instruction: "Throw a DurationError when the text is not a number.",
            },
            context: [{ label: "src/errors.ts", code: "export class DurationError extends Error {}" }],
        });
        assert.ok(p.system.includes("complete replacement"));
        assert.ok(p.user.includes("Instruction:\n\nThrow a DurationError"));
        assert.ok(p.user.includes("Parse durations like"), "the requirements are background");
        assert.ok(p.completion.endsWith("New code:\n\n```typescript\n"));
        assertSnapshot("codegen/typescript-edit", show(p));
    });

    it("edit: with history, without background (requirements empty or the same as the instruction), completion for an unknown language", () => {
        const p = buildCodegenPrompt({
            requirements: "Add logging.",
            language: "go",
            edit: { code: "func run() error {\n\treturn nil\n}", instruction: "Add logging." },
            history: [{ requirements: "Write run().", code: "func run() error {\n\treturn nil\n}" }],
        });
        assert.ok(!p.user.includes("background"));
        assert.ok(p.user.startsWith("Earlier in this conversation"));
        assert.ok(p.completion.startsWith("// Earlier tasks in this session"));
        assert.ok(p.completion.includes("// Instruction:\n// Add logging.\n\nOriginal code:"));
        const plain = buildCodegenPrompt({ requirements: "", edit: { code: "x", instruction: "Double it." } });
        assert.equal(plain.language, "");
        assert.ok(plain.completion.includes("Instruction:\nDouble it.\n\nOriginal code:\n\n```\nx\n```\n\nNew code:"));
        assertSnapshot("codegen/edit-plain-with-history", show(p) + "\n=== plain\n" + show(plain));
    });

    it("edit: an empty instruction or empty code is refused with a fix", () => {
        for (const edit of [{ code: "x = 1", instruction: "  " }, { code: " \n", instruction: "Rename x." }]) {
            assert.throws(() => buildCodegenPrompt({ requirements: "", language: "python", edit }), (e: unknown) => {
                assert.ok(e instanceof PromptsmithError);
                assert.equal(e.code, "INVALID_ARGUMENT");
                assert.ok(e.fix && /Edit Selection with Instruction/.test(e.fix));
                return true;
            });
        }
    });

    it("rejects empty requirements with INVALID_ARGUMENT and a fix", () => {
        for (const requirements of ["", "  \n\t\r\n "]) {
            assert.throws(() => buildCodegenPrompt({ requirements, language: "python" }), (e: unknown) => {
                assert.ok(e instanceof PromptsmithError);
                assert.equal(e.code, "INVALID_ARGUMENT");
                assert.ok(e.fix && e.fix.length > 0);
                return true;
            });
        }
    });
});

describe("extractCode", () => {
    it("a single tagged block with prose before and after", () => {
        const answer = lines("Here is the function:", "", F + "python", "def add(a, b):", "    return a + b", F, "", "It adds two numbers.");
        const r = extractCode(answer, { language: "python" });
        assert.equal(r.code, "def add(a, b):\n    return a + b");
        assert.equal(r.language, "python");
        assert.equal(r.fenced, true);
        assert.equal(r.truncated, false);
        assert.equal(r.blocks.length, 1);
        const b = r.blocks[0]!;
        assert.equal(answer.slice(b.start, b.end), lines(F + "python", "def add(a, b):", "    return a + b", F));
        assert.equal(b.closed, true);
    });

    it("~~~ fences", () => {
        const r = extractCode(lines("~~~rust", "fn main() {}", "~~~"), { language: "rs" });
        assert.equal(r.code, "fn main() {}");
        assert.equal(r.language, "rust");
    });

    it("a longer fence holding a ``` line", () => {
        const r = extractCode(lines("````markdown", "# Title", F + "js", "x()", F, "````", "done"));
        assert.equal(r.code, lines("# Title", F + "js", "x()", F));
        assert.equal(r.blocks.length, 1);
        assert.equal(r.blocks[0]!.language, "markdown");
        assert.equal(r.truncated, false);
    });

    it("a shorter or different fence does not close a block", () => {
        const r = extractCode(lines("````", "a", F, "~~~~", "b", "````"));
        assert.equal(r.code, lines("a", F, "~~~~", "b"));
    });

    it("info strings: a space before the tag, attributes after it, no tag at all", () => {
        assert.equal(extractCode(lines(F + " py", "print(1)", F)).blocks[0]!.language, "python");
        const ts = extractCode(lines(F + 'ts title="x.ts" {1,3}', "let x = 1;", F), { language: "typescript" });
        assert.equal(ts.code, "let x = 1;");
        assert.equal(ts.blocks[0]!.language, "typescript");
        assert.equal(extractCode(lines(F + "python:src/app.py", "pass", F)).blocks[0]!.language, "python");
        const plain = extractCode(lines(F, "echo hi", F), { language: "bash" });
        assert.equal(plain.blocks[0]!.language, undefined);
        assert.equal(plain.code, "echo hi");
        assert.equal(plain.language, "bash");
    });

    it("several blocks: the target language's blocks win, joined with a blank line", () => {
        const answer = lines(
            "Install it:", F + "bash", "pip install requests", F,
            "Then the module:", F + "python", "import requests", "", "", F,
            "And a test:", F + "py", "def test_x():", "    assert True", F,
            "Output:", F, "ok", F,
        );
        const r = extractCode(answer, { language: "python" });
        assert.equal(r.code, "import requests\n\ndef test_x():\n    assert True");
        assert.equal(r.language, "python");
        assert.equal(r.blocks.length, 4);
        assert.deepEqual(r.blocks.map((b) => b.language), ["bash", "python", "python", undefined]);
    });

    it("several blocks with no block in the target language: untagged ones, else all", () => {
        const withUntagged = lines(F + "bash", "make", F, F, "int main(void) { return 0; }", F);
        const a = extractCode(withUntagged, { language: "c" });
        assert.equal(a.code, "int main(void) { return 0; }");
        assert.equal(a.language, "c");
        const allTagged = lines(F + "js", "a()", F, "and", F + "jsx", "b()", F, F + "css", "p {}", F);
        const b = extractCode(allTagged, { language: "go" });
        assert.equal(b.code, "a()\n\nb()\n\np {}");
        assert.equal(b.language, undefined);
        const c = extractCode(lines(F + "js", "a()", F, F + "jsx", "b()", F), { language: "go" });
        assert.equal(c.language, "javascript");
    });

    it("no target language: every block", () => {
        const r = extractCode(lines(F + "bash", "ls", F, F + "python", "pass", F));
        assert.equal(r.code, "ls\n\npass");
        assert.equal(r.language, undefined);
    });

    it("no fence at all: the trimmed answer", () => {
        const r = extractCode("\n\n  def f():\n      return 1\n\n", { language: "python" });
        assert.equal(r.code, "def f():\n      return 1");
        assert.equal(r.fenced, false);
        assert.equal(r.truncated, false);
        assert.deepEqual(r.blocks, []);
        assert.equal(r.language, "python");
    });

    it("no fence: strips an obvious lead-in line, and only that", () => {
        assert.equal(extractCode("Here is the code:\n\nprint('hi')\n").code, "print('hi')");
        assert.equal(extractCode("Sure! Here's the function you asked for:\nprint('hi')").code, "print('hi')");
        // Not a lead-in: code, or prose that does not end with a colon, or nothing after it.
        assert.equal(extractCode("here_is = 1:\nx").code, "here_is = 1:\nx");
        assert.equal(extractCode("Here is why it fails.\nx = 1").code, "Here is why it fails.\nx = 1");
        assert.equal(extractCode("if x:\n    pass").code, "if x:\n    pass");
        assert.equal(extractCode("Here is the code:").code, "Here is the code:");
    });

    it("a block cut off by the token limit", () => {
        const answer = lines("Sure:", "", F + "python", "def f():", "    for i in range(10):", "        print(i");
        const r = extractCode(answer, { language: "python" });
        assert.equal(r.code, "def f():\n    for i in range(10):\n        print(i");
        assert.equal(r.truncated, true);
        assert.equal(r.fenced, true);
        assert.equal(r.blocks[0]!.closed, false);
        assert.equal(r.blocks[0]!.end, answer.length);
    });

    it("a block cut off while writing its closing fence", () => {
        const r = extractCode(lines(F + "go", "package main", "``"), { language: "go" });
        assert.equal(r.code, "package main");
        assert.equal(r.truncated, true);
    });

    it("a truncated block that was not chosen does not mark the result truncated", () => {
        const r = extractCode(lines(F + "python", "x = 1", F, F + "bash", "python x.py"), { language: "python" });
        assert.equal(r.code, "x = 1");
        assert.equal(r.truncated, false);
        assert.equal(r.blocks[1]!.closed, false);
    });

    it("CRLF line endings", () => {
        const answer = "Here you go:\r\n\r\n```python\r\ndef f():\r\n    return 1\r\n```\r\nDone.\r\n";
        const r = extractCode(answer, { language: "python" });
        assert.equal(r.code, "def f():\n    return 1");
        const b = r.blocks[0]!;
        assert.equal(answer.slice(b.start, b.end), "```python\r\ndef f():\r\n    return 1\r\n```");
        assert.equal(extractCode("x = 1\r\ny = 2\r\n").code, "x = 1\ny = 2");
    });

    it("indented fences inside a list (up to 3 spaces), content de-indented", () => {
        const answer = lines(
            "1. Create the helper:",
            "   " + F + "python",
            "   def helper():",
            "       return 42",
            "   " + F,
            "2. Call it:",
            "  " + F + "python",
            "  print(helper())",
            F,
        );
        const r = extractCode(answer, { language: "python" });
        assert.equal(r.code, "def helper():\n    return 42\n\nprint(helper())");
        assert.equal(r.blocks.length, 2);
        // Four spaces is an indented code block, not a fence.
        assert.equal(extractCode(lines("    " + F + "python", "    x", "    " + F)).fenced, false);
    });

    it("inline triple backticks on one line are not a fence", () => {
        const r = extractCode("Use ```x``` here\nmore");
        assert.equal(r.fenced, false);
    });

    it("completion mode: responsePrefix + answer", () => {
        const p = buildCodegenPrompt({ requirements: "Return 42.", language: "python" });
        const answer = "def f():\n    return 42\n```\n\nThis returns 42.\n```python\nassert f() == 42\n";
        const r = extractCode(p.responsePrefix + answer, { language: p.language });
        assert.equal(r.code, "def f():\n    return 42\n\nassert f() == 42");
        assert.equal(r.truncated, true);
        const clean = extractCode(p.responsePrefix + "def f():\n    return 42\n```\n", { language: p.language });
        assert.equal(clean.code, "def f():\n    return 42");
        assert.equal(clean.truncated, false);
    });
});
