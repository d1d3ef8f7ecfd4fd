import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, contextFromState, makeNonce, panelHtml, panelTitle, splitLine, viewType } from '../../extension/src/panelHtml';

describe('panel HTML', () => {
  const html = panelHtml({
    panel: 'builder',
    cspSource: 'https://x.vscode-cdn.net',
    nonce: 'abc123',
    scriptUri: 'https://x.vscode-cdn.net/dist/webview/main.js',
    styleUri: 'https://x.vscode-cdn.net/dist/webview/media/remap.css',
  });

  it('has a strict CSP: no inline script or style, scripts only with the nonce', () => {
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'nonce-abc123'");
    expect(csp).toContain('style-src https://x.vscode-cdn.net');
    expect(csp).toContain('img-src https://x.vscode-cdn.net data:');
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(contentSecurityPolicy('S', 'n')).toBe("default-src 'none'; img-src S data:; style-src S; font-src S; script-src 'nonce-n';");
  });

  it('serves the page contract: #app[data-panel], the stylesheet and the nonce-tagged script', () => {
    expect(html).toContain('<div id="app" data-panel="builder"></div>');
    expect(html).toContain('<script nonce="abc123" src="https://x.vscode-cdn.net/dist/webview/main.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="https://x.vscode-cdn.net/dist/webview/media/remap.css">');
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  it('escapes attribute values', () => {
    const h = panelHtml({ panel: 'map', cspSource: 's', nonce: 'n"x', scriptUri: 'a"b', styleUri: 'c', title: '<t>' });
    expect(h).toContain('nonce="n&quot;x"');
    expect(h).toContain('<title>&lt;t&gt;</title>');
  });

  it('makes a fresh, long nonce each time', () => {
    const a = makeNonce();
    expect(a).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(makeNonce()).not.toBe(a);
  });
});

describe('restoring panels', () => {
  it('rebuilds the context from the saved webview state and drops bad fields', () => {
    expect(contextFromState('diff', { v: 1, panel: 'diff', diff: { a: 3, b: 8 }, focusModel: 3, zoom: 2 }, [1])).toEqual({
      panel: 'diff', drawer: [1], focusModel: 3, diff: { a: 3, b: 8 },
    });
    expect(contextFromState('map', { focusModel: 'x', diff: { a: 1 } }, [])).toEqual({ panel: 'map', drawer: [] });
    expect(contextFromState('queue', undefined, [2])).toEqual({ panel: 'queue', drawer: [2] });
  });
  it('titles panels and names their view types', () => {
    expect(panelTitle({ panel: 'map', drawer: [] })).toBe('REMAP: Model Map');
    expect(panelTitle({ panel: 'builder', drawer: [], focusModel: 4 })).toBe('REMAP: Builder · #4');
    expect(panelTitle({ panel: 'diff', drawer: [], diff: { a: 1, b: 2 } })).toBe('REMAP: Diff #1 ↔ #2');
    expect(viewType('queue')).toBe('remap.queue');
  });
  it('splits a model source "file.py:12" into file and line', () => {
    expect(splitLine('/w/net.py:12')).toEqual({ file: '/w/net.py', line: 12 });
    expect(splitLine('/w/net.py')).toEqual({ file: '/w/net.py' });
    expect(splitLine('/w/a:b/c.txt')).toEqual({ file: '/w/a:b/c.txt' });
  });
});
