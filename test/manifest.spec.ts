// package.json against the code: every command and setting it declares is used in src/, and every
// promptsmith.* command or setting that src/ uses is declared there.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { repoRoot } from "./support/env.ts";

interface Manifest {
    contributes: { commands: Array<{ command: string }>; configuration: { properties: Record<string, unknown> } };
}
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as Manifest;
const declaredCommands = pkg.contributes.commands.map((c) => c.command);
const declaredSettings = Object.keys(pkg.contributes.configuration.properties);

function tsFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? tsFiles(join(dir, e.name)) : /\.(ts|mts|cts)$/.test(e.name) ? [join(dir, e.name)] : []);
}

interface Use {
    name: string;
    path: string;
}
interface SourceFacts {
    path: string;
    /** Every string literal in the file (comments do not count). */
    literals: Set<string>;
}
const files: SourceFacts[] = [];
/** String constants (`const NAME = "promptsmith.x"`), so that registerCommand(NAME, …) counts as using "promptsmith.x". */
const constants = new Map<string, string>();
const commandUses: Array<{ arg: ts.Expression; path: string }> = [];
const sectionUses: Array<{ arg: ts.Expression; path: string }> = [];
const keyUses: Use[] = [];

const textOf = (e: ts.Node | undefined) => (e && (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) ? e.text : undefined);
const calleeName = (c: ts.CallExpression) => (ts.isPropertyAccessExpression(c.expression) ? c.expression.name.text : ts.isIdentifier(c.expression) ? c.expression.text : "");

for (const abs of tsFiles(join(repoRoot, "src"))) {
    const path = relative(repoRoot, abs);
    const sf = ts.createSourceFile(abs, readFileSync(abs, "utf8"), ts.ScriptTarget.Latest, true);
    const lits = new Set<string>();
    const visit = (n: ts.Node): void => {
        const t = textOf(n);
        if (t !== undefined) lits.add(t);
        if (ts.isVariableDeclaration(n) && ts.isIdentifier(n.name)) {
            const v = textOf(n.initializer);
            if (v?.startsWith("promptsmith.")) constants.set(n.name.text, v);
        }
        if (ts.isPropertyAssignment(n) && ts.isIdentifier(n.name) && n.name.text === "command") commandUses.push({ arg: n.initializer, path });
        if (ts.isCallExpression(n) && n.arguments[0]) {
            const name = calleeName(n);
            if (["registerCommand", "registerTextEditorCommand", "executeCommand"].includes(name)) commandUses.push({ arg: n.arguments[0], path });
            if (["getConfiguration", "affectsConfiguration"].includes(name)) sectionUses.push({ arg: n.arguments[0], path });
            // getConfiguration("promptsmith.x").get("y") and the like, in one chain.
            const inner = ts.isPropertyAccessExpression(n.expression) ? n.expression.expression : undefined;
            if (["get", "inspect", "update"].includes(name) && inner && ts.isCallExpression(inner) && calleeName(inner) === "getConfiguration") {
                const section = textOf(inner.arguments[0]);
                const key = textOf(n.arguments[0]);
                if (section?.split(".")[0] === "promptsmith" && key) keyUses.push({ name: `${section}.${key}`, path });
            }
        }
        ts.forEachChild(n, visit);
    };
    visit(sf);
    files.push({ path, literals: lits });
}

/** The promptsmith.* name an argument stands for: a literal, or a constant holding one. */
function resolveName(e: ts.Expression): string | undefined {
    const v = textOf(e) ?? (ts.isIdentifier(e) ? constants.get(e.text) : ts.isPropertyAccessExpression(e) ? constants.get(e.name.text) : undefined);
    return v === "promptsmith" || v?.startsWith("promptsmith.") ? v : undefined;
}
function grouped(uses: Use[]): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const u of uses) out.set(u.name, [...new Set([...(out.get(u.name) ?? []), u.path])]);
    return out;
}
const resolved = (uses: Array<{ arg: ts.Expression; path: string }>): Use[] =>
    uses.flatMap((u) => {
        const name = resolveName(u.arg);
        return name ? [{ name, path: u.path }] : [];
    });

test("every command declared in package.json is used in src/", () => {
    const unused = declaredCommands.filter((c) => !files.some((f) => f.literals.has(c)));
    assert.deepEqual(unused, [], `declared in package.json, never mentioned in src/: ${unused.join(", ")}`);
});

test("every command that src/ registers or runs is declared in package.json", () => {
    const commands = grouped(resolved(commandUses));
    assert.ok(commands.size > 0 || declaredCommands.length === 0, "found no command registrations in src/ (has the code moved?)");
    const undeclared = [...commands].filter(([c]) => !declaredCommands.includes(c)).map(([c, where]) => `${c} (${where.join(", ")})`);
    assert.deepEqual(undeclared, [], `used in src/ but not in contributes.commands (declare internal ones too, hidden with menus.commandPalette "when": "false"): ${undeclared.join("; ")}`);
});

/**
 * Settings declared for features still being written: each with the reason. The test fails when one of
 * them starts being read, so that this list only ever holds real gaps.
 */
const PENDING_SETTINGS: Record<string, string> = {};

test("every setting declared in package.json is read in src/", () => {
    // A setting a.b.c counts as read when src/ has the literal "promptsmith.a.b.c", or, in one file, a
    // section literal ("promptsmith", "promptsmith.a", …) and the rest of the key ("a.b.c", "b.c", …).
    const isRead = (key: string) => {
        const parts = key.split(".");
        return files.some((f) => f.literals.has(key) ||
            parts.slice(1).some((_, i) => f.literals.has(parts.slice(0, i + 1).join(".")) && f.literals.has(parts.slice(i + 1).join("."))));
    };
    const unread = declaredSettings.filter((k) => !isRead(k) && !(k in PENDING_SETTINGS));
    assert.deepEqual(unread, [], `declared in package.json, never read in src/: ${unread.join(", ")}`);
    const stale = Object.keys(PENDING_SETTINGS).filter((k) => isRead(k) || !declaredSettings.includes(k));
    assert.deepEqual(stale, [], `remove from PENDING_SETTINGS in test/manifest.spec.ts (now read in src/, or no longer declared): ${stale.join(", ")}`);
});

test("every promptsmith.* setting that src/ reads is declared in package.json", () => {
    const sections = grouped(resolved(sectionUses));
    const keys = grouped(keyUses);
    const problems = [
        ...[...sections].filter(([s]) => !declaredSettings.some((k) => k === s || k.startsWith(`${s}.`))).map(([s, where]) => `section ${s} (${where.join(", ")})`),
        ...[...keys].filter(([k]) => !declaredSettings.includes(k)).map(([k, where]) => `${k} (${where.join(", ")})`),
    ];
    assert.deepEqual(problems, [], `read in src/ but not in contributes.configuration: ${problems.join("; ")}`);
});
