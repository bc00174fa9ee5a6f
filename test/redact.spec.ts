import { test } from "node:test";
import assert from "node:assert/strict";
import { redact } from "../src/core/redact.ts";

test("log redaction replaces personal data and secrets with typed placeholders", () => {
    const line = "prompt from jane.doe@acme.io (ID 11010519491231002X) with key sk-proj-AbCdEf1234567890XyZaBcDeFgHiJkLmNoPqRsTuV, 128 tokens in 64 ms";
    const out = redact(line);
    assert.equal(out, "prompt from [EMAIL] (ID [身份证号]) with key [REDACTED_SECRET], 128 tokens in 64 ms");
    assert.equal(redact("runner: ready in 518 ms (backend cpu, 2 math cores)"), "runner: ready in 518 ms (backend cpu, 2 math cores)");
    const hex = 'Its first bytes are 47 47 55 46 instead of the GGUF signature "GGUF".';
    assert.equal(redact(hex), hex, "a hex dump of two-digit groups is not a phone number");
});
