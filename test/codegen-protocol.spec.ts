// The requirements pane's message protocol (src/protocol/codegen.ts): what the extension accepts from
// the page, and what a saved last run becomes after a reload.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_INPUTS, PANE_COMMANDS, parseCodegenToHost, restoreRun, type RunView } from "../src/protocol/codegen.ts";

describe("parseCodegenToHost", () => {
    it("accepts well-formed messages and returns clean copies (extra fields dropped)", () => {
        assert.deepEqual(parseCodegenToHost({ type: "ready", extra: 1 }), { type: "ready" });
        assert.deepEqual(parseCodegenToHost({ type: "generate" }), { type: "generate" });
        assert.deepEqual(parseCodegenToHost({ type: "generate", place: "newFile", sendAnyway: true, blockedSeq: 7 }), { type: "generate", place: "newFile", sendAnyway: true, blockedSeq: 7 });
        assert.deepEqual(parseCodegenToHost({ type: "rate", runId: "0b7e6c1e-1a2b-4c3d-8e9f-001122334455", rating: "down" }), { type: "rate", runId: "0b7e6c1e-1a2b-4c3d-8e9f-001122334455", rating: "down" });
        assert.deepEqual(parseCodegenToHost({ type: "correct", runId: "abc", code: "x = 1\n" }), { type: "correct", runId: "abc", code: "x = 1\n" });
        assert.deepEqual(parseCodegenToHost({ type: "command", command: "exportHistory" }), { type: "command", command: "exportHistory" });
        assert.deepEqual(parseCodegenToHost({ type: "inputs", inputs: { requirements: "r", place: "nowhere" } }), { type: "inputs", inputs: { ...DEFAULT_INPUTS, requirements: "r" } });
        assert.deepEqual(parseCodegenToHost({ type: "cspViolation", directive: "style-src", blocked: "inline" }), { type: "cspViolation", directive: "style-src", blocked: "inline" });
    });

    it("rejects a wrong type in any field, unknown commands (own keys only) and unknown messages", () => {
        const bad: unknown[] = [
            null, "ready", [], { type: "nope" }, { type: 1 },
            { type: "generate", place: "elsewhere" }, { type: "generate", sendAnyway: "yes" }, { type: "generate", blockedSeq: -1 }, { type: "generate", blockedSeq: 1.5 }, { type: "generate", blockedSeq: "3" },
            { type: "rate", runId: 5, rating: "up" }, { type: "rate", runId: "a", rating: "meh" }, { type: "rate", runId: "../../etc", rating: "up" }, { type: "rate", runId: "", rating: "up" },
            { type: "correct", runId: "a", code: 42 }, { type: "correct", runId: "a" },
            { type: "command", command: "toString" }, { type: "command", command: "__proto__" }, { type: "command", command: "constructor" }, { type: "command", command: "promptsmith.history.clear" },
            { type: "inputs" }, { type: "inputs", inputs: "text" },
            { type: "cspViolation", directive: "x" }, { type: "cspViolation", directive: "x", blocked: "y", sample: 3 },
            { type: "error" }, { type: "error", message: { toString: "x" } },
        ];
        for (const m of bad) assert.equal(parseCodegenToHost(m), undefined, JSON.stringify(m));
        assert.ok(!Object.hasOwn(PANE_COMMANDS, "toString"));
    });
});

describe("restoreRun", () => {
    const run: RunView = {
        seq: 4, kind: "generate", status: "blocked", requirements: "r", language: "python", target: "t", answer: "", inputFindings: [], outputFindings: [], proposal: "none", canSendAnyway: true,
    };

    it("a blocked run restored after a reload offers no Send anyway and says why", () => {
        const r = restoreRun(JSON.parse(JSON.stringify(run)));
        assert.ok(r);
        assert.equal(r.status, "blocked");
        assert.equal(r.canSendAnyway, undefined);
        assert.match(r.blockNote ?? "", /reload: Generate checks the input again/);
    });

    it("a streaming run is stopped and an open preview is gone; anything else is not a run", () => {
        const r = restoreRun({ ...run, status: "streaming", answer: "partial", proposal: "open", canSendAnyway: undefined });
        assert.equal(r?.status, "stopped");
        assert.equal(r?.proposal, "none");
        assert.equal(r?.answer, "partial");
        for (const x of [undefined, null, 3, "run", { answer: 1, seq: 1, status: "done" }, { answer: "", seq: "1", status: "done" }]) assert.equal(restoreRun(x), undefined);
    });
});
