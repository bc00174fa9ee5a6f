// The "Select Model" QuickPick: .gguf files from the models folder and (in a trusted workspace) the
// workspace, each described from its GGUF header. The list opens at once; headers are read a few at a
// time in the background (cached by size and mtime) and the items fill in as they arrive.
import * as vscode from "vscode";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { readGgufInfo, type GgufInfo } from "../core/gguf/reader.ts";
import { formatBytes, formatParameterCount } from "../core/format.ts";
import { isPromptsmithError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";

export type ModelPickResult = { action: "file"; path: string } | { action: "browse" } | { action: "download" };

interface PickItem extends vscode.QuickPickItem {
    result?: ModelPickResult;
}

interface HeaderEntry {
    size: number;
    mtimeMs: number;
    info?: GgufInfo;
    error?: string;
}

const HEADER_CONCURRENCY = 4;
const MAX_FOLDER_FILES = 200;
const WORKSPACE_LIMIT = 200;

/** Header summaries by path, valid while the file's size and mtime are unchanged. */
export class HeaderCache {
    private readonly entries = new Map<string, HeaderEntry>();

    async read(file: string, signal?: AbortSignal): Promise<HeaderEntry> {
        let st;
        try {
            st = await stat(file);
        } catch (e) {
            return { size: 0, mtimeMs: 0, error: isPromptsmithError(e) ? e.message : `The file cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}).` };
        }
        const cached = this.entries.get(file);
        if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached;
        let entry: HeaderEntry;
        try {
            entry = { size: st.size, mtimeMs: st.mtimeMs, info: await readGgufInfo(file, { signal }) };
        } catch (e) {
            if (signal?.aborted) throw e;
            entry = { size: st.size, mtimeMs: st.mtimeMs, error: isPromptsmithError(e) ? e.message : e instanceof Error ? e.message : String(e) };
        }
        this.entries.set(file, entry);
        if (this.entries.size > 500) this.entries.delete(this.entries.keys().next().value as string);
        return entry;
    }
}

/** "Q4_K_M · 1.5B · ctx 32768 · 1.0 GB" */
export function describeModelBrief(info: GgufInfo): string {
    return [info.quantization, formatParameterCount(info.parameterCount), `ctx ${info.contextLength ?? "?"}`, formatBytes(info.fileSize)].join(" · ");
}

/** .gguf files in `dir` and its direct subfolders (downloads in progress excluded). */
export async function listFolderModels(dir: string): Promise<string[]> {
    const out: string[] = [];
    const visit = async (folder: string, depth: number): Promise<void> => {
        let entries;
        try {
            entries = await readdir(folder, { withFileTypes: true });
        } catch {
            return; // a missing models folder is normal before the first download
        }
        entries.sort((a, b) => a.name.localeCompare(b.name));
        for (const e of entries) {
            if (out.length >= MAX_FOLDER_FILES) return;
            const full = path.join(folder, e.name);
            if (e.isFile() && /\.gguf$/i.test(e.name)) out.push(full);
            else if (e.isDirectory() && depth > 0 && !e.name.startsWith(".")) await visit(full, depth - 1);
        }
    };
    await visit(dir, 1);
    return out;
}

/** Runs `fn` over `items` with at most `limit` at a time; stops starting new ones once `signal` aborts. */
async function forEachLimited<T>(items: T[], limit: number, signal: AbortSignal, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
        while (next < items.length && !signal.aborted) {
            const item = items[next++] as T;
            await fn(item);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

export interface PickModelOptions {
    modelsDir: string;
    /** The workspace is searched only when trusted (Restricted Mode ignores model paths from it). */
    includeWorkspace: boolean;
    currentPath: string | undefined;
    cache: HeaderCache;
    logger: Logger;
}

/** Shows the picker; resolves with the user's choice, or undefined when dismissed. */
export async function pickModel(o: PickModelOptions): Promise<ModelPickResult | undefined> {
    const qp = vscode.window.createQuickPick<PickItem>();
    qp.title = "Promptsmith: Select Model";
    qp.placeholder = "Choose a GGUF model file";
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.busy = true;

    const abort = new AbortController();
    const actions: PickItem[] = [
        { label: "", kind: vscode.QuickPickItemKind.Separator },
        { label: "$(folder-opened) Browse…", detail: "Choose a .gguf file anywhere on this machine", alwaysShow: true, result: { action: "browse" } },
        { label: "$(cloud-download) Download recommended model", detail: "Asks before downloading anything", alwaysShow: true, result: { action: "download" } },
    ];
    qp.items = actions;

    const done = new Promise<ModelPickResult | undefined>((resolve) => {
        qp.onDidAccept(() => {
            const picked = qp.selectedItems[0]?.result;
            if (!picked) return;
            resolve(picked);
            qp.hide();
        });
        qp.onDidHide(() => {
            abort.abort();
            resolve(undefined);
            qp.dispose();
        });
    });
    qp.show();

    void (async () => {
        const [folderFiles, workspaceFiles] = await Promise.all([
            listFolderModels(o.modelsDir),
            o.includeWorkspace
                ? Promise.resolve(vscode.workspace.findFiles("**/*.gguf", "**/node_modules/**", WORKSPACE_LIMIT)).then(
                      (uris) => uris.filter((u) => u.scheme === "file").map((u) => u.fsPath).sort((a, b) => a.localeCompare(b)),
                      () => [] as string[],
                  )
                : Promise.resolve([] as string[]),
        ]);
        if (abort.signal.aborted) return;
        const seen = new Set<string>();
        const unique = (files: string[]): string[] => files.filter((f) => !seen.has(f) && (seen.add(f), true));
        const groups: Array<{ title: string; files: string[] }> = [
            { title: `Models folder (${o.modelsDir})`, files: unique(folderFiles) },
            { title: "Workspace", files: unique(workspaceFiles) },
        ];
        const byPath = new Map<string, PickItem>();
        for (const g of groups) {
            for (const f of g.files) {
                byPath.set(f, {
                    label: path.basename(f),
                    description: f === o.currentPath ? "current · reading header…" : "reading header…",
                    detail: f,
                    iconPath: new vscode.ThemeIcon(f === o.currentPath ? "check" : "file-binary"),
                    result: { action: "file", path: f },
                });
            }
        }
        const render = (): void => {
            if (abort.signal.aborted) return;
            const activePath = qp.activeItems[0]?.result;
            const items: PickItem[] = [];
            for (const g of groups) {
                if (g.files.length === 0) continue;
                items.push({ label: g.title, kind: vscode.QuickPickItemKind.Separator });
                for (const f of g.files) items.push(byPath.get(f) as PickItem);
            }
            if (!o.includeWorkspace && !vscode.workspace.isTrusted) {
                items.push({ label: "Workspace models are hidden in Restricted Mode", kind: vscode.QuickPickItemKind.Separator });
            }
            qp.items = [...items, ...actions];
            // Keep the highlighted row; at first, highlight the current model (Enter keeps it).
            const keep = activePath?.action === "file" ? activePath.path : o.currentPath;
            if (keep) {
                const again = qp.items.find((i) => i.result?.action === "file" && i.result.path === keep);
                if (again) qp.activeItems = [again];
            }
        };
        if (byPath.size === 0) qp.placeholder = `No .gguf files found in ${o.modelsDir}${o.includeWorkspace ? " or the workspace" : ""}: browse for one or download the recommended model`;
        render();

        let timer: ReturnType<typeof setTimeout> | undefined;
        const scheduleRender = (): void => {
            timer ??= setTimeout(() => {
                timer = undefined;
                render();
            }, 100);
        };
        await forEachLimited([...byPath.keys()], HEADER_CONCURRENCY, abort.signal, async (file) => {
            let entry: HeaderEntry;
            try {
                entry = await o.cache.read(file, abort.signal);
            } catch {
                return; // cancelled
            }
            const item = byPath.get(file) as PickItem;
            const current = file === o.currentPath ? "current · " : "";
            if (entry.info) {
                item.description = current + describeModelBrief(entry.info);
            } else {
                item.description = `${current}not usable · ${formatBytes(entry.size)}`;
                item.detail = `${entry.error ?? "The header could not be read."} — ${file}`;
                item.iconPath = new vscode.ThemeIcon("warning");
            }
            byPath.set(file, { ...item });
            scheduleRender();
        });
        if (timer) clearTimeout(timer);
        timer = undefined;
        render();
        if (!abort.signal.aborted) qp.busy = false;
    })().catch((e: unknown) => {
        o.logger.warn(`Model picker: listing models failed: ${e instanceof Error ? e.message : String(e)}`);
        if (!abort.signal.aborted) qp.busy = false;
    });

    return done;
}
