// The linter as the CLI and the editor use it: built-in rules + the config's lexicons and custom
// rules, with severities resolved from presets and config files.
import { readFile } from "node:fs/promises";
import { PromptsmithError } from "../errors.ts";
import { defaultLintConfig, findLintConfig, loadLintConfig, resolveSeverity, type LintConfig } from "./config.ts";
import { Linter } from "./engine.ts";
import { Lexicon, parseLexicon, type LexiconEntry } from "./lexicon.ts";
import { UNUSED_SUPPRESSION_RULE_ID } from "./presets.ts";
import { injectionRules } from "./rules/injection.ts";
import { piiRules } from "./rules/pii.ts";
import { customRules } from "./rules/policy.ts";
import { secretRules } from "./rules/secret.ts";
import { sensitiveRule } from "./rules/sensitive.ts";
import { tokenLimitRule } from "./rules/tokenLimit.ts";
import type { Rule } from "./types.ts";

/** Rules that need the whole document rather than one paragraph at a time. */
const DOCUMENT_RULES = new Set(["token-limit", "injection-unsafe-template"]);

export function builtinRules(): Rule[] {
    return [...piiRules(), ...secretRules(), ...injectionRules(), tokenLimitRule()].map((r) => (DOCUMENT_RULES.has(r.id) ? { ...r, scope: "document" as const } : r));
}

/** Every rule id a config may name (custom rules are checked by the config loader itself). */
export function knownRuleIds(): string[] {
    return [...builtinRules().map((r) => r.id), "sensitive-term", UNUSED_SUPPRESSION_RULE_ID];
}

/** The config to use: an explicit file, else the nearest .promptsmithrc.json above `cwd`, else promptsmith:recommended. */
export async function loadConfigFor(explicit: string | undefined, cwd: string, trusted = true): Promise<{ config: LintConfig; configFile?: string }> {
    const known = knownRuleIds();
    const file = explicit ?? (await findLintConfig(cwd));
    if (!file) return { config: defaultLintConfig(known) };
    return { config: await loadLintConfig(file, { knownRuleIds: known, trusted }), configFile: file };
}

export async function createLinter(config: LintConfig): Promise<Linter> {
    const entries: LexiconEntry[] = [];
    for (const ref of config.lexicons) {
        let text: string;
        try {
            text = await readFile(ref.path, "utf8");
        } catch (e) {
            throw new PromptsmithError({ code: "CONFIG_INVALID", message: `Cannot read the lexicon file: ${(e as Error).message}`, file: ref.path, fix: "Fix the path in \"lexicons\" of the config file (relative paths start at the config file's folder)." });
        }
        for (const entry of parseLexicon(text, ref.path)) {
            entries.push({ ...entry, category: entry.category ?? ref.category, severity: entry.severity ?? ref.severity });
        }
    }
    const rules: Rule[] = [
        ...builtinRules(),
        ...(entries.length ? [sensitiveRule([Lexicon.compile(entries)])] : []),
        ...customRules(config.customRules).map((r) => ({ ...r, scope: "document" as const })),
    ];
    return new Linter({
        rules,
        settingFor: (rule) => resolveSeverity(config, rule),
        allowlist: config.allowlist,
        unusedSuppressions: resolveSeverity(config, { id: UNUSED_SUPPRESSION_RULE_ID, category: "policy", defaultSeverity: "warning" }).severity,
    });
}

export { Linter };
