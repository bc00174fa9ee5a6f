// Redaction for logs: prompts carry personal data and secrets, logs must not.
import { piiRules } from "./lint/rules/pii.ts";
import { secretRules } from "./lint/rules/secret.ts";
import { normalize } from "./lint/normalize.ts";
import type { Rule } from "./lint/types.ts";

let rules: Rule[] | undefined;

/** Replaces personal data and secrets in `text` by typed placeholders ([EMAIL], [REDACTED_SECRET], …). */
export function redact(text: string): string {
    rules ??= [...secretRules(), ...piiRules()];
    const ctx = { text, normalized: () => normalize(text), options: {} };
    const spans = rules.flatMap((r) => r.check(ctx).map((f) => ({ start: f.start, end: f.end, with: f.category === "secret" ? "[REDACTED_SECRET]" : (f.fixes?.find((x) => x.kind === "placeholder")?.replacement ?? "[REDACTED]") })));
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    let out = "";
    let at = 0;
    for (const s of spans) {
        if (s.start < at) continue;
        out += text.slice(at, s.start) + s.with;
        at = s.end;
    }
    return out + text.slice(at);
}
