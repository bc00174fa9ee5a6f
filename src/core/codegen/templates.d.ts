// esbuild bundles .md files with its text loader (esbuild.mjs: loader { ".md": "text" }); under tsx the
// same import is served by scripts/md-loader.mjs. Either way the default export is the file's text.
declare module "*.md" {
    const text: string;
    export default text;
}
