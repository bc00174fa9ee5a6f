// The prompt file behind the playground: reading it into the view (prompt, variables, the file's model
// and sampling as column A) and writing a column's settings back into its front matter as one
// WorkspaceEdit (undoable in the file's editor, like any edit).
import * as vscode from "vscode";
import path from "node:path";
import { parsePromptFile, promptSampling, updateFrontMatter, type PromptFile } from "../../core/prompts/promptFile.ts";
import { resolvePreset } from "../../core/presets.ts";
import { expandUserPath } from "../../core/userConfig.ts";
import type { SamplingParams } from "../../core/sampling.ts";
import { columnSampling, presetMatches, type ColumnSettings, type PlaygroundLoad, type PromptSource, type VariableRow } from "../../protocol/playground.ts";
import { columnFrom, presetViews, STYLE_KEYS } from "./settings.ts";
import { ownPresets } from "../samplingSettings.ts";

/**
 * The history key of a file: its workspace-relative path (forward slashes), else its file name. In a
 * multi-root workspace the path starts with the folder's name (as asRelativePath shows it), so two
 * folders' prompts/a.prompt.md keep separate histories.
 */
export function sourcePath(uri: vscode.Uri): string {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return path.basename(uri.fsPath);
    const rel = path.relative(folder.uri.fsPath, uri.fsPath).split(path.sep).join("/");
    return (vscode.workspace.workspaceFolders?.length ?? 0) > 1 ? `${folder.name}/${rel}` : rel;
}

export function promptSourceOf(uri: vscode.Uri, prompt?: PromptFile): PromptSource {
    return { uri: uri.toString(), path: sourcePath(uri), name: prompt?.name?.trim() || path.basename(uri.fsPath) };
}

/** The prompt file's URI from a history key (workspace-relative path), when it exists in an open folder. */
export async function uriOfSource(source: string): Promise<vscode.Uri | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length > 1) {
        // "folder-name/rest" (see sourcePath); a key from a single-root session is looked up in every folder below.
        const slash = source.indexOf("/");
        const folder = slash > 0 ? folders.find((f) => f.name === source.slice(0, slash)) : undefined;
        if (folder) {
            const uri = vscode.Uri.joinPath(folder.uri, ...source.slice(slash + 1).split("/"));
            try {
                await vscode.workspace.fs.stat(uri);
                return uri;
            } catch {
                // not there: try the plain path
            }
        }
    }
    for (const f of folders) {
        const uri = vscode.Uri.joinPath(f.uri, ...source.split("/"));
        try {
            await vscode.workspace.fs.stat(uri);
            return uri;
        } catch {
            // not in this folder
        }
    }
    return undefined;
}

/** The model a front matter names, resolved against the prompt file's folder (`~` is the home folder). */
export function resolveModelPath(model: string, uri: vscode.Uri): string {
    return expandUserPath(model, path.dirname(uri.fsPath));
}

function variableRows(prompt: PromptFile): VariableRow[] {
    // promptFile lists declared variables first, then undeclared placeholders; the view finds the latter itself.
    const declared = new Set(prompt.variables.map((v) => v.name));
    return prompt.variables.filter((v) => declared.has(v.name)).map((v) => ({
        name: v.name,
        ...(v.default !== undefined ? { default: v.default } : {}),
        ...(v.description !== undefined ? { description: v.description } : {}),
        required: v.required,
        declared: true,
    }));
}

export interface LoadedPromptFile {
    load: PlaygroundLoad;
    prompt?: PromptFile;
}

/** What the view shows when a workspace-supplied model path is not used (Restricted Mode). */
export function restrictedModelNote(model: string): string {
    return `model: ${model} ignored in Restricted Mode (model paths from the workspace are ignored until you trust the folder); the selected model is used.`;
}

/** Reads the document (unsaved changes included) into what the view shows. */
export async function loadPromptFile(uri: vscode.Uri): Promise<LoadedPromptFile> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const user = ownPresets().presets;
    const { prompt, diagnostics } = parsePromptFile(doc.getText(), uri.fsPath, { userPresets: user });
    const problems = diagnostics.filter((d) => d.severity === "error").map((d) => `Line ${d.line}: ${d.message}`);
    if (!prompt) {
        return {
            load: {
                source: promptSourceOf(uri),
                draft: { system: "", user: doc.getText(), values: {} },
                columns: [columnFrom({})],
                variables: [],
                problems: problems.length ? problems : ["The file could not be read as a prompt file."],
            },
        };
    }
    let sampling: SamplingParams;
    try {
        sampling = promptSampling(prompt, { userPresets: user, file: uri.fsPath });
    } catch (e) {
        problems.push(e instanceof Error ? e.message : String(e));
        sampling = promptSampling({ ...prompt, preset: undefined }, { userPresets: user });
    }
    const preset = prompt.preset ? resolvePreset(prompt.preset, user) : undefined;
    // A workspace file must not choose which GGUF llama.cpp loads until the folder is trusted.
    const modelPath = prompt.model && vscode.workspace.isTrusted ? resolveModelPath(prompt.model, uri) : undefined;
    if (prompt.model && !modelPath) problems.push(restrictedModelNote(prompt.model));
    const column = columnFrom(sampling, {
        ...(preset ? { presetId: preset.id } : {}),
        ...(modelPath ? { modelPath } : {}),
    });
    return {
        prompt,
        load: {
            source: promptSourceOf(uri, prompt),
            draft: { system: prompt.system ?? "", user: prompt.user, values: {} },
            columns: [column],
            variables: variableRows(prompt),
            ...(problems.length ? { problems } : {}),
        },
    };
}

/** How the front matter names a model: relative to the prompt file when both are in one workspace folder. */
export function modelReference(modelPath: string, uri: vscode.Uri): string {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const modelFolder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(modelPath));
    if (folder && modelFolder && folder.uri.toString() === modelFolder.uri.toString()) {
        const rel = path.relative(path.dirname(uri.fsPath), modelPath).split(path.sep).join("/");
        return rel.startsWith(".") ? rel : `./${rel}`;
    }
    return modelPath;
}

/**
 * The front-matter patch for a column: its model (when it has its own), its preset when the values still
 * match one (then the preset's keys are removed from `sampling`, which keeps only what differs: max
 * tokens, seed, stop), or else every style value; the seed (removed when random) and the constraint.
 */
export function columnPatch(column: ColumnSettings, uri: vscode.Uri): { sampling: Partial<Record<keyof SamplingParams, unknown>>; model?: string; preset: string | null } {
    const effective = columnSampling(column);
    const preset = column.presetId ? presetViews().find((p) => p.id === column.presetId) : undefined;
    const keepPreset = preset && presetMatches(column, preset);
    const sampling: Partial<Record<keyof SamplingParams, unknown>> = {};
    for (const k of STYLE_KEYS) sampling[k] = keepPreset && preset.sampling[k] !== undefined ? undefined : effective[k];
    sampling.maxTokens = effective.maxTokens;
    sampling.seed = effective.seed;
    sampling.stop = effective.stop;
    sampling.jsonSchema = effective.jsonSchema;
    sampling.grammar = effective.grammar;
    return {
        sampling,
        ...(column.modelPath ? { model: modelReference(column.modelPath, uri) } : {}),
        preset: keepPreset ? preset.id : null,
    };
}

/**
 * Writes a column's settings into the prompt file's front matter with one WorkspaceEdit. The document
 * is opened (not saved): the change shows as unsaved and Ctrl+Z in its editor takes it back. Resolves
 * false when nothing changed.
 */
export async function saveColumnToFile(uri: vscode.Uri, column: ColumnSettings): Promise<boolean> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const patch = columnPatch(column, uri);
    const text = doc.getText();
    const { start, end, newText } = updateFrontMatter(text, patch);
    if (start === end && newText === "") return false;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(doc.positionAt(start), doc.positionAt(end)), newText);
    const ok = await vscode.workspace.applyEdit(edit);
    if (!ok) throw new Error(`VS Code did not apply the edit to ${sourcePath(uri)}.`);
    return true;
}
