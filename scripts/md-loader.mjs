// Lets Node (and tsx) import `.md` files as text, the way esbuild's `loader: { ".md": "text" }` does in
// the bundles: `import text from "./x.md"` gives the file's contents as the default export (a string).
// Used only for running TypeScript sources directly (tests, benches); the bundles never need it.
//
// Usage: node --import tsx --import ./scripts/md-loader.mjs --test test/codegen.spec.ts
//
// Both module systems are covered, as tsx runs a .ts file as ESM or as CommonJS depending on the
// package.json "type" (and .mts / .cts), and a CommonJS file's imports become require() calls:
//   - CommonJS: a require.extensions handler for ".md".
//   - ESM: a module-customization `load` hook registered with module.register().
import Module, { register } from "node:module";
import { readFileSync } from "node:fs";

// Module._extensions is what require.extensions points to (deprecated as an API, still how tsx and
// other require hooks work).
Module._extensions[".md"] = (module, filename) => {
    module.exports = { __esModule: true, default: readFileSync(filename, "utf8") };
};

const hooks = `
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
export async function load(url, context, nextLoad) {
    const path = url.startsWith("file:") ? new URL(url).pathname : "";
    if (path.endsWith(".md")) {
        const text = readFileSync(fileURLToPath(url), "utf8");
        return { format: "module", source: "export default " + JSON.stringify(text) + ";", shortCircuit: true };
    }
    return nextLoad(url, context);
}
`;
register("data:text/javascript," + encodeURIComponent(hooks));
