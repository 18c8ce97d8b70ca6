// Projection in the browser (docs/api.md, m.project; docs/projection.md): the on-demand projection
// core (web/ganzoo-project-core.wasm, loaded by web/ganzoo-project-worker.js) gives the z that
// `ganzoo project` gives natively for the same image and options, reports its progress, redraws
// the projected image, interpolates from it, refuses CycleGAN in one line; searches cGAN's label and
// InfoGAN's c_cat as the CLI does; on a cross-origin isolated page runs the threaded core with the
// one thread's result; the page's "Project an image" panel takes a dropped or chosen image file
// pixel for pixel, and projects a drawing as the CLI projects the same 28×28 PNG. The sampling
// download (api_test.mjs) never includes any of it.   node tests/web/project_test.mjs [fixtures.mjs's options]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fx, ganzoo, greyPng, openPage, waitReady, shipped, modelFile, webRoot, MODEL_QS } from './fixtures.mjs';
import { serve } from './serve.mjs';

// Native (x86-64, -O3 Eigen) and wasm (SIMD128) floats part in the last bits of the sums, and
// 20 Adam steps carry that along: z is compared to this absolute tolerance (docs/api.md says the
// measured difference).
const Z_TOLERANCE = 1e-3;
const OPTIONS = { steps: 20, seed: 5, starts: 2 };

// A known 28×28 target: a bright ring on black (a shape the DCGAN can roughly draw: a bag).
function ringPixels() {
  const p = new Uint8Array(28 * 28);
  for (let y = 0; y < 28; y++)
    for (let x = 0; x < 28; x++) {
      const r = Math.hypot(x - 13.5, y - 13.5);
      p[y * 28 + x] = r > 6 && r < 11 ? 230 : r <= 6 ? 60 : 0;
    }
  return p;
}

// `ganzoo project FILE --target PNG` with OPTIONS: projection.json.
function nativeProjection(model, png, extra = [], options = OPTIONS) {
  const dir = mkdtempSync(join(tmpdir(), 'ganzoo-project-'));
  try {
    writeFileSync(join(dir, 'target.png'), png);
    ganzoo('project', model, '--target', join(dir, 'target.png'), '--steps', String(options.steps), '--seed', String(options.seed),
           '--starts', String(options.starts), ...extra, '-o', join(dir, 'out'));
    return JSON.parse(readFileSync(join(dir, 'out/projection.json'), 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const maxAbs = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

export function assertSameProjection(web, native, what) {
  assert.equal(web.z.length, native.z.length, `${what}: z's size`);
  const dz = maxAbs(web.z, native.z);
  console.log(`  ${what}: |z_wasm − z_native|max = ${dz.toExponential(2)} (tolerance ${Z_TOLERANCE}), final loss ${web.loss.final.total.toPrecision(6)} vs ${native.loss.final.total.toPrecision(6)}`);
  assert.ok(dz <= Z_TOLERANCE, `${what}: z differs from the CLI's by ${dz} (> ${Z_TOLERANCE})`);
  assert.equal(web.start, native.start, `${what}: the winning start`);
  assert.equal(web.label ?? null, native.label ?? null, `${what}: the label`);
  assert.ok(Math.abs(web.loss.final.total - native.loss.final.total) <= 1e-3 * Math.max(1, native.loss.final.total), `${what}: the final loss`);
  // Projection must have moved z: the loss fell from its start.
  assert.ok(web.loss.final.total < 0.9 * web.loss.initial.total, `${what}: the loss did not fall (${web.loss.initial.total} -> ${web.loss.final.total})`);
}

test('m.project on the shipped DCGAN gives the CLI\'s z for the same image and options, with progress', async () => {
  const pixels = ringPixels(), png = greyPng(28, 28, pixels);
  writeFileSync(join(fx.files, 'ring.png'), png);
  const native = nativeProjection(shipped('dcgan.safetensors'), png);
  const { page, problems } = await openPage(`${fx.web.url}embed.html`);
  const web = await page.evaluate(async (options) => {
    const g = await import('/ganzoo.js');
    const m = await g.load('/models/dcgan.safetensors');
    const img = new Image();
    img.src = '/test-files/ring.png';
    await img.decode();
    const steps = [];
    const r = await m.project({ image: img, ...options, onProgress: (p) => steps.push([p.step, p.steps, p.loss, p.image.count]) });
    // The projected z redraws the image through the projection core's interpolation (t = 0).
    const walk = await r.interpolate({ to: 7, steps: 3 });
    const floats = Array.from(r.image.floats), first = Array.from(walk.floats.subarray(0, floats.length));
    const again = await m.project({ image: r.target.floats, ...options, perceptual: false });
    return { z: r.z, label: r.label, start: r.start, loss: r.loss, losses: r.losses, steps, walkCount: walk.count,
             redraw: first.reduce((m, v, i) => Math.max(m, Math.abs(v - floats[i])), 0), noPerceptual: again.loss.final.perceptual,
             targetMax: Math.max(...r.target.floats) };
  }, OPTIONS);
  assertSameProjection(web, native, 'dcgan, ring, 20 steps × 2 starts');
  assert.equal(web.steps.length, OPTIONS.steps, 'one progress report per step');
  assert.deepEqual(web.steps.map((s) => s[0]), Array.from({ length: OPTIONS.steps }, (_, i) => i + 1));
  assert.ok(web.steps.every((s) => s[1] === OPTIONS.steps && s[3] === 1 && Number.isFinite(s[2])));
  assert.equal(web.losses.length, OPTIONS.steps + 1);
  assert.equal(web.walkCount, 3);
  assert.ok(web.redraw <= 1e-5, `the interpolation's first frame is the projected image (${web.redraw})`);
  assert.equal(web.noPerceptual, 0, 'perceptual: false leaves the classifier out');
  assert.ok(Math.abs(web.targetMax - (230 / 255 * 2 - 1)) < 1e-6, 'the image in the model\'s range');
  assert.deepEqual(problems, []);
  await page.close();
});

test('m.project on a cGAN with a fixed label matches the CLI; CycleGAN is refused in one line', async (t) => {
  const png = greyPng(28, 28, ringPixels());
  const native = nativeProjection(shipped('cgan.safetensors'), png, ['--label', '8']);
  const { page } = await openPage(`${fx.web.url}embed.html`);
  const out = await page.evaluate(async (options) => {
    const g = await import('/ganzoo.js');
    const m = await g.load('/models/cgan.safetensors');
    const img = new Image();
    img.src = '/test-files/ring.png';
    await img.decode();
    const r = await m.project({ image: img, ...options, label: 8 });
    const c = await g.load('/models/cyclegan.safetensors');
    const refusal = await c.project({ image: new Float32Array(3 * 28 * 28) }).then(() => 'no error', (e) => `${e.name}: ${e.message}`);
    return { web: { z: r.z, label: r.label, start: r.start, loss: r.loss }, refusal };
  }, OPTIONS);
  assertSameProjection(out.web, native, 'cgan, label 8');
  assert.match(out.refusal, /^GanzooError: project: model '.*' translates images \(nets G_AB, G_BA: CycleGAN-shaped\) and has no latent z to project onto$/);
  await page.close();
});

// InfoGAN: the categorical code searched (10 values × 2 starts) and the continuous codes optimised
// with z, as the CLI does.
test('m.project on InfoGAN searches c_cat and optimises c_cont as `ganzoo project` does', async () => {
  const png = greyPng(28, 28, ringPixels());
  writeFileSync(join(fx.files, 'ring.png'), png);
  const native = nativeProjection(shipped('infogan.safetensors'), png);
  const { page, problems } = await openPage(`${fx.web.url}embed.html`);
  const web = await page.evaluate(async (options) => {
    const g = await import('/ganzoo.js');
    const m = await g.load('/models/infogan.safetensors');
    const img = new Image();
    img.src = '/test-files/ring.png';
    await img.decode();
    const r = await m.project({ image: img, ...options });
    const all = await m.project({ image: img, ...options, searchKeep: 0 });
    let refused = '';
    try {
      await m.project({ image: img, ...options, searchFraction: 0 });
    } catch (e) {
      refused = e.message;
    }
    return { z: r.z, label: r.label, start: r.start, loss: r.loss, codes: r.codes, candidates: r.candidates.length,
             steps: r.candidates.map((c) => c.steps), evaluations: r.evaluations, all: { z: all.z, evaluations: all.evaluations }, refused };
  }, OPTIONS);
  assertSameProjection(web, native, 'infogan, c_cat searched');
  assert.equal(web.candidates, 10, 'every value of c_cat tried');
  // The search's cut (2 values kept after step 4 of 20), and without it (searchKeep 0), as the CLI's.
  assert.deepEqual(web.steps, native.candidates.map((c) => c.steps));
  assert.deepEqual([...web.steps].sort((a, b) => a - b), [4, 4, 4, 4, 4, 4, 4, 4, 20, 20]);
  assert.equal(web.evaluations, native.evaluations);
  const full = nativeProjection(shipped('infogan.safetensors'), png, ['--search-keep', '0']);
  assert.equal(web.all.evaluations, full.evaluations);
  assert.ok(web.all.evaluations > web.evaluations, `the cut saved nothing (${web.evaluations} vs ${web.all.evaluations} passes)`);
  assert.ok(maxAbs(web.all.z, full.z) <= 1e-3, 'searchKeep 0: the z differs from `ganzoo project --search-keep 0`');
  assert.match(web.refused, /project: searchFraction must be a number in \(0, 1\], got 0/);
  assert.deepEqual(web.codes.c_cat, native.codes.c_cat, 'the categorical code found');
  const dc = Math.max(...web.codes.c_cont.map((v, i) => Math.abs(v - native.codes.c_cont[i])));
  assert.ok(dc <= 1e-3, `c_cont differs from the CLI's by ${dc}`);
  assert.deepEqual(problems, []);
  await page.close();
});

// The page's panel takes a dropped image file (and a chosen one) onto its 28×28 pad, pixel for pixel.
test('an image file dropped on (or chosen for) the panel\'s pad becomes the target, pixel for pixel', async () => {
  const pixels = ringPixels();
  writeFileSync(join(fx.files, 'ring.png'), greyPng(28, 28, pixels));
  const { page, problems } = await openPage(`${fx.web.url}index.html?${MODEL_QS}&seed=7`);
  await waitReady(page);
  await page.waitForFunction(() => window.ganzooPage.project, null, { timeout: 30000 });
  const pad = () => page.evaluate(() => Array.from(document.getElementById('project-draw').getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0));
  await page.click('#project-clear');
  await page.evaluate(async () => {
    const bytes = await (await fetch('/test-files/ring.png')).arrayBuffer();
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], 'ring.png', { type: 'image/png' }));
    const pad = document.getElementById('project-draw');
    pad.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    pad.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => document.getElementById('project-draw').getContext('2d').getImageData(14, 4, 1, 1).data[0] > 100, null, { timeout: 10000 });
  const dropped = await pad();
  assert.equal(Math.max(...dropped.map((v, i) => Math.abs(v - pixels[i]))), 0, 'the dropped PNG is on the pad as it is');
  await page.click('#project-clear');
  assert.equal(Math.max(...(await pad())), 0, 'Clear empties the pad');
  await page.setInputFiles('#project-file', join(fx.files, 'ring.png'));
  await page.waitForFunction(() => document.getElementById('project-draw').getContext('2d').getImageData(14, 4, 1, 1).data[0] > 100, null, { timeout: 10000 });
  assert.equal(Math.max(...(await pad()).map((v, i) => Math.abs(v - pixels[i]))), 0, 'the chosen PNG is on the pad as it is');
  assert.deepEqual(problems, []);
  await page.close();
});

// A cross-origin isolated page gets the threaded projection core (web/ganzoo-project-core-mt.*),
// which runs a projection's rows (10 labels × 2 starts) in slices on its pool: the result is the
// one thread's bit for bit (threads: 1 on the same page), and the CLI's.
test('on a cross-origin isolated page the threaded core splits the rows over its threads and gives the same z', async () => {
  const png = greyPng(28, 28, ringPixels());
  writeFileSync(join(fx.files, 'ring.png'), png);
  const native = nativeProjection(shipped('cgan.safetensors'), png);
  const isolated = await serve({ root: webRoot, isolate: true, mounts: { '/test-files/': fx.files } });
  try {
    const { page, problems } = await openPage(`${isolated.url}embed.html`);
    const out = await page.evaluate(async (options) => {
      const g = await import('/ganzoo.js');
      const m = await g.load('/models/cgan.safetensors');
      const img = new Image();
      img.src = '/test-files/ring.png';
      await img.decode();
      const all = await m.project({ image: img, ...options });
      const one = await m.project({ image: img, ...options, threads: 1 });
      const bad = await m.project({ image: img, threads: 0 }).then(() => 'no error', (e) => `${e.name}: ${e.message}`);
      const pick = (r) => ({ z: r.z, label: r.label, start: r.start, loss: r.loss, losses: r.losses, threads: r.threads });
      return { isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency, all: pick(all), one: pick(one), bad };
    }, OPTIONS);
    assert.equal(out.isolated, true, 'the page is cross-origin isolated');
    const expected = Math.min(out.cores, 8, 10 * OPTIONS.starts);
    console.log(`  isolated page, ${out.cores} cores: ${out.all.threads} threads; z as one thread's: ${JSON.stringify(out.all.z) === JSON.stringify(out.one.z)}`);
    assert.equal(out.all.threads, expected, 'the projection used every thread of the pool');
    assert.equal(out.one.threads, 1);
    assert.deepEqual(out.all.z, out.one.z, 'threads do not change z');
    assert.deepEqual(out.all.losses, out.one.losses, 'nor the loss at any step');
    assertSameProjection(out.all, native, 'cgan, label searched, threaded core');
    assert.match(out.bad, /^GanzooError: project: threads must be an integer >= 1, got 0$/);
    assert.deepEqual(problems, []);
    await page.close();
  } finally {
    await isolated.close();
  }
});

// The page: a drawing made with the mouse on the panel's 28×28 canvas, projected by the Project
// button (seed 0, 4 starts: the CLI's defaults; 20 steps), gives the z that `ganzoo project`
// gives for the same 28×28 pixels saved as a PNG; the live view saw every step; hovering a grid
// cell walks from the projection to that sample.
test('the page\'s "Project an image" panel projects a drawing as the CLI projects the same PNG', async () => {
  const { page, problems } = await openPage(`${fx.web.url}index.html?${MODEL_QS}&seed=7`);
  await page.setViewportSize({ width: 1200, height: 1500 });
  await waitReady(page);
  await page.waitForFunction(() => window.ganzooPage.project, null, { timeout: 30000 });
  const box = await page.locator('#project-draw').boundingBox();
  const p = (x, y) => [box.x + (x / 28) * box.width, box.y + (y / 28) * box.height];
  // A "T" and a loop, drawn with the mouse.
  for (const path of [[[6, 6], [22, 6]], [[14, 6], [14, 23]], [[8, 14], [10, 20], [18, 21], [20, 14], [8, 14]]]) {
    await page.mouse.move(...p(...path[0]));
    await page.mouse.down();
    for (const q of path.slice(1)) await page.mouse.move(...p(...q), { steps: 6 });
    await page.mouse.up();
  }
  const pixels = await page.evaluate(() => Array.from(document.getElementById('project-draw').getContext('2d').getImageData(0, 0, 28, 28).data).filter((_, i) => i % 4 === 0));
  assert.ok(pixels.filter((v) => v > 128).length > 40, 'the mouse drew on the canvas');
  await page.fill('#project-steps', '20');
  await page.click('#project-run');
  await page.waitForFunction(() => ['done', 'failed'].includes(document.body.dataset.project), null, { timeout: 120000 });
  const web = await page.evaluate(() => {
    const r = window.ganzooPage.project.projection;
    return r && { z: r.z, label: r.label, start: r.start, loss: r.loss, status: document.getElementById('project-status').textContent,
                  walk: window.ganzooPage.project.walk?.count };
  });
  assert.ok(web, 'the projection finished');
  assert.match(web.status, /^done in .* loss .* → /);
  assert.equal(web.walk, 10, 'the walk to the seed was drawn');
  const native = nativeProjection(modelFile, greyPng(28, 28, Uint8Array.from(pixels)), [], { steps: 20, seed: 0, starts: 4 });
  assertSameProjection(web, native, 'the page\'s drawing, 20 steps × 4 starts');
  // Hovering a grid cell walks from the projection to it.
  await page.hover('#grid .cell:nth-child(10)');
  await page.waitForFunction(() => typeof window.ganzooPage.project.walk?.to === 'object' && window.ganzooPage.project.walk.to.index === 9, null, { timeout: 30000 });
  if (process.env.GANZOO_SCREENSHOTS) await page.locator('#project').screenshot({ path: join(process.env.GANZOO_SCREENSHOTS, 'project-panel.png') });
  assert.deepEqual(problems, []);
  await page.close();
});
