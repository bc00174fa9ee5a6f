// What the playground reads from and writes to the settings: the default column (promptsmith.sampling.*),
// the presets (built-in and promptsmith.playground.presets, where "Save as preset…" writes with
// ConfigurationTarget.Global), and the models it offers (the models folder, the workspace when trusted,
// the selected model and files chosen with Browse…).
import * as vscode from "vscode";
import path from "node:path";
import os from "node:os";
import { BUILTIN_PRESETS, PRESET_KEYS } from "../../core/presets.ts";
import { DEFAULT_SAMPLING, type SamplingParams } from "../../core/sampling.ts";
import { defaultModelsDir } from "../../core/models/resolve.ts";
import { expandUserPath } from "../../core/userConfig.ts";
import type { Logger } from "../../core/logger.ts";
import { COLUMN_IDS, type ColumnSettings, type EditableSampling, type ModelChoice, type PresetView } from "../../protocol/playground.ts";
import { allPresets, settingsSampling } from "../samplingSettings.ts";
import { describeModelBrief, HeaderCache, listFolderModels } from "../modelPicker.ts";
import { getSelectedModelPath } from "../models.ts";

const EDITABLE_KEYS = ["temperature", "topP", "topK", "minP", "repeatPenalty", "frequencyPenalty", "presencePenalty", "maxTokens"] as const;
/** The keys a preset describes (the "style"); maxTokens, seed and stop belong to the task. */
export const STYLE_KEYS = ["temperature", "topP", "topK", "minP", "repeatPenalty", "frequencyPenalty", "presencePenalty"] as const;

export function presetViews(): PresetView[] {
    return allPresets().map((p) => ({ id: p.id, name: p.name, description: p.description, sampling: { ...p.sampling }, builtin: p.builtin }));
}

/**
 * A column from effective sampling values: the runner's defaults, then the settings, then `sampling`
 * (the prompt file's, a past run's). The preset is named when the values still match it.
 */
export function columnFrom(sampling: SamplingParams, extra: { id?: string; presetId?: string; modelPath?: string } = {}): ColumnSettings {
    const merged: SamplingParams = { ...DEFAULT_SAMPLING, ...settingsSampling(), ...sampling };
    const editable: EditableSampling = {};
    for (const k of EDITABLE_KEYS) if (merged[k] !== undefined) editable[k] = merged[k];
    const column: ColumnSettings = {
        id: extra.id ?? COLUMN_IDS[0],
        sampling: editable,
        seedMode: merged.seed !== undefined ? "fixed" : "random",
        ...(merged.seed !== undefined ? { seed: merged.seed } : {}),
        stop: [...(merged.stop ?? [])],
        constraint: merged.jsonSchema
            ? { kind: "jsonSchema", text: JSON.stringify(merged.jsonSchema, null, 2) }
            : merged.grammar ? { kind: "grammar", text: merged.grammar } : { kind: "none", text: "" },
        ...(extra.modelPath ? { modelPath: extra.modelPath } : {}),
    };
    if (extra.presetId) column.presetId = extra.presetId;
    return column;
}

/** The default column: the settings alone. */
export function defaultColumn(): ColumnSettings {
    return columnFrom({});
}

/**
 * "Save as preset…": asks for a name and writes the style values into promptsmith.playground.presets
 * (user settings). Resolves with the saved name, or undefined when the user cancelled.
 */
export async function savePresetInteractive(sampling: SamplingParams, logger: Logger): Promise<string | undefined> {
    const style: SamplingParams = {};
    for (const k of PRESET_KEYS) {
        const v = sampling[k];
        if (v !== undefined && (STYLE_KEYS as readonly string[]).includes(k)) (style as Record<string, unknown>)[k] = v;
    }
    const config = vscode.workspace.getConfiguration("promptsmith.playground");
    const current = config.inspect<Record<string, unknown>>("presets")?.globalValue ?? {};
    const name = await vscode.window.showInputBox({
        title: "Save Sampling Preset",
        prompt: `Name for these values (${Object.entries(style).map(([k, v]) => `${k} ${String(v)}`).join(", ")}); saved in your user settings (promptsmith.playground.presets).`,
        placeHolder: "e.g. Factual",
        validateInput: (v) => {
            const n = v.trim();
            if (!n) return "Give the preset a name.";
            if (BUILTIN_PRESETS.some((b) => b.id === n.toLowerCase() || b.name.toLowerCase() === n.toLowerCase())) return `"${n}" is a built-in preset; choose another name.`;
            if (Object.keys(current).some((k) => k !== n && k.toLowerCase() === n.toLowerCase())) return `A preset "${Object.keys(current).find((k) => k.toLowerCase() === n.toLowerCase())}" exists; use that exact name to replace it.`;
            return undefined;
        },
    });
    const n = name?.trim();
    if (!n) return undefined;
    if (Object.prototype.hasOwnProperty.call(current, n)) {
        const ok = await vscode.window.showWarningMessage(`Replace your preset "${n}"?`, { modal: true }, "Replace");
        if (ok !== "Replace") return undefined;
    }
    await config.update("presets", { ...current, [n]: style }, vscode.ConfigurationTarget.Global);
    logger.info(`Playground: saved the preset "${n}" in the user settings.`);
    return n;
}

/** The models folder (promptsmith.modelsFolder, else the default one). */
export function modelsFolder(): string {
    const value = vscode.workspace.getConfiguration("promptsmith").get<string>("modelsFolder", "").trim();
    return value ? expandUserPath(value, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? os.homedir()) : defaultModelsDir();
}

/** The models a column can choose: described from their GGUF headers (cached by size and mtime). */
export class ModelList {
    private readonly headers = new HeaderCache();
    /** Files chosen with Browse… this session. */
    private readonly extra = new Set<string>();
    /** Models named by prompt files and past runs loaded while the folder was trusted. */
    private readonly permitted = new Set<string>();

    add(file: string): void {
        this.extra.add(file);
    }

    /**
     * Whether a run may load this model: one the list offers (the selected model, the models folder, the
     * workspace's GGUF files once trusted, files chosen with Browse…) or, in a trusted workspace, one a
     * prompt file or a past run named (`permit`). A path that only came from the view is refused.
     */
    async allows(file: string): Promise<boolean> {
        if (file === getSelectedModelPath() || this.extra.has(file)) return true;
        if (vscode.workspace.isTrusted && this.permitted.has(file)) return true;
        const listed = await this.list().catch(() => [] as ModelChoice[]);
        return listed.some((m) => m.path === file);
    }

    /** A model a trusted prompt file or run record named (usable by a run while the folder stays trusted). */
    permit(file: string): void {
        this.permitted.add(file);
    }

    async list(): Promise<ModelChoice[]> {
        const selected = getSelectedModelPath();
        const [folder, workspace] = await Promise.all([
            listFolderModels(modelsFolder()),
            vscode.workspace.isTrusted
                ? Promise.resolve(vscode.workspace.findFiles("**/*.gguf", "**/node_modules/**", 200)).then((u) => u.filter((x) => x.scheme === "file").map((x) => x.fsPath), () => [] as string[])
                : Promise.resolve([] as string[]),
        ]);
        const files = [...new Set([...(selected ? [selected] : []), ...folder, ...workspace.sort((a, b) => a.localeCompare(b)), ...this.extra])];
        return Promise.all(files.map(async (f): Promise<ModelChoice> => {
            const entry = await this.headers.read(f).catch(() => undefined);
            const description = entry?.info ? `${describeModelBrief(entry.info)} — ${f}` : `not usable: ${entry?.error ?? "cannot be read"} — ${f}`;
            return { path: f, label: path.basename(f), description, ...(f === selected ? { selected: true } : {}) };
        }));
    }
}
