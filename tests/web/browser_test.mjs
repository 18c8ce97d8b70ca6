// Browser tests of web/ in headless Debian Chromium (playwright-core, no downloaded browser), one
// file per guarantee, sharing one browser, the servers and the native references (fixtures.mjs):
//   page_test.mjs     the page draws the CLI's pixels (seeds, classes, codes, rows), its walk's ends
//   widget_test.mjs   <gan-sampler> on another origin, and with conditional models
//   api_test.mjs      ganzoo.js: the engine's size, RGBA bytes, refusals, the heap, a silent server
//   errors_test.mjs   every bad model file: a visible error in the page and the widget
//   members_test.mjs  ProGAN's stages and CycleGAN's translations, page and widget
//   truncation_test.mjs  the truncation trick in the API, the page and the widget: `--trunc`'s pixels
//   project_test.mjs  m.project and the page's projection panel: the CLI's z (ganzoo project)
//   baseline_test.mjs the below-baseline notices of the page and the widget, from the manifest
//   serve_test.mjs    the test server's command line: --help, bad options (no browser)
//   node tests/web/browser_test.mjs --ganzoo build/native/bin/ganzoo --model web/models/dcgan.safetensors
//        [--web DIR] [--progan FILE] [--cyclegan FILE]   (fixtures.mjs says more; each file also runs alone)
// Starts its own static servers on free ports of 127.0.0.1 and stops them. Exit 0 = all pass.
import './fixtures.mjs';
import './api_test.mjs';
import './page_test.mjs';
import './widget_test.mjs';
import './errors_test.mjs';
import './members_test.mjs';
import './truncation_test.mjs';
import './baseline_test.mjs';
import './project_test.mjs';
import './serve_test.mjs';
