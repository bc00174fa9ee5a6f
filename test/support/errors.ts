import assert from "node:assert/strict";
import { isPromptsmithError, type PromptsmithError } from "../../src/core/errors.ts";

/** Awaits `p` and checks that it fails with a PromptsmithError of this code; returns the error. */
export async function expectError(p: Promise<unknown>, code: string): Promise<PromptsmithError> {
    try {
        await p;
    } catch (e) {
        assert.ok(isPromptsmithError(e), `expected a PromptsmithError, got ${String(e)}`);
        assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
        return e;
    }
    assert.fail(`expected ${code}, but it resolved`);
}
