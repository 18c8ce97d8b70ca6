// Where the core's time goes, in headless Chromium: runs tests/bench/core_bench.cpp built as
// ganzoo_core_bench_web (the product's kernels and flags, every op timed, the model embedded)
// on a blank page's main thread and prints its report: median ms per generate() at each batch
// size and each op's share. A benchmark tool, not a test.
//   NODE_PATH=/usr/share/nodejs cmake --build build/wasm --target ganzoo_core_bench_web
//   node tests/bench/core_bench.mjs [--build build/wasm] [--runs 40] [--batches 1,64]
// The page is served cross-origin isolated (tests/web/serve.mjs --isolate), where Chromium's
// performance.now() is not rounded to 0.1 ms.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = createRequire(join(root, 'tests/web/package.json'))('playwright-core');
const { serve } = await import(join(root, 'tests/web/serve.mjs'));
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const script = resolve(arg('--build', join(root, 'build/wasm')), 'wasm/ganzoo_core_bench_web.js');
if (!existsSync(script)) throw new Error(`core_bench: ${script} is missing (cmake --build build/wasm --target ganzoo_core_bench_web)`);
const args = ['/model.safetensors', '--runs', arg('--runs', '40'), '--batches', arg('--batches', '1,64')];

const dir = mkdtempSync(join(tmpdir(), 'ganzoo-core-bench-'));
writeFileSync(join(dir, 'index.html'), `<!doctype html><meta charset="utf-8"><script>
  const lines = [];
  var Module = { arguments: ${JSON.stringify(args)}, print: (t) => lines.push(t), printErr: (t) => lines.push('error: ' + t),
                 postRun: [() => { window.report = lines.join('\\n'); }] };
</script><script src="/build/${basename(script)}"></script>`);
const server = await serve({ root: dir, mounts: { '/build/': dirname(script) }, isolate: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}index.html`);
  await page.waitForFunction(() => window.report !== undefined, null, { timeout: 600000, polling: 500 });
  console.log(`Chromium ${browser.version()}, page main thread (cross-origin isolated: ${await page.evaluate(() => crossOriginIsolated)}):`);
  console.log(await page.evaluate(() => window.report));
} finally {
  await browser.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
