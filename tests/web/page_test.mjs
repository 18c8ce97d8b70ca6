// The page (web/index.html): it loads clean, draws the CLI's pixels for a seed, a class or a code
// (and, with none chosen, the same rows as `ganzoo sample`), and its interpolation endpoints are
// the chosen cells; its footer names the member as `ganzoo models` does.
//   node tests/web/page_test.mjs [fixtures.mjs's options]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fx, SEED, MODEL_QS, ganzoo, openPage, waitReady, gridCells, maxDiff, worstAgainst, shipped, webRoot, editedModel, importWebModule } from './fixtures.mjs';

test('the page loads with no console errors and shows a grid that is not blank', async () => {
  const { page, problems } = await openPage(`${fx.web.url}index.html?${MODEL_QS}&seed=${SEED}`);
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
  const { page, problems } = await openPage(`${fx.web.url}index.html?${MODEL_QS}&seed=${SEED}`);
  await waitReady(page);
  const grid = await gridCells(page);
  const worst = await worstAgainst(page, grid, '/test-files/reference.png');
  console.log(`  seed ${SEED}: max |page - native| = ${worst}/255 over 64 images`);
  assert.ok(worst <= 1, `max difference ${worst}/255`);

  await page.fill('#seed', String(SEED + 1));
  await page.press('#seed', 'Enter');
  await page.waitForFunction((s) => window.ganzooPage.grid && window.ganzooPage.grid.seed === s, SEED + 1, { timeout: 30000 });
  const next = await gridCells(page);
  let changed = 0;
  for (let i = 0; i < 64; i++) changed = Math.max(changed, maxDiff(next.cells[i], grid.cells[i]));
  const worst8 = await worstAgainst(page, next, '/test-files/reference8.png');
  console.log(`  seed ${SEED + 1}: differs from seed ${SEED} by up to ${changed}/255; max |page - native| = ${worst8}/255`);
  assert.ok(changed > 0, 'the grid did not change with the seed');
  assert.ok(worst8 <= 1);
  assert.deepEqual(problems, []);
  await page.close();
});

// The shipped conditional members. With no class or code chosen (a label or categorical code
// left out), the page draws the core's rows, one per class (cGAN) or code value (InfoGAN), the
// same grid as `ganzoo sample` without --label / --code; a chosen class or code draws what
// `ganzoo sample --label` / `--code` draws. The pickers offer the rows and every value.
test('conditional models: with nothing chosen, one row per class or code value as `ganzoo sample`; a choice draws its native pixels', async () => {
  const cases = [
    { file: 'cgan.safetensors', pick: '#label', pickers: '#label-field:not([hidden]) select', value: '3', native: ['--label', '3'], sliders: 0 },
    { file: 'infogan.safetensors', pick: '#codes select', pickers: '#codes:not([hidden]) select', value: '4',
      native: ['--code', 'c_cat=4', '--code', 'c_cont=0,0'], sliders: 2 },
  ];
  for (const c of cases) {
    const model = shipped(c.file);
    ganzoo('sample', model, '--seed', String(SEED), '-o', join(fx.files, `rows-${c.file}.png`));
    ganzoo('sample', model, '--seed', String(SEED), '-n', '64', ...c.native, '-o', join(fx.files, `reference-${c.file}.png`));
    const { page, problems } = await openPage(`${fx.web.url}index.html?model=models/${c.file}&seed=${SEED}`);
    await waitReady(page);
    assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
    assert.equal(await page.locator(c.pickers).count(), 1, `${c.file}: its picker is shown`);
    assert.deepEqual(await page.$$eval(`${c.pick} option`, (os) => [os.length, os[0].textContent, os[0].selected]),
                     [11, `one row per ${c.file.startsWith('cgan') ? 'class' : 'value'}`, true], `${c.file}: rows, then ten choices`);
    assert.equal(await page.locator('#codes input[type=range]').count(), c.sliders, `${c.file}: a slider per continuous code value`);
    const rows = await gridCells(page);
    const worstRows = await worstAgainst(page, rows, `/test-files/rows-${c.file}.png`);
    console.log(`  ${c.file}, nothing chosen: ${rows.cells.length} cells in ${rows.columns} columns; max |page - native sample| = ${worstRows}/255`);
    assert.equal(rows.cells.length, 100);
    assert.equal(rows.columns, 10);
    assert.ok(worstRows <= 1, `${c.file}: rows differ by ${worstRows}/255`);
    // The walk of a rows grid runs in endpoint A's row (its class or code value).
    const walkOk = await page.evaluate(() => window.ganzooPage.walk && window.ganzooPage.walk.count);
    assert.equal(walkOk, 48);

    await page.selectOption(c.pick, c.value);
    await page.waitForFunction(() => window.ganzooPage.grid && window.ganzooPage.grid.count === 64, null, { timeout: 30000 });
    const grid = await gridCells(page);
    const worst = await worstAgainst(page, grid, `/test-files/reference-${c.file}.png`);
    console.log(`  ${c.file}, ${c.native.join(' ')}: max |page - native| = ${worst}/255 over 64 images`);
    assert.ok(worst <= 1, `${c.file}: max difference ${worst}/255`);
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test('the interpolation endpoints equal the two chosen samples', async () => {
  const { page, problems } = await openPage(`${fx.web.url}index.html?${MODEL_QS}&seed=${SEED}`);
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
      const n = walk.floats.length / walk.count;
      return {
        a: d(walk.pixels(0), grid.pixels(5)), b: d(walk.pixels(walk.count - 1), grid.pixels(42)),
        fa: d(walk.floats.subarray(0, n), grid.floats.subarray(5 * n, 6 * n)),
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

// The footer's "Model: NAME — FAMILY on DATASET": the member's name as `ganzoo models` prints it
// (InfoGAN, WGAN-GP, CycleGAN), never the id in capitals; web/family.js is the page's one map.
test('metrics stored in the file (`ganzoo eval --write`: training.metrics) are shown with the model', async () => {
  writeFileSync(join(fx.files, 'with-metrics.safetensors'), editedModel((doc) => {
    doc.training.metrics = { fd_fmnist: 7.4962, swd_average: 29.137, class_histogram: [1, 2] };
  }));
  for (const [file, expected] of [['with-metrics.safetensors', /· FD-FMNIST 7\.50 · SWD 29\.1\b/], ['model.safetensors', null]]) {
    const { page, problems } = await openPage(`${fx.web.url}index.html?model=/test-files/${file}&seed=${SEED}`);
    await page.waitForFunction(() => /— .* on /.test(document.getElementById('model-about').textContent), null, { timeout: 60000 });
    const about = await page.textContent('#model-about');
    console.log(`  ${file}: ${about}`);
    if (expected) assert.match(about, expected);
    else assert.doesNotMatch(about, /FD-FMNIST/, 'a file without metrics shows none');
    assert.deepEqual(problems, []);
    await page.close();
  }
});

test('the footer names the family as `ganzoo models` does, from web/family.js', async () => {
  const { FAMILY_TITLES } = await importWebModule('family.js');
  const listed = Object.fromEntries(ganzoo('models').toString().trim().split('\n')
    .map((line) => line.match(/^(\S+)\s+(.*?)\s+\(/).slice(1)));
  assert.deepEqual({ ...FAMILY_TITLES }, listed, 'web/family.js against `ganzoo models`');
  for (const [file, family] of [['infogan.safetensors', 'InfoGAN'], ['wgan-gp.safetensors', 'WGAN-GP'],
    ['cyclegan.safetensors', 'CycleGAN'], ['cgan.safetensors', 'Conditional GAN']]) {
    shipped(file);
    const { page, problems } = await openPage(`${fx.web.url}index.html?model=models/${file}&seed=${SEED}`);
    await page.waitForFunction(() => /— .* on /.test(document.getElementById('model-about').textContent), null, { timeout: 60000 });
    const about = await page.textContent('#model-about');
    console.log(`  ${file}: ${about}`);
    assert.match(about, new RegExp(`^Model: \\S+ — ${family} on fashion-mnist · `), file);
    assert.deepEqual(problems, []);
    await page.close();
  }
});
