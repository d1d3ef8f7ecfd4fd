/**
 * The one protocol module: every custom LSP method and notification of the REMAP language
 * server with its payload types (docs/protocol.md), imported by the extension and the
 * webviews. Nothing else crosses the extension ⇄ server ⇄ webview boundary.
 */

export const Methods = {
  status: 'remap/status',
  listModels: 'remap/listModels',
  getModel: 'remap/getModel',
  getMap: 'remap/getMap',
  generate: 'remap/generate',
  validate: 'remap/validate',
  train: 'remap/train',
  queue: 'remap/queue',
  export: 'remap/export',
  importFile: 'remap/importFile',
  dataset: 'remap/dataset',
  perClassAccuracy: 'remap/perClassAccuracy',
  suggest: 'remap/suggest',
  applySuggestion: 'remap/applySuggestion',
  dismissSuggestion: 'remap/dismissSuggestion',
  explore: 'remap/explore',
  stopExplore: 'remap/stopExplore',
} as const;

export const Notifications = {
  modelsChanged: 'remap/modelsChanged',
  queueChanged: 'remap/queueChanged',
  epoch: 'remap/epoch',
  warmup: 'remap/warmup',
  exploreProgress: 'remap/exploreProgress',
} as const;

export const ServerCommands = {
  showOnMap: 'remap.server.showOnMap',
  ablate: 'remap.server.ablate',
  vary: 'remap.server.vary',
  train: 'remap.server.train',
  exportVariant: 'remap.server.exportVariant',
} as const;

export type View = 'architecture' | 'prediction' | 'accuracy';
export type ProjectionMethod = 'umap' | 'mds';
/** How the prediction map measures two models apart (held-out disagreement by default). */
export type PredictionDistance = 'disagreement' | 'per_class';
export type WarmupState = 'cold' | 'warming' | 'ready' | 'failed';
export type Origin = 'sampled' | 'ablation' | 'variation' | 'handcrafted' | 'imported' | 'reference';
export type ModelState = 'untrained' | 'queued' | 'training' | 'trained' | 'failed' | 'cancelled';
export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export type ChangeType = 'insert' | 'remove' | 'replace' | 'reparameterise';
export type ActivationFunction = 'relu' | 'tanh' | 'sigmoid' | 'gelu' | 'leaky_relu';
export type Padding = 'valid' | 'same';

export type Layer =
  | { type: 'conv2d'; kernelSize: number; filters: number; stride: number; padding: Padding }
  | { type: 'maxpool' | 'avgpool'; size: number; stride: number; padding: Padding }
  | { type: 'dense'; units: number }
  | { type: 'activation'; function: ActivationFunction }
  | { type: 'dropout'; rate: number }
  | { type: 'batchnorm' | 'globalavgpool' | 'flatten' };

export type LayerType = Layer['type'];

export interface Spec {
  version?: 1;
  inputShape: [number, number, number];
  numClasses: number;
  layers: Layer[];
}

export interface QueueSummary {
  queued: number;
  running: number;
  done: number;
  failed: number;
  cancelled: number;
  paused: boolean;
}

export interface Settings {
  dataset: string;
  holdout: number;
  dataSeed: number;
  device: string;
  workers: number;
  epochs: number;
  maxParams: number;
  projection: ProjectionMethod;
  seed: number;
  threads: number | null;
  gcWeights?: 'auto' | 'off';
  inheritWeights?: boolean;
}

export interface DatasetInfo {
  name: string;
  source: string;
  inputShape: [number, number, number];
  classes: string[];
  train: number;
  heldOut: number;
}

export interface Status {
  version: string;
  workspace: string;
  storePath: string;
  device: string;
  dataset: DatasetInfo | null;
  datasetError: string | null;
  warmup: { umap: WarmupState };
  queue: QueueSummary;
  settings: Settings;
  /** Trained weights kept beside the store: runs with a file and their total size. */
  weights?: { files: number; bytes: number; folder: string };
}

export interface ModelRow {
  id: number;
  /** The user-given name, '' when none; show models with `modelLabel` (protocol/models.ts). */
  name: string;
  origin: Origin;
  parentId: number | null;
  changes: string[];
  params: number;
  flops: number;
  layers: string;
  state: ModelState;
  valAcc: number | null;
  trainAcc: number | null;
  epochs: number | null;
  seconds: number | null;
  jobId: number | null;
  /** Accuracy an imported model set recorded (not trained here). */
  recordedAcc?: number | null;
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAcc: number;
  valLoss: number;
  valAcc: number;
  lr: number;
  seconds: number;
}

export interface LayerShape {
  index: number;
  layer: string;
  type?: LayerType;
  input: number[];
  output: number[];
  params: number;
  reshaped: boolean;
  /** Variation change types that can apply to this layer (model details only). */
  changes?: ChangeType[];
}

export interface RunDetails {
  id: number;
  epochs: EpochMetrics[];
  trainAcc: number | null;
  valAcc: number | null;
  valLoss: number | null;
  perClassAcc: number[];
  confusion: number[][] | null;
  seconds: number | null;
  device: string | null;
  stoppedEarly: boolean | null;
  config: Record<string, unknown>;
  weightsBytes?: number | null;
  /** Layers that started from the parent's trained weights. */
  inherited?: { index: number; layer: string }[];
  resumedFrom?: number | null;
  /** Held-out accuracy of the model rebuilt from its weights file. */
  reevaluatedAcc?: number | null;
}

export interface ModelDetails {
  model: ModelRow;
  spec: Spec;
  layers: LayerShape[];
  children: number[];
  classes: string[];
  source: string | null;
  run: RunDetails | null;
}

export interface MapPoint {
  id: number;
  x: number;
  y: number;
}

export interface MapResult {
  view: View;
  method: ProjectionMethod | 'axes';
  /** The prediction view's distance (null or absent on the other views). */
  distance?: PredictionDistance | null;
  note: string | null;
  points: MapPoint[];
  edges: { parent: number; child: number }[];
  movement: { kind?: string; mean: number; max: number; fraction: number } | null;
  trustworthiness: number | null;
  axes: { x: string; y: string };
}

export type Edit =
  | { op: 'insert'; index: number; layer: Layer }
  | { op: 'remove'; index: number }
  | { op: 'set'; index: number; field: string; value: number | string }
  | { op: 'move'; from: number; to: number };

export type GenerateParams = (
  | { kind: 'sample'; count: number; seed?: number }
  | { kind: 'ablate'; modelId: number; layers?: number[] }
  | {
      kind: 'vary';
      modelId: number;
      count?: number;
      maxChanges?: number;
      enabled?: [number, ChangeType][];
      seed?: number;
    }
  | { kind: 'handcraft'; modelId: number; edits: Edit[] }
  | { kind: 'spec'; spec: Spec; name?: string }
) & { train?: boolean; inheritWeights?: boolean };

export interface GenerateResult {
  created: number[];
  existing: number[];
  jobs: number[];
  skipped: string[];
}

export interface Validation {
  ok: boolean;
  params: number;
  flops: number;
  layers: LayerShape[];
  error: { index: number | null; message: string } | null;
}

export interface Job {
  id: number;
  modelId: number;
  state: JobState;
  priority: number;
  position: number;
  epochs: number;
  attempts: number;
  cancelRequested: boolean;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  runId: number | null;
}

export interface QueueState {
  summary: QueueSummary;
  jobs: Job[];
}

export type QueueParams =
  | { action: 'list' | 'pause' | 'resume' }
  | { action: 'cancel'; jobId: number }
  | { action: 'reorder'; order: number[] };

export interface DatasetClass {
  index: number;
  name: string;
  train: number;
  heldOut: number;
  examples: string[];
}

/** Held-out accuracy per class of every trained model: `perClassAcc[i]` belongs to `ids[i]`. */
export interface PerClassAccuracy {
  classes: string[];
  ids: number[];
  perClassAcc: number[][];
}

export interface DatasetSummary {
  name: string;
  inputShape: [number, number, number];
  classes: DatasetClass[];
}

export type SuggestionKind = 'ablate' | 'vary' | 'sample' | 'craft';

/** One suggested experiment (`remap/suggest`): `changes` is what `remap/applySuggestion`
 * runs — ablate `[{ op: 'remove', index }]`, vary `[{ op: 'vary', seed, maxChanges }]`,
 * sample `[{ op: 'sample', seed }]`, craft an `Edit[]`; `preview` the child's change log. */
export interface Suggestion {
  key: string;
  kind: SuggestionKind;
  parent: number | null;
  changes: Record<string, unknown>[];
  preview: string[];
  reason: string;
  cost: { params: number | null; epochs: number; seconds: number | null };
}

export type ExploreStrategy = 'guided' | 'random' | 'evolution';

/** Where an explore session stands (`remap/explore`, `remap/exploreProgress`): `spent`
 * trainings of `budget` (a resumed session counts what it spent before); `state` running,
 * done (budget spent), stopped (by `remap/stopExplore`) or failed (`error` says why). */
export interface ExploreReport {
  session: string;
  strategy: ExploreStrategy;
  seed: number;
  budget: number;
  spent: number;
  state: 'running' | 'done' | 'stopped' | 'failed';
  best: { modelId: number; valAcc: number } | null;
  lastModel: number | null;
  error: string | null;
  /** Running, but waiting for the paused training queue to be resumed. */
  paused: boolean;
}

/** Request params and results by method, so callers get both types from the name. */
export interface RequestMap {
  'remap/status': { params: Record<string, never>; result: Status };
  'remap/listModels': { params: Record<string, never>; result: { models: ModelRow[] } };
  'remap/getModel': { params: { modelId: number }; result: ModelDetails };
  'remap/getMap': { params: { view: View; method?: ProjectionMethod; distance?: PredictionDistance }; result: MapResult };
  'remap/generate': { params: GenerateParams; result: GenerateResult };
  'remap/validate': { params: { spec: Spec }; result: Validation };
  'remap/train': { params: { modelIds: number[]; epochs?: number }; result: { jobs: number[] } };
  'remap/queue': { params: QueueParams; result: QueueState };
  'remap/export': {
    params: { modelId: number; path?: string; className?: string; overwrite?: boolean };
    result: { path: string; uri: string; weights?: string | null };
  };
  'remap/importFile': { params: { uri: string; className?: string }; result: GenerateResult };
  'remap/dataset': { params: { perClass?: number }; result: DatasetSummary };
  'remap/perClassAccuracy': { params: Record<string, never>; result: PerClassAccuracy };
  'remap/suggest': { params: { n?: number; seed?: number }; result: { suggestions: Suggestion[] } };
  'remap/applySuggestion': {
    params: Pick<Suggestion, 'kind' | 'parent' | 'changes'> & { train?: boolean };
    result: GenerateResult;
  };
  'remap/dismissSuggestion': { params: { key: string }; result: { dismissed: string[] } };
  'remap/explore': { params: { budget: number; strategy: ExploreStrategy; seed?: number }; result: ExploreReport };
  'remap/stopExplore': { params: Record<string, never>; result: { stopping: boolean; explore: ExploreReport | null } };
}

export type RequestMethod = keyof RequestMap;

export interface NotificationMap {
  'remap/modelsChanged': { added: number[]; updated: number[] };
  'remap/queueChanged': QueueState;
  'remap/epoch': { jobId: number; modelId: number; epoch: EpochMetrics; epochs: number };
  'remap/warmup': { umap: WarmupState };
  'remap/exploreProgress': ExploreReport;
}

export type NotificationMethod = keyof NotificationMap;

// ---------------------------------------------------------------------------------------
// Extension ⇄ webview messages (postMessage). The webview forwards server requests through
// the extension, which answers them from the language client; server notifications are
// forwarded to every open panel. The webview sends `ready` once its script runs; the
// extension queues everything it would send before that, so no message is lost.

/** Client-side actions a webview asks the extension to perform. */
export type HostCommand =
  | { name: 'openFile'; path: string }
  | { name: 'revealModel'; modelId: number }
  | { name: 'addToDrawer'; modelIds: number[] }
  | { name: 'removeFromDrawer'; modelIds: number[] }
  | { name: 'openBuilder'; modelId: number }
  | { name: 'openDiff'; a: number; b: number }
  | { name: 'exportModel'; modelId: number }
  | { name: 'showError'; message: string }
  | { name: 'restartServer' };

export type WebviewToHost =
  | { kind: 'ready' }
  | { kind: 'request'; id: number; method: RequestMethod; params: unknown }
  | { kind: 'command'; command: HostCommand };

/** What the extension tells a panel besides server traffic: the drawer and focus. */
export interface PanelContext {
  panel: 'map' | 'builder' | 'queue' | 'diff';
  drawer: number[];
  focusModel?: number;
  diff?: { a: number; b: number };
  theme?: 'light' | 'dark' | 'high-contrast';
  /** The language server's state (absent in the static report): panels say when it is down. */
  server?: { state: 'stopped' | 'starting' | 'running' | 'failed'; reason?: string };
}

export type HostToWebview =
  | { kind: 'response'; id: number; result?: unknown; error?: { code: number; message: string } }
  | { kind: 'notification'; method: NotificationMethod; params: unknown }
  | { kind: 'context'; context: PanelContext };
