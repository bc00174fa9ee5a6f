// The selected model's state, shared by the status bar, the model commands and every feature that runs
// the model (playground, code generation). One store, owned by registerModels and disposed with it.
import * as vscode from "vscode";
import path from "node:path";
import type { GgufInfo } from "../core/gguf/reader.ts";

export type ModelState =
    /** No model loaded. `path`: the selected model (from the setting), not loaded yet. */
    | { kind: "none"; path?: string }
    /** Being loaded in the runner process; progress 0..1. */
    | { kind: "loading"; path: string; progress: number }
    | { kind: "ready"; path: string; info: GgufInfo }
    | { kind: "generating"; path: string }
    /** The last load or run failed; `message` is the error's plain-language message, `fix` what to do. */
    | { kind: "error"; path: string; message: string; fix?: string };

export class ModelStateStore implements vscode.Disposable {
    private value: ModelState = { kind: "none" };
    private readonly emitter = new vscode.EventEmitter<ModelState>();
    readonly onDidChange = this.emitter.event;

    get current(): ModelState {
        return this.value;
    }

    set(next: ModelState): void {
        const prev = this.value;
        if (sameState(prev, next)) return;
        this.value = next;
        this.emitter.fire(next);
    }

    dispose(): void {
        this.emitter.dispose();
    }
}

function sameState(a: ModelState, b: ModelState): boolean {
    if (a.kind !== b.kind || modelPathOf(a) !== modelPathOf(b)) return false;
    if (a.kind === "loading" && b.kind === "loading") return Math.round(a.progress * 100) === Math.round(b.progress * 100);
    if (a.kind === "ready" && b.kind === "ready") return a.info === b.info;
    if (a.kind === "error" && b.kind === "error") return a.message === b.message && a.fix === b.fix;
    return true;
}

export function modelPathOf(state: ModelState): string | undefined {
    return state.path;
}

/** The name shown for a model: the file name without ".gguf". */
export function modelDisplayName(modelPath: string): string {
    return path.basename(modelPath).replace(/\.gguf$/i, "");
}
