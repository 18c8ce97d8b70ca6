// The truncation trick (psi: every latent z, drawn or interpolated, scaled toward 0) in ganzoo.js,
// the page and the <gan-sampler> widget: the pixels of `ganzoo sample --trunc` and `ganzoo
// interpolate --trunc` (within 1/255, as every page-to-CLI comparison); a bad psi is a clear error.
//   node tests/web/truncation_test.mjs [fixtures.mjs's options]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fx, SEED, MODEL_QS, ganzoo, modelFile, openPage, waitReady, gridCells, maxDiff, worstAgainst,
         widgetPage, widgetStates } from './fixtures.mjs';

const PSI = 0.7;

// The CLI's references, once: the 64-sample grid and a 10-step slerp from sample 0 to 5 of SEED at PSI.
let references = null;
function cliReferences() {
  references ??= (() => {
    ganzoo('sample', modelFile, '--seed', String(SEED), '-n', '64', '--trunc', String(PSI), '-o', join(fx.files, 'trunc.png'));
    ganzoo('sample', modelFile, '--seed', String(SEED), '-n', '16', '--trunc', String(PSI), '-o', join(fx.files, 'trunc16.png'));
    ganzoo('interpolate', modelFile, '--from', `${SEED}:0`, '--to', `${SEED}:5`, '--steps', '10', '--slerp', '--trunc', String(PSI),
           '-o', join(fx.files, 'trunc-walk.png'));
    return { grid: '/test-files/trunc.png', grid16: '/test-files/trunc16.png', walk: '/test-files/trunc-walk.png' };
  })();
  return references;
}

test('the API: grid(), generate() and interpolate() with truncation give the CLI\'s --trunc pixels; a bad psi is refused', async () => {
  const ref = cliReferences();
  const { page } = await openPage(`${fx.web.url}embed.html`);
  const r = await page.evaluate(async ({ seed, psi }) => {
    const g = await import('/ganzoo.js');
    const m = await g.load('/test-files/model.safetensors');
    const cells = (im) => Array.from({ length: im.count }, (_, i) => Array.from(im.pixels(i)));
    const grid = await m.grid({ seed, truncation: psi });
    const plain = await m.grid({ seed });
    const off = await m.grid({ seed, truncation: 1 });
    const generated = await m.generate({ seed, count: 64, truncation: psi });
    const zero = await m.generate({ seed, count: 3, truncation: 0 });
    const walk = await m.interpolate({ from: { seed, index: 0 }, to: { seed, index: 5 }, steps: 10, mode: 'slerp', truncation: psi });
    const refused = [];
    for (const [call, bad] of [['generate', 2.5], ['generate', -0.1], ['grid', '0.7'], ['grid', NaN], ['interpolate', null], ['interpolate', Infinity]]) {
      const args = call === 'interpolate' ? { from: 1, to: 2, truncation: bad } : { seed, truncation: bad };
      refused.push(await m[call](args).then(() => 'no error', (e) => `${e.name}: ${e.message}`));
    }
    const same = (a, b) => a.floats.length === b.floats.length && a.floats.every((v, i) => v === b.floats[i]);
    return {
      grid: { w: grid.width, h: grid.height, columns: grid.plan.columns, cells: cells(grid) },
      walk: { w: walk.width, h: walk.height, columns: walk.count, cells: cells(walk) },
      plainDiffers: !same(grid, plain), offIsPlain: same(off, plain), generatedIsGrid: same(generated, grid),
      // psi 0: every z is 0, so every image is the one image of z = 0 (its pixels: the floats of
      // different rows of a batch may differ in the last bit).
      zeroAllSame: zero.pixels(0).every((v, i) => v === zero.pixels(1)[i] && v === zero.pixels(2)[i]),
      plainZeroSame: plain.pixels(0).every((v, i) => v === plain.pixels(1)[i]),
      refused,
    };
  }, { seed: SEED, psi: PSI });
  const worstGrid = await worstAgainst(page, r.grid, ref.grid);
  const worstWalk = await worstAgainst(page, r.walk, ref.walk);
  console.log(`  psi ${PSI}: max |API - ganzoo sample --trunc| = ${worstGrid}/255 over 64 images, |API walk - ganzoo interpolate --trunc| = ${worstWalk}/255 over 10`);
  for (const e of r.refused) console.log(`  ${e}`);
  assert.ok(worstGrid <= 1, `grid: max difference ${worstGrid}/255`);
  assert.ok(worstWalk <= 1, `interpolate: max difference ${worstWalk}/255`);
  assert.ok(r.plainDiffers, 'truncation 0.7 drew the same images as no truncation');
  assert.ok(r.offIsPlain, 'truncation 1 is not the same as none');
  assert.ok(r.generatedIsGrid, 'generate() and grid() differ at the same psi');
  assert.ok(r.zeroAllSame && !r.plainZeroSame, 'truncation 0 (every z at 0) did not draw one image');
  assert.equal(r.refused.length, 6);
  for (const [i, got] of ['2.5', '-0.1', '"0.7"', 'NaN', 'null', 'Infinity'].entries()) {
    const call = ['generate', 'generate', 'grid', 'grid', 'interpolate', 'interpolate'][i];
    assert.equal(r.refused[i], `GanzooError: ${call}: truncation must be a number from 0 to 2 (1 = off), got ${got}`);
  }
  await page.close();
});

test('the page: the truncation slider redraws the grid and the walk with the CLI\'s --trunc pixels; ?truncation= keeps it', async () => {
  const ref = cliReferences();
  const { page, problems } = await openPage(`${fx.web.url}index.html?${MODEL_QS}&seed=${SEED}`);
  await waitReady(page);
  assert.equal(await page.inputValue('#truncation'), '1');
  assert.equal(await page.textContent('#truncation-value'), '1 (off)');
  const plain = await gridCells(page);
  assert.ok(await worstAgainst(page, plain, '/test-files/reference.png') <= 1, 'psi 1 is not the untruncated grid');
  // The keyboard on the slider (real input events): six steps of 0.05 down from 1.
  await page.focus('#truncation');
  for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowLeft');
  await page.waitForFunction((psi) => {
    const { grid, walk } = window.ganzooPage;
    return grid?.truncation === psi && walk?.truncation === psi;
  }, PSI, { timeout: 30000 });
  const grid = await gridCells(page);
  const worst = await worstAgainst(page, grid, ref.grid);
  const walk = await page.evaluate(() => {
    const { walk, grid } = window.ganzooPage;
    const d = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
    return { a: d(walk.pixels(0), grid.pixels(0)), b: d(walk.pixels(walk.count - 1), grid.pixels(1)) };
  });
  const changed = Math.max(...grid.cells.map((c, i) => maxDiff(c, plain.cells[i])));
  console.log(`  slider at ${await page.inputValue('#truncation')}: max |page - ganzoo sample --trunc ${PSI}| = ${worst}/255; ` +
              `differs from psi 1 by up to ${changed}/255; walk ends vs cells 0 and 1: ${walk.a}, ${walk.b}`);
  assert.ok(worst <= 1, `max difference ${worst}/255`);
  assert.ok(changed > 1, 'the slider did not change the grid');
  assert.deepEqual([walk.a, walk.b], [0, 0], 'the walk\'s ends are not the truncated cells 0 and 1');
  assert.equal(await page.textContent('#truncation-value'), String(PSI));
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('truncation'), String(PSI));

  // The URL brings it back; a bad value is named in the banner, and psi stays 1.
  await page.goto(url.href);
  await waitReady(page);
  await page.waitForFunction(() => window.ganzooPage.grid, null, { timeout: 30000 });
  assert.equal(await page.inputValue('#truncation'), String(PSI));
  assert.ok(await worstAgainst(page, await gridCells(page), ref.grid) <= 1, '?truncation= did not draw the truncated grid');
  await page.goto(`${fx.web.url}index.html?${MODEL_QS}&seed=${SEED}&truncation=abc`);
  await page.waitForFunction(() => !document.getElementById('error').hidden, null, { timeout: 60000 });
  const banner = await page.textContent('#error');
  console.log(`  ?truncation=abc: "${banner}"`);
  assert.equal(banner, 'URL: truncation=abc in the URL: expected a number from 0 to 1 (1 = off); showing 1.');
  assert.ok(await worstAgainst(page, await gridCells(page), '/test-files/reference.png') <= 1);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the widget: truncation="0.7" draws the CLI\'s --trunc pixels in grid and walk; a bad value is a visible one-line error', async () => {
  const ref = cliReferences();
  const m = `${fx.web.url}test-files/model.safetensors`;
  const { page, problems } = await widgetPage('widget-truncation.html', `
    <gan-sampler id="t" model="${m}" mode="grid" seed="${SEED}" truncation="${PSI}" size="160"></gan-sampler>
    <gan-sampler id="p" model="${m}" mode="grid" seed="${SEED}" size="160"></gan-sampler>
    <gan-sampler id="one" model="${m}" mode="grid" seed="${SEED}" truncation="1" size="160"></gan-sampler>
    <gan-sampler id="w" model="${m}" mode="walk" seed="${SEED}" truncation="${PSI}" size="160"></gan-sampler>
    <gan-sampler id="bad" model="${m}" mode="grid" seed="${SEED}" truncation="abc" size="160"></gan-sampler>
    <gan-sampler id="big" model="${m}" mode="grid" seed="${SEED}" truncation="2.5" size="160"></gan-sampler>`, { width: 1200, height: 500 });
  const s = await widgetStates(page, ['t', 'p', 'one', 'w', 'bad', 'big']);
  const px = () => page.evaluate(() => Object.fromEntries(['t', 'p', 'one', 'w'].map((id) => {
    const im = document.getElementById(id).images;
    return [id, { w: im.width, h: im.height, columns: im.plan ? im.plan.columns : im.count,
                  cells: Array.from({ length: im.count }, (_, i) => Array.from(im.pixels(i))) }];
  })));
  const images = await px();
  const worst = await worstAgainst(page, images.t, ref.grid16);
  const plainVsT = Math.max(...images.p.cells.map((c, i) => maxDiff(c, images.t.cells[i])));
  const oneVsP = Math.max(...images.one.cells.map((c, i) => maxDiff(c, images.p.cells[i])));
  const chip = await page.evaluate(() => document.getElementById('t').shadowRoot.querySelector('.chip').textContent);
  console.log(`  truncation="${PSI}": max |widget - ganzoo sample -n 16 --trunc| = ${worst}/255 (untruncated differs by ${plainVsT}); ` +
              `walk frame 0 vs cell 0: ${maxDiff(images.w.cells[0], images.t.cells[0])}; caption "${chip}"; bad: "${s.bad.error}"`);
  assert.equal(s.t.images, 16);
  assert.ok(worst <= 1, `max difference ${worst}/255`);
  assert.ok(plainVsT > 1, 'truncation="0.7" drew the untruncated grid');
  assert.equal(oneVsP, 0, 'truncation="1" is not the same as none');
  assert.equal(maxDiff(images.w.cells[0], images.t.cells[0]), 0, 'the walk does not start at the truncated sample 0');
  assert.equal(maxDiff(images.w.cells[31], images.t.cells[1]), 0, 'the walk does not end at the truncated sample 1');
  assert.match(chip, /ψ 0\.7/);
  assert.equal(s.bad.error, 'gan-sampler: truncation="abc": expected a number from 0 to 2 (1 = off)');
  assert.equal(s.big.error, 'gan-sampler: truncation="2.5": expected a number from 0 to 2 (1 = off)');
  // Changing the attribute redraws: psi 1 is the untruncated grid.
  await page.evaluate(() => document.getElementById('t').setAttribute('truncation', '1'));
  await page.waitForFunction(() => !/ψ/.test(document.getElementById('t').shadowRoot.querySelector('.chip').textContent), null, { timeout: 30000 });
  const again = await px();
  assert.equal(Math.max(...again.t.cells.map((c, i) => maxDiff(c, images.p.cells[i]))), 0, 'truncation="1" after 0.7 is not the untruncated grid');
  assert.deepEqual(problems, []);
  await page.close();
});
