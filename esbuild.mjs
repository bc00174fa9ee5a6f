// Bundles the extension host entry, the model runner process, the CLI and the webview UIs.
// node-llama-cpp is ESM-only with native binaries: it stays external and is loaded with import().
import * as esbuild from "esbuild";
import { cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";

const production = process.argv.includes("--production");
const watch = process.argv.includes("--watch");

/** @type {esbuild.BuildOptions} */
const common = {
    bundle: true,
    platform: "node",
    target: "node20",
    sourcemap: !production,
    minify: production,
    external: ["vscode", "node-llama-cpp"],
    loader: { ".md": "text" },
    logLevel: "warning",
};

const builds = [
    // VS Code extension host entry (CommonJS, as the extension host loads it with require).
    { ...common, entryPoints: ["src/extension.ts"], outfile: "dist/extension.cjs", format: "cjs" },
    // The model runner, forked as its own process.
    { ...common, entryPoints: ["src/core/runner/worker.ts"], outfile: "dist/runner.mjs", format: "esm" },
    // The CLI.
    {
        ...common,
        entryPoints: ["src/cli/main.ts"],
        outfile: "dist/cli.mjs",
        format: "esm",
        banner: { js: "#!/usr/bin/env node\nimport { createRequire as __psCreateRequire } from 'node:module'; const require = __psCreateRequire(import.meta.url);" },
    },
];

// Webview UIs: every webview/<name>/main.ts becomes dist/webview/<name>.js (+ <name>.css when it imports
// CSS), for the browser, with @vscode-elements/elements bundled in. Loaded by src/vscode/webview/html.ts.
const webviews = readdirSync("webview", { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== "common" && existsSync(`webview/${d.name}/main.ts`))
    .map((d) => d.name);
for (const name of webviews) {
    builds.push({
        bundle: true,
        platform: "browser",
        target: "chrome120",
        format: "esm",
        sourcemap: production ? false : "inline",
        minify: production,
        entryPoints: { [name]: `webview/${name}/main.ts` },
        outdir: "dist/webview",
        logLevel: "warning",
    });
}
// Shared stylesheet and the codicon font the Elements components use for their icons.
mkdirSync("dist/webview/codicons", { recursive: true });
cpSync("webview/common/common.css", "dist/webview/common.css");
for (const f of ["codicon.css", "codicon.ttf"]) cpSync(`node_modules/@vscode/codicons/dist/${f}`, `dist/webview/codicons/${f}`);

if (watch) {
    const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
    await Promise.all(contexts.map((c) => c.watch()));
    console.log("esbuild: watching");
} else {
    await Promise.all(builds.map((b) => esbuild.build(b)));
}
