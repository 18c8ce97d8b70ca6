// What the browser tests share (tests/web/*_test.mjs): the command line, one headless Debian
// Chromium (playwright-core, no downloaded browser), two static servers (web/ with CORS, and
// another origin), the native references drawn by the CLI, and helpers to read pixels.
//   --ganzoo BIN --model FILE [--web DIR] [--progan FILE] [--cyclegan FILE]
//   (default: build/native/bin/ganzoo, web/models/dcgan.safetensors, web/models/{progan,cyclegan}
//    .safetensors; a default member file that is absent is skipped with its reason, a given one
//    must exist)
// GANZOO_SCREENSHOTS=DIR keeps screenshots of the error states there.
// Importing this module registers the before/after hooks once, whichever test files run.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
export const ganzooBin = resolve(arg('--ganzoo', join(root, 'build/native/bin/ganzoo')));
export const modelFile = resolve(arg('--model', join(root, 'web/models/dcgan.safetensors')));
// --web DIR serves another copy of web/ (e.g. with a core built elsewhere).
export const webRoot = resolve(arg('--web', join(root, 'web')));
// The members with several nets: the shipped files unless given. { file, given }
const member = (name) => ({ file: resolve(arg(`--${name}`, join(root, 'web/models', `${name}.safetensors`))), given: process.argv.includes(`--${name}`) });
export const progan = member('progan'), cyclegan = member('cyclegan');
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
export const SEED = 7;
export const MODEL_QS = 'model=/test-files/model.safetensors';

// Set by the before hook: the browser context, the servers (web: web/ with CORS, and the members'
// pages at /docs/members/ as `make demo` serves them; other: another origin) and `files`, a
// temporary folder served at /test-files/ by both.
export const fx = { browser: null, web: null, other: null, files: null };
let userDir;

before(async () => {
  for (const f of [ganzooBin, modelFile, join(webRoot, 'ganzoo-core.wasm')])
    assert.ok(existsSync(f), `missing ${f} (build the native and wasm presets first: make test does)`);
  fx.files = mkdtempSync(join(tmpdir(), 'ganzoo-web-'));
  copyFileSync(modelFile, join(fx.files, 'model.safetensors'));
  // The native reference: the same seed through the CLI (8 columns, 2-pixel gaps).
  execFileSync(ganzooBin, ['sample', modelFile, '--seed', String(SEED), '-n', '64', '-o', join(fx.files, 'reference.png')]);
  execFileSync(ganzooBin, ['sample', modelFile, '--seed', String(SEED + 1), '-n', '64', '-o', join(fx.files, 'reference8.png')]);
  fx.web = await serve({ root: webRoot, cors: true, mounts: { '/test-files/': fx.files, '/docs/members/': join(root, 'docs/members') } });
  fx.other = await serve({ root: here, mounts: { '/test-files/': fx.files } });  // another origin (port)
  userDir = mkdtempSync(join(tmpdir(), 'ganzoo-chromium-'));
  fx.browser = await chromium.launchPersistentContext(userDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
});

after(async () => {
  await fx.browser?.close();
  await fx.web?.close();
  await fx.other?.close();
  for (const d of [fx.files, userDir]) if (d) rmSync(d, { recursive: true, force: true });
});

// `ganzoo ARGS...` (the native reference side of a test).
export const ganzoo = (...args) => execFileSync(ganzooBin, args);

// A module of web/ imported into node itself (not the browser), whatever node's version: web/ has
// no package.json saying "type": "module", and Debian 12's node 18 (unlike node >= 20.19, which
// detects ES module syntax) loads a .js file as CommonJS ("Unexpected token 'export'"). A copy
// named .mjs is a module for both. Only for modules without relative imports, which the copy
// would not find.
export async function importWebModule(name) {
  const source = readFileSync(join(webRoot, name), 'utf8');
  if (/^\s*import\b[^;]*?from\s*['"]\.\.?\//m.test(source)) throw new Error(`importWebModule: web/${name} imports a relative module; the .mjs copy cannot load it`);
  const copyDir = mkdtempSync(join(tmpdir(), 'ganzoo-module-'));
  const copy = join(copyDir, name.replace(/\.js$/, '.mjs'));
  copyFileSync(join(webRoot, name), copy);
  try { return await import(pathToFileURL(copy).href); } finally { rmSync(copyDir, { recursive: true, force: true }); }
}

export async function openPage(url) {
  const page = await fx.browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  return { page, problems };
}

export const waitReady = (page) => page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state), null, { timeout: 60000 });

// RGBA of `count` cells of a native grid PNG (tile_grid: `columns` columns, 2-pixel gaps), decoded by the browser.
export function decodeReference(page, url, w, h, columns = 8, count = 64) {
  return page.evaluate(async ({ url, w, h, columns, count }) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const cells = [];
    for (let i = 0; i < count; i++)
      cells.push(Array.from(ctx.getImageData((i % columns) * (w + 2), Math.floor(i / columns) * (h + 2), w, h).data));
    return cells;
  }, { url, w, h, columns, count });
}

// The page's grid on screen: its seed, cell size, plan columns and every cell's RGBA.
export const gridCells = (page) => page.evaluate(() => {
  const g = window.ganzooPage.grid;
  return { seed: g.seed, w: g.width, h: g.height, columns: g.plan.columns,
           cells: Array.from({ length: g.count }, (_, i) => Array.from(g.pixels(i))) };
});

export function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// The worst cell difference between the page's grid and a native PNG of the same layout.
export async function worstAgainst(page, grid, url) {
  const ref = await decodeReference(page, url, grid.w, grid.h, grid.columns, grid.cells.length);
  let worst = 0;
  for (let i = 0; i < grid.cells.length; i++) worst = Math.max(worst, maxDiff(grid.cells[i], ref[i]));
  return worst;
}

// The page is not frozen: an animation frame comes within a second.
export async function assertResponsive(page, what) {
  const ms = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    requestAnimationFrame(() => resolve(performance.now() - t0));
    setTimeout(() => resolve(Infinity), 1000);
  }));
  assert.ok(ms < 1000, `${what}: no animation frame within 1 s (the page is frozen)`);
}

// ---- model files: the test model's safetensors container kept, its ganzoo document edited --------
export function modelParts() {
  const bytes = new Uint8Array(readFileSync(modelFile));
  const n = Number(Buffer.from(bytes.buffer, bytes.byteOffset).readBigUInt64LE(0));
  return { bytes, header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')), data: bytes.subarray(8 + n) };
}
export function safetensors(header, data) {
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}
export function editedModel(edit) {
  const { header, data } = modelParts();
  const doc = JSON.parse(header.__metadata__.ganzoo);
  edit(doc);
  header.__metadata__.ganzoo = JSON.stringify(doc);
  return safetensors(header, data);
}

// The ganzoo document of a model file (the tests check the file itself, as a reader of the format).
export function ganzooDoc(file) {
  const bytes = readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  return JSON.parse(JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')).__metadata__.ganzoo);
}

// A shipped model of web/models/, which must be there.
export function shipped(name) {
  const file = join(root, 'web/models', name);
  assert.ok(existsSync(file), `missing the shipped ${file}`);
  return file;
}

// A member's file, or null and the test skipped with the reason: only a default file (web/models/)
// may be absent; a file named on the command line must exist.
export function memberFile(t, m, name) {
  if (existsSync(m.file)) return m.file;
  assert.ok(!m.given, `--${name} ${m.file}: no such file`);
  const reason = `${m.file} is not shipped yet (web/models/ has no ${name}.safetensors)`;
  console.log(`  SKIP: ${reason}`);
  t.skip(reason);
  return null;
}

// An 8-bit greyscale PNG (what `ganzoo translate --input` reads) from rows of bytes.
export function greyPng(width, height, pixels) {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);  // 8 bits, greyscale, deflate, no filter, no interlace
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) raw.set(pixels.slice(y * width, (y + 1) * width), y * (width + 1) + 1);
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A widget page on the other origin: `body` holds <gan-sampler> elements (the script tag is added).
export async function widgetPage(name, body, viewport) {
  writeFileSync(join(fx.files, name), `<!doctype html><meta charset="utf-8"><body style="background:#fff">
    <script type="module" src="${fx.web.url}ganzoo-widget.js"></script>${body}`);
  const page = await fx.browser.newPage(viewport ? { viewport } : undefined);
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(`${fx.other.url}test-files/${name}`);
  return { page, problems };
}

// Each widget's state once it has rendered or failed: {error, size, lo, hi, images, width, visible, role}.
export function widgetStates(page, ids) {
  return page.waitForFunction((ids) => {
    const out = {};
    for (const id of ids) {
      const e = document.getElementById(id);
      const msg = e.shadowRoot && e.shadowRoot.querySelector('.msg');
      if (!msg) return null;
      const error = msg.classList.contains('error');
      if (!e.images && !error) return null;
      const c = e.shadowRoot.querySelector('canvas');
      const px = c.getContext('2d').getImageData(0, 0, c.width || 1, c.height || 1).data;
      let lo = 255, hi = 0;
      for (let i = 0; i < px.length; i += 4) { lo = Math.min(lo, px[i]); hi = Math.max(hi, px[i]); }
      const r = msg.getBoundingClientRect();
      out[id] = { error: error ? msg.innerText.replace(/\s*\n\s*/g, ' ') : '', size: [c.width, c.height], lo, hi,
                  images: Array.isArray(e.images) ? e.images.map((x) => x.count) : e.images ? e.images.count : 0,
                  width: e.images ? (Array.isArray(e.images) ? e.images[0].width : e.images.width) : 0,
                  columns: e.images && e.images.plan ? e.images.plan.columns : 0,
                  visible: getComputedStyle(msg).display !== 'none' && r.width > 50 && r.height > 50,
                  role: msg.getAttribute('role'), display: getComputedStyle(c).display };
    }
    return out;
  }, ids, { timeout: 60000 }).then((h) => h.jsonValue());
}
