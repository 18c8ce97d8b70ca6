// The below-baseline notices (web/baseline.js) in the page and the <gan-sampler> widget: a shipped
// member whose FD-FMNIST or SWD average is worse than the 2-epoch DCGAN baseline's says so, with
// the numbers and its page (docs/members/MEMBER.md); a member above the bar (DCGAN) and one without
// those metrics (CycleGAN) say nothing. The numbers come from web/models/manifest.json alone: its
// "baseline" (scripts/results.mjs copies it from docs/results/dcgan-2ep.json) and each entry's metrics.
//   node tests/web/baseline_test.mjs [fixtures.mjs's options]
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fx, root, webRoot, openPage, waitReady, widgetPage, widgetStates } from './fixtures.mjs';
import { serve } from './serve.mjs';

const manifest = JSON.parse(readFileSync(join(webRoot, 'models/manifest.json'), 'utf8'));
const bar = manifest.baseline;
// What each entry should say, worked out here from the manifest (not by web/baseline.js).
const worse = (e) => [['fd_fmnist', 'FD-FMNIST', 2], ['swd_average', 'SWD', 1]]
  .filter(([k]) => typeof e.metrics?.[k] === 'number' && e.metrics[k] > bar[k])
  .map(([k, name, d]) => `${name} ${e.metrics[k].toFixed(d)} against ${bar[k].toFixed(d)}`);
const entry = (family) => manifest.models.find((e) => e.family === family);

test('the manifest\'s baseline is the 2-epoch DCGAN\'s of docs/results/dcgan-2ep.json; BEGAN is below it, DCGAN and CycleGAN are not', () => {
  const source = JSON.parse(readFileSync(join(root, 'docs/results/dcgan-2ep.json'), 'utf8')).metrics;
  assert.equal(bar.source, 'docs/results/dcgan-2ep.json');
  assert.deepEqual([bar.fd_fmnist, bar.swd_average], [source.fd_fmnist, source.swd_average]);
  const below = manifest.models.filter((e) => worse(e).length).map((e) => e.family);
  console.log(`  baseline FD-FMNIST ${bar.fd_fmnist.toFixed(2)}, SWD ${bar.swd_average.toFixed(1)}; below it: ${below.join(', ')}`);
  assert.ok(below.includes('began'), 'the fixture this test relies on: BEGAN below the baseline');
  assert.ok(!below.includes('dcgan') && !below.includes('cyclegan'));
});

test('the page: a member below the baseline says so under the picker, linking its page; DCGAN and CycleGAN say nothing', async () => {
  const { page, problems } = await openPage(`${fx.web.url}index.html`);
  await waitReady(page);
  // The picker marks exactly the members below the bar.
  const options = await page.$$eval('#model option', (os) => os.map((o) => [o.value, o.textContent]));
  for (const e of manifest.models) {
    const [, text] = options.find(([url]) => url.endsWith(`/models/${e.file}`));
    assert.equal(text.endsWith(' · below baseline'), worse(e).length > 0, `${e.family}: "${text}"`);
  }
  const show = async (family) => {
    const url = options.find(([u]) => u.endsWith(`/models/${entry(family).file}`))[0];
    await page.selectOption('#model', url);
    await page.waitForFunction((u) => window.ganzooPage.notice && window.ganzooPage.notice.url === u, url, { timeout: 60000 });
    return page.evaluate(() => ({ ...window.ganzooPage.notice, hidden: document.getElementById('notice').hidden,
      shown: document.getElementById('notice').innerText, link: document.querySelector('#notice a')?.href ?? null }));
  };
  const began = await show('began');
  console.log(`  BEGAN: "${began.shown}" -> ${began.link}`);
  assert.equal(began.hidden, false);
  assert.equal(began.shown, `Below baseline: BEGAN is below the project's baseline, a plain DCGAN after 2 epochs (lower is better): ` +
    `${worse(entry('began')).join(', ')}. Why, and what was tried: docs/members/began.md.`);
  assert.equal(began.link, `${fx.web.url}docs/members/began.md`);
  const doc = await page.evaluate((u) => fetch(u).then(async (r) => [r.status, (await r.text()).split('\n')[0]]), began.link);
  assert.deepEqual(doc, [200, readFileSync(join(root, 'docs/members/began.md'), 'utf8').split('\n')[0]], 'the link does not reach the member\'s page');
  for (const family of ['dcgan', 'cyclegan']) {
    const n = await show(family);
    console.log(`  ${family}: notice hidden ${n.hidden}, text "${n.text}"`);
    assert.deepEqual([n.hidden, n.text, n.link], [true, '', null], family);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

// `ganzoo serve` (and any server of web/ alone) has no docs/members: the notice names the
// repository path instead of linking to a page that is not there.
test('the page under a server without docs/members: the notice names the repository path, no dead link', async () => {
  const bare = await serve({ root: webRoot });
  try {
    const { page, problems } = await openPage(`${bare.url}index.html?model=models/began.safetensors`);
    await waitReady(page);
    await page.waitForFunction(() => window.ganzooPage.notice, null, { timeout: 60000 });
    const n = await page.evaluate(() => ({ shown: document.getElementById('notice').innerText, links: document.querySelectorAll('#notice a').length,
      code: document.querySelector('#notice code')?.textContent }));
    console.log(`  without docs/members: "${n.shown}"`);
    assert.deepEqual([n.links, n.code], [0, 'docs/members/began.md']);
    assert.match(n.shown, /Why, and what was tried: docs\/members\/began\.md in the repository\.$/);
    assert.deepEqual(problems.filter((p) => !/Failed to load resource: .* 404/.test(p)), []);  // the probe of the page
    await page.close();
  } finally {
    await bare.close();
  }
});

test('the widget: a member below the baseline marks its caption and says why in its tooltip; DCGAN and CycleGAN do not', async () => {
  const m = (f) => `${fx.web.url}models/${f}`;
  const { page, problems } = await widgetPage('widget-baseline.html', `
    <gan-sampler id="began" model="${m('began.safetensors')}" mode="grid" seed="1" size="200"></gan-sampler>
    <gan-sampler id="beganWalk" model="${m('began.safetensors')}" mode="walk" seed="1" size="200"></gan-sampler>
    <gan-sampler id="dcgan" model="${m('dcgan.safetensors')}" mode="grid" seed="1" size="200"></gan-sampler>
    <gan-sampler id="cyclegan" model="${m('cyclegan.safetensors')}" mode="translate" seed="0" size="200"></gan-sampler>
    <gan-sampler id="nomanifest" model="${fx.web.url}test-files/model.safetensors" mode="grid" seed="1" size="200"></gan-sampler>`,
  { width: 1300, height: 500 });
  const states = await widgetStates(page, ['began', 'beganWalk', 'dcgan', 'cyclegan', 'nomanifest']);
  for (const [id, s] of Object.entries(states)) assert.equal(s.error, '', id);
  const read = () => page.evaluate(() => Object.fromEntries(['began', 'beganWalk', 'dcgan', 'cyclegan', 'nomanifest'].map((id) => {
    const e = document.getElementById(id);
    return [id, { notice: e.notice ? e.notice.text : e.notice, title: e.shadowRoot.querySelector('.frame').title,
                  chip: e.shadowRoot.querySelector('.chip').textContent }];
  })));
  const w = await read();
  for (const [id, v] of Object.entries(w)) console.log(`  ${id}: caption "${v.chip}", tooltip "${v.title}"`);
  const expected = `BEGAN is below the project's baseline, a plain DCGAN after 2 epochs (lower is better): ${worse(entry('began')).join(', ')}. ` +
    'See docs/members/began.md.';
  for (const id of ['began', 'beganWalk']) {
    assert.equal(w[id].title, expected, id);
    assert.match(w[id].chip, / · below baseline$/, id);
  }
  for (const id of ['dcgan', 'cyclegan', 'nomanifest']) {
    assert.deepEqual([w[id].notice, w[id].title], [null, ''], id);
    assert.doesNotMatch(w[id].chip, /baseline/, id);
  }
  assert.deepEqual(problems, []);
  await page.close();
});
