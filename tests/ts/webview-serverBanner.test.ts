import { describe, expect, it } from 'vitest';
import { bannerText } from '../../webview/src/serverBanner';

describe('server banner', () => {
  it('shows only while the server is stopped or failed, with the reason', () => {
    expect(bannerText(undefined)).toBeNull();
    expect(bannerText({ state: 'running' })).toBeNull();
    expect(bannerText({ state: 'starting' })).toBeNull();
    expect(bannerText({ state: 'stopped' })).toBe('REMAP server stopped. What this panel shows may be out of date.');
    expect(bannerText({ state: 'failed', reason: 'remap.python: /x/y does not exist' })).toBe(
      'REMAP server stopped: remap.python: /x/y does not exist. What this panel shows may be out of date.',
    );
  });
});
