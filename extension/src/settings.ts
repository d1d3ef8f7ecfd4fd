/**
 * The `remap.*` configuration: reading it, and the `settings` object the server receives in
 * `initializationOptions` and `workspace/didChangeConfiguration` (docs/protocol.md, Settings).
 * Client-only keys (`python`, `trace.server`) are not sent; unset values (empty strings, null)
 * are left out so that the workspace's own settings (`remap settings …`) apply.
 * No runtime 'vscode' import: callers pass `workspace.getConfiguration('remap')`.
 */

/** The part of vscode.WorkspaceConfiguration that is read here. */
export interface ConfigReader {
  get<T>(section: string): T | undefined;
}

export const SECTION = 'remap';

/** Keys sent to the server, by type. */
const STRING_KEYS = ['storePath', 'dataset', 'device', 'projection', 'workersPerGpu', 'executor', 'rayAddress'] as const;
const INT_KEYS = ['workers', 'epochs', 'maxParams'] as const;
const BOOL_KEYS = ['autoTrain', 'inheritWeights', 'bf16'] as const;

export type ServerSettingKey = (typeof STRING_KEYS)[number] | (typeof INT_KEYS)[number] | (typeof BOOL_KEYS)[number];
export const SERVER_SETTING_KEYS: readonly ServerSettingKey[] = [...STRING_KEYS, ...INT_KEYS, ...BOOL_KEYS];

export interface ServerSettings {
  storePath?: string;
  dataset?: string;
  device?: string;
  projection?: string;
  workersPerGpu?: string;
  executor?: string;
  rayAddress?: string;
  workers?: number;
  epochs?: number;
  maxParams?: number;
  autoTrain?: boolean;
  inheritWeights?: boolean;
  bf16?: boolean;
}

/** The settings object for the server, from the configuration. */
export function serverSettings(config: ConfigReader): ServerSettings {
  const out: Record<string, unknown> = {};
  for (const key of STRING_KEYS) {
    const v = config.get<unknown>(key);
    if (typeof v === 'string' && v.trim() !== '') out[key] = v.trim();
  }
  for (const key of INT_KEYS) {
    const v = config.get<unknown>(key);
    if (typeof v === 'number' && Number.isFinite(v)) out[key] = Math.trunc(v);
  }
  for (const key of BOOL_KEYS) {
    const v = config.get<unknown>(key);
    if (typeof v === 'boolean') out[key] = v;
  }
  return out as ServerSettings;
}

/** The `remap.python` setting ('' when unset). */
export function pythonSetting(config: ConfigReader): string {
  const v = config.get<unknown>('python');
  return typeof v === 'string' ? v.trim() : '';
}

/** True when a configuration change needs a server restart rather than a settings update
 * (another interpreter; another store — the server opens its store once). */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects(`${SECTION}.python`) || affects(`${SECTION}.storePath`);
}
