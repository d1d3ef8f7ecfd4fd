// The package.json manifest against the code: every registered command is contributed (category
// REMAP, no collision with the server's remap.server.*), every setting has a description, the
// walkthrough media exist, and the .vsix carries dist/ and the python_server sources only.
import { readFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServerCommands } from '../../protocol/remap';

const root = path.resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const contributes = pkg.contributes;

function registeredCommands(): string[] {
  const src = readdirSync(path.join(root, 'extension/src'))
    .filter((f) => f.endsWith('.ts'))
    .map((f) => readFileSync(path.join(root, 'extension/src', f), 'utf8'))
    .join('\n');
  return [...src.matchAll(/reg\('(remap\.[A-Za-z.]+)'/g)].map((m) => m[1] as string);
}

describe('package.json', () => {
  const contributed: string[] = contributes.commands.map((c: { command: string }) => c.command);

  it('contributes exactly the commands the extension registers, under the REMAP category', () => {
    expect(new Set(registeredCommands())).toEqual(new Set(contributed));
    for (const c of contributes.commands) expect(c.category).toBe('REMAP');
  });

  it('keeps client commands apart from the server commands', () => {
    for (const c of contributed) expect(c.startsWith('remap.server.')).toBe(false);
    for (const s of Object.values(ServerCommands)) expect(s.startsWith('remap.server.')).toBe(true);
  });

  it('has the palette experiments the issue asks for', () => {
    const titles = contributes.commands.map((c: { title: string }) => c.title);
    for (const t of ['Open Model Map', 'Open Layer Builder', 'Sample a Model Space', 'Ablate Model', 'Generate Variations', 'Train Models',
      'Export Model as PyTorch', 'Import Model from File', 'Select Data Set', 'Show Queue', 'Restart Server', 'Show Logs']) {
      expect(titles).toContain(t);
    }
  });

  it('menus only name contributed commands', () => {
    for (const [, items] of Object.entries(contributes.menus as Record<string, { command: string }[]>)) {
      for (const item of items) expect(contributed).toContain(item.command);
    }
  });

  it('describes every setting the issue lists', () => {
    const props = contributes.configuration.properties;
    for (const key of ['python', 'storePath', 'dataset', 'device', 'workers', 'workersPerGpu', 'bf16', 'executor', 'rayAddress', 'epochs', 'maxParams', 'projection', 'autoTrain', 'trace.server']) {
      const p = props[`remap.${key}`];
      expect(p, key).toBeDefined();
      expect((p.markdownDescription ?? p.description ?? '').length, key).toBeGreaterThan(20);
    }
    expect(props['remap.projection'].enum).toEqual(['', 'umap', 'mds']);
    expect(props['remap.executor'].enum).toEqual(['', 'local', 'ray']);
  });

  it('has the activity-bar container with the five views and an existing icon', () => {
    expect(contributes.viewsContainers.activitybar[0]).toMatchObject({ id: 'remap', title: 'REMAP' });
    expect(existsSync(path.join(root, contributes.viewsContainers.activitybar[0].icon))).toBe(true);
    expect(contributes.views.remap.map((v: { id: string }) => v.id)).toEqual(['remap.drawer', 'remap.queue', 'remap.experiments', 'remap.models', 'remap.suggestions']);
  });

  it('has a walkthrough whose steps link commands and whose media exist', () => {
    const steps = contributes.walkthroughs[0].steps;
    expect(steps.map((s: { id: string }) => s.id)).toEqual(['dataset', 'sample', 'map', 'experiment', 'export']);
    for (const s of steps) {
      expect(existsSync(path.join(root, s.media.markdown))).toBe(true);
      const linked = [...s.description.matchAll(/command:(remap\.[A-Za-z]+)/g)].map((m: RegExpMatchArray) => m[1]);
      expect(linked.length).toBeGreaterThan(0);
      for (const c of linked) expect(contributed).toContain(c);
    }
  });

  it('keeps the existing scripts and adds the e2e installer', () => {
    for (const s of ['build', 'typecheck', 'lint', 'test:unit', 'test:webview', 'test:e2e', 'package', 'e2e:install']) {
      expect(pkg.scripts[s], s).toBeDefined();
    }
  });
});

describe('.vscodeignore', () => {
  const lines = readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  it('starts from nothing and lets in dist/, media/ and the python_server package sources', () => {
    expect(lines[0]).toBe('**');
    for (const p of ['!dist/extension.js', '!dist/webview/*.js', '!media/**', '!python_server/pyproject.toml', '!python_server/remap/**/*.py', '!python_server/remap/py.typed']) {
      expect(lines).toContain(p);
    }
    expect(lines.some((l) => /node_modules|tests|\.venv/.test(l) && l.startsWith('!'))).toBe(false);
  });
});
