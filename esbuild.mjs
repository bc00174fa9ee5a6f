// Bundles the extension host entry, the model runner process and the CLI.
// node-llama-cpp is ESM-only with native binaries: it stays external and is loaded with import().
import * as esbuild from "esbuild";

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

if (watch) {
    const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
    await Promise.all(contexts.map((c) => c.watch()));
    console.log("esbuild: watching");
} else {
    await Promise.all(builds.map((b) => esbuild.build(b)));
}
