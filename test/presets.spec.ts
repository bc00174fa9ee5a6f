// Sampling presets and control metadata: the ranges agree with normalizeSampling (what the runner accepts),
// the user's presets from the setting are validated, lookups are case-insensitive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BUILTIN_PRESETS, SAMPLING_CONTROLS, resolvePreset, userPresets, describeSampling, suggestKey } from "../src/core/presets.ts";
import { normalizeSampling, MAX_SEED, type SamplingParams } from "../src/core/sampling.ts";
import { parsePromptFile } from "../src/core/prompts/promptFile.ts";

const accepts = (key: keyof SamplingParams, value: number): boolean => {
    try {
        normalizeSampling({ [key]: value });
        return true;
    } catch {
        return false;
    }
};

/** What the prompt-file parser (ajv + the JSON schema) says about a value in the front matter. */
const fileAccepts = (key: string, value: number): boolean => {
    const { prompt, diagnostics } = parsePromptFile(`---\nsampling:\n  ${key}: ${value}\n---\nHi\n`);
    return prompt !== undefined && !diagnostics.some((d) => d.severity === "error");
};

test("every control's min and max are accepted, and one step outside is rejected, by normalizeSampling and by the prompt-file schema", () => {
    assert.equal(SAMPLING_CONTROLS.length, 9);
    for (const c of SAMPLING_CONTROLS) {
        assert.ok(c.min < c.max && c.step > 0, c.key);
        assert.ok(c.explanation.length > 20 && !c.explanation.includes("\n"), `${c.key}: one-line explanation`);
        for (const value of [c.min, c.max]) {
            assert.ok(accepts(c.key, value), `${c.key} = ${value} should be accepted by normalizeSampling`);
            assert.ok(fileAccepts(c.key, value), `${c.key} = ${value} should be accepted in a prompt file`);
        }
        const below = c.min - c.step;
        assert.equal(accepts(c.key, below), false, `${c.key} = ${below} should be rejected by normalizeSampling`);
        assert.equal(fileAccepts(c.key, below), false, `${c.key} = ${below} should be rejected in a prompt file`);
        const above = c.max + c.step;
        // topK has no upper bound in normalizeSampling: the control says so instead of inventing one.
        assert.equal(accepts(c.key, above), c.unboundedAbove === true, `${c.key} = ${above}`);
        assert.equal(fileAccepts(c.key, above), c.unboundedAbove === true, `${c.key} = ${above} in a prompt file`);
        if (c.off !== undefined) assert.ok(c.off >= c.min && c.off <= c.max && accepts(c.key, c.off), `${c.key} off value ${c.off}`);
        if (c.kind === "integer") {
            assert.equal(accepts(c.key, c.min + 0.5), false, `${c.key} takes whole numbers only`);
            assert.equal(fileAccepts(c.key, c.min + 0.5), false, `${c.key} takes whole numbers only in a prompt file`);
        }
    }
    assert.equal(SAMPLING_CONTROLS.find((c) => c.key === "seed")!.max, MAX_SEED);
});

test("built-in presets: precise is the guide's 0.3 / 0.9; every preset is valid and sets the same style keys", () => {
    assert.deepEqual(BUILTIN_PRESETS.map((p) => p.id), ["precise", "balanced", "creative"]);
    const precise = BUILTIN_PRESETS[0]!;
    assert.equal(precise.sampling.temperature, 0.3);
    assert.equal(precise.sampling.topP, 0.9);
    const keys = Object.keys(precise.sampling).sort();
    for (const p of BUILTIN_PRESETS) {
        assert.equal(p.builtin, true);
        assert.doesNotThrow(() => normalizeSampling(p.sampling), p.id);
        assert.deepEqual(Object.keys(p.sampling).sort(), keys, `${p.id} sets the same keys, so switching presets leaves nothing behind`);
        assert.equal(p.sampling.seed, undefined, "presets never fix the seed");
        assert.equal(p.sampling.maxTokens, undefined, "presets leave the answer length to the task");
        assert.ok(p.description.length > 10);
    }
    const temps = BUILTIN_PRESETS.map((p) => p.sampling.temperature!);
    assert.deepEqual([...temps].sort((a, b) => a - b), temps, "precise < balanced < creative");
    assert.ok(Object.isFrozen(BUILTIN_PRESETS) && Object.isFrozen(precise.sampling), "built-ins cannot be changed by a caller");
});

test("userPresets validates the setting: good ones kept, bad ones reported by name and key", () => {
    const r = userPresets({
        Factual: { temperature: 0.2, topP: 0.85, maxTokens: 300, stop: ["\n\n"] },
        "Wild ideas": { temperature: 1.4, minP: 0.1 },
        Hot: { temperature: 9 },
        Typo: { temprature: 0.5 },
        NotAnObject: 0.5,
        precise: { temperature: 0.1 },
        "": { temperature: 0.1 },
        factual: { temperature: 0.1 },
    });
    assert.deepEqual(r.presets.map((p) => p.name), ["Factual", "Wild ideas"]);
    assert.deepEqual(r.presets[0]!.sampling, { temperature: 0.2, topP: 0.85, maxTokens: 300, stop: ["\n\n"] });
    assert.equal(r.presets[0]!.builtin, false);
    assert.equal(r.presets[0]!.id, "Factual");
    assert.match(r.presets[0]!.description, /temperature 0\.2 · top-p 0\.85 · max tokens 300/);
    assert.equal(r.errors.length, 6, r.errors.join("\n"));
    assert.match(r.errors.find((e) => e.includes('"Hot"'))!, /temperature: 9.*from 0 \(greedy\) to 5/);
    assert.match(r.errors.find((e) => e.includes('"Typo"'))!, /unknown key "temprature" \(did you mean "temperature"\?\)/);
    assert.match(r.errors.find((e) => e.includes('"NotAnObject"'))!, /must be an object/);
    assert.match(r.errors.find((e) => e.includes('"precise"'))!, /name of a built-in preset/);
    assert.match(r.errors.find((e) => e.includes('"factual"'))!, /upper\/lower case/);
    assert.ok(r.errors.some((e) => /empty name/.test(e)));

    assert.deepEqual(userPresets(undefined), { presets: [], errors: [] });
    assert.deepEqual(userPresets({}), { presets: [], errors: [] });
    assert.equal(userPresets(["a"]).errors.length, 1);
    assert.equal(userPresets("precise").errors.length, 1);
});

test("resolvePreset finds built-ins and user presets by id or name, ignoring case", () => {
    const { presets } = userPresets({ "My Factual": { temperature: 0.2 } });
    assert.equal(resolvePreset("precise", presets)?.id, "precise");
    assert.equal(resolvePreset("PRECISE", presets)?.id, "precise");
    assert.equal(resolvePreset("Balanced", [])?.id, "balanced");
    assert.equal(resolvePreset("my factual", presets)?.name, "My Factual");
    assert.equal(resolvePreset(" creative ", presets)?.id, "creative");
    assert.equal(resolvePreset("nope", presets), undefined);
    assert.equal(resolvePreset("", presets), undefined);
    assert.equal(resolvePreset("my factual", []), undefined);
});

test("helpers: one-line sampling summaries and key suggestions", () => {
    assert.equal(describeSampling({ temperature: 0.3, topP: 0.9, seed: 42, stop: ["END"] }), 'temperature 0.3 · top-p 0.9 · seed 42 · stop "END"');
    assert.equal(describeSampling({}), "no sampling values");
    const keys = ["temperature", "topP", "maxTokens"];
    assert.equal(suggestKey("top_p", keys), "topP");
    assert.equal(suggestKey("max-tokens", keys), "maxTokens");
    assert.equal(suggestKey("Temperture", keys), "temperature");
    assert.equal(suggestKey("colour", keys), undefined);
});
