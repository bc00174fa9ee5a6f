// The built-in presets a config can extend. The rule modules are written independently of this file,
// so a preset speaks in three ways, from weakest to strongest (see resolveSeverity in config.ts):
//   - categories: a level for every rule of a category, including rules added later;
//   - rulePatterns: a level for every rule whose id matches a `*` glob (e.g. "pii-cn-*"), for a kind of
//     detector whose exact ids may grow (none of the presets needs one at the moment);
//   - rules: exact rule ids, with options.
// Anything a preset does not set keeps the rule's own defaultSeverity.
import type { Category, Severity } from "./types.ts";

export const PRESET_NAMES = ["promptsmith:recommended", "promptsmith:pipl", "promptsmith:strict"] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface RuleSetting {
    severity: Severity;
    options: Record<string, unknown>;
}

export interface Preset {
    name: PresetName;
    description: string;
    /** Presets this one starts from (applied first). */
    extends: PresetName[];
    categories: Partial<Record<Category, Severity>>;
    rulePatterns: Array<{ pattern: string; severity: Severity }>;
    rules: Record<string, RuleSetting>;
}

/** Id of the engine's report of a suppression comment that suppressed nothing. */
export const UNUSED_SUPPRESSION_RULE_ID = "unused-suppression";

export const PRESETS: Readonly<Record<PresetName, Preset>> = {
    "promptsmith:recommended": {
        name: "promptsmith:recommended",
        description:
            "Every detector at its default severity: secrets and prompt injection are errors (an unsafe template variable is a warning), " +
            "personal information and sensitive terms are warnings, Chinese resident ID numbers, unified social credit codes and bank card numbers are errors. " +
            "The token limit is off until a budget is set.",
        extends: [],
        categories: {},
        rulePatterns: [],
        rules: {
            // Identity and financial numbers: a leak is hard to undo (the PII module defaults every type to warning).
            "pii-cn-resident-id": { severity: "error", options: {} },
            "pii-cn-uscc": { severity: "error", options: {} },
            "pii-bank-card": { severity: "error", options: {} },
            "token-limit": { severity: "off", options: {} },
        },
    },
    "promptsmith:pipl": {
        name: "promptsmith:pipl",
        description:
            "promptsmith:recommended, with the personal information that China's Personal Information Protection Law (PIPL) treats as sensitive or " +
            "directly identifying raised to error: resident ID numbers and unified social credit codes (identity), bank card numbers (financial accounts, " +
            "sensitive personal information under PIPL art. 28), mobile numbers and e-mail addresses (contact details that identify a person). " +
            "Sending them to a model provider is a cross-border or third-party transfer that needs separate consent (PIPL art. 23, 38-39).",
        extends: ["promptsmith:recommended"],
        categories: {},
        rulePatterns: [],
        rules: {
            // Resident ID, USCC and bank card are already errors in promptsmith:recommended.
            "pii-cn-mobile": { severity: "error", options: {} },
            "pii-email": { severity: "error", options: {} },
        },
    },
    "promptsmith:strict": {
        name: "promptsmith:strict",
        description: "Every rule is an error, suppression comments that suppress nothing are errors, and prompts over 8000 tokens (cl100k_base) are warnings.",
        extends: [],
        categories: { pii: "error", secret: "error", injection: "error", sensitive: "error", policy: "error", "token-limit": "error" },
        rulePatterns: [],
        rules: {
            [UNUSED_SUPPRESSION_RULE_ID]: { severity: "error", options: {} },
            "token-limit": { severity: "warning", options: { budget: 8000, encoding: "cl100k_base" } },
        },
    },
};

export function isPresetName(name: string): name is PresetName {
    return (PRESET_NAMES as readonly string[]).includes(name);
}

/** Whether a rule id matches a preset glob (`*` = any run of characters). */
export function matchesRulePattern(pattern: string, id: string): boolean {
    if (!pattern.includes("*")) return pattern === id;
    const re = new RegExp("^" + pattern.split("*").map((p) => p.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")).join(".*") + "$");
    return re.test(id);
}
