/* global getComputedStyle */
// The panels in VS Code's high-contrast themes (hc-black, hc-light; fake-vscode.js sets the
// theme's colour tokens as VS Code does, leaving out the ones a theme does not define): every
// enabled button's text has a contrast ratio of at least 4.5 against what is behind it
// (WCAG AA), in the map panel with its inspector and generate tabs, the builder and the diff.
// Screenshots go to tests/webview/artifacts/theme-*.png.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { artifact, usePanels, waitForMap } from './helpers.mjs';

const panels = usePanels();

/** [{ label, ratio }] for every visible, enabled button of the page. */
function buttonContrasts(page) {
  return page.evaluate(() => {
    const parse = (c) => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return [0, 0, 0, 0];
      const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p[3] ?? 1];
    };
    const over = (top, bottom) => {
      const a = top[3];
      return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1);
    };
    const lum = (c) => {
      const f = (v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    /** The opaque colour behind `el`: its background composited over its ancestors'. */
    const backdrop = (el) => {
      const layers = [];
      for (let e = el; e; e = e.parentElement) layers.push(parse(getComputedStyle(e).backgroundColor));
      let c = [255, 255, 255, 1];
      for (const layer of layers.reverse()) c = over(layer, c);
      return c;
    };
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden' && el.closest('[hidden]') === null;
    };
    return [...document.querySelectorAll('button')].filter((b) => !b.disabled && visible(b) && b.textContent.trim()).map((b) => {
      const style = getComputedStyle(b);
      const bg = backdrop(b);
      let opacity = 1;
      for (let e = b; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
      const fg = over([...parse(style.color).slice(0, 3), parse(style.color)[3] * opacity], bg);
      const [l1, l2] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      return { label: b.textContent.trim().slice(0, 30), ratio: (l1 + 0.05) / (l2 + 0.05), fg: style.color, bg: `rgb(${bg.slice(0, 3).map(Math.round)})` };
    });
  });
}

async function assertLegible(page, what, min = 3) {
  const rows = await buttonContrasts(page);
  assert.ok(rows.length >= min, `${what}: expected some buttons, found ${rows.length}`);
  const bad = rows.filter((r) => r.ratio < 4.5).map((r) => `${r.label} ${r.ratio.toFixed(2)} (${r.fg} on ${r.bg})`);
  assert.deepEqual(bad, [], `${what}: buttons below 4.5:1`);
  return rows;
}

const THEMES = [
  ['hc-black', 'vscode-high-contrast'],
  ['hc-light', 'vscode-high-contrast-light'],
  ['light', 'vscode-light'],
];

describe('high-contrast themes', () => {
  for (const [name, theme] of THEMES) {
    it(`every button is legible in ${name}: map panel, inspector, generate, builder, diff`, async () => {
      const { page, context, errors } = await panels.open({ models: 60, drawer: [1, 2, 3], focusModel: 5 }, { theme });
      try {
        await waitForMap(page, 'left', 1);
        await page.waitForSelector('.inspector[data-model="5"]');
        const rows = await assertLegible(page, `${name} map + inspector`);
        const labels = rows.map((r) => r.label).join(' | ');
        for (const want of ['Pan', 'Export', 'Add to drawer', 'Generate']) assert.match(labels, new RegExp(want), `${name}: ${want} was checked`);
        await page.screenshot({ path: artifact(`theme-${name}-map.png`) });
        await page.click('.tablist [data-tab="generate"]');
        await page.waitForSelector('button[data-action="ablate"]');
        await assertLegible(page, `${name} generate`);
        await page.click('input[data-mode="vary"]');
        await page.waitForSelector('button[data-action="vary"]');
        await assertLegible(page, `${name} variations`);
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
      const PANELS = [
        ['builder', { focusModel: 5 }, '.generate .bchip[data-index="0"]', 3],
        ['diff', { diff: { a: 5, b: 7 } }, '.diff-grid .diff-col[data-kind]', 1],
      ];
      for (const [panel, extra, ready, min] of PANELS) {
        const p = await panels.open({ models: 60, panel, ...extra }, { theme });
        try {
          await p.page.waitForSelector(ready);
          const rows = await assertLegible(p.page, `${name} ${panel}`, min);
          if (panel === 'diff') assert.ok(rows.some((r) => r.label === 'Swap'), 'the Swap button was checked');
          await p.page.screenshot({ path: artifact(`theme-${name}-${panel}.png`) });
        } finally {
          await p.context.close();
        }
      }
    });
  }
});
