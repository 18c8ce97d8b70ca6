// The studio in headless Debian Chromium (WebGL 2 through SwiftShader), driven by real input.
//   node tests/web/studio_test.mjs [--ganzoo build/native/bin/ganzoo] [--web DIR] [--keep DIR]
// Serves web/ on its own free port. Checks the canvas screenshots' pixels: not blank, Dear ImGui's
// windows; a mouse click on "Randomize" and the R key each change the grid; cell 0 of seed 7 is
// what `ganzoo sample --seed 7 -n 1` writes (with --ganzoo); localStorage brings model and seed back
// after a reload; a devicePixelRatio of 2 gives a 2x drawing buffer and UI scale; under
// `ganzoo serve`, studio.html?follow=ID follows a run's live/ files: a new snapshot redraws the
// grid in place (cell 0 is what the new file draws), a truncated one keeps the model shown; a
// click on the truncation slider redraws the grid as `ganzoo sample --trunc` draws it; BEGAN's
// model card says it is below the project's baseline, DCGAN's does not; the Project panel projects a
// drawing while the page keeps drawing frames, to the z `ganzoo project` gives for the same pixels.
// Frame times are a benchmark, not a test: tests/bench/studio_web_bench.mjs (docs/studio.md).
// --keep DIR: keeps the screenshots. Exit 0 = all pass.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStudio as open, startStudioBrowser } from './studio_page.mjs';
import { readPng, writeGreyPng } from '../../scripts/png.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const ganzooBin = arg('--ganzoo') ? resolve(arg('--ganzoo')) : null;
const webRoot = resolve(arg('--web', join(root, 'web')));
const keep = arg('--keep');
const MODEL = 'dcgan.safetensors';
const SEED = 7;

let browser, web, files, studio;

before(async () => {
  for (const f of ['studio.html', 'studio.js', 'studio.wasm', `models/${MODEL}`])
    assert.ok(existsSync(join(webRoot, f)), `missing ${join(webRoot, f)} (make wasm builds the studio)`);
  files = mkdtempSync(join(tmpdir(), 'ganzoo-studio-web-'));
  studio = await startStudioBrowser(webRoot, { '/test-files/': files });
  ({ browser, web } = studio);
});

after(async () => {
  await studio?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

const openStudio = (context, query) => open(context, web, query);

// Until the studio has shown `generations` grids and nothing is pending, then a few frames more.
async function settled(page, generations) {
  await page.waitForFunction((n) => (window.studio && window.studio.generations >= n && !window.studio.busy) ||
    document.body.dataset.error || document.body.dataset.state === 'error', generations, { timeout: 120000 });
  const error = await page.evaluate(() => document.body.dataset.error || (document.body.dataset.state === 'error' ? 'page error' : ''));
  assert.equal(error, '', `the studio reported: ${error}`);
  const frame = await page.evaluate(() => window.studio.frame);
  await page.waitForFunction((f) => window.studio.frame >= f + 3, frame);
  return page.evaluate(() => window.studio);
}

// The canvas as the compositor shows it: a PNG screenshot, decoded by the browser into RGBA.
async function shot(page, name) {
  const png = await page.locator('#canvas').screenshot();
  if (keep) { mkdirSync(keep, { recursive: true }); writeFileSync(join(keep, name), png); }
  return decodeInPage(page, png);
}

// PNG bytes decoded by the browser into RGBA: {w, h, data (a Buffer)}.
async function decodeInPage(page, png) {
  const b64 = await page.evaluate(async (src) => {
    const img = new Image();
    img.src = src;
    await img.decode();
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, img.width, img.height).data;
    let s = '';
    for (let i = 0; i < d.length; i += 32768) s += String.fromCharCode.apply(null, d.subarray(i, i + 32768));
    return { w: img.width, h: img.height, data: btoa(s) };
  }, `data:image/png;base64,${png.toString('base64')}`);
  return { w: b64.w, h: b64.h, data: Buffer.from(b64.data, 'base64') };
}

function pixels(img, rect) {
  const [x0, y0, w, h] = rect ? rect.map(Math.round) : [0, 0, img.w, img.h];
  const out = [];
  for (let y = y0; y < Math.min(img.h, y0 + h); y++)
    for (let x = x0; x < Math.min(img.w, x0 + w); x++) {
      const i = (y * img.w + x) * 4;
      out.push([img.data[i], img.data[i + 1], img.data[i + 2]]);
    }
  return out;
}
const spread = (px) => {
  const g = px.map((p) => (p[0] + p[1] + p[2]) / 3);
  const m = g.reduce((a, b) => a + b, 0) / g.length;
  return Math.sqrt(g.reduce((a, v) => a + (v - m) ** 2, 0) / g.length);
};
const countNear = (px, c, tol = 4) => px.filter((p) => Math.abs(p[0] - c[0]) <= tol && Math.abs(p[1] - c[1]) <= tol && Math.abs(p[2] - c[2]) <= tol).length;
const meanAbsDiff = (a, b) => a.reduce((s, p, i) => s + Math.abs(p[0] - b[i][0]) + Math.abs(p[1] - b[i][1]) + Math.abs(p[2] - b[i][2]), 0) / (3 * a.length);

function assertImGui(img, what) {
  const px = pixels(img);
  assert.ok(spread(px) > 10, `${what}: blank (grey spread ${spread(px).toFixed(1)})`);
  const titleActive = countNear(px, [41, 74, 122]), title = countNear(px, [10, 10, 10], 2);
  const accent = countNear(px, [66, 150, 250], 6), frames = countNear(px, [41, 74, 122], 6) + countNear(px, [29, 47, 73], 4);
  assert.ok(titleActive > 500 && title > 2000, `${what}: no ImGui title bars (active ${titleActive}, others ${title} px)`);
  assert.ok(accent > 50 && frames > 1000, `${what}: no ImGui widgets (${accent} accent px, ${frames} frame px)`);
}

const center = (r, dpr) => [(r[0] + r[2] / 2) / dpr, (r[1] + r[3] / 2) / dpr];

test('the studio draws its ImGui windows and the grid; a click on Randomize and the R key change it', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const { page, problems } = await openStudio(context, `?model=${MODEL}&seed=${SEED}`);
  const a = await settled(page, 1);
  assert.equal(a.seed, SEED);
  assert.deepEqual(a.fb, [1280, 800]);
  const imgA = await shot(page, 'studio-web-a.png');
  assertImGui(imgA, 'first screenshot');
  const grid = a.widgets.grid;
  assert.ok(grid && grid[2] > 200 && grid[3] > 200, `no grid on screen (${JSON.stringify(grid)})`);
  const cellsA = pixels(imgA, grid);
  assert.ok(spread(cellsA) > 30, `the grid is flat (spread ${spread(cellsA).toFixed(1)})`);

  // A real mouse click on the button, where the app says it drew it.
  const [bx, by] = center(a.widgets.Randomize, 1);
  await page.mouse.click(bx, by);
  const b = await settled(page, a.generations + 1);
  assert.notEqual(b.seed, a.seed, 'Randomize kept the seed');
  const cellsB = pixels(await shot(page, 'studio-web-b.png'), b.widgets.grid);
  assert.ok(meanAbsDiff(cellsA, cellsB) > 10, `Randomize did not change the grid (${meanAbsDiff(cellsA, cellsB).toFixed(1)})`);

  await page.mouse.move(5, 790);  // off the buttons
  await page.keyboard.press('r');
  const c = await settled(page, b.generations + 1);
  assert.notEqual(c.seed, b.seed, 'R kept the seed');
  const cellsC = pixels(await shot(page, 'studio-web-c.png'), c.widgets.grid);
  assert.ok(meanAbsDiff(cellsB, cellsC) > 10, `R did not change the grid (${meanAbsDiff(cellsB, cellsC).toFixed(1)})`);

  // A tap between two frames (key down and up in one task, as during a slow frame) still counts.
  await page.evaluate(() => {
    for (const type of ['keydown', 'keyup'])
      window.dispatchEvent(new KeyboardEvent(type, { key: 'r', code: 'KeyR', keyCode: 82, which: 82, bubbles: true }));
  });
  await page.waitForFunction((s) => window.studio.seed !== s, c.seed, { timeout: 15000 })
    .catch(() => assert.fail('a key pressed and released between two frames was lost'));
  const t = await settled(page, c.generations + 1);

  // Remembered: localStorage, then a reload without ?seed.
  await page.waitForFunction((s) => (localStorage.getItem('ganzoo-studio') || '').includes(`seed=${s}\n`), t.seed, { timeout: 10000 });
  await page.goto(`${web.url}studio.html`);
  const d = await settled(page, 1);
  assert.equal(d.seed, t.seed, 'the seed was not restored from localStorage');
  assert.equal(d.model, t.model, 'the model was not restored from localStorage');
  assert.deepEqual(problems, []);
  await context.close();
});

test('cell 0 of seed 7 is what `ganzoo sample --seed 7 -n 1` writes', { skip: !ganzooBin && 'no --ganzoo' }, async () => {
  const ref = join(files, 'ref.png');
  execFileSync(ganzooBin, ['sample', join(webRoot, 'models', MODEL), '--seed', String(SEED), '-n', '1', '-o', ref]);
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const { page, problems } = await openStudio(context, `?model=${MODEL}&seed=${SEED}&no-remember=1`);
  await settled(page, 1);
  await page.evaluate(() => { window.studioWantCell = true; });
  await page.waitForFunction(() => window.studioCell, null, { timeout: 10000 });
  const { cell, refPx } = await page.evaluate(async () => {
    const img = new Image();
    img.src = '/test-files/ref.png';
    await img.decode();
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return { cell: window.studioCell, refPx: { w: img.width, h: img.height, rgba: Array.from(ctx.getImageData(0, 0, img.width, img.height).data) } };
  });
  assert.deepEqual([cell.width, cell.height], [refPx.w, refPx.h]);
  let maxDiff = 0;
  for (let i = 0; i < cell.rgba.length; i++) maxDiff = Math.max(maxDiff, Math.abs(cell.rgba[i] - refPx.rgba[i]));
  console.log(`# web studio cell 0 vs ganzoo sample: max diff ${maxDiff}/255`);
  assert.equal(maxDiff, 0, `cell 0 differs from ganzoo sample by up to ${maxDiff}/255`);
  assert.deepEqual(problems, []);
  await context.close();
});

test('high DPI: devicePixelRatio 2 doubles the drawing buffer and the UI scale', async () => {
  const context = await browser.newContext({ viewport: { width: 800, height: 600 }, deviceScaleFactor: 2 });
  const { page, problems } = await openStudio(context, `?model=${MODEL}&seed=${SEED}&no-remember=1`);
  const s = await settled(page, 1);
  assert.deepEqual(s.fb, [1600, 1200]);
  assert.equal(s.scale, 2);
  assertImGui(await shot(page, 'studio-web-hidpi.png'), 'hi-DPI screenshot');
  assert.deepEqual(problems, []);
  await context.close();
});

// Grid cell 0 as the core made it (the page's hook), once the studio has settled.
async function cell0(page) {
  await page.evaluate(() => { window.studioCell = null; window.studioWantCell = true; });
  await page.waitForFunction(() => window.studioCell, null, { timeout: 10000 });
  return page.evaluate(() => window.studioCell);
}

// A PNG file's pixels, decoded by the browser as the screenshots are.
async function decodePng(page, file) {
  const { w, h, data } = await decodeInPage(page, readFileSync(file));
  return { width: w, height: h, rgba: Array.from(data) };
}

function maxDiff(a, b) {
  assert.deepEqual([a.width, a.height], [b.width, b.height]);
  let m = 0;
  for (let i = 0; i < a.rgba.length; i++) m = Math.max(m, Math.abs(a.rgba[i] - b.rgba[i]));
  return m;
}

test('?follow=ID under `ganzoo serve`: a new snapshot redraws the grid in place, a truncated one keeps the model', { skip: !ganzooBin && 'no --ganzoo' }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'ganzoo-studio-follow-'));
  const live = join(work, 'run', 'live');
  // As the trainer writes live/: the new file beside the old, renamed over it; the status after.
  const replace = (name, data) => {
    mkdirSync(live, { recursive: true });
    writeFileSync(join(live, `${name}.tmp`), data);
    renameSync(join(live, `${name}.tmp`), join(live, name));
  };
  const snapshot = (data, step) => {
    replace('latest.safetensors', data);
    replace('status.json', JSON.stringify({ state: 'training', step, steps: 100, epoch: 1, epochs: 5, eta_s: 42,
      losses: { loss_d: 0.5, loss_g: 1.25 }, snapshot: { step, bytes: data.length } }));
  };
  const first = readFileSync(join(webRoot, 'models', MODEL)), second = readFileSync(join(webRoot, 'models', 'wgan-gp.safetensors'));
  const server = spawn(ganzooBin, ['serve', join(work, 'run'), '--port', '0', '--web', webRoot], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise((resolveUrl, reject) => {
      let out = '';
      server.stdout.on('data', (d) => { out += d; const m = /serving on (http:\/\/\S+\/)/.exec(out); if (m) resolveUrl(m[1]); });
      server.on('exit', (code) => reject(new Error(`ganzoo serve exited ${code}: ${out}`)));
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    const { page, problems } = await open(context, { url }, `?follow=run&seed=${SEED}&no-remember=1`);
    const follow = (cond, arg) => page.waitForFunction(cond, arg, { timeout: 60000 });
    await follow(() => window.studio && window.studio.follow && window.studio.follow.state === 'missing');

    snapshot(first, 10);
    await follow(() => window.studio.follow.snapshots >= 1);
    const a = await settled(page, 1);
    assert.ok(a.model.startsWith('Live: '), `the live entry is not on screen (${a.model})`);
    const cellA = await cell0(page);
    const gridA = pixels(await shot(page, 'studio-web-follow-a.png'), a.widgets.grid);

    snapshot(second, 20);
    await follow(() => window.studio.follow.snapshots >= 2);
    const b = await settled(page, a.generations + 1);
    assert.equal(b.seed, SEED, 'the reload lost the seed');
    const gridB = pixels(await shot(page, 'studio-web-follow-b.png'), b.widgets.grid);
    assert.ok(meanAbsDiff(gridA, gridB) > 5, `a new snapshot did not redraw the grid (${meanAbsDiff(gridA, gridB).toFixed(1)})`);
    const cellB = await cell0(page);
    const ref = join(work, 'ref-second.png');
    execFileSync(ganzooBin, ['sample', join(webRoot, 'models', 'wgan-gp.safetensors'), '--seed', String(SEED), '-n', '1', '-o', ref]);
    assert.equal(maxDiff(cellB, await decodePng(page, ref)), 0, 'cell 0 of the new snapshot is not what `ganzoo sample` draws of its file');
    assert.ok(maxDiff(cellA, cellB) > 0, 'cell 0 did not change with the snapshot');

    // A truncated snapshot: refused, the model shown stays, the page goes on.
    replace('latest.safetensors', first.subarray(0, first.length >> 1));
    replace('status.json', JSON.stringify({ state: 'training', step: 30, snapshot: { step: 30, bytes: first.length >> 1 } }));
    await follow(() => window.studio.follow.failures >= 1);
    const c = await settled(page, b.generations);
    assert.match(c.follow.problem, /did not load/);
    assert.equal(c.follow.snapshots, 2);
    assert.equal(maxDiff(await cell0(page), cellB), 0, 'a truncated snapshot changed the model shown');
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    server.kill('SIGINT');
    rmSync(work, { recursive: true, force: true });
  }
});

test('a click on the truncation slider redraws cell 0 as `ganzoo sample --trunc` draws it', { skip: !ganzooBin && 'no --ganzoo' }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const { page, problems } = await openStudio(context, `?model=${MODEL}&seed=${SEED}&no-remember=1`);
  const a = await settled(page, 1);
  assert.equal(a.truncation, 1);
  const before = await cell0(page);
  const [x, y] = center(a.widgets.truncation, 1);
  await page.mouse.click(x, y);
  const b = await settled(page, a.generations + 1);
  const psi = Math.round(b.truncation * 20) / 20;
  assert.ok(psi > 0 && psi < 1 && Math.abs(b.truncation - psi) < 1e-6, `the slider set psi ${b.truncation}, not a step of 0.05 in (0, 1)`);
  const after = await cell0(page);
  const ref = join(files, 'ref-trunc.png');
  execFileSync(ganzooBin, ['sample', join(webRoot, 'models', MODEL), '--seed', String(SEED), '-n', '1', '--trunc', String(psi), '-o', ref]);
  const d = maxDiff(after, await decodePng(page, ref));
  console.log(`# web studio: the slider set psi ${psi}; cell 0 vs ganzoo sample --trunc ${psi}: max diff ${d}/255, vs psi 1: ${maxDiff(after, before)}/255`);
  assert.ok(maxDiff(after, before) > 0, 'the slider did not change cell 0');
  assert.equal(d, 0, `cell 0 differs from ganzoo sample --trunc ${psi} by up to ${d}/255`);
  assert.deepEqual(problems, []);
  await context.close();
});

// P opens the Project panel (held over a few frames, and pressed again until the panel shows);
// returns its canvas's rectangle.
async function openProjectPanel(page) {
  await page.mouse.move(5, 790);
  for (let i = 0; i < 5 && !(await page.evaluate(() => Boolean(window.studio.widgets.canvas))); i++) {
    await page.keyboard.down('p');
    await page.waitForTimeout(100);
    await page.keyboard.up('p');
    await page.waitForTimeout(500);
  }
  await page.waitForFunction(() => window.studio.widgets && window.studio.widgets.canvas, null, { timeout: 10000 });
  return page.evaluate(() => window.studio.widgets.canvas);
}

// Runs script commands that end in zdump:NAME; returns that projection (window.studioText[NAME]).
async function projectionDump(page, commands, name, timeout = 180000) {
  await page.evaluate((c) => { window.studioCommands = c; }, commands);
  await page.waitForFunction((n) => (window.studioText && window.studioText[n]) || document.body.dataset.error, name, { timeout });
  const error = await page.evaluate(() => document.body.dataset.error || '');
  assert.equal(error, '', `the studio reported: ${error}`);
  return JSON.parse(await page.evaluate((n) => window.studioText[n], name));
}

// The projection's Web Worker (web/ganzoo-project-worker.js, the one behind m.project()).
const projectWorkers = (page) => page.workers().filter((w) => w.url().includes('ganzoo-project-worker.js'));

// The Project panel in the browser: a target drawn with the real mouse on its canvas, then (sent
// as script commands) a projection, which runs a few steps per frame: the studio keeps drawing
// frames while it runs, and the z is what `ganzoo project` gives for the same pixels.
test('the Project panel projects a drawing without freezing the page, to the z of `ganzoo project`', { skip: !ganzooBin && 'no --ganzoo' }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const { page, problems } = await openStudio(context, `?model=${MODEL}&seed=${SEED}&no-remember=1`);
  await settled(page, 1);
  const r = await openProjectPanel(page);
  const at = (x, y) => [r[0] + (x / 28) * r[2], r[1] + (y / 28) * r[3]];
  for (const path of [[[6, 6], [22, 6]], [[14, 6], [14, 23]]]) {  // a "T"
    await page.mouse.move(...at(...path[0]));
    await page.mouse.down();
    for (const q of path.slice(1)) await page.mouse.move(...at(...q), { steps: 8 });
    await page.mouse.up();
  }
  await page.evaluate(() => { window.studioCommands = 'project:steps=300,seed=1,starts=2;wait;zdump:proj.json'; });
  // Watched every 100 ms: a page that kept drawing shows the run's progress step by step (a
  // projection run in one go would block the page until its end: nothing in between is seen).
  const seen = [];
  const t0 = Date.now();
  while (Date.now() - t0 < 180000) {
    const now = await page.evaluate(() => ({ frame: window.studio.frame, running: window.studio.projection.running,
                                             steps: window.studio.projection.steps_done, done: Boolean(window.studioText && window.studioText['proj.json']) }));
    seen.push(now);
    if (now.done) break;
    await page.waitForTimeout(100);
  }
  const during = seen.filter((x) => x.running && x.steps > 0 && x.steps < 300);
  const web = JSON.parse(await page.evaluate(() => window.studioText['proj.json']));
  const frames = during.length ? during[during.length - 1].frame - during[0].frame : 0;
  console.log(`# web studio: ${new Set(during.map((x) => x.steps)).size} distinct steps seen while projecting, ${frames} frames drawn meanwhile`);
  assert.ok(new Set(during.map((x) => x.steps)).size >= 5 && frames >= 5, `the page froze while projecting (${JSON.stringify(seen.slice(0, 5))} ...)`);
  assert.equal(projectWorkers(page).length, 1, 'the projection did not run on the projection Web Worker');
  assert.ok(web.target.filter((v) => v > 128).length > 20, 'the mouse drew on the canvas');
  const png = join(files, 'studio-target.png'), out = join(files, 'studio-proj');
  writeGreyPng(png, 28, 28, Buffer.from(web.target));
  execFileSync(ganzooBin, ['project', join(webRoot, 'models', MODEL), '--target', png, '--steps', '300', '--seed', '1', '--starts', '2', '-o', out]);
  const cli = JSON.parse(readFileSync(join(out, 'projection.json'), 'utf8'));
  const dz = Math.max(...cli.z.map((v, i) => Math.abs(v - web.z[i])));
  console.log(`# web studio: projected z vs ganzoo project: max |diff| ${dz} (start ${web.start} vs ${cli.start}, loss ${web.loss.final} vs ${cli.loss.final.total})`);
  assert.ok(dz <= 1e-3, `the studio's z differs from the CLI's by ${dz}`);
  assert.equal(web.start, cli.start);
  assert.deepEqual(problems, []);
  await context.close();
});

// Image files in the browser studio: an RGB PNG made by the page's canvas (60×44: centre-cropped
// and area-resized to 28×28, grey by stb_image's weights, as `ganzoo project --target` reads it)
// dropped on the page, then the same file chosen through "Open image..." (clicked with the mouse:
// the browser's file chooser). Each target is projected on the Web Worker, to the z the CLI gives
// for the file; Cancel terminates the worker mid-run, and the next projection starts a new one; a
// cGAN's label search on the worker gives the CLI's label and z.
test('the Project panel takes an image file dropped or picked, projects it on a Web Worker to the z of `ganzoo project`; Cancel stops the worker',
     { skip: !ganzooBin && 'no --ganzoo' }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const { page, problems } = await openStudio(context, `?model=${MODEL}&seed=${SEED}&no-remember=1`);
  await settled(page, 1);
  await openProjectPanel(page);
  const b64 = await page.evaluate(async () => {
    const c = new OffscreenCanvas(60, 44), g = c.getContext('2d');
    g.fillStyle = 'rgb(10, 20, 30)';
    g.fillRect(0, 0, 60, 44);
    const grad = g.createLinearGradient(14, 0, 46, 44);
    grad.addColorStop(0, 'rgb(240, 0, 50)');
    grad.addColorStop(1, 'rgb(50, 200, 255)');
    g.fillStyle = grad;
    g.fillRect(14, 4, 32, 36);
    g.fillStyle = 'rgb(250, 240, 40)';
    g.beginPath();
    g.arc(30, 22, 9, 0, 7);
    g.fill();
    const bytes = new Uint8Array(await (await c.convertToBlob({ type: 'image/png' })).arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 32768) text += String.fromCharCode.apply(null, bytes.subarray(i, i + 32768));
    return btoa(text);
  });
  const file = join(files, 'studio-file.png');
  writeFileSync(file, Buffer.from(b64, 'base64'));
  const cli = (steps, seed, out, model = MODEL) => {
    execFileSync(ganzooBin, ['project', join(webRoot, 'models', model), '--target', file, '--steps', String(steps), '--seed', String(seed),
                             '--starts', '2', '--scale', '1', '-o', join(files, out)]);
    return JSON.parse(readFileSync(join(files, out, 'projection.json'), 'utf8'));
  };
  const note = () => page.evaluate(() => window.studio.projection.note);

  // Dropped on the page: a drop event carrying the file, as the browser fires one.
  await page.evaluate((data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0))], 'dropped.png', { type: 'image/png' }));
    const canvas = document.getElementById('canvas');
    for (const type of ['dragenter', 'dragover', 'drop']) canvas.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, b64);
  await page.waitForFunction(() => window.studio.projection.note.startsWith('loaded'), null, { timeout: 20000 });
  assert.equal(await note(), 'loaded dropped.png (60x44, cropped and resized)');
  const dropped = await projectionDump(page, 'project:steps=40,seed=5,starts=2;wait;zdump:dropped.json', 'dropped.json');
  assert.equal(projectWorkers(page).length, 1, 'the projection did not run on the projection Web Worker');
  const ref = cli(40, 5, 'cli-file');
  const compare = readPng(join(files, 'cli-file', 'compare.png'));  // the target | the result
  const cliTarget = [];
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) cliTarget.push(compare.grey[y * compare.width + x]);
  const dTarget = Math.max(...cliTarget.map((v, i) => Math.abs(v - dropped.target[i])));
  console.log(`# web studio: a dropped 60x44 RGB PNG: target vs ganzoo project's max |diff| ${dTarget}/255; z ${JSON.stringify(dropped.z) === JSON.stringify(ref.z) ? 'equal' : 'differs'}`);
  assert.equal(dTarget, 0, `the dropped file's target differs from the CLI's by up to ${dTarget}/255`);
  assert.deepEqual(dropped.z, ref.z, 'the z projected from the dropped file is not `ganzoo project`\'s');

  // Picked: "Open image..." clicked with the mouse opens the browser's file chooser.
  await page.mouse.click(...center(await page.evaluate(() => window.studio.widgets.Clear), 1));
  await page.waitForFunction(() => window.studio.projection.note === '', null, { timeout: 10000 });
  const [chooser] = await Promise.all([page.waitForEvent('filechooser', { timeout: 20000 }),
                                       page.mouse.click(...center(await page.evaluate(() => window.studio.widgets['Open image']), 1))]);
  await chooser.setFiles(file);
  await page.waitForFunction(() => window.studio.projection.note.startsWith('loaded'), null, { timeout: 20000 });
  assert.equal(await note(), 'loaded studio-file.png (60x44, cropped and resized)');

  // Cancel: a long run stopped with the mouse terminates the worker; the next run starts a new one.
  await page.evaluate(() => { window.studioCommands = 'project:steps=100000,seed=2,starts=2'; });
  await page.waitForFunction(() => window.studio.projection.steps_done >= 2 && window.studio.widgets.Cancel, null, { timeout: 60000 });
  const worker = projectWorkers(page)[0];
  const closed = new Promise((resolve) => worker.once('close', resolve));
  await page.mouse.click(...center(await page.evaluate(() => window.studio.widgets.Cancel), 1));
  await Promise.race([closed, new Promise((_, reject) => setTimeout(() => reject(new Error('Cancel left the projection worker running')), 20000))]);
  assert.equal(await page.evaluate(() => window.studio.projection.running), false);
  const again = await projectionDump(page, 'project:steps=20,seed=5,starts=2;wait;zdump:again.json', 'again.json');
  assert.deepEqual(again.z, cli(20, 5, 'cli-again').z, 'after Cancel, the z is not `ganzoo project`\'s');
  assert.equal(projectWorkers(page).length, 1);

  // A cGAN on the worker: the label searched (every class, the best 2 on after step 4 of 20) and the
  // result read back (its candidates carry their loss curves), as `ganzoo project` finds them.
  const cgan = await projectionDump(page, 'set:model=cgan.safetensors;wait;project:steps=20,seed=5,starts=2;wait;zdump:cgan.json', 'cgan.json');
  const refCgan = cli(20, 5, 'cli-cgan', 'cgan.safetensors');
  assert.equal(cgan.label, refCgan.label);
  assert.deepEqual(cgan.z, refCgan.z, 'the cGAN projection on the worker is not `ganzoo project`\'s');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the model card says BEGAN is below the project\'s baseline (the manifest\'s numbers); DCGAN\'s says nothing', async () => {
  const manifest = JSON.parse(readFileSync(join(webRoot, 'models/manifest.json'), 'utf8'));
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
  const notices = {};
  for (const family of ['began', 'dcgan']) {
    const { page, problems } = await openStudio(context, `?model=${family}.safetensors&seed=${SEED}&no-remember=1`);
    const s = await settled(page, 1);
    notices[family] = s.card.notice;
    assert.ok(s.model.startsWith(family === 'began' ? 'BEGAN' : 'DCGAN'), s.model);
    assert.deepEqual(problems, []);
    await page.close();
  }
  const m = manifest.models.find((e) => e.family === 'began').metrics, bar = manifest.baseline;
  console.log(`# web studio card notices: ${JSON.stringify(notices)}`);
  assert.equal(notices.began, 'Below the project\'s baseline, a plain DCGAN after 2 epochs (lower is better): ' +
    `FD-FMNIST ${m.fd_fmnist.toFixed(2)} against ${bar.fd_fmnist.toFixed(2)}, SWD ${m.swd_average.toFixed(1)} against ${bar.swd_average.toFixed(1)}. ` +
    'See docs/members/began.md in the repository.');
  assert.equal(notices.dcgan, '');
  await context.close();
});
