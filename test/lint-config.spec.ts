// .promptsmithrc.json loading and validation (schema, rule ids, extends, Restricted Mode), severity
// resolution, custom policy rules (ReDoS guard, run-time limit, required text) and token-limit.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import {
    defaultLintConfig,
    findLintConfig,
    loadLintConfig,
    resolveSeverity,
    type LintConfig,
    type LintConfigError,
} from "../src/core/lint/config.ts";
import { checkPatternSafety, customRules } from "../src/core/lint/rules/policy.ts";
import { countTokens, tokenLimitRule } from "../src/core/lint/rules/tokenLimit.ts";
import type { RuleContext } from "../src/core/lint/types.ts";
import { expectError } from "./support/errors.ts";

const KNOWN = ["pii-email", "pii-cn-mobile", "pii-cn-resident-id", "secret-aws-key", "injection-ignore-previous", "injection-unsafe-template", "sensitive-lexicon", "token-limit"];

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(path.join(os.tmpdir(), "promptsmith-lintcfg-"));
    try {
        await fn(dir);
    } finally {
        await rm(dir, { recursive: true, force: true });
    }
}

async function writeJson(file: string, data: unknown): Promise<string> {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof data === "string" ? data : JSON.stringify(data, null, 2));
    return file;
}

async function configError(file: string, opts: Parameters<typeof loadLintConfig>[1] = { knownRuleIds: KNOWN }): Promise<LintConfigError> {
    const e = (await expectError(loadLintConfig(file, opts), "CONFIG_INVALID")) as LintConfigError;
    assert.equal(e.file, file);
    assert.ok(e.fix, "every config error has a fix");
    return e;
}

function ctx(text: string, options: Record<string, unknown> = {}): RuleContext {
    return { text, options, normalized: () => assert.fail("not needed") };
}

const EXAMPLE = {
    $schema: "./node_modules/promptsmith/schemas/promptsmithrc.schema.json",
    extends: ["promptsmith:recommended"],
    files: ["**/*.prompt.md", "**/*.prompt", "**/*.prompty"],
    ignore: ["**/vendor/**"],
    rules: {
        "pii-email": "warning",
        "token-limit": ["error", { budget: 4000, encoding: "o200k_base" }],
        "injection-unsafe-template": ["warning", { untrustedVariables: ["doc"] }],
    },
    lexicons: ["terms/sensitive.txt", { path: "terms/brands.txt", category: "brand", severity: "error" }],
    customRules: [
        { id: "no-internal-host", pattern: "\\bcorp\\.example\\.com\\b", flags: "i", message: "Internal host name", severity: "error", replacement: "[HOST]" },
        { id: "disclaimer", required: "This is not legal advice", message: "The disclaimer must appear", severity: "warning" },
    ],
    allowlist: ["support@example.com", { pattern: "^test-.*@example\\.com$" }, { rule: "pii-email", text: "press@example.com" }],
};

async function writeExample(dir: string, data: unknown = EXAMPLE): Promise<string> {
    await writeJson(path.join(dir, "terms", "sensitive.txt"), "secret project\n");
    await writeJson(path.join(dir, "terms", "brands.txt"), "Acme\n");
    return writeJson(path.join(dir, ".promptsmithrc.json"), data);
}

test("a valid config loads with resolved paths, merged rules and normalised entries", async () => {
    await withDir(async (dir) => {
        const file = await writeExample(dir);
        const c = await loadLintConfig(file, { knownRuleIds: KNOWN });
        assert.deepEqual(c.files, ["**/*.prompt.md", "**/*.prompt", "**/*.prompty"]);
        assert.ok(c.ignore.includes("**/node_modules/**") && c.ignore.includes("**/vendor/**"));
        assert.deepEqual(c.rules["pii-email"], { severity: "warning", options: {} });
        assert.deepEqual(c.rules["token-limit"], { severity: "error", options: { budget: 4000, encoding: "o200k_base" } });
        assert.deepEqual(c.rules["injection-unsafe-template"]?.options, { untrustedVariables: ["doc"] });
        assert.deepEqual(c.rules["custom/no-internal-host"], { severity: "error", options: {} });
        assert.deepEqual(c.lexicons, [
            { path: path.join(dir, "terms", "sensitive.txt") },
            { path: path.join(dir, "terms", "brands.txt"), category: "brand", severity: "error" },
        ]);
        assert.deepEqual(c.customRules.map((d) => [d.id, d.source]), [["no-internal-host", file], ["disclaimer", file]]);
        assert.deepEqual(c.allowlist, [{ text: "support@example.com" }, { pattern: "^test-.*@example\\.com$" }, { text: "press@example.com", rule: "pii-email" }]);
        assert.deepEqual(c.sources, [file]);
        assert.deepEqual(c.presets, ["promptsmith:recommended"]);
        assert.deepEqual(c.restricted, []);
        assert.equal(c.root, dir);
        assert.equal(await findLintConfig(path.join(dir, "terms")), file);
    });
});

test("findLintConfig walks up and returns undefined when there is none", async () => {
    await withDir(async (dir) => {
        const deep = path.join(dir, "a", "b", "c");
        await mkdir(deep, { recursive: true });
        const found = await findLintConfig(deep);
        // The temp dir has no config; anything found must be above it (a config of the machine), never inside.
        assert.ok(found === undefined || !found.startsWith(dir));
        const file = await writeJson(path.join(dir, "a", ".promptsmithrc.json"), {});
        assert.equal(await findLintConfig(deep), file);
    });
});

test("invalid JSON is reported with line and column", async () => {
    await withDir(async (dir) => {
        const file = await writeJson(path.join(dir, ".promptsmithrc.json"), '{\n  "rules": {\n    "pii-email": "warning",\n  }\n}\n');
        const e = await configError(file);
        assert.equal(e.line, 4);
        assert.equal(e.column, 3);
        assert.match(e.message, /not valid JSON at line 4, column 3/);
        assert.match(e.fix ?? "", /trailing commas/);
    });
});

test("an unknown key names its JSON path and suggests the closest key", async () => {
    await withDir(async (dir) => {
        let e = await configError(await writeJson(path.join(dir, "a.json"), { rule: {} }));
        assert.equal(e.jsonPath, "rule");
        assert.match(e.message, /unknown key "rule"; did you mean rules\?/);
        e = await configError(await writeJson(path.join(dir, "b.json"), { customRules: [{ id: "x", patern: "a" }] }));
        assert.equal(e.jsonPath, "customRules[0].patern");
        assert.match(e.message, /did you mean pattern\?/);
    });
});

test("an unknown rule id suggests the closest known id", async () => {
    await withDir(async (dir) => {
        const e = await configError(await writeJson(path.join(dir, "c.json"), { rules: { "pii-emial": "error" } }));
        assert.equal(e.jsonPath, "rules.pii-emial");
        assert.match(e.message, /rules\.pii-emial: unknown rule "pii-emial"; did you mean pii-email\?/);
        assert.match(e.fix ?? "", /pii-email/);
        // Custom rules are known as custom/<id>; unused-suppression is the engine's.
        const ok = await loadLintConfig(await writeJson(path.join(dir, "d.json"), {
            customRules: [{ id: "host", pattern: "corp" }],
            rules: { "custom/host": "off", "unused-suppression": "error" },
        }), { knownRuleIds: KNOWN });
        assert.equal(ok.rules["custom/host"]?.severity, "off");
        const e2 = await configError(await writeJson(path.join(dir, "e.json"), { allowlist: [{ rule: "pii-emal", text: "x" }] }));
        assert.equal(e2.jsonPath, "allowlist[0].rule");
        assert.match(e2.message, /did you mean pii-email\?/);
    });
});

test("a bad severity is named with the allowed values", async () => {
    await withDir(async (dir) => {
        let e = await configError(await writeJson(path.join(dir, "a.json"), { rules: { "pii-email": "warn" } }));
        assert.equal(e.jsonPath, "rules.pii-email");
        assert.match(e.message, /"warn" is not a severity; did you mean warning\?/);
        assert.match(e.fix ?? "", /off, info, warning, error/);
        e = await configError(await writeJson(path.join(dir, "b.json"), { rules: { "pii-email": ["fatal", {}] } }));
        assert.equal(e.jsonPath, "rules.pii-email[0]");
        e = await configError(await writeJson(path.join(dir, "c.json"), { rules: { "pii-email": 2 } }));
        assert.equal(e.jsonPath, "rules.pii-email");
        assert.match(e.fix ?? "", /\[severity, options\]/);
        e = await configError(await writeJson(path.join(dir, "d.json"), { lexicons: [{ path: "x.txt", severity: "high" }] }));
        assert.equal(e.jsonPath, "lexicons[0].severity");
    });
});

test("bad rule options are reported at their path", async () => {
    await withDir(async (dir) => {
        let e = await configError(await writeJson(path.join(dir, "a.json"), { rules: { "token-limit": ["warning", { budget: "lots" }] } }));
        assert.equal(e.jsonPath, "rules.token-limit[1].budget");
        assert.match(e.message, /must be a whole number/);
        e = await configError(await writeJson(path.join(dir, "b.json"), { rules: { "token-limit": ["warning", { budget: 10, encoding: "o200k" }] } }));
        assert.equal(e.jsonPath, "rules.token-limit[1].encoding");
        assert.match(e.message, /did you mean o200k_base\?/);
        e = await configError(await writeJson(path.join(dir, "c.json"), { rules: { "token-limit": "warning" } }));
        assert.equal(e.jsonPath, "rules.token-limit");
        assert.match(e.message, /no budget/);
        e = await configError(await writeJson(path.join(dir, "d.json"), { rules: { "injection-unsafe-template": ["warning", { untrusted: ["doc"] }] } }));
        assert.equal(e.jsonPath, "rules.injection-unsafe-template[1].untrusted");
        assert.match(e.message, /did you mean untrustedVariables\?/);
        // A rule's own options schema, passed by the engine.
        const ruleOptionSchemas = { "pii-email": { type: "object", properties: { domains: { type: "array", items: { type: "string" } } }, additionalProperties: false } };
        e = await configError(await writeJson(path.join(dir, "e.json"), { rules: { "pii-email": ["warning", { domains: "x" }] } }), { knownRuleIds: KNOWN, ruleOptionSchemas });
        assert.equal(e.jsonPath, "rules.pii-email[1].domains");
        e = await configError(await writeJson(path.join(dir, "f.json"), { customRules: [{ id: "x", pattern: "a", flags: "gx" }] }));
        assert.equal(e.jsonPath, "customRules[0].flags");
        e = await configError(await writeJson(path.join(dir, "g.json"), { customRules: [{ id: "x", pattern: "a", required: "b" }] }));
        assert.equal(e.jsonPath, "customRules[0]");
        e = await configError(await writeJson(path.join(dir, "h.json"), { customRules: [{ id: "x", pattern: "(unclosed" }] }));
        assert.equal(e.jsonPath, "customRules[0].pattern");
        assert.match(e.message, /not a valid regular expression/);
    });
});

test("extends: presets, relative files (own settings win, later entries win) and cycles", async () => {
    await withDir(async (dir) => {
        const strict = await loadLintConfig(await writeJson(path.join(dir, "strict.json"), { extends: "promptsmith:strict" }), { knownRuleIds: KNOWN });
        assert.equal(strict.categories.pii, "error");
        assert.deepEqual(strict.rules["token-limit"], { severity: "warning", options: { budget: 8000, encoding: "cl100k_base" } });
        assert.equal(strict.rules["unused-suppression"]?.severity, "error");

        await writeJson(path.join(dir, "shared", "base.json"), {
            extends: ["promptsmith:pipl"],
            files: ["prompts/**/*.md"],
            rules: { "pii-email": "info", "token-limit": ["warning", { budget: 100 }] },
            lexicons: ["words.txt"],
        });
        await writeJson(path.join(dir, "shared", "words.txt"), "x\n");
        await writeJson(path.join(dir, "shared", "other.json"), { rules: { "pii-email": "off" } });
        const top = await writeJson(path.join(dir, "app", ".promptsmithrc.json"), {
            extends: ["../shared/base.json", "../shared/other.json"],
            rules: { "token-limit": "error" },
        });
        const c = await loadLintConfig(top, { knownRuleIds: KNOWN });
        assert.deepEqual(c.presets, ["promptsmith:recommended", "promptsmith:pipl"]);
        assert.deepEqual(c.sources, [path.join(dir, "shared", "base.json"), path.join(dir, "shared", "other.json"), top]);
        assert.deepEqual(c.files, ["prompts/**/*.md"]);
        assert.equal(c.rules["pii-email"]?.severity, "off", "the later extends entry wins");
        // A severity alone keeps the options of the extended config.
        assert.deepEqual(c.rules["token-limit"], { severity: "error", options: { budget: 100 } });
        // Lexicon paths resolve against the folder of the file that names them.
        assert.deepEqual(c.lexicons, [{ path: path.join(dir, "shared", "words.txt") }]);

        // Cycles.
        await writeJson(path.join(dir, "cyc", "a.json"), { extends: "./b.json" });
        await writeJson(path.join(dir, "cyc", "b.json"), { extends: ["promptsmith:recommended", "./a.json"] });
        const e = (await expectError(loadLintConfig(path.join(dir, "cyc", "a.json"), { knownRuleIds: KNOWN }), "CONFIG_INVALID")) as LintConfigError;
        assert.equal(e.file, path.join(dir, "cyc", "b.json"), "the file whose extends closes the cycle");
        assert.match(e.message, /cycle: a\.json → b\.json → a\.json/);
        assert.equal(e.jsonPath, "extends[1]");
        const self = await writeJson(path.join(dir, "self.json"), { extends: "./self.json" });
        assert.match((await configError(self)).message, /cycle/);

        // Unknown presets and missing files.
        let e2 = await configError(await writeJson(path.join(dir, "p.json"), { extends: ["promptsmith:strcit"] }));
        assert.equal(e2.jsonPath, "extends[0]");
        assert.match(e2.message, /did you mean promptsmith:strict\?/);
        e2 = await configError(await writeJson(path.join(dir, "m.json"), { extends: "./missing.json" }));
        assert.equal(e2.jsonPath, "extends");
        assert.match(e2.message, /does not exist/);
    });
});

test("a missing lexicon file is a config error; relative lexicon paths resolve against the config folder", async () => {
    await withDir(async (dir) => {
        const e = await configError(await writeJson(path.join(dir, "sub", "c.json"), { lexicons: [{ path: "nope.txt" }] }));
        assert.equal(e.jsonPath, "lexicons[0].path");
        assert.ok(e.message.includes(path.join(dir, "sub", "nope.txt")));
    });
});

test("trusted: false drops custom rules, lexicon files and allowlist patterns, and says so", async () => {
    await withDir(async (dir) => {
        const file = await writeExample(dir);
        const c = await loadLintConfig(file, { knownRuleIds: KNOWN, trusted: false });
        assert.deepEqual(c.customRules, []);
        assert.deepEqual(c.lexicons, []);
        assert.deepEqual(c.allowlist, [{ text: "support@example.com" }, { text: "press@example.com", rule: "pii-email" }]);
        assert.equal(c.restricted.length, 3);
        assert.match(c.restricted[0]!, /Restricted Mode: 2 custom rules \(custom\/no-internal-host, custom\/disclaimer\)/);
        assert.match(c.restricted[1]!, /2 lexicon files/);
        assert.match(c.restricted[2]!, /1 allowlist pattern/);
        // Built-in rule settings still apply.
        assert.equal(c.rules["pii-email"]?.severity, "warning");
        // Lexicon files are not even looked for.
        const missing = await writeJson(path.join(dir, "m.json"), { lexicons: ["absent.txt"] });
        assert.deepEqual((await loadLintConfig(missing, { trusted: false })).lexicons, []);
    });
});

test("resolveSeverity: user rule > preset rule > preset pattern > preset category > default", async () => {
    await withDir(async (dir) => {
        const rule = (id: string, category: "pii" | "secret" | "injection" | "token-limit" | "policy", defaultSeverity: "off" | "info" | "warning" | "error") => ({ id, category, defaultSeverity });
        const rec = defaultLintConfig(KNOWN);
        assert.deepEqual(resolveSeverity(rec, rule("pii-email", "pii", "warning")), { severity: "warning", options: {} });
        for (const id of ["pii-cn-resident-id", "pii-cn-uscc", "pii-bank-card"]) assert.equal(resolveSeverity(rec, rule(id, "pii", "warning")).severity, "error", id);
        assert.equal(resolveSeverity(rec, rule("pii-cn-mobile", "pii", "warning")).severity, "warning");
        assert.equal(resolveSeverity(rec, rule("token-limit", "token-limit", "off")).severity, "off");

        const pipl = await loadLintConfig(await writeJson(path.join(dir, "pipl.json"), { extends: "promptsmith:pipl" }), { knownRuleIds: KNOWN });
        for (const id of ["pii-email", "pii-cn-mobile", "pii-cn-resident-id", "pii-cn-uscc", "pii-bank-card"]) assert.equal(resolveSeverity(pipl, rule(id, "pii", "warning")).severity, "error", id);
        assert.equal(resolveSeverity(pipl, rule("pii-ipv4", "pii", "warning")).severity, "warning");

        const strict = await loadLintConfig(await writeJson(path.join(dir, "strict.json"), {
            extends: ["promptsmith:strict"],
            rules: { "pii-email": "info" },
            customRules: [{ id: "host", pattern: "corp", severity: "warning" }, { id: "other", pattern: "x" }],
        }), { knownRuleIds: KNOWN });
        assert.equal(resolveSeverity(strict, rule("pii-email", "pii", "warning")).severity, "info", "user setting beats the preset");
        assert.equal(resolveSeverity(strict, rule("secret-aws-key", "secret", "warning")).severity, "error", "preset category beats the default");
        assert.deepEqual(resolveSeverity(strict, rule("token-limit", "token-limit", "off")), { severity: "warning", options: { budget: 8000, encoding: "cl100k_base" } }, "preset rule beats preset category");
        assert.equal(resolveSeverity(strict, rule("custom/host", "policy", "warning")).severity, "warning", "a custom rule's own severity is a user setting");
        assert.equal(resolveSeverity(strict, rule("custom/other", "policy", "warning")).severity, "error");

        // A pattern (pipl) beats a category (strict) when both are presets; a user setting beats both.
        const both: LintConfig = { ...strict, rules: {}, categories: { pii: "info" }, rulePatterns: [{ pattern: "pii*email*", severity: "warning" }] };
        assert.equal(resolveSeverity(both, rule("pii-email", "pii", "error")).severity, "warning");
        assert.equal(resolveSeverity(both, rule("pii-phone", "pii", "error")).severity, "info");
    });
});

test("ReDoS: nested and overlapping quantifiers are rejected at load with an explanation and a rewrite", async () => {
    await withDir(async (dir) => {
        const e = await configError(await writeJson(path.join(dir, "a.json"), { customRules: [{ id: "evil", pattern: "(a+)+$" }] }));
        assert.equal(e.jsonPath, "customRules[0].pattern");
        assert.match(e.message, /rejected because it can make linting hang/);
        assert.match(e.message, /catastrophic backtracking/);
        assert.match(e.fix ?? "", /write "a\+" instead of "\(a\+\)\+"/);
        const e2 = await configError(await writeJson(path.join(dir, "b.json"), { allowlist: [{ pattern: "^(\\w+\\s?)+@x$" }] }));
        assert.equal(e2.jsonPath, "allowlist[0].pattern");
    });
    for (const bad of ["(a+)+", "(a*)*", "(a|a)*", "(.*)*", "(\\w+\\s?)+", "(?:\\w|\\d)+", "([a-z0-9]+\\.?)+$", "(x+x+)+y"]) {
        assert.ok(checkPatternSafety(bad), `should reject ${bad}`);
    }
    for (const good of ["\\bcorp\\.example\\.com\\b", "(\\d+,)+", "(?:[^\"\\\\]|\\\\.)*", "(\\w+\\s)+", "[a-z]+@[a-z]+\\.com", "(?:\\r\\n|\\n)+", "^test-.*@example\\.com$", "\\d{4}-\\d{2}"]) {
        assert.equal(checkPatternSafety(good), undefined, `should accept ${good}`);
    }
});

test("a pathological pattern that gets past the static check is stopped by the run-time limit", () => {
    // Polynomial backtracking: no nested quantifier, so the static check lets it through.
    const slips = "a*a*a*a*a*a*b";
    assert.equal(checkPatternSafety(slips), undefined);
    for (const [pattern, text] of [[slips, "a".repeat(3000)], ["(a+)+$", "a".repeat(40) + "!"]] as const) {
        const [rule] = customRules([{ id: "slow", pattern }], "/x/.promptsmithrc.json"); // customRules() does not re-run the static check
        const t0 = performance.now();
        const findings = rule!.check(ctx(text));
        const ms = performance.now() - t0;
        assert.ok(ms < 200, `stopped after ${ms.toFixed(0)} ms`);
        assert.equal(findings.length, 1);
        assert.equal(findings[0]!.ruleId, "custom/slow");
        assert.equal(findings[0]!.category, "policy");
        assert.equal(findings[0]!.start, 0);
        assert.match(findings[0]!.message, /custom\/slow was stopped after 50 ms/);
        // The same rule still works on a normal text afterwards.
        assert.deepEqual(rule!.check(ctx("b")).length, pattern === slips ? 1 : 0);
    }
});

test("pattern rules: findings, replace (with $-references) and remove fixes", () => {
    const [host, ref] = customRules([
        { id: "no-internal-host", pattern: "\\bcorp\\.example\\.com\\b", flags: "i", message: "Internal host name", replacement: "[HOST]", severity: "error" },
        { id: "ticket", pattern: "TICKET-(\\d+)", replacement: "ticket $1" },
    ]);
    assert.equal(host!.id, "custom/no-internal-host");
    assert.equal(host!.defaultSeverity, "error");
    assert.equal(ref!.defaultSeverity, "warning");
    const text = "Call CORP.example.com or corp.example.com.";
    const f = host!.check(ctx(text));
    assert.deepEqual(f.map((x) => text.slice(x.start, x.end)), ["CORP.example.com", "corp.example.com"]);
    assert.equal(f[0]!.message, "Internal host name");
    assert.deepEqual(f[0]!.fixes?.map((x) => [x.kind, x.replacement]), [["replace", "[HOST]"], ["remove", ""]]);
    const g = ref!.check(ctx("see TICKET-42"));
    assert.equal(g[0]!.fixes?.[0]?.replacement, "ticket 42");
    assert.equal(g[0]!.start, 4);
});

test("required text: present, missing (fix inserts at the top, after front matter), requiredPattern", () => {
    const [req, reqPat] = customRules([
        { id: "disclaimer", required: "This is not legal advice", message: "The disclaimer must appear" },
        { id: "version", requiredPattern: "^version: \\d+", flags: "m", replacement: "version: 1" },
    ]);
    assert.deepEqual(req!.check(ctx("Intro.\nThis is not\n  legal advice.\n")), [], "whitespace runs match any whitespace");
    const missing = req!.check(ctx("Answer the question.\n"));
    assert.equal(missing.length, 1);
    assert.equal(missing[0]!.ruleId, "custom/disclaimer");
    assert.equal(missing[0]!.message, "The disclaimer must appear");
    assert.deepEqual([missing[0]!.start, missing[0]!.end], [0, 0]);
    assert.deepEqual(missing[0]!.fixes, [{ kind: "replace", title: 'Insert "This is not legal advice" at the top', start: 0, end: 0, replacement: "This is not legal advice\n" }]);
    const fm = "---\nname: x\n---\nBody\n";
    const m2 = req!.check(ctx(fm));
    assert.equal(m2[0]!.start, fm.indexOf("Body"));
    assert.equal(m2[0]!.fixes?.[0]?.start, fm.indexOf("Body"));
    assert.deepEqual(reqPat!.check(ctx("a\nversion: 3\n")), []);
    const m3 = reqPat!.check(ctx("no version\n"));
    assert.equal(m3[0]!.fixes?.[0]?.replacement, "version: 1\n");
});

test("token-limit: counts match js-tiktoken, the range starts at the first character past the budget", () => {
    const enc = { cl100k_base: new Tiktoken(cl100k), o200k_base: new Tiktoken(o200k) };
    const text = "You are a helpful assistant. Summarise the following document in three bullet points.\n\n" + "The quick brown fox jumps over the lazy dog. ".repeat(20);
    for (const e of ["cl100k_base", "o200k_base"] as const) assert.equal(countTokens(text, e), enc[e].encode(text).length);
    assert.equal(countTokens("<|endoftext|> is plain text here"), enc.cl100k_base.encode("<|endoftext|> is plain text here", [], []).length);

    const rule = tokenLimitRule();
    assert.equal(rule.id, "token-limit");
    assert.equal(rule.defaultSeverity, "off");
    assert.deepEqual(rule.check(ctx(text, {})), [], "no budget, no finding");
    const n = countTokens(text, "o200k_base");
    assert.deepEqual(rule.check(ctx(text, { budget: n, encoding: "o200k_base" })), []);
    const [f] = rule.check(ctx(text, { budget: 10, encoding: "o200k_base" }));
    assert.equal(f!.message, `${n} tokens, over the budget of 10 (o200k_base)`);
    const first10 = enc.o200k_base.decode(enc.o200k_base.encode(text).slice(0, 10));
    assert.equal(f!.start, first10.length);
    assert.equal(f!.end, text.length);
    assert.ok(text.startsWith(first10));
    assert.equal(countTokens(text.slice(0, f!.start), "o200k_base"), 10);

    // Characters split across tokens (rare CJK characters and emoji are several byte-level tokens):
    // a character partly within the budget counts as past it.
    const cjk = "𠮷野家の龘靐齉。🧑‍🚀 text";
    const tokens = enc.cl100k_base.encode(cjk);
    const bytesOf = (t: number) => (enc.cl100k_base as unknown as { textMap: Map<number, Uint8Array> }).textMap.get(t)!.length;
    const utf8 = new TextEncoder();
    for (let budget = 1; budget < tokens.length; budget++) {
        const [g] = rule.check(ctx(cjk, { budget }));
        const budgetBytes = tokens.slice(0, budget).reduce((s, t) => s + bytesOf(t), 0);
        const startBytes = utf8.encode(cjk.slice(0, g!.start)).length;
        const cp = cjk.codePointAt(g!.start)!;
        const charBytes = utf8.encode(String.fromCodePoint(cp)).length;
        assert.ok(startBytes <= budgetBytes && startBytes + charBytes > budgetBytes, `budget ${budget}: start ${g!.start}`);
    }
});
