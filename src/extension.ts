// VS Code entry point. Thin by design: it builds the services and registers every feature's commands
// up front; the work is done by src/core (shared with the CLI) through the adapters in src/vscode.
import * as vscode from "vscode";
import { createServices } from "./vscode/services.ts";
import { getModelState, registerModels, selectModelPath } from "./vscode/models.ts";
import { lintDocumentNow, promptTokenCount, registerLinting } from "./vscode/linting.ts";
import { checkPromptFileNow, registerPromptFiles } from "./vscode/promptFiles.ts";
import { registerCodegen, type CodegenApi } from "./vscode/codegen/index.ts";
import { monitoringModel, monitoringStore, monitoringViewModel, registerMonitoring } from "./vscode/monitoring.ts";
import { registerPlayground, type PlaygroundApi } from "./vscode/playground/register.ts";

/** What activate() returns: for the in-editor test suite and for other extensions. */
export interface PromptsmithApi {
    getModelState: typeof getModelState;
    selectModelPath: typeof selectModelPath;
    lintDocumentNow: typeof lintDocumentNow;
    promptTokenCount: typeof promptTokenCount;
    checkPromptFileNow: typeof checkPromptFileNow;
    /** Code generation: the requirements pane, the diff preview, feedback (for the in-editor tests). */
    codegen: CodegenApi;
    monitoringModel: typeof monitoringModel;
    monitoringViewModel: typeof monitoringViewModel;
    monitoringStore: typeof monitoringStore;
    /** The Prompt Playground: headless runs, save a column, history, the open panel (for the in-editor tests). */
    playground: PlaygroundApi;
}

export function activate(context: vscode.ExtensionContext): PromptsmithApi {
    const started = performance.now();
    const services = createServices(context);
    try {
        context.subscriptions.push(vscode.commands.registerCommand("promptsmith.showLog", () => services.channel.show()));
        registerModels(services);
        registerLinting(services);
        registerPromptFiles(services);
        const codegen = registerCodegen(services);
        registerMonitoring(services);
        const playground = registerPlayground(services);
        services.logger.info(`Promptsmith activated in ${(performance.now() - started).toFixed(1)} ms`);
        return { getModelState, selectModelPath, lintDocumentNow, promptTokenCount, checkPromptFileNow, codegen, monitoringModel, monitoringViewModel, monitoringStore, playground };
    } catch (e) {
        services.logger.error(`Activation failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
        void vscode.window.showErrorMessage("Promptsmith could not start. See its log for details.", "Open Log").then((choice) => {
            if (choice) services.channel.show();
        });
        throw e;
    }
}

export function deactivate(): void {}
