import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
    { ignores: ["dist/**", "dist-test/**", ".vscode-test/**", "node_modules/**", "out/**", "test-results/**"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        languageOptions: { globals: { process: "readonly", console: "readonly", Buffer: "readonly", URL: "readonly", performance: "readonly", AbortController: "readonly", AbortSignal: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setImmediate: "readonly", setInterval: "readonly", clearInterval: "readonly", TextDecoder: "readonly", TextEncoder: "readonly", fetch: "readonly" } },
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
        },
    },
    {
        // The core runs in plain Node (CLI, runner process, tests): it must never depend on VS Code.
        files: ["src/core/**/*.ts"],
        rules: {
            "no-restricted-imports": ["error", {
                paths: [{ name: "vscode", message: "src/core must not import vscode: put VS Code code in an adapter outside src/core." }],
                patterns: [{ group: ["**/extension", "**/extension.*", "../**/vscode/**"], message: "src/core must not import the VS Code adapters." }],
            }],
        },
    },
    {
        // Webview UIs run in the browser sandbox of a webview: DOM globals, no Node, no vscode module.
        files: ["webview/**/*.ts"],
        languageOptions: { globals: { ...globals.browser } },
        rules: {
            "no-restricted-imports": ["error", {
                paths: [{ name: "vscode", message: "Webviews cannot use the vscode module: send a message to the extension instead." }],
                patterns: [{ group: ["node:*", "**/src/vscode/**", "**/src/cli/**"], message: "Webviews import src/protocol/, browser-safe src/core modules and their own modules, never Node or the extension's adapters." }],
            }],
        },
    },
);
