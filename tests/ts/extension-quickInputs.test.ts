// Every quick pick and input box of the extension ignores focus loss (see extension/src/picks.ts):
// after a palette pick VS Code gives the focus back to where it was, and a webview panel takes it
// asynchronously, often after the command's quick input opened; focus loss would close it before
// the user saw it, and the command would silently do nothing.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = path.resolve(__dirname, '../../extension/src');

/** The argument text of every `showQuickPick(` / `showInputBox(` call in `src` (parentheses balanced). */
function quickInputCalls(src: string): string[] {
  const calls: string[] = [];
  for (const m of src.matchAll(/\bshow(?:QuickPick|InputBox)\(/g)) {
    let depth = 1;
    let i = (m.index ?? 0) + m[0].length;
    const start = i;
    for (; i < src.length && depth > 0; i++) {
      if (src[i] === '(') depth++;
      else if (src[i] === ')') depth--;
    }
    calls.push(src.slice(start, i - 1));
  }
  return calls;
}

describe('quick inputs', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  const calls = files.flatMap((f) => quickInputCalls(readFileSync(path.join(dir, f), 'utf8')).map((args) => ({ f, args })));

  it('finds the commands’ quick inputs (explore’s strategy and budget among them)', () => {
    expect(calls.filter((c) => c.f === 'explore.ts')).toHaveLength(2);
    expect(calls.length).toBeGreaterThanOrEqual(12);
  });

  it('every one ignores focus loss', () => {
    const missing = calls.filter((c) => !/\bignoreFocusOut:\s*true\b/.test(c.args)).map((c) => `${c.f}: ${c.args.slice(0, 80)}`);
    expect(missing).toEqual([]);
  });
});
