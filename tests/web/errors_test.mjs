// The bad-input matrix (issue 9): each bad model file gives the page and the widget a visible
// error, and both stay usable; the control (a small code input) renders.
//   node tests/web/errors_test.mjs [fixtures.mjs's options]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fx, openPage, waitReady, assertResponsive, modelParts, safetensors, editedModel } from './fixtures.mjs';

// file: under /test-files/ (written by makeBadFiles); error: what the page and the widget must
// show, or null where they must render (the control: a model with a small code input).
const BAD_INPUTS = [
  { name: 'missing file (404)', file: 'missing.safetensors', error: /HTTP 404/ },
  { name: 'truncated file (inside the tensor data)', file: 'truncated.safetensors', error: /beyond the data area/ },
  { name: 'truncated file (inside the header)', file: 'truncated-header.safetensors', error: /truncated or not a safetensors file/ },
  { name: 'not a safetensors file (an HTML page)', file: 'page.safetensors', error: /not a safetensors file/ },
  { name: 'safetensors without a ganzoo document', file: 'plain.safetensors', error: /not a ganzoo model/ },
  { name: 'family without a net G (CycleGAN-like)', file: 'cyclegan.safetensors', error: /cannot drive model .*\(cyclegan\).*G_AB, G_BA/ },
  // One slider per value of a [3, 256, 256] input would freeze the page: refused instead.
  { name: 'generator input it does not know (an image)', file: 'image-input.safetensors', error: /cannot drive model .*input 'image'/ },
  { name: 'control: a small code input it can drive', file: 'code-input.safetensors', error: null },
];

function makeBadFiles() {
  const { bytes, header, data } = modelParts();
  writeFileSync(join(fx.files, 'truncated.safetensors'), bytes.subarray(0, bytes.length - 100));
  writeFileSync(join(fx.files, 'truncated-header.safetensors'), bytes.subarray(0, 100));
  writeFileSync(join(fx.files, 'page.safetensors'), '<!doctype html><title>Not Found</title><h1>Not Found</h1>\n');
  delete header.__metadata__;
  writeFileSync(join(fx.files, 'plain.safetensors'), safetensors(header, data));
  writeFileSync(join(fx.files, 'cyclegan.safetensors'), editedModel((d) => {
    d.family = 'cyclegan';
    d.nets = { G_AB: d.nets.G, G_BA: d.nets.G };
    if (d.check) d.check.net = 'G_AB';
  }));
  writeFileSync(join(fx.files, 'image-input.safetensors'), editedModel((d) => {
    d.inputs.image = { shape: [3, 256, 256] };
    d.nets.G.inputs.push('image');
  }));
  writeFileSync(join(fx.files, 'code-input.safetensors'), editedModel((d) => {
    d.inputs.c_cont = { dim: 2, range: [-1, 1] };
    d.nets.G.inputs.push('c_cont');
  }));
}

const notA404 = (problems) => problems.filter((p) => !/Failed to load resource: .* 404/.test(p));

test('the page shows a visible error for each bad model file, and stays usable', async () => {
  makeBadFiles();
  for (const c of BAD_INPUTS) {
    const { page, problems } = await openPage(`${fx.web.url}index.html?model=/test-files/${c.file}`);
    await waitReady(page);
    const state = await page.evaluate(() => document.body.dataset.state);
    const text = (await page.textContent('#error')).trim();
    console.log(`  page, ${c.name}: ${state}${text ? `: "${text}"` : ''}`);
    await assertResponsive(page, c.name);
    if (c.error) {
      assert.equal(state, 'error', c.name);
      assert.match(text, c.error, c.name);
      const box = await page.locator('#error').boundingBox();
      assert.ok(box && box.width > 100 && box.height > 10 && box.y < 300, `${c.name}: the error is not visible near the top (${JSON.stringify(box)})`);
      // The controls do nothing harmful without a model: the same error stays, no exception.
      await page.click('#new-seed');
      await (await page.$$('#grid .cell'))[3].click();
      await page.click('.segmented button[data-mode=lerp]');
      await page.waitForTimeout(200);
      assert.equal((await page.textContent('#error')).trim(), text, `${c.name}: the controls replaced the error`);
      if (process.env.GANZOO_SCREENSHOTS)
        await page.screenshot({ path: join(process.env.GANZOO_SCREENSHOTS, `page-${c.file.replace('.safetensors', '')}.png`) });
    } else {
      assert.equal(state, 'ready', `${c.name}: ${text}`);
      assert.equal(await page.locator('#codes input[type=range]').count(), 2, `${c.name}: one slider per code value`);
    }
    assert.deepEqual(notA404(problems), [], c.name);
    await page.close();
  }
});

test('the widget shows a visible error for each bad model file', async () => {
  makeBadFiles();
  const widgets = BAD_INPUTS.map((c, i) =>
    `<figure><gan-sampler id="w${i}" model="${fx.web.url}test-files/${c.file}" mode="${i % 2 ? 'walk' : 'grid'}" size="150"></gan-sampler>
     <figcaption>${c.name}</figcaption></figure>`).join('\n');
  writeFileSync(join(fx.files, 'widget-errors.html'), `<!doctype html><meta charset="utf-8">
    <body style="background:#fff; font: 11px sans-serif; display: flex; flex-wrap: wrap; gap: 8px; margin: 8px">
    <style>figure { margin: 0; width: 150px; }</style>
    <script type="module" src="${fx.web.url}ganzoo-widget.js"></script>${widgets}`);
  const page = await fx.browser.newPage({ viewport: { width: 1400, height: 700 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${fx.other.url}test-files/widget-errors.html`);
  const states = await page.waitForFunction((n) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const w = document.getElementById(`w${i}`);
      const msg = w.shadowRoot && w.shadowRoot.querySelector('.msg');
      if (!msg) return null;
      const error = msg.classList.contains('error');
      if (!w.images && !error) return null;
      const r = msg.getBoundingClientRect();
      out.push({ error: error ? msg.innerText.replace(/\s*\n\s*/g, ' ') : '', images: w.images ? w.images.count : 0,
                 visible: getComputedStyle(msg).display !== 'none' && r.width > 50 && r.height > 50,
                 role: msg.getAttribute('role') });
    }
    return out;
  }, BAD_INPUTS.length, { timeout: 60000 }).then((h) => h.jsonValue());
  await assertResponsive(page, 'the widgets');
  BAD_INPUTS.forEach((c, i) => {
    const s = states[i];
    console.log(`  widget, ${c.name}: ${s.error ? `"${s.error}"` : `${s.images} images`}`);
    if (c.error) {
      assert.match(s.error, c.error, c.name);
      assert.ok(s.visible, `${c.name}: the error is not visible`);
      assert.equal(s.role, 'alert', c.name);
    } else {
      assert.equal(s.error, '', c.name);
      assert.ok(s.images > 0, c.name);
    }
  });
  if (process.env.GANZOO_SCREENSHOTS) await page.screenshot({ path: join(process.env.GANZOO_SCREENSHOTS, 'widget-errors.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

