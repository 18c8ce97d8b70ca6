// Browser tests of web/ in headless Debian Chromium (playwright-core, no downloaded browser).
//   node tests/web/browser_test.mjs --ganzoo build/native/bin/ganzoo --model web/models/dcgan.safetensors [--web DIR]
// GANZOO_SCREENSHOTS=DIR keeps screenshots of the error states there.
// Starts its own static servers on free ports of 127.0.0.1 and stops them. Exit 0 = all pass.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const ganzooBin = resolve(arg('--ganzoo', join(root, 'build/native/bin/ganzoo')));
const modelFile = resolve(arg('--model', join(root, 'web/models/dcgan.safetensors')));
// --web DIR serves another copy of web/ (e.g. with a core built elsewhere).
const webRoot = resolve(arg('--web', join(root, 'web')));
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const SEED = 7;

let browser, web, other, files, userDir;

before(async () => {
  for (const f of [ganzooBin, modelFile, join(webRoot, 'ganzoo-core.wasm')])
    assert.ok(existsSync(f), `missing ${f} (build the native and wasm presets first: make test does)`);
  files = mkdtempSync(join(tmpdir(), 'ganzoo-web-'));
  copyFileSync(modelFile, join(files, 'model.safetensors'));
  // The native reference: the same seed through the CLI (8 columns, 2-pixel gaps).
  execFileSync(ganzooBin, ['sample', modelFile, '--seed', String(SEED), '-n', '64', '-o', join(files, 'reference.png')]);
  execFileSync(ganzooBin, ['sample', modelFile, '--seed', String(SEED + 1), '-n', '64', '-o', join(files, 'reference8.png')]);
  web = await serve({ root: webRoot, cors: true, mounts: { '/test-files/': files } });
  other = await serve({ root: here, mounts: { '/test-files/': files } });  // another origin (port)
  userDir = mkdtempSync(join(tmpdir(), 'ganzoo-chromium-'));
  browser = await chromium.launchPersistentContext(userDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await web?.close();
  await other?.close();
  for (const d of [files, userDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function openPage(url) {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, problems };
}

const waitReady = (page) => page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });
const MODEL_QS = 'model=/test-files/model.safetensors';

// RGBA of 64 cells of a native grid PNG (tile_grid: 8 columns, 2-pixel gaps), decoded by the browser.
function decodeReference(page, url, w, h) {
  return page.evaluate(async ({ url, w, h }) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const cells = [];
    for (let i = 0; i < 64; i++)
      cells.push(Array.from(ctx.getImageData((i % 8) * (w + 2), Math.floor(i / 8) * (h + 2), w, h).data));
    return cells;
  }, { url, w, h });
}

const gridCells = (page) => page.evaluate(() => {
  const g = window.ganzooPage.grid;
  return { seed: g.seed, w: g.width, h: g.height, cells: Array.from({ length: g.count }, (_, i) => Array.from(g.pixels(i))) };
});

function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('the page loads with no console errors and shows a grid that is not blank', async () => {
  const { page, problems } = await openPage(`${web.url}index.html?${MODEL_QS}&seed=${SEED}`);
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
  const { cells } = await gridCells(page);
  assert.equal(cells.length, 64);
  const values = cells.flat().filter((_, i) => i % 4 === 0);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  console.log(`  grid: mean ${mean.toFixed(1)}, std ${std.toFixed(2)} (0..255)`);
  assert.ok(std > 0.5, `the grid looks blank (std ${std})`);
  // What the user sees: the cell canvases hold the pixels.
  const drawn = await page.evaluate(() => {
    const c = document.querySelector('#grid .cell canvas');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data);
  });
  assert.equal(maxDiff(drawn, cells[0]), 0);
  assert.match(await page.textContent('#timing'), /ms \/ image/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the same seed gives the native CLI\'s pixels (within 1/255) and a new seed changes the grid', async () => {
  const { page, problems } = await openPage(`${web.url}index.html?${MODEL_QS}&seed=${SEED}`);
  await waitReady(page);
  const grid = await gridCells(page);
  const ref = await decodeReference(page, '/test-files/reference.png', grid.w, grid.h);
  let worst = 0;
  for (let i = 0; i < 64; i++) worst = Math.max(worst, maxDiff(grid.cells[i], ref[i]));
  console.log(`  seed ${SEED}: max |page - native| = ${worst}/255 over 64 images`);
  assert.ok(worst <= 1, `max difference ${worst}/255`);

  await page.fill('#seed', String(SEED + 1));
  await page.press('#seed', 'Enter');
  await page.waitForFunction((s) => window.ganzooPage.grid && window.ganzooPage.grid.seed === s, SEED + 1, { timeout: 30000 });
  const next = await gridCells(page);
  const ref8 = await decodeReference(page, '/test-files/reference8.png', grid.w, grid.h);
  let changed = 0, worst8 = 0;
  for (let i = 0; i < 64; i++) {
    changed = Math.max(changed, maxDiff(next.cells[i], grid.cells[i]));
    worst8 = Math.max(worst8, maxDiff(next.cells[i], ref8[i]));
  }
  console.log(`  seed ${SEED + 1}: differs from seed ${SEED} by up to ${changed}/255; max |page - native| = ${worst8}/255`);
  assert.ok(changed > 0, 'the grid did not change with the seed');
  assert.ok(worst8 <= 1);
  assert.deepEqual(problems, []);
  await page.close();
});

// The shipped conditional members: the page gives a class picker (cGAN) or a code picker and two
// code sliders (InfoGAN), and what it draws for a chosen class or code is what
// `ganzoo sample --label` / `--code` draws natively.
test('conditional models get a class or code picker, and the page draws the native pixels for the choice', async () => {
  const cases = [
    { file: 'cgan.safetensors', pick: '#label', value: '3', native: ['--label', '3'], selects: 1, sliders: 0 },
    { file: 'infogan.safetensors', pick: '#codes select', value: '4', native: ['--code', 'c_cat=4', '--code', 'c_cont=0,0'], selects: 1, sliders: 2 },
  ];
  for (const c of cases) {
    const model = join(root, 'web/models', c.file);
    assert.ok(existsSync(model), `missing the shipped ${model}`);
    const reference = join(files, `reference-${c.file}.png`);
    execFileSync(ganzooBin, ['sample', model, '--seed', String(SEED), '-n', '64', ...c.native, '-o', reference]);
    const { page, problems } = await openPage(`${web.url}index.html?model=models/${c.file}&seed=${SEED}`);
    await waitReady(page);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
    const pickers = c.file.startsWith('cgan') ? '#label-field:not([hidden]) select' : '#codes:not([hidden]) select';
    assert.equal(await page.locator(pickers).count(), c.selects, `${c.file}: its picker is shown`);
    assert.equal(await page.locator(`${c.pick} option`).count(), 10, `${c.file}: ten choices`);
    assert.equal(await page.locator('#codes input[type=range]').count(), c.sliders, `${c.file}: a slider per continuous code value`);
    const before = await gridCells(page);
    await page.selectOption(c.pick, c.value);
    await page.waitForFunction((old) => {
      const g = window.ganzooPage.grid;
      const a = g && g.pixels(0);
      return a && a.some((v, i) => v !== old[i]);
    }, before.cells[0], { timeout: 30000 });
    const grid = await gridCells(page);
    const ref = await decodeReference(page, `/test-files/reference-${c.file}.png`, grid.w, grid.h);
    let worst = 0;
    for (let i = 0; i < 64; i++) worst = Math.max(worst, maxDiff(grid.cells[i], ref[i]));
    console.log(`  ${c.file}, ${c.native.join(' ')}: max |page - native| = ${worst}/255 over 64 images`);
    assert.ok(worst <= 1, `${c.file}: max difference ${worst}/255`);
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test('the interpolation endpoints equal the two chosen samples', async () => {
  const { page, problems } = await openPage(`${web.url}index.html?${MODEL_QS}&seed=${SEED}`);
  await waitReady(page);
  const cells = await page.$$('#grid .cell');
  await cells[5].click();
  await cells[42].click();
  await page.waitForFunction(() => {
    const e = window.ganzooPage.ends;
    return e && e[0].index === 5 && e[1].index === 42;
  }, null, { timeout: 30000 });
  assert.equal(await cells[5].getAttribute('data-end'), 'A');
  assert.equal(await cells[42].getAttribute('data-end'), 'B');
  for (const mode of ['slerp', 'lerp']) {
    await page.click(`.segmented button[data-mode=${mode}]`);
    await page.waitForTimeout(300);
    await page.waitForFunction(() => window.ganzooPage.walk, null, { timeout: 30000 });
    const r = await page.evaluate(() => {
      const { walk, grid } = window.ganzooPage;
      const d = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      const fd = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      const n = walk.floats.length / walk.count;
      return {
        a: d(walk.pixels(0), grid.pixels(5)), b: d(walk.pixels(walk.count - 1), grid.pixels(42)),
        fa: fd(walk.floats.subarray(0, n), grid.floats.subarray(5 * n, 6 * n)),
        mid: d(walk.pixels(walk.count >> 1), grid.pixels(5)), steps: walk.count,
      };
    });
    console.log(`  ${mode}: ${r.steps} steps, |A - sample 5| = ${r.a}, |B - sample 42| = ${r.b}, float |A - sample 5| = ${r.fa.toExponential(2)}, middle differs by ${r.mid}`);
    assert.equal(r.a, 0);
    assert.equal(r.b, 0);
    assert.ok(r.mid > 0, 'the middle frame equals endpoint A');
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('the widget renders inside a page served from another origin', async () => {
  const html = `<!doctype html><meta charset="utf-8"><body style="background:#fff">
    <style>canvas, div { display: none !important; }</style>
    <script type="module" src="${web.url}ganzoo-widget.js"></script>
    <gan-sampler id="g" model="${web.url}test-files/model.safetensors" mode="grid" seed="${SEED}" size="200"></gan-sampler>
    <gan-sampler id="w" model="${web.url}test-files/model.safetensors" mode="walk" seed="3" size="120"></gan-sampler>
    <gan-sampler id="bad" model="${web.url}test-files/missing.safetensors" size="120"></gan-sampler>`;
  writeFileSync(join(files, 'widget.html'), html);
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${other.url}test-files/widget.html`);
  const state = await page.waitForFunction(() => {
    const els = ['g', 'w', 'bad'].map((id) => document.getElementById(id));
    if (!els.every((e) => e.shadowRoot)) return null;
    const [g, w, bad] = els;
    const canvasOf = (e) => e.shadowRoot.querySelector('canvas');
    const msgOf = (e) => e.shadowRoot.querySelector('.msg');
    const done = (e) => e.images || msgOf(e).classList.contains('error');
    if (!els.every(done)) return null;
    const c = canvasOf(g);
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let lo = 255, hi = 0;
    for (let i = 0; i < px.length; i += 4) { lo = Math.min(lo, px[i]); hi = Math.max(hi, px[i]); }
    return { gridErr: msgOf(g).classList.contains('error') ? msgOf(g).textContent : '', w: c.width, lo, hi,
             visible: getComputedStyle(c).display, walk: w.images ? w.images.count : 0,
             bad: msgOf(bad).classList.contains('error') ? msgOf(bad).textContent : '' };
  }, null, { timeout: 60000 }).then((h) => h.jsonValue());
  console.log(`  widget from ${web.url} on ${other.url}: ${JSON.stringify(state)}`);
  assert.equal(state.gridErr, '');
  assert.ok(state.w > 0 && state.hi > state.lo, 'the widget grid is blank');
  assert.notEqual(state.visible, 'none', "the page's CSS leaked into the widget");
  assert.equal(state.walk, 32);
  assert.match(state.bad, /404/);
  assert.deepEqual(problems, []);
  await page.close();
});

// ---- the bad-input matrix (issue 9): the page and the widget, each case ----------------------
// Files made from the test model: the safetensors container kept, the ganzoo document edited.
function modelParts() {
  const bytes = new Uint8Array(readFileSync(modelFile));
  const n = Number(Buffer.from(bytes.buffer, bytes.byteOffset).readBigUInt64LE(0));
  return { bytes, header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')), data: bytes.subarray(8 + n) };
}
function safetensors(header, data) {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}
function editedModel(edit) {
  const { header, data } = modelParts();
  const doc = JSON.parse(header.__metadata__.ganzoo);
  edit(doc);
  header.__metadata__.ganzoo = JSON.stringify(doc);
  return safetensors(header, data);
}

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
  writeFileSync(join(files, 'truncated.safetensors'), bytes.subarray(0, bytes.length - 100));
  writeFileSync(join(files, 'truncated-header.safetensors'), bytes.subarray(0, 100));
  writeFileSync(join(files, 'page.safetensors'), '<!doctype html><title>Not Found</title><h1>Not Found</h1>\n');
  delete header.__metadata__;
  writeFileSync(join(files, 'plain.safetensors'), safetensors(header, data));
  writeFileSync(join(files, 'cyclegan.safetensors'), editedModel((d) => {
    d.family = 'cyclegan';
    d.nets = { G_AB: d.nets.G, G_BA: d.nets.G };
    if (d.check) d.check.net = 'G_AB';
  }));
  writeFileSync(join(files, 'image-input.safetensors'), editedModel((d) => {
    d.inputs.image = { shape: [3, 256, 256] };
    d.nets.G.inputs.push('image');
  }));
  writeFileSync(join(files, 'code-input.safetensors'), editedModel((d) => {
    d.inputs.c_cont = { dim: 2, range: [-1, 1] };
    d.nets.G.inputs.push('c_cont');
  }));
}

// The page is not frozen: an animation frame comes within a second.
async function assertResponsive(page, what) {
  const ms = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    requestAnimationFrame(() => resolve(performance.now() - t0));
    setTimeout(() => resolve(Infinity), 1000);
  }));
  assert.ok(ms < 1000, `${what}: no animation frame within 1 s (the page is frozen)`);
}

const notA404 = (problems) => problems.filter((p) => !/Failed to load resource: .* 404/.test(p));

test('the page shows a visible error for each bad model file, and stays usable', async () => {
  makeBadFiles();
  for (const c of BAD_INPUTS) {
    const { page, problems } = await openPage(`${web.url}index.html?model=/test-files/${c.file}`);
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
    `<figure><gan-sampler id="w${i}" model="${web.url}test-files/${c.file}" mode="${i % 2 ? 'walk' : 'grid'}" size="150"></gan-sampler>
     <figcaption>${c.name}</figcaption></figure>`).join('\n');
  writeFileSync(join(files, 'widget-errors.html'), `<!doctype html><meta charset="utf-8">
    <body style="background:#fff; font: 11px sans-serif; display: flex; flex-wrap: wrap; gap: 8px; margin: 8px">
    <style>figure { margin: 0; width: 150px; }</style>
    <script type="module" src="${web.url}ganzoo-widget.js"></script>${widgets}`);
  const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${other.url}test-files/widget-errors.html`);
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

test('the JS API rejects bad input with clear messages', async () => {
  const { page } = await openPage(`${web.url}embed.html`);
  const errors = await page.evaluate(async () => {
    const g = await import('/ganzoo.js');
    const out = [];
    const bytes = new Uint8Array(await (await fetch('/test-files/model.safetensors')).arrayBuffer());
    const m = await g.load(bytes.buffer);
    for (const f of [() => g.load(bytes.slice(0, bytes.length - 100).buffer), () => g.load(new ArrayBuffer(3)),
                     () => g.load(42), () => m.generate({ seed: -1 }), () => m.interpolate({ from: 1, to: 2, mode: 'cubic' })])
      try { await f(); out.push('no error'); } catch (e) { out.push(`${e.name}: ${e.message}`); }
    const r = await m.generate({ seed: 7, count: 2 });
    out.push(`ok ${r.count} ${r.width}x${r.height} ${r.floats.length}`);
    return out;
  });
  for (const e of errors) console.log(`  ${e}`);
  assert.ok(errors.slice(0, 5).every((e) => e.startsWith('GanzooError: ')), errors.join('\n'));
  assert.match(errors[0], /truncated|bytes/);
  assert.match(errors.at(-1), /^ok 2 /);
  await page.close();
});
