// The live view end to end, in headless Debian Chromium: a tiny DCGAN trains with --live while
// `ganzoo serve` shows it, and the page must follow it.
//   node tests/web/live_test.mjs --ganzoo build/native/bin/ganzoo [--web DIR]
// GANZOO_SCREENSHOTS=DIR keeps the screenshot of the live view there (docs/live.png comes from it).
// Exit 0 = all pass.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const ganzooBin = resolve(arg('--ganzoo', join(root, 'build/native/bin/ganzoo')));
const webRoot = resolve(arg('--web', join(root, 'web')));
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
// A DCGAN small enough to take a few dozen steps in seconds on one thread, a snapshot every 10
// steps. It trains in two legs, the second a --resume of the first, so that the page sees a
// finished run come back to life (and a test does not race a run that ends between two polls).
const LEG = 30, EVERY = 10;
const train = (steps, resume) => ['train', 'dcgan', '--steps', String(steps), '--batch', '16', '--width', '8', '--limit', '2048',
  '--threads', '1', '--seed', '3', '--log-every', '1', '--live', String(EVERY), ...(resume ? ['--resume'] : [])];
// gc() before each measurement, and performance.memory exact (Chromium otherwise buckets it and updates it rarely).
const CHROMIUM_GC = [...CHROMIUM_ARGS, '--js-flags=--expose-gc', '--enable-precise-memory-info'];

let browser, userDir, work, server, url, training;

// Starts `ganzoo ARGS` and resolves with the child once a stdout line matches `ready`.
function start(args, ready) {
  const child = spawn(ganzooBin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const seen = new Promise((resolveSeen, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = ready && ready.exec(out);
      if (m) resolveSeen(m);
    });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => reject(new Error(`ganzoo ${args[0]} exited ${code} before it was ready:\n${out}`)));
  });
  child.output = () => out;
  child.done = new Promise((resolveDone) => child.on('exit', (code) => resolveDone(code)));
  return { child, seen };
}

before(async () => {
  for (const f of [ganzooBin, join(webRoot, 'ganzoo-core.wasm')])
    assert.ok(existsSync(f), `missing ${f} (build the native and wasm presets first: make test does)`);
  work = mkdtempSync(join(tmpdir(), 'ganzoo-live-'));
  // The server first, as a user would: the run's folder does not exist yet.
  const s = start(['serve', join(work, 'run'), '--port', '0', '--web', webRoot], /serving on (http:\/\/\S+\/)/);
  server = s.child;
  url = (await s.seen)[1];
  userDir = mkdtempSync(join(tmpdir(), 'ganzoo-chromium-'));
  browser = await chromium.launchPersistentContext(userDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_GC });
});

after(async () => {
  training?.kill('SIGKILL');
  await browser?.close();
  server?.kill('SIGINT');
  if (server) await server.done;
  for (const d of [work, userDir]) if (d) rmSync(d, { recursive: true, force: true });
});

const cardState = (page) => page.evaluate(() => {
  const card = window.ganzooLive.cards[0];
  const c = card.grid;
  return { state: card.element.dataset.state, step: card.snapshotStep, text: card.text.textContent,
    pixels: c.width > 4 ? Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data) : null,
    rows: card.log.rows.length, timeline: card.samples.length };
});

function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('the page follows a run as it trains: new snapshots redraw the grid, the curves grow, the pixels are the CLI\'s', async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(url);
  await page.waitForFunction(() => window.ganzooLive && window.ganzooLive.cards.length === 1, null, { timeout: 30000 });
  await page.waitForFunction(() => window.ganzooLive.cards[0].element.dataset.state === 'waiting', null, { timeout: 30000 });
  assert.match((await cardState(page)).text, /waiting for the run folder/);

  // Leg 1: the page shows the run's end, finished, at step LEG.
  const leg = async (steps, resume) => {
    const t = start([...train(steps, resume), '--out', join(work, 'run')], null);
    training = t.child;
    t.seen.catch(() => {});
    assert.equal(await t.child.done, 0, t.child.output());
    training = null;
    await page.waitForFunction((n) => {
      const card = window.ganzooLive.cards[0];
      return card.status && card.status.state === 'finished' && card.snapshotStep === n && card.log.rows.length === n;
    }, steps, { timeout: 60000 });
    return cardState(page);
  };
  const first = await leg(LEG, false);
  assert.match(first.text, /finished/);
  // Leg 2, resumed: new snapshots redraw the grid; the log grows on; the state is finished again.
  const second = await leg(2 * LEG, true);
  console.log(`  snapshots at steps ${first.step} and ${second.step}; their grids differ by up to ${maxDiff(first.pixels, second.pixels)}/255; ` +
              `${second.rows} log rows, ${second.timeline} epoch grids`);
  assert.ok(maxDiff(first.pixels, second.pixels) > 0, 'the grid did not change between snapshots');
  assert.match(second.text, /finished · step 60 \/ 60/);
  assert.ok(second.timeline >= 1, 'no epoch grid in the timeline');

  // The page's own view drives the live run (the first entry of the picker): its grid is the
  // CLI's on the same snapshot.
  assert.equal(await page.inputValue('#model'), 'live:run');
  await page.waitForFunction((n) => window.ganzooPage.grid && window.ganzooPage.model.info.training.steps === n, 2 * LEG, { timeout: 60000 });
  const snapshot = join(work, 'run/live/latest.safetensors');
  execFileSync(ganzooBin, ['verify', snapshot]);
  execFileSync(ganzooBin, ['sample', snapshot, '--seed', '7', '-n', '64', '-o', join(work, 'reference.png')]);
  const grid = await page.evaluate(() => {
    const g = window.ganzooPage.grid;
    return { seed: g.seed, w: g.width, h: g.height, cells: Array.from({ length: g.count }, (_, i) => Array.from(g.pixels(i))) };
  });
  assert.equal(grid.seed, 7);
  const png = readFileSync(join(work, 'reference.png')).toString('base64');
  const ref = await page.evaluate(async ({ png, w, h }) => {
    const img = new Image();
    img.src = `data:image/png;base64,${png}`;
    await img.decode();
    const c = new OffscreenCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return Array.from({ length: 64 }, (_, i) => Array.from(ctx.getImageData((i % 8) * (w + 2), Math.floor(i / 8) * (h + 2), w, h).data));
  }, { png, w: grid.w, h: grid.h });
  let worst = 0;
  for (let i = 0; i < 64; i++) worst = Math.max(worst, maxDiff(grid.cells[i], ref[i]));
  console.log(`  the page's grid of the final snapshot vs ganzoo sample: max ${worst}/255`);
  assert.ok(worst <= 1, `max difference ${worst}/255`);
  if (process.env.GANZOO_SCREENSHOTS) await page.screenshot({ path: join(process.env.GANZOO_SCREENSHOTS, 'live.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

// Chromium's renderer processes (the page and its worker): their resident memory in MiB.
function rendererMiB() {
  const out = execFileSync('ps', ['-C', 'chromium', '-o', 'rss=,args=']).toString();
  return out.split('\n').filter((l) => l.includes('--type=renderer')).reduce((a, l) => a + Number(l.trim().split(/\s+/)[0]), 0) / 1024;
}

test('a tab left open does not grow: 1,000 snapshot reloads after a warm-up', async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction(() => window.ganzooLive?.cards[0]?.snapshotStep !== null && window.ganzooPage.grid, null, { timeout: 60000 });
  const reload = (n) => page.evaluate(async (n) => {
    const card = window.ganzooLive.cards[0];
    for (let i = 0; i < n; i++) {
      await card.loadSnapshot(card.status.snapshot.step, card.status);  // the card's reload, as each poll does
      await window.ganzooPage.reload();                                 // and the page's in-place reload
    }
  }, n);
  const settled = async () => {
    await page.evaluate(() => gc());
    for (const w of page.workers()) await w.evaluate(() => gc());
    return { rss: rendererMiB(), heap: await page.evaluate(() => performance.memory.usedJSHeapSize / 1048576) };
  };
  // The renderer's memory climbs for the first few hundred reloads (V8's and the wasm heap's
  // working size) and then stays: measured from 500 to 1,500 reloads, 741 → 737 MiB.
  await reload(500);
  const before = await settled();
  await reload(1000);
  const afterReloads = await settled();
  console.log(`  renderer memory after 500 reloads ${before.rss.toFixed(0)} MiB (JS heap ${before.heap.toFixed(1)} MiB), ` +
              `after 1,000 more ${afterReloads.rss.toFixed(0)} MiB (JS heap ${afterReloads.heap.toFixed(1)} MiB)`);
  // A kept model would cost its file and its weights per reload: 0.17 MB × 1,000 at the least.
  assert.ok(afterReloads.rss - before.rss < 40, `grew by ${(afterReloads.rss - before.rss).toFixed(0)} MiB over 1,000 reloads`);
  // The page's JS heap is logged, not held to a bound: in make test it has read 2.7 → 26 and → 34
  // MiB after gc() while the renderer's resident memory stayed flat (737 → 736 MiB), and 2.7 → 2.8
  // run alone; what holds it there is not understood yet (docs/live.md).
  await page.close();
});
