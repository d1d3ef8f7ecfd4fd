import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  PROBE_SCRIPT,
  TORCH_SPEC,
  candidateOrder,
  describeMissing,
  expandPath,
  installSteps,
  isUsable,
  missingParts,
  parseProbe,
  serverArgs,
  settingPathProblem,
  settingRunProblem,
} from '../../extension/src/interpreterCore';

describe('interpreter resolution order', () => {
  it('is the setting, then the Python extension, then python3', () => {
    expect(candidateOrder('/s/python', '/ext/python', 'python3')).toEqual([
      { command: '/s/python', source: 'setting' },
      { command: '/ext/python', source: 'python-extension' },
      { command: 'python3', source: 'default' },
    ]);
  });
  it('skips empty entries and duplicates', () => {
    expect(candidateOrder('  ', undefined, 'python3')).toEqual([{ command: 'python3', source: 'default' }]);
    expect(candidateOrder('python3', 'python3', 'python3')).toEqual([{ command: 'python3', source: 'setting' }]);
  });
  it('expands ${workspaceFolder}, ~ and relative paths, but not bare commands', () => {
    expect(expandPath('${workspaceFolder}/.venv/bin/python', '/ws', '/home/u')).toBe('/ws/.venv/bin/python');
    expect(expandPath('~/envs/a/bin/python', '/ws', '/home/u')).toBe('/home/u/envs/a/bin/python');
    expect(expandPath('.venv/bin/python', '/ws', '/home/u')).toBe('/ws/.venv/bin/python');
    expect(expandPath('python3.11', '/ws', '/home/u')).toBe('python3.11');
  });
});

describe('probe', () => {
  const line = (o: object) => `noise\nREMAP-PROBE ${JSON.stringify(o)}\n`;
  const base = { executable: '/x/python', version: [3, 11, 2], venv: true, externallyManaged: false, pip: '24.0' };

  it('reads a complete answer', () => {
    const p = parseProbe(line({ ...base, remap: '0.1.0', torch: '2.13.0' }));
    expect(p.version).toEqual([3, 11, 2]);
    expect(isUsable(p)).toBe(true);
    expect(describeMissing(missingParts(p))).toBeNull();
  });

  it('names what is missing', () => {
    const p = parseProbe(line({ ...base, remap: null, torch: null, remapError: 'ModuleNotFoundError: remap' }));
    expect(isUsable(p)).toBe(false);
    expect(describeMissing(missingParts(p))).toBe('lacks the REMAP server package (remap) and PyTorch (torch)');
    expect(p.remapError).toMatch(/ModuleNotFoundError/);
  });

  it('rejects old interpreters and garbage', () => {
    const old = parseProbe(line({ ...base, version: [3, 8, 10], remap: '0.1', torch: '2.0' }));
    expect(describeMissing(missingParts(old))).toBe('is older than Python 3.10');
    expect(() => parseProbe('Traceback ...')).toThrow(/no probe result/);
    expect(() => parseProbe('REMAP-PROBE {"version": [3]}')).toThrow(/incomplete/);
  });

  it('a venv is never "externally managed"', () => {
    expect(parseProbe(line({ ...base, venv: true, externallyManaged: true, remap: null, torch: null })).externallyManaged).toBe(false);
  });

  it('the probe script runs in a real python3 and its answer parses', () => {
    const out = execFileSync('python3', ['-c', PROBE_SCRIPT], { encoding: 'utf8', timeout: 60_000 });
    const p = parseProbe(out);
    expect(p.executable).toMatch(/python/);
    expect(p.version[0]).toBe(3);
  });
});

describe('install steps', () => {
  it('pins torch first, then installs the bundled server package', () => {
    const steps = installSteps({ tooOld: false, remap: true, torch: true }, '/ext/python_server');
    expect(steps.map((s) => s.args.slice(-1)[0])).toEqual([TORCH_SPEC, '/ext/python_server']);
    expect(TORCH_SPEC).toBe('torch==2.13.0');
    expect(steps[0]?.title).toMatch(/multi-GB CUDA build/);
    expect(steps.every((s) => s.args[0] === '-m' && s.args[1] === 'pip')).toBe(true);
  });
  it('only the server package when torch is there', () => {
    const steps = installSteps({ tooOld: false, remap: true, torch: false }, '/p');
    expect(steps).toHaveLength(1);
    expect(steps[0]?.args).toContain('/p');
  });
  it('starts the server as `-m remap serve`', () => {
    expect(serverArgs()).toEqual(['-m', 'remap', 'serve']);
  });
});

describe('a bad remap.python setting', () => {
  it('names the setting and its value: missing, a folder, not executable', () => {
    const gone = { exists: false, isDirectory: false, executable: false };
    expect(settingPathProblem('/x/y', '/x/y', gone)).toBe('remap.python: /x/y does not exist');
    expect(settingPathProblem('~/venv/bin/python', '/home/u/venv/bin/python', gone)).toBe(
      'remap.python: ~/venv/bin/python (/home/u/venv/bin/python) does not exist',
    );
    expect(settingPathProblem('/x', '/x', { exists: true, isDirectory: true, executable: true })).toMatch(/is a folder/);
    expect(settingPathProblem('/x/py', '/x/py', { exists: true, isDirectory: false, executable: false })).toBe('remap.python: /x/py is not executable');
    expect(settingPathProblem('/x/py', '/x/py', { exists: true, isDirectory: false, executable: true })).toBeNull();
    expect(settingPathProblem('python3.11', 'python3.11', undefined)).toBeNull();
  });

  it('says when the configured command is not found or is no working Python', () => {
    expect(settingRunProblem('pythonx', 'pythonx', 'pythonx: not found', true)).toBe('remap.python: pythonx was not found on the PATH');
    expect(settingRunProblem('/bin/true', '/bin/true', '/bin/true: the interpreter printed no probe result', false)).toBe(
      'remap.python: /bin/true is not a working Python interpreter (/bin/true: the interpreter printed no probe result)',
    );
  });
});
