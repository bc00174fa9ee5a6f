// Prompt files: parsing (front matter, sections, placeholders), diagnostics with positions, rendering,
// effective sampling, saving settings back with minimal edits, and the Node loader.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
    parsePromptFile, variablesIn, renderPrompt, renderPromptOrThrow, promptSampling, updateFrontMatter, scanTemplate,
    PROMPT_DIAGNOSTIC_CODES, type PromptDiagnostic, type PromptFile,
} from "../src/core/prompts/promptFile.ts";
import { loadPromptFile, readPromptFile, resolvePromptModel, MAX_PROMPT_FILE_BYTES } from "../src/core/prompts/load.ts";
import { userPresets, BUILTIN_PRESETS } from "../src/core/presets.ts";
import { isPromptsmithError, PromptsmithError } from "../src/core/errors.ts";
import { expectError } from "./support/errors.ts";
import { repoRoot } from "./support/env.ts";

const tmp = await mkdtemp(join(tmpdir(), "promptsmith-promptfile-"));
after(() => rm(tmp, { recursive: true, force: true }));

const FULL = `---
name: Support reply                # shown in the playground
description: Answers a customer's question.
model: qwen2.5-coder-1.5b-instruct-q4_k_m.gguf
preset: precise
sampling: { temperature: 0.3, topP: 0.9, topK: 40, minP: 0.05, repeatPenalty: 1.1, frequencyPenalty: 0, presencePenalty: 0, maxTokens: 256, seed: 42, stop: ["\\n\\n"] }
variables:
  customer: { default: "Ann", description: "The customer's first name" }
  question: { description: "What they asked", required: true }
  tone: friendly
output:
  schema: { type: object, properties: { answer: { type: string } } }
---
## System
You are a helpful assistant for {{customer}}. Be {{tone}}.

## User
{{question}}
`;

/** The diagnostic with this code (exactly one). */
function one(diags: PromptDiagnostic[], code: string): PromptDiagnostic {
    const found = diags.filter((d) => d.code === code);
    assert.equal(found.length, 1, `${code}: ${JSON.stringify(diags, null, 1)}`);
    return found[0]!;
}

function parseOk(text: string): { prompt: PromptFile; diagnostics: PromptDiagnostic[] } {
    const r = parsePromptFile(text);
    assert.ok(r.prompt, JSON.stringify(r.diagnostics));
    return { prompt: r.prompt, diagnostics: r.diagnostics };
}

test("the documented example parses into every field, with no diagnostics", () => {
    const { prompt, diagnostics } = parseOk(FULL);
    assert.deepEqual(diagnostics, []);
    assert.equal(prompt.name, "Support reply");
    assert.equal(prompt.description, "Answers a customer's question.");
    assert.equal(prompt.model, "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf");
    assert.equal(prompt.preset, "precise");
    assert.deepEqual(prompt.sampling, { temperature: 0.3, topP: 0.9, topK: 40, minP: 0.05, repeatPenalty: 1.1, frequencyPenalty: 0, presencePenalty: 0, maxTokens: 256, seed: 42, stop: ["\n\n"] });
    assert.deepEqual(prompt.variables, [
        { name: "customer", default: "Ann", description: "The customer's first name", required: false },
        { name: "question", description: "What they asked", required: true },
        { name: "tone", default: "friendly", required: false },
    ]);
    assert.equal(prompt.system, "You are a helpful assistant for {{customer}}. Be {{tone}}.");
    assert.equal(prompt.user, "{{question}}");
    assert.deepEqual(prompt.jsonSchema, { type: "object", properties: { answer: { type: "string" } } });
    assert.equal(prompt.grammar, undefined);
    // Ranges: the front matter block with its delimiters; each section from its heading.
    assert.equal(FULL.slice(prompt.frontMatter!.start, prompt.frontMatter!.end), FULL.slice(0, FULL.indexOf("## System")));
    assert.ok(FULL.slice(prompt.sections.system!.start).startsWith("## System\nYou are"));
    assert.equal(FULL.slice(prompt.sections.system!.end, prompt.sections.user.start), "");
    assert.equal(FULL.slice(prompt.sections.user.start, prompt.sections.user.end), "## User\n{{question}}\n");
});

test("a body without role headings is all user prompt; no front matter, CRLF and a BOM are fine", () => {
    const a = parseOk("Summarise this text:\n\n{{text}}\n");
    assert.equal(a.prompt.system, undefined);
    assert.equal(a.prompt.user, "Summarise this text:\n\n{{text}}");
    assert.equal(a.prompt.frontMatter, undefined);
    assert.deepEqual(a.prompt.sections, { user: { start: 0, end: 31 } });
    assert.deepEqual(a.prompt.variables, [{ name: "text", required: true }]);
    assert.equal(one(a.diagnostics, "variable-undeclared").severity, "warning");

    const crlf = "\uFEFF---\r\nvariables:\r\n  x: 1\r\n---\r\n# System\r\nSys {{x}}\r\n\r\n# USER\r\nLine 1\r\nLine 2\r\n";
    const b = parseOk(crlf);
    assert.deepEqual(b.diagnostics, []);
    assert.equal(b.prompt.system, "Sys {{x}}");
    assert.equal(b.prompt.user, "Line 1\nLine 2", "CRLF becomes LF in the template");
    assert.deepEqual(b.prompt.variables, [{ name: "x", default: "1", required: false }], "a number default becomes text");
    assert.equal(b.prompt.frontMatter!.start, 1, "the BOM is not part of the front matter");
});

test("placeholders: {{ name }} with spaces, the \\{{ escape, and malformed braces", () => {
    assert.deepEqual(variablesIn("{{a}} {{ b }} {{a}} \\{{c}} \\\\{{d}} {{e-f_1}} {{1x}} {{g.h}} {{{i}}}"), ["a", "b", "d", "e-f_1", "i"]);
    const s = scanTemplate("x \\{{c}} {{ not valid }} {{#if y}}");
    assert.deepEqual(s.parts, [{ kind: "text", text: "x {{c}} {{ not valid }} {{#if y}}" }]);
    assert.deepEqual(s.malformed.map((m) => m.text), ["{{ not valid }}", "{{#if y}}"]);

    const { prompt, diagnostics } = parseOk("---\nvariables: { name: World }\n---\nHello {{name}}! Literal: \\{{name}}. Odd: {{user.name}}\n");
    assert.equal(renderPrompt(prompt, {}).user, "Hello World! Literal: {{name}}. Odd: {{user.name}}");
    const bad = one(diagnostics, "placeholder-malformed");
    assert.equal(bad.severity, "warning");
    assert.equal(`${bad.line}:${bad.column}`, "4:42");
    assert.match(bad.message, /\\\{\{ for literal braces/);
});

test("rendering: defaults, literal values, missing and unused variables, optional variables", () => {
    const { prompt } = parseOk("---\nvariables:\n  a: { default: A }\n  b:\n  c: { required: false }\n---\n## System\n{{a}}|{{c}}\n## User\n{{b}} {{a}}\n");
    assert.deepEqual(prompt.variables.map((v) => [v.name, v.required]), [["a", false], ["b", true], ["c", false]]);
    const r = renderPrompt(prompt, { b: "{{a}} is not expanded", z: "typo" });
    assert.equal(r.system, "A|");
    assert.equal(r.user, "{{a}} is not expanded A");
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.unused, ["z"]);
    assert.deepEqual(r.values, { a: "A", c: "", b: "{{a}} is not expanded" });

    const m = renderPrompt(prompt, { a: "" });
    assert.deepEqual(m.missing, ["b"]);
    assert.equal(m.user, "{{b}} ", "an empty string is a value; a missing variable keeps its placeholder");

    const err = (() => {
        try {
            renderPromptOrThrow(prompt, {}, "prompts/x.prompt.md");
        } catch (e) {
            return e;
        }
        return undefined;
    })();
    assert.ok(isPromptsmithError(err));
    assert.equal(err.code, "PROMPT_VARIABLE_MISSING");
    assert.equal(err.file, "prompts/x.prompt.md");
    assert.match(err.message, /prompts\/x\.prompt\.md needs a value for the variable \{\{b\}\}/);
    assert.match(err.fix!, /--var b=VALUE/);
    assert.match(err.fix!, /default in the front matter/);
    assert.equal(renderPromptOrThrow(prompt, { b: "B" }).user, "B A");
});

test("front matter problems: unknown keys warn (with a suggestion), wrong types and ranges are errors at the value", () => {
    const text = [
        "---",
        "nmae: x",
        "mode: agent",
        "sampling:",
        "  temperature: 9",
        "  top_p: 0.5",
        "  topK: many",
        "  stop: hello",
        "  seed: -1",
        "variables:",
        "  ok: { default: 1, descripton: typo }",
        "  bad name: x",
        "  list: [1, 2]",
        "output: { grammar: '  ' }",
        "preset: turbo",
        "model: GPT-4o",
        "---",
        "{{ok}} {{list}}",
    ].join("\n");
    const { prompt, diagnostics } = parseOk(text);
    const at = (d: PromptDiagnostic) => `${d.line}:${d.column}-${d.endLine}:${d.endColumn}`;
    const unknown = diagnostics.filter((d) => d.code === "front-matter-unknown-key");
    assert.deepEqual(unknown.map((d) => [text.slice(d.start, d.end), at(d)]), [["nmae", "2:1-2:5"], ["top_p", "6:3-6:8"], ["descripton", "11:21-11:31"]]);
    assert.match(unknown[0]!.message, /did you mean "name"/);
    assert.match(unknown[1]!.message, /did you mean "topP"/);
    assert.match(unknown[2]!.message, /in variable "ok".*did you mean "description"/);
    assert.equal(one(diagnostics, "front-matter-foreign-key").severity, "info");

    const invalid = diagnostics.filter((d) => d.code === "front-matter-invalid");
    const byText = Object.fromEntries(invalid.map((d) => [text.slice(d.start, d.end), d]));
    assert.deepEqual(Object.keys(byText).sort(), ["'  '", "-1", "9", "[1, 2]", "bad name", "many"].sort(), JSON.stringify(invalid, null, 1));
    assert.equal(at(byText["9"]!), "5:16-5:17");
    assert.match(byText["9"]!.message, /Invalid sampling parameter temperature: 9\. Use a number from 0 \(greedy\) to 5/);
    assert.match(byText["many"]!.message, /topK.*whole number/);
    assert.match(byText["-1"]!.message, /seed.*from 0 to 4294967295/);
    assert.match(byText["bad name"]!.message, /not a valid variable name/);
    assert.match(byText["[1, 2]"]!.message, /variables\.list must be text, a number, true\/false or a map/);
    assert.match(byText["'  '"]!.message, /output\.grammar must not be empty/);
    for (const d of invalid) assert.equal(d.severity, "error");

    assert.match(one(diagnostics, "preset-unknown").message, /Unknown preset "turbo": use precise, balanced, creative/);
    assert.match(one(diagnostics, "model-not-gguf").message, /GPT-4o/);
    // Invalid values are left out; valid ones stay.
    assert.deepEqual(prompt.sampling, { stop: ["hello"] }, "a single stop string becomes a list");
    assert.equal(prompt.model, undefined);
    assert.equal(prompt.grammar, undefined);
    assert.deepEqual(prompt.variables.map((v) => v.name), ["ok", "list"]);
    assert.equal(prompt.variables[1]!.required, true, "{{list}} is then undeclared and required");
    for (const d of diagnostics) assert.ok((PROMPT_DIAGNOSTIC_CODES as readonly string[]).includes(d.code), d.code);
    // Sorted by position.
    assert.deepEqual(diagnostics.map((d) => d.start), [...diagnostics.map((d) => d.start)].sort((a, b) => a - b));
});

test("unusable files: YAML syntax errors, an unclosed front matter, a front matter that is not a map", () => {
    const syntax = parsePromptFile("---\nname: a\nsampling: { temperature: 0.3\n---\nHi\n");
    assert.equal(syntax.prompt, undefined);
    const e = syntax.diagnostics[0]!;
    assert.equal(e.code, "front-matter-syntax");
    assert.equal(e.severity, "error");
    assert.ok(e.line >= 3 && e.line <= 4, `line ${e.line}`);

    const dup = parsePromptFile("---\nname: a\nname: b\n---\nHi\n");
    assert.equal(dup.prompt, undefined);
    assert.equal(dup.diagnostics[0]!.line, 3);

    const unclosed = parsePromptFile("---\nname: a\nHi there\n");
    assert.equal(unclosed.prompt, undefined);
    assert.equal(one(unclosed.diagnostics, "front-matter-unclosed").line, 1);

    const list = parsePromptFile("---\n- a\n- b\n---\nHi\n");
    assert.equal(list.prompt, undefined);
    assert.equal(one(list.diagnostics, "front-matter-not-a-map").line, 2);

    const empty = parseOk("---\n---\nHi\n");
    assert.deepEqual(empty.diagnostics, []);
    assert.equal(empty.prompt.user, "Hi");
    const nulls = parseOk("---\nsampling:\nvariables:\noutput:\n---\nHi\n");
    assert.deepEqual(nulls.diagnostics, []);
    assert.deepEqual(nulls.prompt.sampling, {});
});

test("output: a schema or a grammar, not both; a block-scalar grammar", () => {
    const both = parseOk("---\noutput:\n  schema: { type: object }\n  grammar: 'root ::= \"a\"'\n---\nHi\n");
    assert.match(one(both.diagnostics, "front-matter-invalid").message, /both a schema and a grammar/);
    assert.equal(both.prompt.jsonSchema, undefined);
    assert.equal(both.prompt.grammar, undefined);
    const g = parseOk("---\noutput:\n  grammar: |\n    root ::= \"yes\" | \"no\"\n---\nYes or no?\n");
    assert.deepEqual(g.diagnostics, []);
    assert.equal(g.prompt.grammar, 'root ::= "yes" | "no"\n');
});

test("variables: undeclared placeholders warn at each use, unused declarations are information, required with a default warns", () => {
    const text = "---\nvariables:\n  used: x\n  spare: { description: never used }\n  both: { default: d, required: true }\n---\n## System\n{{used}} {{both}} {{new}}\n## User\n{{new}} again\n";
    const { prompt, diagnostics } = parseOk(text);
    const undeclared = diagnostics.filter((d) => d.code === "variable-undeclared");
    assert.deepEqual(undeclared.map((d) => [d.line, d.column, text.slice(d.start, d.end)]), [[8, 19, "{{new}}"], [10, 1, "{{new}}"]]);
    const unused = one(diagnostics, "variable-unused");
    assert.equal(unused.severity, "info");
    assert.equal(text.slice(unused.start, unused.end), "spare");
    assert.equal(text.slice(one(diagnostics, "variable-required-default").start).split("\n")[0], "true }");
    assert.deepEqual(prompt.variables, [
        { name: "used", default: "x", required: false },
        { name: "spare", description: "never used", required: true },
        { name: "both", default: "d", required: false },
        { name: "new", required: true },
    ]);
});

test("body: comments are not sent (nor their placeholders), headings in code fences are text, stray and duplicate sections", () => {
    const text = [
        "# Support prompt",
        "<!-- notes for authors -->",
        "## System",
        "<!-- promptsmith-disable-next-line pii-email -- published address -->",
        "Write to help@example.com. <!-- {{hidden}} --> Bye.",
        "```md",
        "## User",
        "{{inFence}}",
        "```",
        "## User",
        "Question: {{q}}",
        "<!--",
        "multi-line",
        "-->",
        "## system",
        "ignored",
    ].join("\n");
    const { prompt, diagnostics } = parseOk(text);
    assert.equal(prompt.system, "Write to help@example.com.  Bye.\n```md\n## User\n{{inFence}}\n```");
    assert.equal(prompt.user, "Question: {{q}}");
    assert.deepEqual(prompt.variables.map((v) => v.name), ["inFence", "q"], "placeholders in code fences count, in comments not");
    const stray = one(diagnostics, "section-stray-text");
    assert.equal(text.slice(stray.start, stray.end), "# Support prompt");
    const dup = one(diagnostics, "section-duplicate");
    assert.equal(dup.severity, "error");
    assert.equal(dup.line, 15);

    const unclosed = parseOk("Hello <!-- not closed\n{{x}}\n");
    assert.equal(one(unclosed.diagnostics, "comment-unclosed").column, 7);
    assert.equal(unclosed.prompt.user, "Hello <!-- not closed\n{{x}}");

    const systemOnly = parseOk("## System\nYou are terse.\n");
    assert.equal(systemOnly.prompt.user, "");
    assert.equal(one(systemOnly.diagnostics, "prompt-empty").severity, "warning");
    assert.equal(systemOnly.prompt.sections.user.start, 25);
    assert.equal(one(parseOk("---\nname: x\n---\n\n").diagnostics, "prompt-empty").line, 4);
});

test("preset: known built-ins, the user's presets when given, unknown ones warn", () => {
    const text = "---\npreset: My Factual\n---\nHi\n";
    assert.equal(one(parseOk(text).diagnostics, "preset-unknown").severity, "warning");
    const { presets } = userPresets({ "My Factual": { temperature: 0.1 } });
    assert.deepEqual(parsePromptFile(text, undefined, { userPresets: presets }).diagnostics, []);
    assert.deepEqual(parseOk("---\npreset: CREATIVE\n---\nHi\n").diagnostics, []);
});

test("promptSampling: file preset < file sampling < run-time preset < overrides; output constraints replace each other", () => {
    const { prompt } = parseOk("---\npreset: creative\nsampling: { temperature: 0.5, maxTokens: 64 }\noutput: { grammar: 'root ::= \"a\"' }\n---\nHi\n");
    const creative = BUILTIN_PRESETS.find((p) => p.id === "creative")!.sampling;
    const base = promptSampling(prompt);
    assert.deepEqual(base, { ...creative, temperature: 0.5, maxTokens: 64, grammar: 'root ::= "a"' });
    const precise = BUILTIN_PRESETS.find((p) => p.id === "precise")!.sampling;
    assert.deepEqual(promptSampling(prompt, { preset: "precise" }), { ...precise, maxTokens: 64, grammar: 'root ::= "a"' }, "a preset chosen at run time overrides the file's sampling");
    const o = promptSampling(prompt, { preset: "precise", overrides: { temperature: 0, seed: 3, jsonSchema: { type: "object" } } });
    assert.equal(o.temperature, 0);
    assert.equal(o.seed, 3);
    assert.deepEqual(o.jsonSchema, { type: "object" });
    assert.equal(o.grammar, undefined, "a JSON schema override replaces the file's grammar");
    const { presets } = userPresets({ Mine: { temperature: 0.05 } });
    assert.equal(promptSampling(prompt, { preset: "mine", userPresets: presets }).temperature, 0.05);
    const e = (() => {
        try {
            promptSampling(parseOk("---\npreset: nope\n---\nHi\n").prompt, { file: "a.prompt.md" });
        } catch (err) {
            return err as PromptsmithError;
        }
        return undefined;
    })();
    assert.equal(e?.code, "INVALID_ARGUMENT");
    assert.match(e!.message, /Unknown preset "nope" \(the file's preset\)/);
    assert.equal(e!.file, "a.prompt.md");
});

/** Applies an updateFrontMatter edit. */
function apply(text: string, patch: Parameters<typeof updateFrontMatter>[1]): { text: string; edit: ReturnType<typeof updateFrontMatter> } {
    const edit = updateFrontMatter(text, patch);
    return { text: text.slice(0, edit.start) + edit.newText + text.slice(edit.end), edit };
}

test("updateFrontMatter: replaces, adds and removes sampling keys in a flow map, keeping comments and the rest byte for byte", () => {
    const { text, edit } = apply(FULL, { sampling: { temperature: 0.7, seed: undefined, minP: 0.1 } });
    const oldLine = 'sampling: { temperature: 0.3, topP: 0.9, topK: 40, minP: 0.05, repeatPenalty: 1.1, frequencyPenalty: 0, presencePenalty: 0, maxTokens: 256, seed: 42, stop: ["\\n\\n"] }';
    const newLine = 'sampling: { temperature: 0.7, topP: 0.9, topK: 40, minP: 0.1, repeatPenalty: 1.1, frequencyPenalty: 0, presencePenalty: 0, maxTokens: 256, stop: ["\\n\\n"] }';
    assert.ok(FULL.includes(oldLine));
    assert.equal(text, FULL.replace(oldLine, newLine));
    const lineStart = FULL.indexOf(oldLine);
    assert.ok(edit.start > lineStart && edit.end < lineStart + oldLine.length, "the edit stays inside the sampling line");
    const { prompt, diagnostics } = parseOk(text);
    assert.deepEqual(diagnostics, []);
    assert.equal(prompt.sampling.temperature, 0.7);
    assert.equal(prompt.sampling.minP, 0.1);
    assert.equal(prompt.sampling.seed, undefined);
    assert.ok(text.includes("# shown in the playground"));

    const noop = updateFrontMatter(FULL, {});
    assert.deepEqual(noop, { start: noop.start, end: noop.start, newText: "" });
});

test("updateFrontMatter: block maps keep comments and indentation; emptied blocks disappear; model and preset", () => {
    const text = "---\n# settings\nname: x\nsampling:\n    temperature: 0.3   # precise\n    topK: 40\nvariables:\n  a: 1\n---\nBody {{a}}\n";
    const r1 = apply(text, { sampling: { temperature: 1.2, maxTokens: 99 }, model: "models/tiny.gguf", preset: "balanced" });
    assert.equal(r1.text, "---\n# settings\nname: x\nsampling:\n    temperature: 1.2   # precise\n    topK: 40\n    maxTokens: 99\nvariables:\n  a: 1\nmodel: models/tiny.gguf\npreset: balanced\n---\nBody {{a}}\n");
    const r2 = apply(r1.text, { sampling: { temperature: undefined, topK: undefined, maxTokens: undefined }, model: null, preset: null });
    assert.equal(r2.text, "---\n# settings\nname: x\nvariables:\n  a: 1\n---\nBody {{a}}\n");
    // Nothing to remove: no change.
    assert.equal(apply(r2.text, { sampling: { seed: undefined }, model: null }).text, r2.text);
});

test("updateFrontMatter: creates the front matter, fills an empty one and an empty key, keeps CRLF, quotes what needs it", () => {
    const none = apply("Just a prompt.\n", { sampling: { temperature: 0.2, stop: ["END", "\n\n"] } });
    assert.equal(none.text, '---\nsampling:\n  temperature: 0.2\n  stop: [END, "\\n\\n"]\n---\nJust a prompt.\n');
    assert.deepEqual(parseOk(none.text).prompt.sampling, { temperature: 0.2, stop: ["END", "\n\n"] });
    assert.equal(none.edit.start, 0);
    assert.equal(none.edit.end, 0);

    assert.equal(apply("---\n---\nHi\n", { preset: "precise" }).text, "---\npreset: precise\n---\nHi\n");
    assert.equal(apply("---\nsampling:\nname: a\n---\nHi\n", { sampling: { seed: 5 } }).text, "---\nsampling: { seed: 5 }\nname: a\n---\nHi\n");
    assert.equal(apply("---\r\nname: a\r\n---\r\nHi\r\n", { sampling: { topP: 0.5 } }).text, "---\r\nname: a\r\nsampling:\r\n  topP: 0.5\r\n---\r\nHi\r\n");
    const quoted = apply("Hi\n", { model: "my model: v2.gguf", preset: "true" });
    assert.deepEqual([parseOk(quoted.text).prompt.model, parseOk(quoted.text).prompt.preset], ["my model: v2.gguf", "true"]);

    const schema = apply("---\noutput:\n  grammar: |\n    root ::= \"a\"\n---\nHi\n", { sampling: { jsonSchema: { type: "object", properties: { a: { type: "string" } } } } });
    assert.equal(schema.text, "---\noutput:\n  schema: { type: object, properties: { a: { type: string } } }\n---\nHi\n");
    const back = parseOk(schema.text).prompt;
    assert.deepEqual(back.jsonSchema, { type: "object", properties: { a: { type: "string" } } });
    assert.equal(back.grammar, undefined);

    const replaceBlock = apply("---\nsampling:\n  stop:\n    - a\n    - b\n  seed: 1\n---\nHi\n", { sampling: { stop: ["c"] } });
    assert.equal(replaceBlock.text, "---\nsampling:\n  stop: [c]\n  seed: 1\n---\nHi\n");

    assert.throws(() => updateFrontMatter("---\nname: [a\n---\nHi\n", { preset: "precise" }), (e: unknown) => isPromptsmithError(e) && e.code === "PROMPT_FILE_INVALID");
});

test("loadPromptFile / readPromptFile: errors name the file and line:column; over 1 MB is refused", async () => {
    const good = join(tmp, "good.prompt.md");
    await writeFile(good, "---\nvariables: { who: World }\n---\nHello {{who}} {{extra}}\n");
    const loaded = await readPromptFile(good);
    assert.equal(loaded.prompt.user, "Hello {{who}} {{extra}}");
    assert.equal(loaded.diagnostics[0]!.code, "variable-undeclared");
    assert.equal((await loadPromptFile(good)).variables.length, 2);

    const bad = join(tmp, "bad.prompt.md");
    await writeFile(bad, "---\nsampling:\n  temperature: hot\n  maxTokens: 0\n---\nHi\n");
    const e = await expectError(loadPromptFile(bad), "PROMPT_FILE_INVALID");
    assert.equal(e.file, bad);
    assert.match(e.message, new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:16: Invalid sampling parameter temperature: "hot".*\\(and 1 more error\\)`));
    assert.match(e.fix!, /front matter/);

    const big = join(tmp, "big.prompt.md");
    await writeFile(big, "x".repeat(MAX_PROMPT_FILE_BYTES + 1));
    assert.match((await expectError(loadPromptFile(big), "PROMPT_FILE_INVALID")).message, /big\.prompt\.md is 1\.0 MB; prompt files are limited to 1\.0 MB/);
    await expectError(loadPromptFile(join(tmp, "missing.prompt.md")), "INVALID_ARGUMENT");
    await expectError(loadPromptFile(tmp), "INVALID_ARGUMENT");
});

test("resolvePromptModel: relative to the prompt file, then the models folder; else MODEL_NOT_FOUND naming both places", async () => {
    const dir = join(tmp, "proj", "prompts");
    const models = join(tmp, "models");
    await mkdir(join(dir, "m"), { recursive: true });
    await mkdir(models, { recursive: true });
    await writeFile(join(dir, "m", "local.gguf"), "GGUF");
    await writeFile(join(models, "shared.gguf"), "GGUF");
    const file = join(dir, "a.prompt.md");
    assert.equal(await resolvePromptModel("m/local.gguf", file, models), join(dir, "m", "local.gguf"));
    assert.equal(await resolvePromptModel("shared.gguf", file, models), join(models, "shared.gguf"));
    assert.equal(await resolvePromptModel(join(models, "shared.gguf"), file, models), join(models, "shared.gguf"));
    const e = await expectError(resolvePromptModel("gone.gguf", file, models), "MODEL_NOT_FOUND");
    assert.equal(e.file, file);
    assert.ok(e.message.includes(join(dir, "gone.gguf")) && e.message.includes(join(models, "gone.gguf")), e.message);
    assert.match(e.fix!, /--model PATH/);
    await expectError(resolvePromptModel("sub/shared.gguf", file, models), "MODEL_NOT_FOUND");
});

test("the examples parse without errors (support.prompt.md is a lint example without front matter)", async () => {
    const dir = join(repoRoot, "examples");
    const files = (await readdir(dir)).filter((f) => f.endsWith(".prompt.md"));
    assert.ok(files.length >= 3, files.join(", "));
    for (const f of files) {
        const { prompt, diagnostics } = parsePromptFile(await readFile(join(dir, f), "utf8"), f);
        assert.ok(prompt, f);
        assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), [], f);
        if (f !== "support.prompt.md") assert.deepEqual(diagnostics, [], `${f} is clean`);
    }
});

test("YAML aliases: 120 variables sharing one &d default parse; an alias bomb is an error diagnostic at an alias, not a throw", () => {
    const names = Array.from({ length: 120 }, (_, i) => `v${i}`);
    const shared = `---\nvariables:\n${names.map((n, i) => (i === 0 ? `  ${n}: &d { default: "x" }` : `  ${n}: *d`)).join("\n")}\n---\n${names.map((n) => `{{${n}}}`).join(" ")}\n`;
    const { prompt, diagnostics } = parseOk(shared);
    assert.deepEqual(diagnostics.filter((d) => d.severity === "error"), []);
    assert.equal(prompt.variables.filter((v) => v.default === "x").length, 120);

    // Each level doubles: 2^20 expanded nodes from a few lines.
    const levels = Array.from({ length: 20 }, (_, i) => `  l${i + 1}: &l${i + 1} [*l${i}, *l${i}]`).join("\n");
    const bomb = `---\nname: bomb\nx:\n  l0: &l0 "lol"\n${levels}\n---\nHi\n`;
    let r: ReturnType<typeof parsePromptFile> | undefined;
    assert.doesNotThrow(() => (r = parsePromptFile(bomb)));
    assert.equal(r!.prompt, undefined);
    const d = one(r!.diagnostics, "front-matter-aliases");
    assert.equal(d.severity, "error");
    assert.match(bomb.slice(d.start, d.end), /^\*l\d+$/);
});

test("updateFrontMatter quotes strings YAML would read as .inf/.nan (any case, signed): they come back as strings", () => {
    const odd = [".inf", "-.Inf", "+.INF", ".nan", ".NaN"];
    const { text } = apply("---\nname: x\n---\nHi\n", { preset: ".nan", model: "-.inf", sampling: { stop: odd } });
    const r = parsePromptFile(text);
    const stop = r.prompt?.sampling.stop;
    assert.deepEqual(stop, odd, text);
    assert.equal(r.prompt?.preset, ".nan", text);
});

test("variables called constructor, toString and __proto__ are ordinary variables: declared, given, rendered and reported", () => {
    const text = "---\nvariables:\n  constructor: { default: c }\n  toString: { required: true }\n  __proto__: { required: true }\n---\n{{constructor}} {{toString}} {{__proto__}}\n";
    const { prompt, diagnostics } = parseOk(text);
    assert.deepEqual(diagnostics.filter((d) => d.severity !== "info"), []);
    assert.deepEqual(prompt.variables.map((v) => v.name), ["constructor", "toString", "__proto__"]);
    const none = renderPrompt(prompt, {});
    assert.deepEqual(none.missing, ["toString", "__proto__"], "nothing inherited from Object.prototype counts as a value");
    const given = renderPrompt(prompt, JSON.parse('{"toString":"t","__proto__":"p"}') as Record<string, string>);
    assert.equal(given.user.trim(), "c t p");
    assert.deepEqual(given.missing, []);
    assert.deepEqual(Object.keys(given.values), ["constructor", "toString", "__proto__"]);
    assert.equal(JSON.stringify(given.values), '{"constructor":"c","toString":"t","__proto__":"p"}');
    assert.equal(Object.getPrototypeOf(given.values), Object.prototype, "the prototype is untouched");
});
