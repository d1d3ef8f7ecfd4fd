// Bundles the extension (Node, CommonJS) and the webview (browser, IIFE) with esbuild.
//   node scripts/build.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, existsSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'info' };

// The HTML report (`remap report`) inlines the webview bundle: copy report.js and the CSS
// into the Python package after every webview build (python_server/remap/report/assets/).
const reportAssets = {
  name: 'report-assets',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length || !existsSync('dist/webview/report.js')) return;
      const assets = 'python_server/remap/report/assets';
      mkdirSync(assets, { recursive: true });
      cpSync('dist/webview/report.js', `${assets}/report.js`);
      cpSync('webview/media/remap.css', `${assets}/remap.css`);
    });
  },
};

const builds = [
  {
    ...common,
    entryPoints: ['extension/src/extension.ts'],
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    outfile: 'dist/extension.js',
  },
  {
    ...common,
    entryPoints: { main: 'webview/src/main.ts', report: 'webview/src/report.ts' },
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    outdir: 'dist/webview',
    plugins: [reportAssets],
  },
].filter((options) => {
  const entries = Array.isArray(options.entryPoints)
    ? options.entryPoints
    : Object.values(options.entryPoints);
  return entries.every((entry) => existsSync(entry));
});

mkdirSync('dist/webview', { recursive: true });
if (existsSync('webview/media')) cpSync('webview/media', 'dist/webview/media', { recursive: true });

if (watch) {
  for (const options of builds) await (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
