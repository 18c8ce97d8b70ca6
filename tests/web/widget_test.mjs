// The <gan-sampler> widget (web/ganzoo-widget.js) on a page of another origin: it renders, its
// styles stay inside, a missing model is a visible error, and a conditional model gets the core's
// rows in a grid and the core's message in a walk without a label.
//   node tests/web/widget_test.mjs [fixtures.mjs's options]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fx, SEED, shipped, widgetPage, widgetStates } from './fixtures.mjs';

test('the widget renders inside a page served from another origin', async () => {
  const html = `<!doctype html><meta charset="utf-8"><body style="background:#fff">
    <style>canvas, div { display: none !important; }</style>
    <script type="module" src="${fx.web.url}ganzoo-widget.js"></script>
    <gan-sampler id="g" model="${fx.web.url}test-files/model.safetensors" mode="grid" seed="${SEED}" size="200"></gan-sampler>
    <gan-sampler id="w" model="${fx.web.url}test-files/model.safetensors" mode="walk" seed="3" size="120"></gan-sampler>
    <gan-sampler id="bad" model="${fx.web.url}test-files/missing.safetensors" size="120"></gan-sampler>`;
  writeFileSync(join(fx.files, 'widget.html'), html);
  const page = await fx.browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${fx.other.url}test-files/widget.html`);
  const { g, w, bad } = await widgetStates(page, ['g', 'w', 'bad']);
  console.log(`  widget from ${fx.web.url} on ${fx.other.url}: grid ${JSON.stringify(g)}, walk ${w.images} frames, missing: "${bad.error}"`);
  assert.equal(g.error, '');
  assert.ok(g.size[0] > 0 && g.hi > g.lo, 'the widget grid is blank');
  assert.equal(g.images, 16);
  assert.equal(g.columns, 4);
  assert.notEqual(g.display, 'none', "the page's CSS leaked into the widget");
  assert.equal(w.images, 32);
  assert.match(bad.error, /404/);
  assert.deepEqual(problems, []);
  await page.close();
});

// A label (cGAN) or categorical code (InfoGAN) left out: the grid is the core's plan, one row per
// class or value (as `ganzoo sample`); a walk needs a label, so without one it shows the core's
// message, which names the input and its values (label="3" gives it); a code left out is at its
// default, category 0, as everywhere (codes="c_cat=3" sets it).
test('the widget with a conditional model: rows in a grid; a walk without a label names what is missing', async () => {
  for (const f of ['cgan.safetensors', 'infogan.safetensors']) copyFileSync(shipped(f), join(fx.files, f));
  const m = (f) => `${fx.web.url}test-files/${f}`;
  const { page, problems } = await widgetPage('widget-conditional.html', `
    <gan-sampler id="cg" model="${m('cgan.safetensors')}" mode="grid" seed="1" size="200"></gan-sampler>
    <gan-sampler id="cw" model="${m('cgan.safetensors')}" mode="walk" seed="1" size="200"></gan-sampler>
    <gan-sampler id="cl" model="${m('cgan.safetensors')}" mode="walk" seed="1" label="3" size="200"></gan-sampler>
    <gan-sampler id="ig" model="${m('infogan.safetensors')}" mode="grid" seed="1" size="200"></gan-sampler>
    <gan-sampler id="iw" model="${m('infogan.safetensors')}" mode="walk" seed="1" size="200"></gan-sampler>
    <gan-sampler id="ic" model="${m('infogan.safetensors')}" mode="walk" seed="1" codes="c_cat=3" size="200"></gan-sampler>`,
  { width: 1400, height: 700 });
  const s = await widgetStates(page, ['cg', 'cw', 'cl', 'ig', 'iw', 'ic']);
  for (const [id, v] of Object.entries(s)) console.log(`  ${id}: ${v.error ? `"${v.error}"` : `${v.images} images, ${v.columns || '-'} columns`}`);
  for (const id of ['cg', 'ig']) {
    assert.equal(s[id].error, '', id);
    assert.deepEqual([s[id].images, s[id].columns], [100, 10], `${id}: one row of 10 per class or value`);
  }
  assert.match(s.cw.error, /needs input 'label': a class 0\.\.9 \(T-shirt\/top, Trouser, .*Ankle boot\)/);
  for (const id of ['cl', 'iw', 'ic']) assert.deepEqual([s[id].error, s[id].images], ['', 32], id);
  assert.deepEqual(problems, []);
  await page.close();
});
