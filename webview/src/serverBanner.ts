/**
 * The "server stopped" banner: while the language server is down (the panel context's `server`
 * says stopped or failed), a strip across the top of the panel says so — the counts and maps
 * below are what the server last said — with a Restart button (host command `restartServer`).
 * It lives outside #app, so a panel re-render never removes it; it goes away when the server
 * runs again. The static report has no `server` in its context and never shows it.
 */
import type { PanelContext } from '../../protocol/remap';
import { button, h, replaceChildren } from './dom';
import type { Host } from './host';

/** The banner text for a server state, or null when no banner is due. */
export function bannerText(server: PanelContext['server']): string | null {
  if (!server || (server.state !== 'stopped' && server.state !== 'failed')) return null;
  const why = server.reason ? `: ${server.reason}` : '';
  return `REMAP server stopped${why}. What this panel shows may be out of date.`;
}

export function mountServerBanner(host: Host, root: HTMLElement): void {
  const banner = h('div', { class: 'server-banner', role: 'alert', hidden: true });
  const s = banner.style; // CSSOM, not a style attribute: allowed by the panel's CSP
  s.position = 'sticky';
  s.top = '0';
  s.zIndex = '20';
  s.display = 'none';
  s.alignItems = 'center';
  s.gap = '8px';
  s.padding = '6px 10px';
  s.background = 'var(--vscode-inputValidation-errorBackground, #5a1d1d)';
  s.border = '1px solid var(--vscode-inputValidation-errorBorder, #be1100)';
  s.color = 'var(--vscode-foreground)';
  root.parentElement?.insertBefore(banner, root);
  host.onContext((context) => {
    const text = bannerText(context.server);
    banner.hidden = text === null;
    s.display = text === null ? 'none' : 'flex';
    banner.dataset.state = context.server?.state ?? '';
    if (text === null) return;
    const restart = button('Restart server', () => {
      restart.disabled = true;
      restart.textContent = 'Restarting…';
      host.command({ name: 'restartServer' });
    }, { class: 'primary' });
    replaceChildren(banner, h('span', { class: 'server-banner-text', text }), restart);
  });
}
