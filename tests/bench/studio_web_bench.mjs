// Frame times of the studio's web build while a 64-image grid regenerates (a benchmark, not a
// test; docs/studio.md): after a warm-up page (Chromium's first page runs slower,
// docs/toolchain.md), studio.html?bench=N records 60 idle frames, then regenerates the grid N
// times, and the script prints the studio's figures.
//   node tests/bench/studio_web_bench.mjs [--bench N (default 20)] [--web DIR]
// Needs web/studio.{html,js,wasm} (make wasm) and tests/web/node_modules (scripts/install-deps.sh).
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { openStudio, startStudioBrowser } = await import(join(root, 'tests/web/studio_page.mjs'));
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const grids = Number(arg('--bench', '20'));
const webRoot = resolve(arg('--web', join(root, 'web')));
const MODEL = 'dcgan.safetensors';

for (const f of ['studio.html', 'studio.js', 'studio.wasm', `models/${MODEL}`])
  if (!existsSync(join(webRoot, f))) { console.error(`studio_web_bench: missing ${join(webRoot, f)} (make wasm builds the studio)`); process.exit(1); }
if (!(grids > 0)) { console.error(`studio_web_bench: --bench ${arg('--bench')}: expected a count of grids > 0`); process.exit(1); }

const studio = await startStudioBrowser(webRoot);
let failed = false;
try {
  for (const round of ['warm-up', 'measured']) {
    const context = await studio.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, problems } = await openStudio(context, studio.web, `?model=${MODEL}&seed=1&bench=${grids}&no-remember=1`);
    await page.waitForFunction(() => window.studio && window.studio.bench, null, { timeout: 600000 });
    const bench = await page.evaluate(() => window.studio.bench);
    if (round === 'measured') console.log(`# web studio bench: ${JSON.stringify(bench)}`);
    if (problems.length) { console.error(`studio_web_bench: the page reported: ${problems.join('; ')}`); failed = true; }
    await context.close();
  }
} finally {
  await studio.close();
}
process.exit(failed ? 1 : 0);
