// The <gan-sampler> widget (web/ganzoo-widget.js) on a page of another origin: it renders, its
// styles stay inside, a missing model is a visible error, and a conditional model gets the core's
// rows in a grid and the core's message in a walk without a label. web/embed.html, the widget's
// page: no request of it fails (its favicon included), and the CycleGAN widget's caption and
// button do not overlap, at that size and others.
//   node tests/web/widget_test.mjs [fixtures.mjs's options]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { fx, SEED, CHROMIUM_ARGS, shipped, webRoot, widgetPage, widgetStates } from './fixtures.mjs';
import { serve } from './serve.mjs';

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

// The bar of a rendered widget: its caption (.chip) and button boxes, the frame's, and the lines
// the button's label takes.
function barLayout(page, selector) {
  return page.evaluate((selector) => {
    const w = document.querySelector(selector).shadowRoot;
    const box = (e) => { const b = e.getBoundingClientRect(); return { left: b.left, top: b.top, right: b.right, bottom: b.bottom }; };
    const button = w.querySelector('button'), range = document.createRange();
    range.selectNodeContents(button);
    return { chip: box(w.querySelector('.chip')), text: w.querySelector('.chip').textContent, button: box(button),
      frame: box(w.querySelector('.frame')), buttonLines: range.getClientRects().length };
  }, selector);
}

function assertBarLaidOut(b, what) {
  const { chip, button, frame } = b;
  const overlap = chip.right > button.left && button.right > chip.left && chip.bottom > button.top && button.bottom > chip.top;
  assert.ok(b.text.length > 0, `${what}: a caption is shown`);
  assert.ok(!overlap, `${what}: the caption ${JSON.stringify(chip)} overlaps the button ${JSON.stringify(button)}`);
  for (const [name, r] of [['caption', chip], ['button', button]])
    assert.ok(r.left >= frame.left && r.right <= frame.right && r.top >= frame.top && r.bottom <= frame.bottom,
      `${what}: the ${name} ${JSON.stringify(r)} leaves the frame ${JSON.stringify(frame)}`);
  assert.equal(b.buttonLines, 1, `${what}: the button's label is squeezed onto ${b.buttonLines} lines`);
}

// A fresh browser (no favicon remembered from another test) and a server that hears every
// request, the browser's own (the favicon) too.
test('web/embed.html: no request fails (favicon included); the CycleGAN widget\'s caption and button do not overlap', async () => {
  const answers = [];
  const server = await serve({ root: webRoot, onAnswer: (method, url, status) => answers.push({ method, url, status }) });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${server.url}embed.html`);
    const live = '.examples gan-sampler';
    await page.locator(`${live}[mode=translate]`).scrollIntoViewIfNeeded();
    await page.waitForFunction((s) => [...document.querySelectorAll(s)].every((e) => e.images), live, { timeout: 60000 });
    await page.waitForLoadState('load');
    await page.waitForTimeout(1000);  // the browser asks for a favicon after the load
    const icon = await page.evaluate(() => document.querySelector('link[rel~=icon]')?.href ?? '');
    const failed = answers.filter((a) => a.status >= 400);
    console.log(`  embed.html: ${answers.length} requests, failed: ${JSON.stringify(failed)}; icon ${icon.slice(0, 30)}…`);
    assert.deepEqual(failed, []);
    assert.match(icon, /^data:image\/svg\+xml,/);
    const bar = await barLayout(page, `${live}[mode=translate]`);
    console.log(`  the CycleGAN widget's caption "${bar.text}" ${JSON.stringify(bar.chip)}, button ${JSON.stringify(bar.button)}`);
    assertBarLaidOut(bar, 'embed.html, CycleGAN');
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

test('the CycleGAN widget\'s caption and button do not overlap at any size from 100 to 320 px', async () => {
  copyFileSync(shipped('cyclegan.safetensors'), join(fx.files, 'cyclegan.safetensors'));
  const sizes = [100, 120, 160, 200, 240, 320];
  const { page, problems } = await widgetPage('widget-bar.html', sizes.map((s) =>
    `<gan-sampler id="s${s}" model="${fx.web.url}test-files/cyclegan.safetensors" mode="translate" seed="0" size="${s}"></gan-sampler>`).join('\n'),
  { width: 1400, height: 500 });
  const states = await widgetStates(page, sizes.map((s) => `s${s}`));
  for (const s of sizes) {
    assert.equal(states[`s${s}`].error, '', `size ${s}`);
    assertBarLaidOut(await barLayout(page, `#s${s}`), `size ${s}`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});
