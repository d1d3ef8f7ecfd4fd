// The three descriptions of the REMAP protocol cannot disagree: the TypeScript module both the
// extension and the webviews import (protocol/remap.ts), the Python server's names
// (python_server/remap/lsp/protocol.py) and the tables of docs/protocol.md list the same
// requests, notifications and server commands.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Methods, Notifications, ServerCommands } from '../../protocol/remap';

const root = path.resolve(__dirname, '../..');
const python = readFileSync(path.join(root, 'python_server/remap/lsp/protocol.py'), 'utf8');
const docs = readFileSync(path.join(root, 'docs/protocol.md'), 'utf8');

/** The string values of a Python tuple of constants, e.g. `REQUESTS = (STATUS, ...)`. */
function pythonTuple(source: string, name: string): string[] {
  const constants = new Map<string, string>();
  for (const m of source.matchAll(/^([A-Z_]+) = "([^"]*)"$/gm)) constants.set(m[1] as string, m[2] as string);
  const tuple = new RegExp(`^${name} = \\(([^)]*)\\)`, 'm').exec(source);
  if (!tuple) throw new Error(`protocol.py: no tuple ${name}`);
  return (tuple[1] as string)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((constant) => {
      const value = constants.get(constant);
      if (value === undefined) throw new Error(`protocol.py: ${name} names ${constant}, which is not a string constant`);
      return value;
    });
}

/** The methods in the first column of the table under the Markdown heading `heading`. */
function docsTable(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}`);
  if (start < 0) throw new Error(`docs/protocol.md: no section ${heading}`);
  const section = markdown.slice(start + heading.length + 1).split(/\n#+ /)[0] as string;
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
}

const sorted = (values: Iterable<string>): string[] => [...values].sort();

describe('protocol contract: TypeScript, Python and docs/protocol.md', () => {
  it('list the same requests', () => {
    const ts = Object.values(Methods);
    expect(pythonTuple(python, 'REQUESTS')).toEqual(ts);
    expect(sorted(docsTable(docs, '## Requests'))).toEqual(sorted(ts));
  });

  it('list the same notifications', () => {
    const ts = Object.values(Notifications);
    expect(pythonTuple(python, 'NOTIFICATIONS')).toEqual(ts);
    expect(sorted(docsTable(docs, '## Notifications (server → client)'))).toEqual(sorted(ts));
  });

  it('list the same server commands', () => {
    const ts = Object.values(ServerCommands);
    expect(pythonTuple(python, 'COMMANDS')).toEqual(ts);
    expect(sorted(new Set(docs.match(/remap\.server\.[A-Za-z]+/g) ?? []))).toEqual(sorted(ts));
  });

  it('reads what it compares (a renamed constant or table would fail, not pass empty)', () => {
    expect(pythonTuple(python, 'REQUESTS').length).toBeGreaterThan(5);
    expect(docsTable(docs, '## Requests').length).toBeGreaterThan(5);
    expect(() => pythonTuple('A = "x"\nT = (A, B)', 'T')).toThrow(/B/);
  });
});
