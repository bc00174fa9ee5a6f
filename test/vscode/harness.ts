// The in-editor suite's tiny test API, shared by every *.test.ts here. Tests run inside VS Code's
// extension host (see scripts/vscode-test.mjs), one at a time, in registration order.
import * as vscode from "vscode";
import { copyFileSync, existsSync, readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";

export interface TestCase {
    name: string;
    fn: () => Promise<void> | void;
    timeoutMs: number;
}

export const tests: TestCase[] = [];

/** Registers a test. A thrown error fails it; `skip()` marks it skipped with a reason. */
export function test(name: string, fn: () => Promise<void> | void, timeoutMs = 30_000): void {
    tests.push({ name, fn, timeoutMs });
}

/**
 * Lines the suite prints start with this marker: the driver shows those and keeps the workbench's own
 * console chatter (which arrives on the same channel) in its log file. (The extension host pins its
 * console methods, so they cannot be wrapped.)
 */
export const SUITE_MARKER = "[suite] ";

export function log(...args: unknown[]): void {
    console.log(SUITE_MARKER + args.map((a) => (typeof a === "string" ? a : a instanceof Error ? a.stack ?? a.message : JSON.stringify(a))).join(" "));
}

export class SkipError extends Error {}
export function skip(reason: string): never {
    throw new SkipError(reason);
}

/** `publisher.name` from package.json. */
export const EXTENSION_ID = "promptsmith.promptsmith";

export interface Manifest {
    publisher: string;
    name: string;
    activationEvents?: string[];
    contributes: { commands: Array<{ command: string }>; configuration: { properties: Record<string, unknown> } };
}

export function extension(): vscode.Extension<unknown> {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    if (!ext) throw new Error(`Extension ${EXTENSION_ID} is not installed in this host (is extensionDevelopmentPath the repository root?)`);
    return ext;
}

export function manifest(): Manifest {
    return extension().packageJSON as Manifest;
}

export async function activated(): Promise<vscode.Extension<unknown>> {
    const ext = extension();
    if (!ext.isActive) await ext.activate();
    return ext;
}

export function workspaceRoot(): string {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) throw new Error("The suite needs a workspace folder (the driver opens one).");
    return folder.uri.fsPath;
}

interface DriverInfo {
    /** Absolute path of the real test model (stories260K.gguf). */
    model: string;
    /** Absolute path of test/vscode/fixtures in the repository. */
    fixtures: string;
}

/** What the driver wrote into the workspace: the test model's path and where the fixtures come from. */
export function driverInfo(): DriverInfo {
    const p = join(workspaceRoot(), ".promptsmith-test.json");
    if (!existsSync(p)) throw new Error(`${p} is missing: run the suite through scripts/vscode-test.mjs.`);
    return JSON.parse(readFileSync(p, "utf8")) as DriverInfo;
}

let copies = 0;
/** Copies a fixture into the workspace under a new name, so each test edits its own file. */
export function copyFixture(name: string): vscode.Uri {
    const src = join(driverInfo().fixtures, name);
    const ext = name.endsWith(".prompt.md") ? ".prompt.md" : extname(name);
    const dest = join(workspaceRoot(), `${basename(name, ext)}-${++copies}${ext}`);
    copyFileSync(src, dest);
    return vscode.Uri.file(dest);
}

export async function open(uri: vscode.Uri): Promise<vscode.TextEditor> {
    const doc = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(doc, { preview: false });
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` until it returns something other than undefined, or fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = await probe();
        if (v !== undefined) return v;
        if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
        await sleep(100);
    }
}

export function codeOf(d: vscode.Diagnostic): string {
    const c = d.code;
    return typeof c === "object" && c !== null ? String(c.value) : String(c ?? "");
}

/** This extension's diagnostics for `uri` (source "promptsmith", any case). */
export function promptsmithDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
    return vscode.languages.getDiagnostics(uri).filter((d) => (d.source ?? "").toLowerCase().startsWith("promptsmith"));
}

export function assert(cond: unknown, message: string): asserts cond {
    if (!cond) throw new Error(message);
}
