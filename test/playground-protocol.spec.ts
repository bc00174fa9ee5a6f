// The playground's message checks (src/protocol/playground.ts): what the extension accepts from the view.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isPlaygroundState, isRunSpec, MAX_COLUMNS, type PlaygroundState, type RunSpec } from "../src/protocol/playground.ts";

const state = (over: Record<string, unknown> = {}): unknown => ({
    version: 1, draft: { system: "", user: "Hi {{x}}", values: { x: "1" } }, columns: [{ id: "A", sampling: {} }], variables: [], repeat: 1, useCache: true, results: [], feedback: {}, ...over,
});

test("isPlaygroundState: the promised shape only", () => {
    assert.ok(isPlaygroundState(state()));
    assert.ok(isPlaygroundState(state({ source: { uri: "file:///w/a.prompt.md", path: "a.prompt.md", name: "A" } })));
    assert.ok(!isPlaygroundState(state({ source: { uri: 7, path: "a.prompt.md", name: "A" } })), "a source without a string uri");
    assert.ok(!isPlaygroundState(state({ draft: { system: "", user: 5, values: {} } })), "a user prompt that is not text");
    assert.ok(!isPlaygroundState(state({ columns: Array.from({ length: MAX_COLUMNS + 1 }, () => ({ sampling: {} })) })), "more columns than the view offers");
    assert.ok(!isPlaygroundState(state({ results: [{}] })), "results that are not per-column lists");
    assert.ok(!isPlaygroundState(state({ feedback: [] })), "feedback that is not a record");
    assert.ok(!isPlaygroundState(null));
    assert.ok(!isPlaygroundState({ ...(state() as PlaygroundState), version: 2 }));
});

test("isRunSpec: text prompt and values, columns with sampling, a repeat count and the cache flag", () => {
    const spec: RunSpec = { draft: { system: "", user: "Hi", values: { x: "1" } }, columns: [{ id: "A", sampling: {} } as RunSpec["columns"][number]], repeat: 1, useCache: true };
    assert.ok(isRunSpec(spec));
    assert.ok(!isRunSpec({ ...spec, draft: { ...spec.draft, values: { x: 1 } } }), "a value that is not text");
    assert.ok(!isRunSpec({ ...spec, columns: [{ id: "A", sampling: {}, modelPath: 3 }] }), "a model path that is not text");
    assert.ok(!isRunSpec({ ...spec, columns: "A" }));
    assert.ok(!isRunSpec({ ...spec, repeat: "2" }));
});
