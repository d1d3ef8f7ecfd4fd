/**
 * The pure part of choosing the Python interpreter for the REMAP server: the candidate order
 * (the `remap.python` setting, then the Python extension's active environment, then `python3`),
 * the probe script and how to read its answer, what is missing, and the pip steps that install
 * it. No 'vscode' import (interpreter.ts does the VS Code side).
 */
import * as path from 'node:path';

export type CandidateSource = 'setting' | 'python-extension' | 'default';

export interface Candidate {
  command: string;
  source: CandidateSource;
}

export const DEFAULT_PYTHON = process.platform === 'win32' ? 'python' : 'python3';

/** Expand `${workspaceFolder}`, `${userHome}`, `~` and make a relative path absolute against the workspace. */
export function expandPath(value: string, workspaceFolder: string | undefined, home: string): string {
  let v = value.trim();
  if (workspaceFolder) v = v.split('${workspaceFolder}').join(workspaceFolder);
  v = v.split('${userHome}').join(home);
  if (v === '~' || v.startsWith('~/')) v = path.join(home, v.slice(1));
  if (isPathLike(v) && !path.isAbsolute(v) && workspaceFolder) v = path.join(workspaceFolder, v);
  return v;
}

/** A path (it has a separator), as opposed to a command looked up on the PATH. */
export function isPathLike(value: string): boolean {
  return value.includes('/') || value.includes('\\');
}

/** What the file system says about the path in the `remap.python` setting. */
export interface PathFacts {
  exists: boolean;
  isDirectory: boolean;
  executable: boolean;
}

function shownSetting(raw: string, expanded: string): string {
  return raw.trim() === expanded ? expanded : `${raw.trim()} (${expanded})`;
}

/**
 * Why the `remap.python` setting cannot name an interpreter, before running it — e.g.
 * "remap.python: /x/y does not exist" — or null when it may (`facts` is undefined for a
 * command name, which only running it can check).
 */
export function settingPathProblem(raw: string, expanded: string, facts: PathFacts | undefined): string | null {
  if (!facts) return null;
  const shown = shownSetting(raw, expanded);
  if (!facts.exists) return `remap.python: ${shown} does not exist`;
  if (facts.isDirectory) return `remap.python: ${shown} is a folder, not a Python interpreter`;
  if (!facts.executable) return `remap.python: ${shown} is not executable`;
  return null;
}

/** The `remap.python` setting names something that ran but is no working Python (`reason`). */
export function settingRunProblem(raw: string, expanded: string, reason: string, notFound: boolean): string {
  const shown = shownSetting(raw, expanded);
  if (notFound) return `remap.python: ${shown} was not found${isPathLike(expanded) ? '' : ' on the PATH'}`;
  return `remap.python: ${shown} is not a working Python interpreter (${reason})`;
}

/** Candidates in the order they are tried, without duplicates and empty entries. */
export function candidateOrder(
  setting: string | undefined,
  fromExtension: string | undefined,
  fallback: string = DEFAULT_PYTHON,
): Candidate[] {
  const out: Candidate[] = [];
  const add = (command: string | undefined, source: CandidateSource) => {
    if (command && command.trim() && !out.some((c) => c.command === command.trim())) {
      out.push({ command: command.trim(), source });
    }
  };
  add(setting, 'setting');
  add(fromExtension, 'python-extension');
  add(fallback, 'default');
  return out;
}

/** Printed as one JSON line by the interpreter under test. */
export const PROBE_SCRIPT = [
  'import json, os, sys, sysconfig',
  'out = {"executable": sys.executable, "version": list(sys.version_info[:3]),',
  '       "venv": sys.prefix != sys.base_prefix,',
  '       "externallyManaged": os.path.exists(os.path.join(sysconfig.get_paths()["stdlib"], "EXTERNALLY-MANAGED"))}',
  'for name in ("remap", "torch"):',
  '    try:',
  '        module = __import__(name)',
  '        out[name] = str(getattr(module, "__version__", "unknown"))',
  '    except Exception as exc:',
  '        out[name] = None',
  '        out[name + "Error"] = type(exc).__name__ + ": " + str(exc)',
  'try:',
  '    import pip',
  '    out["pip"] = pip.__version__',
  'except Exception:',
  '    out["pip"] = None',
  'print("REMAP-PROBE " + json.dumps(out))',
].join('\n');

export interface ProbeResult {
  executable: string;
  version: [number, number, number];
  venv: boolean;
  externallyManaged: boolean;
  remap: string | null;
  torch: string | null;
  pip: string | null;
  remapError?: string;
  torchError?: string;
}

/** Read the probe's output; throws an Error naming the problem when there is no answer. */
export function parseProbe(stdout: string): ProbeResult {
  const line = stdout.split(/\r?\n/).find((l) => l.startsWith('REMAP-PROBE '));
  if (!line) throw new Error('the interpreter printed no probe result');
  const data = JSON.parse(line.slice('REMAP-PROBE '.length)) as Partial<ProbeResult>;
  if (typeof data.executable !== 'string' || !Array.isArray(data.version)) {
    throw new Error('the probe result is incomplete');
  }
  return {
    executable: data.executable,
    version: [Number(data.version[0]), Number(data.version[1]), Number(data.version[2])],
    venv: Boolean(data.venv),
    externallyManaged: Boolean(data.externallyManaged) && !data.venv,
    remap: typeof data.remap === 'string' ? data.remap : null,
    torch: typeof data.torch === 'string' ? data.torch : null,
    pip: typeof data.pip === 'string' ? data.pip : null,
    ...(data.remapError ? { remapError: data.remapError } : {}),
    ...(data.torchError ? { torchError: data.torchError } : {}),
  };
}

export const MIN_PYTHON: [number, number] = [3, 10];

export interface Missing {
  tooOld: boolean;
  remap: boolean;
  torch: boolean;
}

export function missingParts(probe: ProbeResult): Missing {
  const [major, minor] = probe.version;
  return {
    tooOld: major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]),
    remap: probe.remap === null,
    torch: probe.torch === null,
  };
}

export function isUsable(probe: ProbeResult): boolean {
  const m = missingParts(probe);
  return !m.tooOld && !m.remap && !m.torch;
}

/** "lacks the REMAP server package (remap) and PyTorch (torch)", or null when nothing is missing. */
export function describeMissing(m: Missing): string | null {
  if (m.tooOld) return `is older than Python ${MIN_PYTHON.join('.')}`;
  const parts: string[] = [];
  if (m.remap) parts.push('the REMAP server package (remap)');
  if (m.torch) parts.push('PyTorch (torch)');
  return parts.length ? `lacks ${parts.join(' and ')}` : null;
}

export const TORCH_SPEC = 'torch==2.13.0';

export interface InstallStep {
  title: string;
  args: string[];
}

/**
 * pip steps that make `probe`'s interpreter usable: PyTorch pinned first (a looser spec can
 * pull a multi-GB CUDA build), then the server package from the folder the .vsix carries.
 */
export function installSteps(m: Missing, serverDir: string): InstallStep[] {
  const steps: InstallStep[] = [];
  if (m.torch) {
    steps.push({
      title: `Installing ${TORCH_SPEC} (pinned: a looser version spec can pull a multi-GB CUDA build)`,
      args: ['-m', 'pip', 'install', '--disable-pip-version-check', TORCH_SPEC],
    });
  }
  if (m.remap || m.torch) {
    steps.push({
      title: 'Installing the REMAP server package',
      args: ['-m', 'pip', 'install', '--disable-pip-version-check', serverDir],
    });
  }
  return steps;
}

/** The command line that starts the server. */
export function serverArgs(): string[] {
  return ['-m', 'remap', 'serve'];
}
