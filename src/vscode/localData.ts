// The extension's local history and feedback store: one LocalStore per extension, in
// <globalStorage>/history, bounded by the setting promptsmith.history.maxEntries (followed live), and
// disposed with the extension. Nothing in it leaves the machine.
import * as vscode from "vscode";
import path from "node:path";
import { LocalStore } from "../core/store/localStore.ts";
import type { Services } from "./services.ts";

export { LocalStore } from "../core/store/localStore.ts";
export type { FeedbackRecord, RunFilter, RunRecord } from "../core/store/localStore.ts";

const MAX_ENTRIES_SETTING = "promptsmith.history.maxEntries";
const DEFAULT_MAX_ENTRIES = 500;

const stores = new WeakMap<vscode.ExtensionContext, LocalStore>();

/** The history store of this extension (created on first use). */
export function localStore(services: Services): LocalStore {
    const { context } = services;
    const existing = stores.get(context);
    if (existing) return existing;
    const store = new LocalStore({
        dir: path.join(context.globalStorageUri.fsPath, "history"),
        maxRuns: maxEntries(services),
        logger: services.logger,
    });
    stores.set(context, store);
    context.subscriptions.push(
        vscode.workspace.onDidChangeConfiguration((e) => {
            if (e.affectsConfiguration(MAX_ENTRIES_SETTING)) {
                const n = maxEntries(services);
                if (n !== store.maxRuns) {
                    services.logger.info(`History: keeping at most ${n} runs.`);
                    store.setMaxRuns(n);
                }
            }
        }),
        {
            dispose: () => {
                store.dispose();
                if (stores.get(context) === store) stores.delete(context);
            },
        },
    );
    return store;
}

/** The setting, or its default when it is not a whole number of 0 or more (the schema allows 0..100000). */
function maxEntries(services: Services): number {
    const value = vscode.workspace.getConfiguration("promptsmith.history").get<number>("maxEntries", DEFAULT_MAX_ENTRIES);
    if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
    services.logger.warn(`${MAX_ENTRIES_SETTING} must be a whole number of 0 or more, got ${JSON.stringify(value)}; using ${DEFAULT_MAX_ENTRIES}.`);
    return DEFAULT_MAX_ENTRIES;
}
