import { defineConfig } from 'vitest/config';

// Unit tests for the TypeScript that runs without VS Code (pure modules of the extension
// and the webview). Modules that import 'vscode' are tested in the real VS Code e2e suite.
export default defineConfig({
  test: {
    include: ['tests/ts/**/*.test.ts'],
    root: new URL('../..', import.meta.url).pathname,
    environment: 'node',
  },
});
