// CSS imported by main.ts is bundled by esbuild into dist/webview/monitoring.css.
declare module "*.css";
