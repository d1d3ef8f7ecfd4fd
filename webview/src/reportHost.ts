/**
 * The host of the static HTML report: answers the read requests from the JSON snapshot
 * embedded in the page (`<script type="application/json" id="remap-data">`), refuses every
 * mutation with "read-only report", keeps the drawer in the page and the panel state in
 * sessionStorage (when the browser allows it).
 */
import type {
  DatasetSummary,
  HostCommand,
  MapResult,
  ModelDetails,
  ModelRow,
  PanelContext,
  QueueState,
  RequestMap,
  RequestMethod,
  Status,
  View,
} from '../../protocol/remap';
import type { Host, HostNotification } from './host';
import { Listeners, RequestError } from './host';

export interface ReportSnapshot {
  format: 'remap-report';
  version: 1;
  generatedAt: string;
  status: Status;
  models: ModelRow[];
  details: Record<string, ModelDetails>;
  maps: Partial<Record<View, MapResult>>;
  dataset: DatasetSummary | null;
  queue: QueueState | null;
}

export const READ_ONLY = 'read-only report: generating, training, queueing and exporting need VS Code';

/** Parse and check the embedded snapshot; throws an Error naming what is wrong. */
export function parseSnapshot(text: string): ReportSnapshot {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new Error(`the report's data is not valid JSON (${(err as Error).message})`);
  }
  const s = data as Partial<ReportSnapshot> | null;
  if (!s || s.format !== 'remap-report') throw new Error('the report\'s data is not a REMAP snapshot (format)');
  if (s.version !== 1) throw new Error(`unsupported report version ${String(s.version)}`);
  if (!Array.isArray(s.models)) throw new Error('the report\'s data has no models list');
  return {
    format: 'remap-report',
    version: 1,
    generatedAt: String(s.generatedAt ?? ''),
    status: s.status as Status,
    models: s.models,
    details: s.details ?? {},
    maps: s.maps ?? {},
    dataset: s.dataset ?? null,
    queue: s.queue ?? null,
  };
}

const STATE_KEY = 'remap-report-state';

export class ReportHost implements Host {
  readonly kind = 'report' as const;
  readonly readOnly = true;
  private readonly contexts = new Listeners<PanelContext>();
  private context: PanelContext;
  private memoryState: unknown = null;

  constructor(private readonly snapshot: ReportSnapshot, private readonly storage: Storage | null) {
    this.context = { panel: 'map', drawer: [] };
    const saved = this.getState() as { drawer?: unknown } | null;
    if (saved && Array.isArray(saved.drawer)) {
      this.context.drawer = saved.drawer.filter((v): v is number => typeof v === 'number');
    }
  }

  async request<M extends RequestMethod>(method: M, params: RequestMap[M]['params']): Promise<RequestMap[M]['result']> {
    return this.answer(method, params) as RequestMap[M]['result'];
  }

  private answer(method: RequestMethod, params: unknown): unknown {
    const p = (params ?? {}) as Record<string, unknown>;
    const s = this.snapshot;
    switch (method) {
      case 'remap/status':
        return s.status;
      case 'remap/listModels':
        return { models: s.models };
      case 'remap/getModel': {
        const d = s.details[String(p.modelId)];
        if (!d) throw new RequestError(method, -32602, `modelId: unknown model id ${String(p.modelId)}`);
        return d;
      }
      case 'remap/perClassAccuracy': {
        const trained = Object.values(s.details).filter((d) => d.run !== null);
        return {
          classes: s.status.dataset?.classes ?? [],
          ids: trained.map((d) => d.model.id),
          perClassAcc: trained.map((d) => d.run?.perClassAcc ?? []),
        };
      }
      case 'remap/getMap': {
        const view = p.view as View;
        const m = s.maps[view];
        if (!m) throw new RequestError(method, -32602, `view: the report has no ${String(view)} map`);
        return m;
      }
      case 'remap/dataset':
        if (!s.dataset) throw new RequestError(method, -32603, 'the report has no data set summary');
        return s.dataset;
      case 'remap/queue':
        if (p.action === 'list') return s.queue ?? { summary: s.status.queue, jobs: [] };
        throw new RequestError(method, -32603, READ_ONLY);
      default:
        throw new RequestError(method, -32603, READ_ONLY);
    }
  }

  onNotification(_cb: (n: HostNotification) => void): () => void {
    return () => undefined;
  }

  onContext(cb: (c: PanelContext) => void): () => void {
    const off = this.contexts.add(cb);
    cb(this.context);
    return off;
  }

  command(c: HostCommand): void {
    const drawer = this.context.drawer;
    if (c.name === 'addToDrawer') {
      this.setContext({ ...this.context, drawer: [...drawer, ...c.modelIds.filter((id) => !drawer.includes(id))] });
    } else if (c.name === 'removeFromDrawer') {
      this.setContext({ ...this.context, drawer: drawer.filter((id) => !c.modelIds.includes(id)) });
    } else if (c.name === 'revealModel') {
      this.setContext({ ...this.context, focusModel: c.modelId });
    }
    // openBuilder, openDiff, exportModel, openFile, showError: nothing to open in a static page.
  }

  private setContext(c: PanelContext): void {
    this.context = c;
    this.contexts.emit(c);
  }

  getState(): unknown {
    if (!this.storage) return this.memoryState;
    try {
      const text = this.storage.getItem(STATE_KEY);
      return text ? (JSON.parse(text) as unknown) : null;
    } catch {
      return this.memoryState;
    }
  }

  setState(state: unknown): void {
    this.memoryState = state;
    try {
      this.storage?.setItem(STATE_KEY, JSON.stringify(state));
    } catch {
      // file:// pages may refuse storage; the in-memory copy is enough.
    }
  }
}
