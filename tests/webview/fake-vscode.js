/* global window, document, sessionStorage, setTimeout, performance */
// FakeHost for the webview tests: a fake `acquireVsCodeApi()` plus a scripted fake REMAP
// server, installed in the page BEFORE dist/webview/main.js runs. The production VsCodeHost
// talks to it through window.postMessage exactly as it talks to the extension. Everything
// the webview sends is recorded in window.__remapTest.sent; getState/setState persist in
// sessionStorage so a reload restores the panel state.
//
// Configure with window.__remapFakeConfig = { models, panel, drawer, focusModel, diff,
// seed, classes } set before this script.
(function () {
  'use strict';
  // The colour tokens VS Code defines for the theme the test page's body class names, set
  // as VS Code does (custom properties on <html>). Tokens a theme leaves undefined are left
  // out on purpose (hc-black has no button.background / button.secondaryBackground), so
  // the CSS fallbacks are exercised as in VS Code.
  const THEMES = {
    'vscode-high-contrast': {
      'editor-background': '#000000', 'editor-foreground': '#ffffff', foreground: '#ffffff',
      descriptionForeground: 'rgba(255, 255, 255, 0.7)', contrastBorder: '#6fc3df', contrastActiveBorder: '#f38518',
      focusBorder: '#f38518', 'button-foreground': '#ffffff', 'button-border': '#6fc3df', 'button-secondaryForeground': '#ffffff',
      'input-background': '#000000', 'input-foreground': '#ffffff', 'input-border': '#6fc3df', 'panel-border': '#6fc3df',
      'textLink-foreground': '#21a6ff', errorForeground: '#f48771',
    },
    'vscode-high-contrast-light': {
      'editor-background': '#ffffff', 'editor-foreground': '#292929', foreground: '#292929',
      descriptionForeground: 'rgba(41, 41, 41, 0.7)', contrastBorder: '#0f4a85', contrastActiveBorder: '#006bbd',
      focusBorder: '#006bbd', 'button-background': '#0f4a85', 'button-foreground': '#ffffff', 'button-border': '#0f4a85',
      'button-secondaryBackground': '#ffffff', 'button-secondaryForeground': '#292929',
      'input-background': '#ffffff', 'input-foreground': '#292929', 'input-border': '#0f4a85', 'panel-border': '#0f4a85',
      'textLink-foreground': '#0f4a85', errorForeground: '#b5200d',
    },
  };
  for (const [theme, vars] of Object.entries(THEMES)) {
    if (!document.body.classList.contains(theme)) continue;
    for (const [name, value] of Object.entries(vars)) document.documentElement.style.setProperty(`--vscode-${name}`, value);
  }
  const cfg = Object.assign({ models: 200, panel: 'map', drawer: [], seed: 7, classes: 10 }, window.__remapFakeConfig || {});
  let seed = cfg.seed >>> 0 || 1;
  const rand = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());

  const conv = (k, f) => ({ type: 'conv2d', kernelSize: k, filters: f, stride: 1, padding: 'valid' });
  const pool = (t, s) => ({ type: t, size: s, stride: 2, padding: 'valid' });
  const act = (fn) => ({ type: 'activation', function: fn });
  const dense = (u) => ({ type: 'dense', units: u });
  const drop = (r) => ({ type: 'dropout', rate: r });
  const TEMPLATES = [
    [conv(3, 16), act('relu'), pool('maxpool', 2), conv(3, 32), act('relu'), pool('maxpool', 2), dense(64), act('relu'), drop(0.25), dense(10)],
    [conv(5, 32), act('relu'), pool('maxpool', 2), dense(128), act('relu'), dense(10)],
    [dense(256), act('relu'), drop(0.5), dense(10)],
    [conv(3, 64), act('tanh'), pool('avgpool', 2), conv(3, 64), act('tanh'), dense(10)],
    [conv(1, 16), act('sigmoid'), pool('maxpool', 3), dense(64), dense(10)],
  ];

  function describe(l) {
    switch (l.type) {
      case 'conv2d': return `Conv2D ${l.kernelSize}×${l.kernelSize}/${l.filters}${l.stride === 1 ? '' : ` stride ${l.stride}`}${l.padding === 'valid' ? '' : ` ${l.padding}`}`;
      case 'maxpool': return `MaxPool ${l.size}`;
      case 'avgpool': return `AvgPool ${l.size}`;
      case 'dense': return `Dense ${l.units}`;
      case 'activation': return `Activation ${l.function}`;
      case 'dropout': return `Dropout ${l.rate}`;
      case 'batchnorm': return 'BatchNorm';
      case 'globalavgpool': return 'GlobalAvgPool';
      default: return 'Flatten';
    }
  }

  /** Shapes like the server: returns { layers, params, error }. */
  function analyse(inputShape, layers) {
    let shape = inputShape.slice();
    const out = [];
    let total = 0;
    const size = (s) => s.reduce((a, b) => a * b, 1);
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      let next = shape;
      let p = 0;
      const input = shape;
      if (l.type === 'conv2d' || l.type === 'maxpool' || l.type === 'avgpool') {
        let img = shape;
        if (shape.length !== 3) {
          const side = Math.round(Math.sqrt(size(shape)));
          if (side * side !== size(shape)) return { layers: out, params: total, error: { index: i, message: `cannot reshape ${size(shape)} features into a 1-channel square image` } };
          img = [1, side, side];
        }
        const k = l.type === 'conv2d' ? l.kernelSize : l.size;
        const pad = l.padding === 'same' ? Math.floor(k / 2) : 0;
        const ho = Math.floor((img[1] + 2 * pad - k) / l.stride) + 1;
        if (img[1] + 2 * pad < k || ho < 1) {
          return { layers: out, params: total, error: { index: i, message: `layer ${i} (${describe(l)}): ${l.type === 'conv2d' ? 'kernel' : 'pool size'} ${k} is larger than the ${img[1]}×${img[2]} input` } };
        }
        if (l.type === 'conv2d') {
          p = k * k * img[0] * l.filters + l.filters;
          next = [l.filters, ho, ho];
        } else next = [img[0], ho, ho];
      } else if (l.type === 'dense') {
        p = size(shape) * l.units + l.units;
        next = [l.units];
      }
      total += p;
      out.push({ index: i, layer: describe(l), type: l.type, input, output: next, params: p, reshaped: false });
      shape = next;
    }
    const last = layers[layers.length - 1];
    if (!last || last.type !== 'dense' || last.units !== cfg.classes) {
      return { layers: out, params: total, error: { index: layers.length - 1, message: `the output layer must be Dense ${cfg.classes} (one unit per class)` } };
    }
    return { layers: out, params: total, error: null };
  }

  const INPUT = [1, 28, 28];
  const CLASSES = Array.from({ length: cfg.classes }, (_, i) => ['apple', 'bee', 'cat', 'door', 'eye', 'fish', 'guitar', 'hat', 'ice', 'jam'][i] || `class${i}`);
  const specs = new Map();
  const models = [];
  const centres = Array.from({ length: 8 }, () => [gauss() * 6, gauss() * 6]);
  const archXY = new Map();
  const predXY = new Map();
  const perClass = new Map();
  for (let id = 1; id <= cfg.models; id++) {
    const t = TEMPLATES[id % TEMPLATES.length].map((l) => ({ ...l }));
    if (id > 10 && t[0].type === 'conv2d' && rand() < 0.5) t[0].filters = [16, 32, 64][Math.floor(rand() * 3)];
    const spec = { version: 1, inputShape: INPUT, numClasses: cfg.classes, layers: t };
    specs.set(id, spec);
    const a = analyse(INPUT, t);
    const r = rand();
    const state = id <= 3 ? 'trained' : r < 0.86 ? 'trained' : r < 0.9 ? 'untrained' : r < 0.94 ? 'queued' : r < 0.97 ? 'training' : 'failed';
    const valAcc = state === 'trained' ? Math.min(0.95, Math.max(0.1, 0.35 + 0.08 * Math.log10(a.params) + gauss() * 0.08)) : null;
    const parentId = id > 10 && rand() < 0.3 ? 1 + Math.floor(rand() * (id - 1)) : null;
    const origin = parentId === null ? 'sampled' : rand() < 0.5 ? 'ablation' : 'variation';
    models.push({
      id, name: `m${id}`, origin, parentId, changes: parentId === null ? [] : [`Changed filters at index 0 from 16 to ${t[0].filters || 16}`],
      params: a.params, flops: a.params * 50, layers: t.map(describe).join(' → '), state, valAcc,
      trainAcc: valAcc === null ? null : Math.min(1, valAcc + 0.05), epochs: state === 'trained' ? 5 : null,
      seconds: state === 'trained' ? 2 + a.params / 20000 : null, jobId: null,
    });
    const c = centres[id % centres.length];
    archXY.set(id, [c[0] + gauss() * 1.2, c[1] + gauss() * 1.2]);
    predXY.set(id, [gauss() * 4 + (valAcc || 0) * 10, gauss() * 4]);
    perClass.set(id, CLASSES.map((_, k) => (valAcc === null ? 0 : Math.min(1, Math.max(0, valAcc + ((k * 7 + id * 3) % 11 - 5) * 0.06)))));
  }
  const byId = new Map(models.map((m) => [m.id, m]));

  function map(view, method, distance) {
    const shown = models.filter((m) => view === 'architecture' || m.state === 'trained');
    const points = shown.map((m) => {
      if (view === 'accuracy') return { id: m.id, x: m.valAcc, y: Math.log10(m.params) };
      const [x, y] = (view === 'architecture' ? archXY : predXY).get(m.id);
      return distance === 'per_class' && view === 'prediction' ? { id: m.id, x: y, y: -x } : { id: m.id, x, y };
    });
    const ids = new Set(shown.map((m) => m.id));
    const edges = shown.filter((m) => m.parentId !== null && ids.has(m.parentId)).map((m) => ({ parent: m.parentId, child: m.id }));
    return {
      view, method: view === 'accuracy' ? 'axes' : (method || 'umap'), distance: view === 'prediction' ? (distance || 'disagreement') : null,
      note: null, points, edges, movement: null,
      trustworthiness: view === 'accuracy' ? null : 0.91,
      axes: view === 'accuracy' ? { x: 'validation accuracy', y: 'log10 parameters' } : { x: `${view} map x`, y: `${view} map y` },
    };
  }

  function details(id) {
    const m = byId.get(id);
    if (!m) throw { code: -32602, message: `modelId: unknown model id ${id}` };
    const spec = specs.get(id);
    const a = analyse(INPUT, spec.layers);
    const pc = perClass.get(id);
    const epochs = m.state === 'trained'
      ? Array.from({ length: 5 }, (_, e) => ({ epoch: e + 1, trainLoss: 1.5 / (e + 1), trainAcc: m.valAcc - 0.2 + e * 0.05, valLoss: 1.6 / (e + 1), valAcc: m.valAcc - 0.2 + e * 0.05, lr: 0.001, seconds: 1 }))
      : [];
    // The server's variation rule: insertions everywhere; nothing else on the output layer;
    // reparameterise only where a hyper-parameter is tunable.
    const TUNABLE = ['conv2d', 'maxpool', 'avgpool', 'dense', 'activation', 'dropout'];
    const layers = a.layers.map((l, i) => ({
      ...l, changes: i === spec.layers.length - 1 ? ['insert'] : ['insert', 'remove', 'replace', ...(TUNABLE.includes(l.type) ? ['reparameterise'] : [])],
    }));
    return {
      model: m, spec, layers, children: models.filter((c) => c.parentId === id).map((c) => c.id), classes: CLASSES, source: null,
      run: m.state !== 'trained' ? null : {
        id: id * 10, epochs, trainAcc: m.trainAcc, valAcc: m.valAcc, valLoss: 0.32, perClassAcc: pc,
        confusion: CLASSES.map((_, r) => CLASSES.map((_, c) => (r === c ? Math.round(pc[r] * 100) : Math.round((1 - pc[r]) * 100 / (cfg.classes - 1))))),
        seconds: m.seconds, device: 'cpu', stoppedEarly: false, config: {},
      },
    };
  }

  let nextModel = cfg.models + 1;
  let nextJob = 1;
  const jobs = [];
  const job = (modelId, state, position) => ({
    id: nextJob++, modelId, state, priority: 0, position, epochs: 5, attempts: state === 'running' ? 1 : 0, cancelRequested: false, error: null,
    createdAt: 1700000000 + nextJob, startedAt: state === 'running' ? Date.now() / 1000 - 3 : null, finishedAt: null, runId: null,
  });
  models.filter((m) => m.state === 'training').slice(0, 2).forEach((m) => jobs.push(job(m.id, 'running', 0)));
  models.filter((m) => m.state === 'queued').slice(0, 6).forEach((m, i) => jobs.push(job(m.id, 'queued', i + 1)));
  let paused = false;
  function queueState() {
    const count = (s) => jobs.filter((j) => j.state === s).length;
    return { summary: { queued: count('queued'), running: count('running'), done: count('done'), failed: count('failed'), cancelled: count('cancelled'), paused }, jobs: jobs.map((j) => ({ ...j })) };
  }

  function pngExample(k, n) {
    const c = document.createElement('canvas');
    c.width = c.height = 28;
    const g = c.getContext('2d');
    g.fillStyle = '#fff';
    g.fillRect(0, 0, 28, 28);
    g.strokeStyle = '#000';
    g.lineWidth = 2;
    g.beginPath();
    g.arc(14, 14, 4 + ((k + n) % 8), 0, Math.PI * (1 + (k % 3) / 2));
    g.stroke();
    return c.toDataURL('image/png').split(',')[1];
  }

  const T = (window.__remapTest = {
    sent: [],
    requests: (method) => T.sent.filter((m) => m.kind === 'request' && (!method || m.method === method)),
    commands: (name) => T.sent.filter((m) => m.kind === 'command' && (!name || m.command.name === name)).map((m) => m.command),
    validateError: null,
    hiddenSuggestions: [],
    delay: 0,
    drawer: cfg.drawer.slice(),
    context: null,
    models,
    notify(method, params) {
      window.postMessage({ kind: 'notification', method, params }, '*');
    },
    sendContext(patch) {
      T.context = Object.assign({}, T.context, patch, { drawer: T.drawer.slice() });
      window.postMessage({ kind: 'context', context: T.context }, '*');
    },
    jobs,
  });

  const handlers = {
    'remap/status': () => ({
      version: '0.1.0', workspace: '/tmp/fake', storePath: '/tmp/fake/.remap/store.db', device: 'cpu (fake)',
      dataset: { name: 'fake-doodles', source: 'bundled', inputShape: INPUT, classes: CLASSES, train: 1000, heldOut: 200 },
      datasetError: null, warmup: { umap: 'ready' }, queue: queueState().summary,
      settings: { dataset: 'bundled', holdout: 0.2, dataSeed: 0, device: 'cpu', workers: 1, epochs: 5, maxParams: 1000000, projection: 'umap', seed: 0, threads: null },
    }),
    'remap/listModels': () => ({ models }),
    'remap/getMap': (p) => map(p.view, p.method, p.distance),
    'remap/getModel': (p) => details(p.modelId),
    'remap/perClassAccuracy': () => {
      const trained = models.filter((m) => m.state === 'trained');
      return { classes: CLASSES, ids: trained.map((m) => m.id), perClassAcc: trained.map((m) => perClass.get(m.id)) };
    },
    'remap/dataset': (p) => ({
      name: 'fake-doodles', inputShape: INPUT,
      classes: CLASSES.map((name, index) => ({ index, name, train: 100, heldOut: 20, examples: Array.from({ length: p.perClass ?? 4 }, (_, n) => pngExample(index, n)) })),
    }),
    'remap/validate': (p) => {
      const a = analyse(p.spec.inputShape, p.spec.layers);
      const scripted = typeof T.validateError === 'function' ? T.validateError(p.spec) : T.validateError;
      const error = scripted || a.error;
      return { ok: !error, params: a.params, flops: a.params * 50, layers: error && error.index !== null ? a.layers.slice(0, error.index) : a.layers, error };
    },
    'remap/generate': (p) => {
      const count = p.kind === 'vary' ? (p.count ?? 5) : p.kind === 'ablate' ? (p.layers ? p.layers.length : 3) : 1;
      const created = [];
      for (let i = 0; i < count; i++) {
        const parent = byId.get(p.modelId);
        const id = nextModel++;
        const m = { ...parent, id, name: `m${id}`, origin: p.kind === 'ablate' ? 'ablation' : p.kind === 'vary' ? 'variation' : 'handcrafted', parentId: p.modelId, changes: ['Removed Dropout 0.25 at index 8'], state: 'queued', valAcc: null, trainAcc: null, epochs: null, seconds: null };
        models.push(m);
        byId.set(id, m);
        specs.set(id, specs.get(p.modelId));
        archXY.set(id, archXY.get(p.modelId));
        perClass.set(id, perClass.get(p.modelId));
        created.push(id);
        jobs.push(job(id, 'queued', jobs.length + 1));
      }
      setTimeout(() => T.notify('remap/modelsChanged', { added: created, updated: [] }), 10);
      return { created, existing: [], jobs: created.map(() => nextJob - 1), skipped: [] };
    },
    'remap/train': (p) => ({ jobs: p.modelIds.map((id) => { const j = job(id, 'queued', jobs.length + 1); jobs.push(j); return j.id; }) }),
    'remap/queue': (p) => {
      if (p.action === 'cancel') {
        const j = jobs.find((x) => x.id === p.jobId);
        if (!j) throw { code: -32602, message: `jobId: unknown job id ${p.jobId}` };
        if (j.state === 'running') j.cancelRequested = true;
        else j.state = 'cancelled';
      } else if (p.action === 'reorder') {
        p.order.forEach((id, i) => {
          const j = jobs.find((x) => x.id === id);
          if (j) j.position = i + 1;
        });
      } else if (p.action === 'pause') paused = true;
      else if (p.action === 'resume') paused = false;
      return queueState();
    },
    'remap/export': () => { throw { code: -32603, message: 'export is not faked' }; },
    // Suggestions: an ablation and a variation of each of the best four trained models, then a
    // sample; dismissed and applied ones are left out from then on (as the server does).
    'remap/suggest': (p) => {
      const best = models.filter((m) => m.state === 'trained').sort((a, b) => b.valAcc - a.valAcc || a.id - b.id).slice(0, 4);
      const all = [];
      for (const m of best) {
        const cost = { params: m.params, epochs: 5, seconds: m.seconds };
        all.push({ key: `ablate:${m.id}:0`, kind: 'ablate', parent: m.id, changes: [{ op: 'remove', index: 0 }], preview: ['Removed layer 0'],
          reason: `model ${m.id} is on the accuracy–size front; removing layer 0 may keep its accuracy`, cost });
        all.push({ key: `vary:${m.id}:1`, kind: 'vary', parent: m.id, changes: [{ op: 'vary', seed: 1, maxChanges: 2 }], preview: [],
          reason: `model ${m.id} is on the accuracy–size front; a small variation may beat it`, cost });
      }
      all.push({ key: 'sample:1', kind: 'sample', parent: null, changes: [{ op: 'sample', seed: 1 }], preview: [],
        reason: 'a fresh sample keeps the search from narrowing too early', cost: { params: null, epochs: 5, seconds: null } });
      return { suggestions: all.filter((x) => !T.hiddenSuggestions.includes(x.key)).slice(0, p.n ?? 5) };
    },
    'remap/applySuggestion': (p) => {
      const parent = p.parent ?? 1;
      const result = handlers['remap/generate']({ kind: p.kind === 'ablate' ? 'ablate' : 'vary', modelId: parent, layers: [0], count: 1 });
      const key = p.kind === 'sample' ? 'sample:1' : `${p.kind}:${parent}:${p.kind === 'ablate' ? 0 : 1}`;
      T.hiddenSuggestions.push(key);
      return result;
    },
    'remap/dismissSuggestion': (p) => {
      if (!T.hiddenSuggestions.includes(p.key)) T.hiddenSuggestions.push(p.key);
      return { dismissed: T.hiddenSuggestions.slice() };
    },
  };

  /** A ReportSnapshot (webview/src/reportHost.ts) of the fake workspace, for report tests. */
  T.snapshot = function () {
    const details = {};
    for (const m of models) details[String(m.id)] = handlers['remap/getModel']({ modelId: m.id });
    return {
      format: 'remap-report', version: 1, generatedAt: '2025-01-01T00:00:00+00:00',
      status: handlers['remap/status'](), models, details,
      maps: { architecture: map('architecture'), prediction: map('prediction'), accuracy: map('accuracy') },
      dataset: handlers['remap/dataset']({ perClass: 2 }), queue: queueState(),
    };
  };

  function answer(msg) {
    const reply = () => {
      try {
        const h = handlers[msg.method];
        if (!h) throw { code: -32601, message: `unknown method ${msg.method}` };
        window.postMessage({ kind: 'response', id: msg.id, result: h(msg.params || {}) }, '*');
      } catch (err) {
        window.postMessage({ kind: 'response', id: msg.id, error: { code: err.code || -32603, message: err.message || String(err) } }, '*');
      }
    };
    if (T.delay) setTimeout(reply, T.delay);
    else Promise.resolve().then(reply);
  }

  const STATE_KEY = 'remap-fake-vscode-state';
  window.acquireVsCodeApi = function () {
    if (window.__remapApiAcquired) throw new Error('acquireVsCodeApi called twice');
    window.__remapApiAcquired = true;
    return {
      postMessage(msg) {
        T.sent.push(JSON.parse(JSON.stringify(msg)));
        if (msg.kind === 'ready') {
          T.readyAt = performance.now();
          T.context = { panel: cfg.panel, drawer: T.drawer.slice() };
          if (cfg.focusModel !== undefined) T.context.focusModel = cfg.focusModel;
          if (cfg.diff) T.context.diff = cfg.diff;
          setTimeout(() => window.postMessage({ kind: 'context', context: T.context }, '*'), 0);
        } else if (msg.kind === 'request') answer(msg);
        else if (msg.kind === 'command') {
          const c = msg.command;
          if (c.name === 'addToDrawer') {
            c.modelIds.forEach((id) => { if (!T.drawer.includes(id)) T.drawer.push(id); });
            T.sendContext({});
          } else if (c.name === 'removeFromDrawer') {
            T.drawer = T.drawer.filter((id) => !c.modelIds.includes(id));
            T.sendContext({});
          }
        }
      },
      getState() {
        const s = sessionStorage.getItem(STATE_KEY);
        return s ? JSON.parse(s) : undefined;
      },
      setState(state) {
        sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
        T.lastState = state;
      },
    };
  };
})();
