import { describe, expect, it } from 'vitest';
import { ServerLogReader } from '../../extension/src/serverLog';

describe('ServerLogReader', () => {
  it('maps the server and worker log levels to channel levels and drops the timestamp', () => {
    const r = new ServerLogReader();
    expect(r.read('2026-12-02 03:04:05,678 remap-lsp INFO REMAP language server 0.1.0 starting (pid 12)')).toEqual({
      level: 'info',
      text: 'remap-lsp REMAP language server 0.1.0 starting (pid 12)',
    });
    expect(r.read('2026-12-02 03:04:05,678 remap-worker[4321] WARNING slow epoch')).toEqual({ level: 'warn', text: 'remap-worker[4321] slow epoch' });
    expect(r.read('2026-12-02 03:04:05,678 remap-lsp DEBUG detail').level).toBe('debug');
    expect(r.read('2026-12-02 03:04:05,678 remap-lsp ERROR it broke').level).toBe('error');
    expect(r.read('2026-12-02 03:04:05,678 remap-lsp CRITICAL it broke badly').level).toBe('error');
  });

  it('keeps a continuation line at the level of the record it continues', () => {
    const r = new ServerLogReader();
    r.read('2026-12-02 03:04:05,678 remap-lsp ERROR training failed');
    expect(r.read('  File "x.py", line 3, in f')).toEqual({ level: 'error', text: '  File "x.py", line 3, in f' });
    r.read('2026-12-02 03:04:05,678 remap-lsp INFO second line follows');
    expect(r.read('  and more').level).toBe('info');
  });

  it('treats Python\u2019s own traceback and fatal output as errors, other untagged output as info', () => {
    const r = new ServerLogReader();
    expect(r.read('some library print').level).toBe('info');
    expect(r.read('Traceback (most recent call last):').level).toBe('error');
    expect(r.read('  File "remap/__main__.py", line 1').level).toBe('error');
    expect(r.read('ModuleNotFoundError: No module named torch').level).toBe('error');
    const s = new ServerLogReader();
    expect(s.read('Fatal Python error: Segmentation fault').level).toBe('error');
  });
});
