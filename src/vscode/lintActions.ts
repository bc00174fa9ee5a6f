// Quick fixes for Promptsmith diagnostics: each fix a finding offers, "Suppress <rule> on this line…"
// (asks for a reason, inserts a promptsmith-disable-next-line comment) and "Fix all" (also offered as
// source.fixAll.promptsmith, for editor.codeActionsOnSave).
import * as vscode from "vscode";
import { applyFixes, chooseFix } from "../core/lint/fix.ts";
import { parseSuppressions } from "../core/lint/suppress.ts";
import type { Finding, Fix } from "../core/lint/types.ts";
import { LINT_SOURCE } from "./lintConfigs.ts";

export const SUPPRESS_COMMAND = "promptsmith.lint.suppressOnLine";
export const FIX_ALL_COMMAND = "promptsmith.fixAllInFile";
export const SOURCE_FIX_ALL_KIND = vscode.CodeActionKind.SourceFixAll.append("promptsmith");

/** What the provider needs from the linting service. */
export interface LintFindings {
    /** Findings of the document's current version (relinted first if it changed); undefined when it is not linted. */
    currentFindings(doc: vscode.TextDocument): Finding[] | undefined;
}

export function rangeOf(doc: vscode.TextDocument, span: { start: number; end: number }): vscode.Range {
    return new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.end));
}

/** The automatic fixes of `findings` as one WorkspaceEdit (one undo step), and how many there are. */
export function fixAllEdit(doc: vscode.TextDocument, findings: readonly Finding[]): { edit: vscode.WorkspaceEdit; applied: number; skipped: number } {
    const outcome = applyFixes(doc.getText(), findings);
    const edit = new vscode.WorkspaceEdit();
    for (const fix of outcome.applied) edit.replace(doc.uri, rangeOf(doc, fix), fix.replacement);
    return { edit, applied: outcome.applied.length, skipped: outcome.skipped.length };
}

export class LintCodeActionProvider implements vscode.CodeActionProvider {
    static readonly metadata: vscode.CodeActionProviderMetadata = {
        providedCodeActionKinds: [vscode.CodeActionKind.QuickFix, SOURCE_FIX_ALL_KIND],
    };

    constructor(private readonly lint: LintFindings) {}

    provideCodeActions(doc: vscode.TextDocument, _range: vscode.Range | vscode.Selection, context: vscode.CodeActionContext, token: vscode.CancellationToken): vscode.CodeAction[] | undefined {
        const wantFixAll = context.only !== undefined && context.only.contains(SOURCE_FIX_ALL_KIND);
        const wantQuickFix = context.only === undefined || context.only.contains(vscode.CodeActionKind.QuickFix);
        const ours = context.diagnostics.filter((d) => d.source === LINT_SOURCE && d.code !== "config");
        if (!wantFixAll && (!wantQuickFix || ours.length === 0)) return undefined;
        const findings = this.lint.currentFindings(doc);
        if (!findings || token.isCancellationRequested) return undefined;
        const actions: vscode.CodeAction[] = [];

        if (wantFixAll) {
            const { edit, applied } = fixAllEdit(doc, findings);
            if (applied > 0) {
                const action = new vscode.CodeAction("Fix all Promptsmith problems in this file", SOURCE_FIX_ALL_KIND);
                action.edit = edit;
                actions.push(action);
            }
        }
        if (!wantQuickFix) return actions;

        let fixable = false;
        for (const diagnostic of ours) {
            const finding = findingOf(doc, diagnostic, findings);
            if (!finding) continue;
            const preferred = chooseFix(finding);
            for (const fix of finding.fixes) actions.push(this.fixAction(doc, diagnostic, fix, fix === preferred));
            if (preferred) fixable = true;
            if (finding.ruleId !== "unused-suppression") {
                const title = `Suppress ${finding.ruleId} on this line…`;
                const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
                action.diagnostics = [diagnostic];
                action.command = { command: SUPPRESS_COMMAND, title, arguments: [doc.uri, doc.positionAt(finding.start).line, finding.ruleId] };
                actions.push(action);
            }
        }
        if (fixable) {
            const title = "Fix all Promptsmith problems in this file";
            const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
            action.command = { command: FIX_ALL_COMMAND, title, arguments: [doc.uri] };
            actions.push(action);
        }
        return actions;
    }

    private fixAction(doc: vscode.TextDocument, diagnostic: vscode.Diagnostic, fix: Fix, preferred: boolean): vscode.CodeAction {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(doc.uri, rangeOf(doc, fix), fix.replacement);
        action.diagnostics = [diagnostic];
        action.isPreferred = preferred;
        return action;
    }
}

/**
 * The finding behind a diagnostic: same rule and exact offsets when the diagnostic is current,
 * else (the document changed since) the finding of that rule that overlaps the diagnostic.
 */
export function findingOf(doc: vscode.TextDocument, diagnostic: vscode.Diagnostic, findings: readonly Finding[]): Finding | undefined {
    const ruleId = typeof diagnostic.code === "object" ? String(diagnostic.code.value) : String(diagnostic.code);
    const start = doc.offsetAt(diagnostic.range.start);
    const end = doc.offsetAt(diagnostic.range.end);
    const same = findings.filter((f) => f.ruleId === ruleId);
    return same.find((f) => f.start === start && f.end === end) ?? same.find((f) => f.start <= end && start <= f.end);
}

/** The suppress command: asks for a reason and inserts (or extends) a disable-next-line comment above `line`. */
export async function suppressOnLine(uri: vscode.Uri, line: number, ruleId: string): Promise<boolean> {
    const doc = await vscode.workspace.openTextDocument(uri);
    if (line < 0 || line >= doc.lineCount) return false;
    const reason = await vscode.window.showInputBox({
        title: `Suppress ${ruleId} on line ${line + 1}`,
        prompt: "Why is this acceptable here? The reason stays in the comment for reviewers (leave empty for none).",
        placeHolder: "e.g. a published support address",
        ignoreFocusOut: true,
        validateInput: (v) => (v.includes("-->") ? "The reason cannot contain -->" : undefined),
    });
    if (reason === undefined) return false;
    const why = reason.replace(/\s+/g, " ").trim();
    const edit = new vscode.WorkspaceEdit();
    const target = doc.lineAt(line);
    const previous = line > 0 ? doc.lineAt(line - 1) : undefined;
    const existing = previous && previous.text.trimStart().startsWith("<!--") ? parseSuppressions(previous.text)[0] : undefined;
    if (previous && existing?.kind === "disable-next-line" && existing.rules.length > 0) {
        // A second comment in between would make the existing one apply to the new comment line.
        const indent = previous.text.slice(0, previous.firstNonWhitespaceCharacterIndex);
        const rules = existing.rules.includes(ruleId) ? existing.rules : [...existing.rules, ruleId];
        const reasons = [existing.reason, why].filter(Boolean).join("; ");
        edit.replace(uri, previous.range, `${indent}${directive(rules, reasons)}`);
    } else {
        const indent = target.text.slice(0, target.firstNonWhitespaceCharacterIndex);
        const eol = doc.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n";
        edit.insert(uri, new vscode.Position(line, 0), `${indent}${directive([ruleId], why)}${eol}`);
    }
    return vscode.workspace.applyEdit(edit);
}

function directive(rules: readonly string[], reason: string): string {
    return `<!-- promptsmith-disable-next-line ${rules.join(" ")}${reason ? ` -- ${reason}` : ""} -->`;
}
