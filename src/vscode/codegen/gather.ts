// What code generation takes from the editor: the target (the document, its version, the selection or
// the cursor, captured when the request starts) and the context candidates (the selection, the current
// file, the other open files) that context packing chooses from.
import * as vscode from "vscode";
import path from "node:path";
import type { ContextCandidate } from "../../core/codegen/context.ts";
import { PROPOSAL_SCHEME, type EditorView, type IncludeOptions } from "../../protocol/codegen.ts";

/** Open files larger than this are not offered as context (a bundle, a data file). */
const MAX_CONTEXT_FILE_CHARS = 400_000;
/** At most this many other open files are offered. */
const MAX_OPEN_FILES = 20;

/** The target editor's document and selection at the moment a request starts. */
export interface TargetSnapshot {
    uri: vscode.Uri;
    version: number;
    text: string;
    languageId: string;
    /** Selection (or cursor, when start === end), as offsets into `text`. */
    start: number;
    end: number;
    /** The cursor (the selection's active end). */
    cursor: number;
    /** Workspace-relative path, or the untitled name. */
    label: string;
    eol: "\n" | "\r\n";
}

/** Editors that code can go into: files, untitled documents and other writable file systems; never our own proposals or output. */
export function isTargetEditor(editor: vscode.TextEditor | undefined): editor is vscode.TextEditor {
    if (!editor) return false;
    const scheme = editor.document.uri.scheme;
    if (scheme === PROPOSAL_SCHEME) return false;
    if (scheme === "file" || scheme === "untitled") return true;
    return vscode.workspace.fs.isWritableFileSystem(scheme) === true;
}

export function documentLabel(uri: vscode.Uri): string {
    if (uri.scheme === "untitled") return uri.path;
    const rel = vscode.workspace.asRelativePath(uri, false);
    return rel || path.basename(uri.fsPath);
}

export function snapshotTarget(editor: vscode.TextEditor): TargetSnapshot {
    const doc = editor.document;
    const sel = editor.selection;
    return {
        uri: doc.uri,
        version: doc.version,
        text: doc.getText(),
        languageId: doc.languageId,
        start: doc.offsetAt(sel.start),
        end: doc.offsetAt(sel.end),
        cursor: doc.offsetAt(sel.active),
        label: documentLabel(doc.uri),
        eol: doc.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n",
    };
}

export function editorView(editor: vscode.TextEditor | undefined): EditorView | undefined {
    if (!isTargetEditor(editor)) return undefined;
    const sel = editor.selection;
    return {
        label: documentLabel(editor.document.uri),
        languageId: editor.document.languageId,
        selectionLines: sel.isEmpty ? 0 : sel.end.line - sel.start.line + (sel.end.character > 0 || sel.end.line === sel.start.line ? 1 : 0),
    };
}

/** 1-based line of an offset in a text. */
export function lineAt(text: string, offset: number): number {
    let line = 1;
    for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) line++;
    return line;
}

/**
 * The context candidates for a request, in priority order. `skipSelection`: Edit Selection sends the
 * selection as the code to edit, not as context.
 */
export function contextCandidates(target: TargetSnapshot | undefined, include: IncludeOptions, options: { skipSelection?: boolean } = {}): ContextCandidate[] {
    const out: ContextCandidate[] = [];
    if (target && include.selection && !options.skipSelection && target.end > target.start) {
        const from = lineAt(target.text, target.start);
        const to = lineAt(target.text, target.end);
        out.push({
            id: "selection",
            kind: "selection",
            label: `Selection in ${target.label} (lines ${from}–${to})`,
            code: target.text.slice(target.start, target.end),
            language: target.languageId,
        });
    }
    if (target && include.currentFile && target.text.length <= MAX_CONTEXT_FILE_CHARS) {
        out.push({ id: `file:${target.uri.toString()}`, kind: "currentFile", label: target.label, code: target.text, language: target.languageId, focusOffset: target.cursor });
    }
    if (include.openFiles) {
        const seen = new Set<string>(target ? [target.uri.toString()] : []);
        for (const doc of openDocuments()) {
            const key = doc.uri.toString();
            if (seen.has(key)) continue;
            seen.add(key);
            if (out.filter((c) => c.kind === "openFile").length >= MAX_OPEN_FILES) break;
            const text = doc.getText();
            if (text.length > MAX_CONTEXT_FILE_CHARS) continue;
            out.push({ id: `file:${key}`, kind: "openFile", label: documentLabel(doc.uri), code: text, language: doc.languageId });
        }
    }
    return out;
}

/** Documents open in editor tabs (most recently active group first), loaded and not our own. */
function openDocuments(): vscode.TextDocument[] {
    const loaded = new Map(vscode.workspace.textDocuments.map((d) => [d.uri.toString(), d]));
    const groups = [...vscode.window.tabGroups.all].sort((a, b) => Number(b.isActive) - Number(a.isActive));
    const docs: vscode.TextDocument[] = [];
    for (const g of groups) {
        for (const tab of g.tabs) {
            if (!(tab.input instanceof vscode.TabInputText)) continue;
            const doc = loaded.get(tab.input.uri.toString());
            if (doc && (doc.uri.scheme === "file" || doc.uri.scheme === "untitled")) docs.push(doc);
        }
    }
    return docs;
}
