// web/index.html: pick a model, a grid of one seed (64 samples, 8×8, or one row per class or
// code value, as the core plans it for `ganzoo sample`), two endpoints, an animated walk; for a
// file with several generator nets (ProGAN's stages) a stage picker and a growth strip; for an
// image-to-image model (CycleGAN) the held-out examples and their translations instead.
// Everything heavy goes through ganzoo.js (a worker); what a model takes comes from its info (the
// core's ModelInfo); this file only draws and wires events. A truncation slider (psi, the
// truncation trick: `ganzoo sample --trunc`) applies to the grid, the walk and the growth strip; a
// shipped member below the project's baseline says so under the model picker (web/baseline.js).
// window.ganzooPage exposes the state for the browser tests (tests/web/).
import * as ganzoo from './ganzoo.js';
import { baselineNotice, belowBaseline, fetchManifest } from './baseline.js';
import { cannotDrive } from './drive.js';
import { familyTitle } from './family.js';
import { startLive } from './live.js';

const $ = (id) => document.getElementById(id);
const COUNT = 64, WALK_STEPS = 48, FPS = 20;
const page = (window.ganzooPage = { model: null, grid: null, walk: null, ends: null, generation: 0,
  growth: null, translation: null, translations: null, notice: undefined });
// label: a class, or undefined (one row per class); codes: the values set, a categorical code
// left out for one row per value. ends: grid cells {seed, index} (index: the cell). truncation:
// psi, 1 = off (?truncation= in the URL, as ?seed=).
const state = {
  model: null, seed: 7, label: undefined, codes: {}, mode: 'slerp', view: 'sample', net: undefined, stages: [], focus: 0,
  truncation: 1,
  ends: [{ seed: 7, index: 0 }, { seed: 7, index: 1 }], nextEnd: 0, playing: true, frame: 0,
};

function setState(s) { document.body.dataset.state = s; }
// The error banner: an optional bold title ("Could not load x.safetensors"), then the message.
// kind 'info' is the same banner for news that is not a failure (a live run's first snapshot).
function showError(message, title = '', kind = 'error') {
  const box = $('error');
  box.dataset.kind = kind;
  box.replaceChildren();
  if (title) box.append(Object.assign(document.createElement('strong'), { textContent: title }), ' ');
  box.append(message);
  box.hidden = !message;
  if (message) setState('error');
}

// ganzoo.load's rejection, split for the banner: its "ganzoo.load(URL): " prefix becomes the title
// (with the file's name) and the URL inside the message shortens to that name.
function loadError(e, url) {
  const href = new URL(url, document.baseURI).href;
  const name = decodeURIComponent(new URL(href).pathname.split('/').pop() || href);
  const prefix = `ganzoo.load(${href}): `;
  const message = String(e && e.message ? e.message : e);
  if (!message.startsWith(prefix)) return { title: '', message };
  return { title: `Could not load ${name}:`, message: message.slice(prefix.length).replaceAll(href, name) };
}

function draw(canvas, images, i) {
  canvas.width = images.width;
  canvas.height = images.height;
  canvas.getContext('2d').putImageData(images.imageData(i), 0, 0);
}

// ---- models -----------------------------------------------------------------------------
// The page's manifest: the model list, and the metrics and baseline behind the notices.
const MANIFEST_URL = new URL('models/manifest.json', location.href).href;
async function listModels() {
  const fromQuery = new URLSearchParams(location.search).get('model');
  if (fromQuery) return [{ url: fromQuery, name: fromQuery.split('/').pop() }];
  const fallback = [{ url: 'models/dcgan.safetensors', name: 'DCGAN · Fashion-MNIST' }];
  try {
    const manifest = await fetchManifest(MANIFEST_URL);
    if (!manifest) return fallback;
    const entries = Array.isArray(manifest) ? manifest : manifest.models || [];
    const models = entries.map((m) => typeof m === 'string' ? { file: m } : m)
      .map((m) => ({ url: new URL(m.url || m.file || m.path, MANIFEST_URL).href,
                     name: (m.title || m.name || m.family || m.file) +
                       (belowBaseline(m.metrics, manifest.baseline).length ? ' · below baseline' : '') }));
    return models.length ? models : fallback;
  } catch {
    return fallback;
  }
}

// Under the model picker: the member's notice when it is below the project's baseline (the
// manifest's numbers), its page linked where this server serves it (`make demo` does; `ganzoo
// serve` does not: then the repository path). page.notice: undefined while it is worked out, then
// {url, text, href} or {url, text: ''}.
async function showNotice(url, generation) {
  const box = $('notice');
  const notice = url ? await baselineNotice(new URL(url, location.href).href, MANIFEST_URL).catch(() => null) : null;
  const served = notice && await fetch(notice.docUrl, { method: 'HEAD' }).then((r) => r.ok, () => false);
  if (generation !== selectGeneration) return;
  box.replaceChildren();
  box.hidden = !notice;
  if (notice) {
    const where = served ? Object.assign(document.createElement('a'), { href: notice.docUrl, textContent: notice.docPath })
      : Object.assign(document.createElement('code'), { textContent: notice.docPath });
    box.append(Object.assign(document.createElement('strong'), { textContent: 'Below baseline:' }), ' ',
      notice.summary, ' Why, and what was tried: ', where, served ? '.' : ' in the repository.');
  }
  page.notice = { url, text: box.textContent, href: served ? notice.docUrl : null };
}

// Two files a page can swap without resetting its controls: the same inputs (a newer snapshot
// of the same run).
function sameInputs(a, b) {
  return a.family === b.family && JSON.stringify(a.inputs) === JSON.stringify(b.inputs) &&
    JSON.stringify(a.nets) === JSON.stringify(b.nets) && JSON.stringify(a.image) === JSON.stringify(b.image);
}

// value: a model URL, or 'live:ID' (a run of `ganzoo serve`: its newest snapshot). keep: a newer
// snapshot of what is showing replaces it in place, with the seed, class, codes and stage kept;
// if it fails to load, what is showing stays.
let live = null, selectGeneration = 0;
async function selectModel(value, { keep = false } = {}) {
  const generation = ++selectGeneration;
  let url = value;
  if (value.startsWith('live:')) {
    url = live && live.snapshotUrl(value);
    if (!url) {
      showError(`run ${value.slice(5)} has no snapshot yet; it shows here when the first one arrives (ganzoo train --live).`, 'Live:', 'info');
      return;
    }
  }
  if (!keep) {
    setState('loading');
    showError('');
    page.notice = undefined;
    $('notice').hidden = true;
  }
  let model;
  try {
    model = await ganzoo.load(url);
  } catch (e) {
    if (generation !== selectGeneration) return;
    const { title, message } = loadError(e, url);
    showError(message, title);
    return;
  }
  if (generation !== selectGeneration) {  // a newer choice or snapshot won
    model.dispose();
    return;
  }
  const reason = model.domains ? '' : cannotDrive(model.info, 'This page');
  if (reason) {
    model.dispose();
    showError(reason);
    return;
  }
  const inPlace = keep && state.model && !model.domains && !state.model.domains && sameInputs(state.model.info, model.info);
  if (state.model) state.model.dispose();
  state.model = page.model = model;
  if (!inPlace) showNotice(value.startsWith('live:') ? '' : url, generation);
  if (keep) showError('');
  if (inPlace) {
    describeModel(model.info);
    const net = state.net;
    setupStages(model);
    if (net !== undefined && state.stages.includes(net)) {
      state.net = net;
      $('stage').value = net;
    }
    await refresh();
    return;
  }
  page.grid = page.walk = page.growth = page.translation = page.translations = null;
  state.view = model.domains ? 'translate' : 'sample';
  document.body.dataset.view = state.view;
  $('translate').hidden = state.view !== 'translate';
  document.querySelectorAll('.samples, .walk, .project').forEach((e) => { e.hidden = state.view !== 'sample'; });
  describeModel(state.model.info);
  if (state.view === 'translate') {
    await setupTranslate(model).catch((e) => showError(e.message));
    return;
  }
  setupInputs(state.model);
  setupStages(state.model);
  await refresh();
}

function describeModel(info) {
  const t = info.training || {};
  const bits = [`${familyTitle(info.family)} on ${info.dataset}`, `${info.image.join('×')} images`];
  if (t.epochs) bits.push(`${Number.isInteger(t.epochs) ? t.epochs : Number(t.epochs).toFixed(2)} epochs`);
  if (t.device) bits.push(`trained on ${t.device}`);
  // Metrics that travel with the file (`ganzoo eval FILE --write`: training.metrics).
  const m = t.metrics || {};
  if (typeof m.fd_fmnist === 'number') bits.push(`FD-FMNIST ${m.fd_fmnist.toFixed(2)}`);
  if (typeof m.swd_average === 'number') bits.push(`SWD ${m.swd_average.toFixed(1)}`);
  if (state.model.bytes) bits.push(`${(state.model.bytes / 1e6).toFixed(2)} MB`);
  $('model-about').textContent = `Model: ${info.name} — ${bits.join(' · ')}.`;
  $('native-note').replaceChildren(...(state.model.domains
    ? ['The translations are the same as ', Object.assign(document.createElement('code'), { textContent: 'ganzoo translate --examples' }), ' natively.']
    : ['The same seed gives the same images as ', Object.assign(document.createElement('code'), { textContent: 'ganzoo sample --seed' }), ' natively.']));
}

// A class picker when the net takes a label, a picker per categorical code (both may be left
// open: one row per class or value), a slider per value of a continuous code (from its default).
function setupInputs(model) {
  const labelField = $('label-field'), labelSelect = $('label');
  const conditions = model.net('G').inputs.map((name) => model.input(name)).filter((i) => i.kind !== 'latent');
  const label = conditions.find((i) => i.kind === 'label');
  const rows = (what) => new Option(`one row per ${what}`, '');
  labelField.hidden = !label;
  labelSelect.replaceChildren(...(label ? [rows('class'), ...Array.from({ length: label.categories }, (_, k) =>
    new Option(model.info.classes[k] ?? `class ${k}`, k))] : []));
  state.label = undefined;
  const codes = $('codes');
  codes.replaceChildren();
  state.codes = {};
  for (const { name, kind, size, categories, range = [-1, 1], default: value } of conditions) {
    if (kind === 'label') continue;
    if (kind === 'categorical') {  // a categorical code (InfoGAN's c_cat): one of K values, a picker
      const label = document.createElement('label');
      const select = document.createElement('select');
      select.replaceChildren(rows('value'), ...Array.from({ length: categories }, (_, k) => new Option(`${name} = ${k}`, k)));
      select.addEventListener('change', () => {
        if (select.value === '') delete state.codes[name];
        else state.codes[name] = [Number(select.value)];
        refresh();
      });
      label.append(name, select);
      codes.append(label);
      continue;
    }
    const [lo, hi] = range;
    state.codes[name] = [...value];
    for (let j = 0; j < size; j++) {
      const label = document.createElement('label');
      const input = Object.assign(document.createElement('input'), { type: 'range', min: lo, max: hi, step: (hi - lo) / 100, value: value[j] });
      const out = document.createElement('output');
      out.textContent = value[j].toFixed(2);
      input.addEventListener('input', () => { out.textContent = Number(input.value).toFixed(2); });
      input.addEventListener('change', () => { state.codes[name][j] = Number(input.value); refresh(); });
      label.append(`${name}[${j}]`, input, out);
      codes.append(label);
    }
  }
  codes.hidden = !codes.children.length;
}

// ---- ProGAN's stages: every net that takes what G takes is a generator of its own size -------
// (its output shape, from the file). The cells keep their size, so a smaller stage is drawn
// enlarged (nearest neighbour, the canvases' pixelated rendering).
function setupStages(model) {
  const g = model.net('G').inputs.join();
  const size = (net) => model.net(net).output.slice(1).join('×');
  state.stages = model.nets.filter((n) => model.net(n).inputs.join() === g && model.net(n).output.length === 3)
    .sort((a, b) => model.net(a).output[1] - model.net(b).output[1]);
  const several = state.stages.length > 1;
  state.net = several ? 'G' : undefined;
  $('stage-field').hidden = $('growth').hidden = !several;
  $('stage').replaceChildren(...state.stages.map((n) => new Option(size(n), n)));
  $('stage').value = 'G';
  const strip = $('growth-strip');
  strip.replaceChildren(...(several ? state.stages : []).map((n) => {
    const fig = document.createElement('figure');
    fig.append(document.createElement('canvas'), Object.assign(document.createElement('figcaption'), { textContent: size(n) }));
    fig.dataset.net = n;
    return fig;
  }));
}

// Grid cell i's inputs under `seed` in the layout on screen: its latent {seed, index}, its label
// and codes (the core's plan gives them one for all, or one per cell; the layout does not depend
// on the seed).
function cell(i, seed = page.grid.seed) {
  const { plan } = page.grid;
  i = Math.min(i, plan.latent_index.length - 1);
  const r = { from: { seed, index: plan.latent_index[i] }, codes: {} };
  if (plan.labels.length) r.label = plan.labels[plan.labels.length === 1 ? 0 : i];
  for (const [name, values] of Object.entries(plan.codes)) {
    const size = state.model.input(name).size;
    r.codes[name] = values.length === size ? values : values.slice(i * size, (i + 1) * size);
  }
  return r;
}

// The focused sample (the last clicked cell) at every stage.
async function refreshGrowth() {
  if (!state.model || state.stages.length < 2 || !page.grid) return;
  const seed = state.seed, index = state.focus, truncation = state.truncation, { from, label, codes } = cell(index);
  const all = await Promise.all(state.stages.map((net) => state.model.generate({ seed, first: from.index, count: 1, net, label, codes,
    truncation })));
  if (seed !== state.seed || index !== state.focus || truncation !== state.truncation) return;
  page.growth = { seed, index, nets: state.stages, images: all };
  $('growth-name').textContent = `seed ${seed}, #${index}`;
  [...$('growth-strip').children].forEach((fig, k) => draw(fig.firstChild, all[k], 0));
}

function request() {
  const r = { label: state.label, codes: state.codes, truncation: state.truncation };
  if (state.net !== undefined) r.net = state.net;
  return r;
}

// ---- the grid -------------------------------------------------------------------------
// As many cells as the plan has, `columns` wide.
const cells = [];
function buildGrid(count, columns) {
  const grid = $('grid');
  grid.style.setProperty('--columns', columns);
  grid.setAttribute('aria-label', `${count} samples; click a cell to make it an interpolation endpoint`);
  while (cells.length > count) cells.pop().remove();
  while (cells.length < count) {
    const i = cells.length;
    const c = document.createElement('button');
    c.type = 'button';
    c.className = 'cell';
    c.setAttribute('aria-label', `sample ${i}`);
    c.append(document.createElement('canvas'));
    c.addEventListener('click', () => chooseEnd(i));
    grid.append(c);
    cells.push(c);
  }
}

function markEnds() {
  cells.forEach((cell, i) => {
    const end = state.ends.findIndex((e) => e.seed === state.seed && e.index === i);
    if (end >= 0) cell.dataset.end = 'AB'[end];
    else delete cell.dataset.end;
  });
  ['a', 'b'].forEach((k, j) => { $(`end-${k}-name`).textContent = `seed ${state.ends[j].seed}, #${state.ends[j].index}`; });
}

function chooseEnd(i) {
  state.focus = i;
  refreshGrowth().catch((e) => showError(e.message));
  const e = { seed: state.seed, index: i };
  const other = state.ends[1 - state.nextEnd];
  if (other.seed === e.seed && other.index === e.index) return;
  state.ends[state.nextEnd] = e;
  state.nextEnd = 1 - state.nextEnd;
  markEnds();
  refreshWalk().catch((e) => showError(e.message));
}

async function refreshGrid() {
  if (!state.model || state.view !== 'sample') return;  // no model loaded (its error is showing)
  const generation = ++page.generation;
  $('grid').classList.add('busy');
  const truncation = state.truncation;
  const images = await state.model.grid({ seed: state.seed, count: COUNT, ...request() });
  if (generation !== page.generation) return;
  page.grid = images;
  images.seed = state.seed;
  images.truncation = truncation;
  buildGrid(images.count, images.plan.columns);
  cells.forEach((c, i) => draw(c.firstChild, images, i));
  $('grid').title = images.plan.description;
  $('grid').classList.remove('busy');
  $('timing').textContent = `${images.msPerImage.toFixed(2)} ms / image`;
  $('timing').title = `${images.count} images in ${images.ms.toFixed(1)} ms (one batch, in a Web Worker)`;
  markEnds();
  await refreshGrowth();
}

// ---- the walk -------------------------------------------------------------------------
let walkGeneration = 0;
// From endpoint A's sample to B's, with A's label and codes (a row's class, a sweep's value).
async function refreshWalk() {
  if (!state.model || state.view !== 'sample' || !page.grid) return;
  const generation = ++walkGeneration;
  const [from, to] = state.ends, truncation = state.truncation;
  const a = cell(from.index, from.seed), b = cell(to.index, to.seed);
  const walk = await state.model.interpolate({ from: a.from, to: b.from, steps: WALK_STEPS, mode: state.mode,
    net: state.net, label: a.label, codes: a.codes, truncation });
  if (generation !== walkGeneration) return;
  page.walk = Object.assign(walk, { truncation });
  page.ends = [from, to];
  draw($('end-a'), walk, 0);
  draw($('end-b'), walk, WALK_STEPS - 1);
  showFrame(Math.min(state.frame, WALK_STEPS - 1));
}

function showFrame(f) {
  state.frame = f;
  if (!page.walk) return;
  draw($('walk'), page.walk, f);
  $('t').value = f;
}

let direction = 1, last = 0;
function animate(now) {
  if (state.playing && page.walk && now - last > 1000 / FPS) {
    last = now;
    let f = state.frame + direction;
    if (f >= WALK_STEPS - 1 || f <= 0) direction = -direction;
    f = Math.max(0, Math.min(WALK_STEPS - 1, f));
    showFrame(f);
  }
  requestAnimationFrame(animate);
}

function setPlaying(on) {
  state.playing = on;
  $('play').textContent = on ? '❚❚' : '▶';
  $('play').setAttribute('aria-label', on ? 'Pause' : 'Play');
}

// ---- image-to-image (CycleGAN) ----------------------------------------------------------------
// The held-out examples of A and B; a picked one shows x → G(x) → F(G(x)) (G_AB then G_BA from A,
// the reverse from B); "translate all" shows every example's row, as `ganzoo translate --examples`.
async function setupTranslate(model) {
  const { domains } = model;
  for (const box of document.querySelectorAll('#translate .domain')) {
    const domain = box.dataset.domain;
    box.querySelector('.domain-name').textContent = domains[domain];
    const examples = model.examples(domain);
    box.querySelector('.examples').replaceChildren(...Array.from({ length: examples.count }, (_, i) => {
      const b = Object.assign(document.createElement('button'), { type: 'button', className: 'example' });
      b.setAttribute('role', 'option');
      b.setAttribute('aria-label', `${domains[domain]} example ${i}`);
      b.dataset.domain = domain;
      b.dataset.index = i;
      b.append(document.createElement('canvas'));
      draw(b.firstChild, examples, i);
      b.addEventListener('click', () => pickExample(domain, i).catch((e) => showError(e.message)));
      return b;
    }));
  }
  $('translate-grid').hidden = true;
  $('translate-grid').replaceChildren();
  $('download-translations').disabled = true;
  await pickExample('A', 0);
  setState('ready');
}

async function pickExample(domain, index) {
  const model = state.model;
  const direction = domain === 'A' ? 'AB' : 'BA';
  document.querySelectorAll('#translate .example').forEach((b) => {
    b.setAttribute('aria-selected', String(b.dataset.domain === domain && Number(b.dataset.index) === index));
  });
  const t = await model.translate({ example: { domain, index }, direction });
  if (model !== state.model) return;
  page.translation = { domain, index, ...t };
  const [there, back] = direction === 'AB' ? ['G_AB', 'G_BA'] : ['G_BA', 'G_AB'];
  draw($('cycle-x'), t.input, 0);
  draw($('cycle-y'), t.translated, 0);
  draw($('cycle-z'), t.cycled, 0);
  $('cycle-x-name').textContent = `x: ${t.from} #${index}`;
  $('cycle-y-name').textContent = `${there}(x): as ${t.to}`;
  $('cycle-z-name').textContent = `${back}(${there}(x)): back`;
  $('translate-timing').textContent = `${t.msPerImage.toFixed(2)} ms / image`;
}

async function translateAll() {
  const model = state.model;
  const [a, b] = await Promise.all([model.translate({ examples: 'A', direction: 'AB' }), model.translate({ examples: 'B', direction: 'BA' })]);
  if (model !== state.model) return;
  page.translations = { A: a, B: b };
  const rows = [a.input, a.translated, a.cycled, b.input, b.translated, b.cycled];
  const names = [`A: ${a.from}`, 'G_AB', 'G_BA(G_AB)', `B: ${b.from}`, 'G_BA', 'G_AB(G_BA)'];
  const grid = $('translate-grid');
  grid.style.setProperty('--columns', Math.max(a.count, b.count));
  grid.replaceChildren(...rows.flatMap((images, r) => [
    Object.assign(document.createElement('span'), { className: 'row-name', textContent: names[r] }),
    ...Array.from({ length: images.count }, (_, i) => { const c = document.createElement('canvas'); draw(c, images, i); return c; }),
  ]));
  grid.hidden = false;
  $('download-translations').disabled = false;
  const count = a.count + b.count;
  $('translate-timing').textContent = `${((a.ms + b.ms) / count).toFixed(2)} ms / image`;
  $('translate-timing').title = `${count} examples there and back in ${(a.ms + b.ms).toFixed(1)} ms (in a Web Worker)`;
}

// ---- downloads --------------------------------------------------------------------------
// Same layout as the native `ganzoo sample` grid: 2-pixel gaps of grey 32, no border.
// rows: one Images, or several (one row each, `columns` wide, as `ganzoo translate --examples`).
function tile(images, indices, columns, scale = 4) {
  const sets = Array.isArray(images) ? images : null;
  const first = sets ? sets[0] : images;
  const { width: w, height: h } = first, pad = 2;
  const cells = sets ? sets.flatMap((im, r) => Array.from({ length: columns }, (_, i) => (i < im.count ? [im, i, r * columns + i] : null)).filter(Boolean))
    : indices.map((i, k) => [images, i, k]);
  const rows = sets ? sets.length : Math.ceil(indices.length / columns);
  const small = document.createElement('canvas');
  small.width = columns * w + (columns - 1) * pad;
  small.height = rows * h + (rows - 1) * pad;
  const ctx = small.getContext('2d');
  ctx.fillStyle = 'rgb(32,32,32)';
  ctx.fillRect(0, 0, small.width, small.height);
  cells.forEach(([im, i, k]) => ctx.putImageData(im.imageData(i), (k % columns) * (w + pad), Math.floor(k / columns) * (h + pad)));
  const big = document.createElement('canvas');
  big.width = small.width * scale;
  big.height = small.height * scale;
  const bctx = big.getContext('2d');
  bctx.imageSmoothingEnabled = false;
  bctx.drawImage(small, 0, 0, big.width, big.height);
  return big;
}

function download(canvas, name) {
  canvas.toBlob((blob) => {
    const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }, 'image/png');
}

// ---- wiring -------------------------------------------------------------------------------
async function refresh() {
  if (state.view !== 'sample') return;
  try {
    await refreshGrid();  // the walk's endpoints are cells of its layout
    await refreshWalk();
    setState('ready');
  } catch (e) {
    showError(e.message);
  }
}

function setSeed(seed) {
  state.seed = seed;
  $('seed').value = seed;
  const url = new URL(location.href);
  url.searchParams.set('seed', seed);
  history.replaceState(null, '', url);
  refreshGrid().catch((e) => showError(e.message));
}

// psi: the grid, the walk and the growth strip again; kept in the URL unless it is 1 (off).
function showTruncation() {
  $('truncation').value = state.truncation;
  $('truncation-value').textContent = state.truncation === 1 ? '1 (off)' : String(state.truncation);
}
function setTruncation(psi) {
  state.truncation = psi;
  showTruncation();
  const url = new URL(location.href);
  if (psi === 1) url.searchParams.delete('truncation');
  else url.searchParams.set('truncation', psi);
  history.replaceState(null, '', url);
  refresh();
}

async function main() {
  buildGrid(COUNT, 8);
  const params = new URLSearchParams(location.search);
  if (/^\d+$/.test(params.get('seed') || '')) {
    state.seed = Number(params.get('seed'));
    state.ends = [{ seed: state.seed, index: 0 }, { seed: state.seed, index: 1 }];
  }
  $('seed').value = state.seed;
  // ?truncation=PSI: 0..1, as the slider; anything else is named in the banner once the model shows.
  let urlProblem = '';
  if (params.has('truncation')) {
    const text = params.get('truncation'), psi = Number(text);
    if (text.trim() !== '' && psi >= 0 && psi <= 1) state.truncation = psi;
    else urlProblem = `truncation=${text} in the URL: expected a number from 0 to 1 (1 = off); showing 1.`;
  }
  showTruncation();
  $('truncation').addEventListener('input', () => { $('truncation-value').textContent = $('truncation').value; });
  $('truncation').addEventListener('change', () => setTruncation(Number($('truncation').value)));
  $('seed').addEventListener('change', () => {
    const v = Number($('seed').value);
    if (Number.isSafeInteger(v) && v >= 0) setSeed(v);
  });
  $('new-seed').addEventListener('click', () => setSeed(Math.floor(Math.random() * 1e6)));
  $('label').addEventListener('change', () => { state.label = $('label').value === '' ? undefined : Number($('label').value); refresh(); });
  $('stage').addEventListener('change', () => { state.net = $('stage').value; refresh(); });
  $('translate-all').addEventListener('click', () => translateAll().catch((e) => showError(e.message)));
  $('download-translations').addEventListener('click', () => {
    const t = page.translations;
    if (!t) return;
    const { A: a, B: b } = t;
    download(tile([a.input, a.translated, a.cycled, b.input, b.translated, b.cycled], null, Math.max(a.count, b.count)),
             `ganzoo-${state.model.info.name}-translations.png`);
  });
  $('t').max = WALK_STEPS - 1;
  $('t').addEventListener('input', () => { setPlaying(false); showFrame(Number($('t').value)); });
  $('play').addEventListener('click', () => setPlaying(!state.playing));
  document.querySelectorAll('.segmented button').forEach((b) => b.addEventListener('click', () => {
    state.mode = b.dataset.mode;
    document.querySelectorAll('.segmented button').forEach((o) => o.setAttribute('aria-checked', String(o === b)));
    refreshWalk().catch((e) => showError(e.message));
  }));
  $('download').addEventListener('click', () => page.grid &&
    download(tile(page.grid, [...Array(page.grid.count).keys()], page.grid.plan.columns),
             `ganzoo-${state.model.info.name}-seed${state.seed}${state.net && state.net !== 'G' ? `-${state.net}` : ''}` +
             `${state.truncation !== 1 ? `-trunc${state.truncation}` : ''}.png`));
  $('download-walk').addEventListener('click', () => page.walk &&
    download(tile(page.walk, Array.from({ length: 12 }, (_, k) => Math.round(k * (WALK_STEPS - 1) / 11)), 12),
             `ganzoo-${state.model.info.name}-walk.png`));

  const select = $('model');
  live = await startLive({
    onSnapshot: (id) => { if (select.value === `live:${id}`) selectModel(select.value, { keep: true }); },
    onDrive: (value) => { select.value = value; selectModel(value); },
  });
  page.reload = () => selectModel(select.value, { keep: true });  // a newer file of the same model, in place
  const models = [...live.models, ...await listModels()];
  select.replaceChildren(...models.map((m) => new Option(m.name, m.url)));
  select.addEventListener('change', () => selectModel(select.value));
  requestAnimationFrame(animate);
  import('./project-panel.js').then((p) => p.setupProject({
    model: () => (state.view === 'sample' ? state.model : null), cellAt: (i) => cell(i), onError: (m) => showError(m, 'Projection:'),
  })).catch((e) => showError(e.message));
  await selectModel(models[0].url);
  if (urlProblem) showError(urlProblem, 'URL:', 'info');
}

main().catch((e) => showError(e.message));
