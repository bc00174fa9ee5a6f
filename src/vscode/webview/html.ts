// The HTML around a bundled webview UI (dist/webview/<name>.js), shared by every Promptsmith webview.
// Strict Content-Security-Policy: scripts only with this page's nonce, styles and fonts only from the
// extension's own files (Lit, used by @vscode-elements/elements, styles its components with
// constructable stylesheets, which need no 'unsafe-inline'), no network, no inline script. Data never
// goes into the HTML: the page sends "ready" and the extension answers with postMessage.
import * as vscode from "vscode";
import { randomBytes } from "node:crypto";

/** Where webview files may be loaded from: the bundled UIs and media, nothing else. */
export function webviewRoots(extensionUri: vscode.Uri): vscode.Uri[] {
    return [vscode.Uri.joinPath(extensionUri, "dist", "webview"), vscode.Uri.joinPath(extensionUri, "media")];
}

/** Options for a webview (view or panel): scripts on, resources only from webviewRoots. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
    return { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewRoots(extensionUri) };
}

export interface WebviewPage {
    /** The bundle's name: dist/webview/<name>.js (and <name>.css when the build wrote one). */
    name: string;
    /** The page title (read by screen readers). */
    title: string;
}

const escapeAttr = (s: string): string => s.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function nonce(): string {
    return randomBytes(18).toString("base64url");
}

/** The page's HTML. `extensionUri` is the extension's folder (context.extensionUri). */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
    const n = nonce();
    const asset = (...p: string[]): string => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webview", ...p)).toString();
    const csp = [
        "default-src 'none'",
        `script-src 'nonce-${n}'`,
        `style-src ${webview.cspSource}`,
        `font-src ${webview.cspSource}`,
        `img-src ${webview.cspSource} data:`,
    ].join("; ");
    return `<!DOCTYPE html>
<html lang="${escapeAttr(vscode.env.language || "en")}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttr(asset("codicons", "codicon.css"))}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${escapeAttr(asset("common.css"))}">
<link rel="stylesheet" href="${escapeAttr(asset(`${page.name}.css`))}">
<title>${escapeAttr(page.title)}</title>
</head>
<body>
<div id="app" aria-busy="true"></div>
<script type="module" nonce="${n}" src="${escapeAttr(asset(`${page.name}.js`))}"></script>
</body>
</html>`;
}
