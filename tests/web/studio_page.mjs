// The studio's web build in headless Debian Chromium (WebGL 2 through SwiftShader): what the
// studio's browser test (tests/web/studio_test.mjs) and its frame-time benchmark
// (tests/bench/studio_web_bench.mjs) share.
import { chromium } from 'playwright-core';
import { serve } from './serve.mjs';

// WebGL 2 headless: SwiftShader, allowed explicitly (docs/toolchain.md: not --use-gl=swiftshader,
// not --disable-software-rasterizer).
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--enable-unsafe-swiftshader', '--use-angle=swiftshader',
  '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Serves `webRoot` (and `mounts`) on a free port and starts Chromium; close() stops both.
export async function startStudioBrowser(webRoot, mounts = {}) {
  const web = await serve({ root: webRoot, mounts });
  let browser;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  } catch (e) {
    await web.close();
    throw e;
  }
  return { web, browser, close: async () => { await browser.close(); await web.close(); } };
}

// studio.html with `query`, console errors and page errors collected in `problems`.
export async function openStudio(context, web, query) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(`${web.url}studio.html${query}`);
  return { page, problems };
}
