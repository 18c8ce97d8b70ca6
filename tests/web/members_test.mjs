// The members with several nets, on the page and in the widget: ProGAN's stages (`ganzoo sample
// --net`'s pixels) and CycleGAN's translations (`ganzoo translate`'s pixels).
//   node tests/web/members_test.mjs [fixtures.mjs's options]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fx, SEED, progan, cyclegan, ganzoo, openPage, waitReady, gridCells, decodeReference, maxDiff, memberFile,
         ganzooDoc, greyPng, widgetPage, widgetStates } from './fixtures.mjs';

test('ProGAN: the stage picker draws each stage at its own size in same-sized cells, with the native pixels of `ganzoo sample --net`', async (t) => {
  const file = memberFile(t, progan, 'progan');
  if (!file) return;
  const stages = Object.keys(ganzooDoc(file).nets).filter((n) => /^G_\d+x\d+$/.test(n));
  assert.ok(stages.includes('G_8x8'), `${file} has no net G_8x8 (nets: ${stages.join(', ')})`);
  copyFileSync(file, join(fx.files, 'progan.safetensors'));
  for (const net of stages)
    ganzoo('sample', file, '--net', net, '--seed', String(SEED), '-n', '64', '-o', join(fx.files, `reference-progan-${net}.png`));
  const { page, problems } = await openPage(`${fx.web.url}index.html?model=/test-files/progan.safetensors&seed=${SEED}`);
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
  assert.ok(await page.isVisible('#stage'), 'no stage picker');
  const options = await page.$$eval('#stage option', (os) => os.map((o) => `${o.value}=${o.textContent}`));
  console.log(`  stages: ${options.join(', ')}`);
  assert.equal(options.length, stages.length + 1);
  const cellBox = async () => (await page.locator('#grid .cell').first().boundingBox());
  const full = await gridCells(page);
  const fullBox = await cellBox();
  for (const net of stages) {
    const size = Number(/_(\d+)x/.exec(net)[1]);
    await page.selectOption('#stage', net);
    await page.waitForFunction((s) => window.ganzooPage.grid && window.ganzooPage.grid.width === s, size, { timeout: 30000 });
    const grid = await gridCells(page);
    const drawn = await page.evaluate(() => { const c = document.querySelector('#grid .cell canvas'); return [c.width, c.height]; });
    const box = await cellBox();
    const ref = await decodeReference(page, `/test-files/reference-progan-${net}.png`, grid.w, grid.h);
    let worst = 0;
    for (let i = 0; i < 64; i++) worst = Math.max(worst, maxDiff(grid.cells[i], ref[i]));
    console.log(`  ${net}: drawn ${drawn.join('×')} in a ${box.width.toFixed(1)}×${box.height.toFixed(1)} px cell (G: ${full.w}×${full.h} in ${fullBox.width.toFixed(1)}); max |page - native| = ${worst}/255 over 64 images`);
    assert.deepEqual(drawn, [size, size]);
    assert.ok(Math.abs(box.width - fullBox.width) < 0.5 && Math.abs(box.height - fullBox.height) < 0.5, 'the grid changed size with the stage');
    assert.ok(worst <= 1, `${net}: max difference ${worst}/255`);
  }
  // The growth strip: sample #0 at every stage, the same pixels as that stage's grid cell 0.
  await page.waitForFunction(() => window.ganzooPage.growth && window.ganzooPage.growth.images.length > 1, null, { timeout: 30000 });
  const growth = await page.evaluate(() => { const g = window.ganzooPage.growth; return { nets: g.nets, sizes: g.images.map((i) => i.width), first: Array.from(g.images[g.nets.indexOf('G_8x8')].pixels(0)) }; });
  console.log(`  growth strip: ${growth.nets.join(', ')} at ${growth.sizes.join(', ')} px`);
  assert.deepEqual([...growth.sizes].sort((a, b) => a - b), growth.sizes);
  const ref8 = await decodeReference(page, '/test-files/reference-progan-G_8x8.png', 8, 8);
  assert.equal(maxDiff(growth.first, ref8[0]) <= 1, true, 'growth strip 8×8 differs from the native sample 0');
  // The API: a net the file lacks is refused with the names it has.
  const err = await page.evaluate(() => window.ganzooPage.model.generate({ seed: 1, net: 'G_64x64' }).then(() => 'no error', (e) => e.message));
  console.log(`  generate({net: 'G_64x64'}): ${err}`);
  assert.ok(err.includes(`no net 'G_64x64' (nets: ${['G', ...stages].sort().join(', ')})`), err);
  assert.deepEqual(problems, []);
  await page.close();
});

test('CycleGAN: picking an example shows its translation and cycle as `ganzoo translate` does natively; translate all equals --examples', async (t) => {
  const file = memberFile(t, cyclegan, 'cyclegan');
  if (!file) return;
  const doc = ganzooDoc(file);
  const [channels, h, w] = doc.dataset.image;
  assert.equal(channels, 1, 'this test writes greyscale PNGs: a CycleGAN of colour images needs an RGB one');
  const examples = doc.inputs.image.examples;
  copyFileSync(file, join(fx.files, 'cyclegan.safetensors'));
  const { page, problems } = await openPage(`${fx.web.url}index.html?model=/test-files/cyclegan.safetensors`);
  await waitReady(page);
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready', await page.textContent('#error'));
  assert.ok(await page.isVisible('#translate') && !(await page.isVisible('#grid')), 'the translate view replaces the grid');
  for (const d of ['A', 'B'])
    assert.equal(await page.locator(`#translate .domain[data-domain=${d}] .example`).count(), examples[d].pixels.length, `examples of ${d}`);
  // The native rows x, G_AB(x), G_BA(G_AB(x)) of every A example, then the same from B.
  ganzoo('translate', file, '--examples', '-o', join(fx.files, 'translations.png'));
  const columns = Math.max(examples.A.pixels.length, examples.B.pixels.length);
  const native = await decodeReference(page, '/test-files/translations.png', w, h, columns, 6 * columns);
  for (const [domain, direction, row] of [['A', 'AB', 0], ['B', 'BA', 3]]) {
    const index = Math.min(3, examples[domain].pixels.length - 1);
    await page.click(`#translate .domain[data-domain=${domain}] .example >> nth=${index}`);
    await page.waitForFunction(([d, i]) => { const t = window.ganzooPage.translation; return t && t.domain === d && t.index === i; }, [domain, index], { timeout: 30000 });
    const shown = await page.evaluate(() => {
      const t = window.ganzooPage.translation;
      const canvas = (id) => { const c = document.getElementById(id); return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); };
      return { x: Array.from(t.input.pixels(0)), y: Array.from(t.translated.pixels(0)), z: Array.from(t.cycled.pixels(0)),
               drawn: canvas('cycle-y'), caption: document.getElementById('cycle-y-name').textContent };
    });
    // The native side: the example as a PNG through `ganzoo translate --input`.
    const pixels = examples[domain].pixels[index];
    writeFileSync(join(fx.files, `example-${domain}.png`), greyPng(w, h, pixels));
    ganzoo('translate', file, '--input', join(fx.files, `example-${domain}.png`), '--direction', direction, '-o', join(fx.files, `translated-${domain}.png`));
    const ref = await decodeReference(page, `/test-files/translated-${domain}.png`, w, h, 1, 1);
    const input = pixels.flatMap((v) => [v, v, v, 255]);
    const dx = maxDiff(shown.x, input), dy = maxDiff(shown.y, ref[0]);
    // The cycle back: the native --examples row of the same example (floats chained, as here).
    const dz = maxDiff(shown.z, native[(row + 2) * columns + index]);
    console.log(`  ${domain} #${index} (${direction}, "${shown.caption}"): |x - example| = ${dx}, ` +
                `|G(x) page - translate --input --direction ${direction}| = ${dy}/255, |cycle page - native| = ${dz}/255`);
    assert.equal(dx, 0);
    assert.ok(dy <= 1, `translation differs by ${dy}/255`);
    assert.ok(dz <= 1, `cycle differs by ${dz}/255`);
    assert.equal(maxDiff(shown.drawn, shown.y), 0, 'the canvas shows the translation');
  }
  // Translate all: six rows as `ganzoo translate --examples` draws them.
  await page.click('#translate-all');
  await page.waitForFunction(() => window.ganzooPage.translations, null, { timeout: 60000 });
  const all = await page.evaluate(() => {
    const { A, B } = window.ganzooPage.translations;
    const rows = [A.input, A.translated, A.cycled, B.input, B.translated, B.cycled];
    return { rows: rows.map((im) => Array.from({ length: im.count }, (_, i) => Array.from(im.pixels(i)))),
             canvases: document.querySelectorAll('#translate-grid canvas').length };
  });
  let worst = 0, n = 0;
  all.rows.forEach((row, r) => row.forEach((px, i) => { worst = Math.max(worst, maxDiff(px, native[r * columns + i])); n++; }));
  console.log(`  translate all: ${n} images in ${all.canvases} canvases; max |page - native --examples| = ${worst}/255`);
  assert.equal(all.canvases, n);
  assert.ok(worst <= 1, `max difference ${worst}/255`);
  // The API's refusals: generate on a model without z points to translate, and the reverse.
  const errors = await page.evaluate(async () => {
    const g = await import('/ganzoo.js');
    const m = window.ganzooPage.model;
    const dcgan = await g.load('/test-files/model.safetensors');
    const out = [];
    for (const f of [() => m.generate({ seed: 1 }), () => m.interpolate({ from: 1, to: 2 }), () => dcgan.translate({ example: { domain: 'A', index: 0 } }),
                     () => m.translate({ example: { domain: 'C', index: 0 } }), () => m.translate({ example: { domain: 'A', index: 999 } }),
                     () => m.translate({ images: new Float32Array(5) }), () => m.translate({ examples: 'A', direction: 'AA' })])
      try { await f(); out.push('no error'); } catch (e) { out.push(`${e.name}: ${e.message}`); }
    dcgan.dispose();
    return out;
  });
  for (const e of errors) console.log(`  ${e}`);
  assert.ok(errors.every((e) => e.startsWith('GanzooError: ')), errors.join('\n'));
  assert.match(errors[0], /takes no latent z.*m\.translate/);
  assert.match(errors[1], /takes no latent z.*m\.translate/);
  assert.match(errors[2], /no image-to-image nets.*m\.generate/);
  assert.match(errors[3], /domain must be 'A' or 'B'/);
  assert.match(errors[4], /index 999 .* outside/);
  assert.match(errors[5], /N×1×28×28|N×\d+×\d+×\d+/);
  assert.match(errors[6], /direction must be 'AB' or 'BA'/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the widget: ProGAN grid and walk at full size; CycleGAN translate mode, and a clear message for its grid', async (t) => {
  // Each member's widgets when its file is there (a default file that is absent: skipped, said so).
  const cases = [];
  const present = (m, name) => {
    if (existsSync(m.file)) return true;
    assert.ok(!m.given, `--${name} ${m.file}: no such file`);
    console.log(`  SKIP the ${name} widgets: ${m.file} is not shipped yet`);
    return false;
  };
  let width = 0;
  if (present(progan, 'progan')) {
    copyFileSync(progan.file, join(fx.files, 'progan.safetensors'));
    width = ganzooDoc(progan.file).dataset.image[2];
    cases.push({ id: 'pg', file: 'progan.safetensors', mode: 'grid' }, { id: 'pw', file: 'progan.safetensors', mode: 'walk' });
  }
  if (present(cyclegan, 'cyclegan')) {
    copyFileSync(cyclegan.file, join(fx.files, 'cyclegan.safetensors'));
    cases.push({ id: 'ct', file: 'cyclegan.safetensors', mode: 'translate' },
               { id: 'cg', file: 'cyclegan.safetensors', mode: 'grid', error: /translates images .* use mode="translate"/ },
               { id: 'dt', file: 'model.safetensors', mode: 'translate', error: /mode="translate" needs an image-to-image model/ });
  }
  if (!cases.length) {
    t.skip('neither progan.safetensors nor cyclegan.safetensors is shipped yet');
    return;
  }
  const { page, problems } = await widgetPage('widget-members.html', cases.map((c) =>
    `<gan-sampler id="${c.id}" model="${fx.web.url}test-files/${c.file}" mode="${c.mode}" seed="1" size="160"></gan-sampler>`).join('\n'));
  const states = await widgetStates(page, cases.map((c) => c.id));
  for (const c of cases) {
    const s = states[c.id];
    console.log(`  widget ${c.file} mode=${c.mode}: ${s.error ? `"${s.error}"` : `${JSON.stringify(s.images)} images of ${s.width} px, canvas ${s.size.join('×')}`}`);
    if (c.error) {
      assert.match(s.error, c.error);
    } else {
      assert.equal(s.error, '', `${c.id}: ${s.error}`);
      assert.ok(s.hi > s.lo, `${c.id}: blank canvas`);
    }
  }
  if (states.pg) assert.equal(states.pg.width, width, 'the ProGAN widget draws net G (full size)');
  if (states.pw) assert.equal(states.pw.images, 32);
  if (states.ct) assert.deepEqual(states.ct.images, [4, 4, 4, 4]);
  assert.deepEqual(problems, []);
  await page.close();
});
