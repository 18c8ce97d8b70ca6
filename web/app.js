// web/index.html: pick a model, an 8×8 grid of one seed, two endpoints, an animated walk; for a
// file with several generator nets (ProGAN's stages) a stage picker and a growth strip; for an
// image-to-image model (CycleGAN) the held-out examples and their translations instead.
// Everything heavy goes through ganzoo.js (a worker); this file only draws and wires events.
// window.ganzooPage exposes the state for the browser tests (tests/web/).
import * as ganzoo from './ganzoo.js';
import { startLive } from './live.js';

const $ = (id) => document.getElementById(id);
const COUNT = 64, WALK_STEPS = 48, FPS = 20;
const page = (window.ganzooPage = { model: null, grid: null, walk: null, ends: null, generation: 0,
  growth: null, translation: null, translations: null });
const state = {
  model: null, seed: 7, label: 0, codes: {}, mode: 'slerp', view: 'sample', net: undefined, stages: [], focus: 0,
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
async function listModels() {
  const fromQuery = new URLSearchParams(location.search).get('model');
  if (fromQuery) return [{ url: fromQuery, name: fromQuery.split('/').pop() }];
  const fallback = [{ url: 'models/dcgan.safetensors', name: 'DCGAN · Fashion-MNIST' }];
  try {
    const res = await fetch('models/manifest.json');
    if (!res.ok) return fallback;
    const manifest = await res.json();
    const entries = Array.isArray(manifest) ? manifest : manifest.models || [];
    const base = new URL('models/manifest.json', location.href);
    const models = entries.map((m) => typeof m === 'string' ? { file: m } : m)
      .map((m) => ({ url: new URL(m.url || m.file || m.path, base).href,
                     name: m.title || m.name || m.family || m.file }));
    return models.length ? models : fallback;
  } catch {
    return fallback;
  }
}

// What this page sets: the latent z (the grid is 64 samples of a seed), a class label (a picker)
// and small vectors of codes (a slider per value). A model whose generator needs anything else,
// or that has no generator net 'G', is refused with a reason instead of being half driven (a
// slider per pixel of an image input would also freeze the page).
const MAX_SLIDERS = 64, MAX_CLASSES = 10000;
function cannotDrive(info) {
  const what = `model '${info.name}' (${info.family})`;
  const nets = Object.keys(info.nets || {});
  if (!nets.includes('G'))
    return `This page cannot drive ${what}: it samples a generator net 'G', and this model has ${nets.length ? `nets ${nets.join(', ')}` : 'none'}.`;
  const inputs = info.nets.G;
  if (!inputs.includes('z')) return `This page cannot drive ${what}: its generator takes no latent z (inputs: ${inputs.join(', ')}).`;
  if (inputs.includes('label') && !(info.num_classes >= 1 && info.num_classes <= MAX_CLASSES))
    return `This page cannot drive ${what}: it has ${info.num_classes} classes, the class picker takes 1 to ${MAX_CLASSES}.`;
  for (const name of inputs) {
    if (name === 'z' || name === 'label') continue;
    const decl = info.inputs?.[name] || {};
    if (decl.shape && decl.shape.length > 1)
      return `This page cannot drive ${what}: its generator's input '${name}' has shape [${decl.shape.join(', ')}]; the page sets only z, a class label and code vectors.`;
    const size = decl.dim ?? (decl.shape || [0]).reduce((a, b) => a * b, 1);
    if (!(size >= 1 && size <= MAX_SLIDERS))
      return `This page cannot drive ${what}: its generator's input '${name}' takes ${size} values; the page has a slider for each of at most ${MAX_SLIDERS}.`;
  }
  return '';
}

// Two files a page can swap without resetting its controls: the same inputs (a newer snapshot
// of the same run).
function sameInputs(a, b) {
  return a.family === b.family && JSON.stringify(a.inputs) === JSON.stringify(b.inputs) &&
    a.num_classes === b.num_classes && JSON.stringify(a.image) === JSON.stringify(b.image);
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
  const reason = model.domains ? '' : cannotDrive(model.info);
  if (reason) {
    model.dispose();
    showError(reason);
    return;
  }
  const inPlace = keep && state.model && !model.domains && !state.model.domains && sameInputs(state.model.info, model.info);
  if (state.model) state.model.dispose();
  state.model = page.model = model;
  if (keep) showError('');
  if (inPlace) {
    describeModel(model.info);
    const net = state.net;
    setupStages(model.info);
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
  document.querySelectorAll('.samples, .walk').forEach((e) => { e.hidden = state.view !== 'sample'; });
  describeModel(state.model.info);
  if (state.view === 'translate') {
    await setupTranslate(model).catch((e) => showError(e.message));
    return;
  }
  setupInputs(state.model.info);
  setupStages(state.model.info);
  await refresh();
}

function describeModel(info) {
  const t = info.training || {};
  const bits = [`${info.family.toUpperCase()} on ${info.dataset}`, `${info.image.join('×')} images`];
  if (t.epochs) bits.push(`${Number.isInteger(t.epochs) ? t.epochs : Number(t.epochs).toFixed(2)} epochs`);
  if (t.device) bits.push(`trained on ${t.device}`);
  if (state.model.bytes) bits.push(`${(state.model.bytes / 1e6).toFixed(2)} MB`);
  $('model-about').textContent = `Model: ${info.name} — ${bits.join(' · ')}.`;
  $('native-note').replaceChildren(...(state.model.domains
    ? ['The translations are the same as ', Object.assign(document.createElement('code'), { textContent: 'ganzoo translate --examples' }), ' natively.']
    : ['The same seed gives the same images as ', Object.assign(document.createElement('code'), { textContent: 'ganzoo sample --seed' }), ' natively.']));
}

// Class picker when the model takes a label; a slider per value of any other input (InfoGAN codes).
function setupInputs(info) {
  const labelField = $('label-field'), labelSelect = $('label');
  labelField.hidden = !(info.num_classes > 0);
  labelSelect.replaceChildren(...Array.from({ length: info.num_classes }, (_, k) =>
    new Option(info.classes[k] ?? `class ${k}`, k)));
  state.label = 0;
  const codes = $('codes');
  codes.replaceChildren();
  state.codes = {};
  const netInputs = (info.nets && info.nets.G) || Object.keys(info.inputs);
  for (const name of netInputs) {
    if (name === 'z' || name === 'label') continue;
    const decl = info.inputs[name] || {};
    const size = decl.dim ?? (decl.shape || [1]).reduce((a, b) => a * b, 1);
    const [lo, hi] = decl.range || [-1, 1];
    state.codes[name] = new Array(size).fill(0);
    if (decl.categories > 0) {  // a categorical code (InfoGAN's c_cat): one of K values, a picker
      const label = document.createElement('label');
      const select = document.createElement('select');
      select.replaceChildren(...Array.from({ length: decl.categories }, (_, k) => new Option(`${name} = ${k}`, k)));
      select.addEventListener('change', () => { state.codes[name][0] = Number(select.value); refresh(); });
      label.append(name, select);
      codes.append(label);
      continue;
    }
    for (let j = 0; j < size; j++) {
      const label = document.createElement('label');
      const input = Object.assign(document.createElement('input'), { type: 'range', min: lo, max: hi, step: (hi - lo) / 100, value: 0 });
      const out = document.createElement('output');
      out.textContent = '0.00';
      input.addEventListener('input', () => { out.textContent = Number(input.value).toFixed(2); });
      input.addEventListener('change', () => { state.codes[name][j] = Number(input.value); refresh(); });
      label.append(`${name}[${j}]`, input, out);
      codes.append(label);
    }
  }
  codes.hidden = !codes.children.length;
}

// ---- ProGAN's stages: every net that takes what G takes is a generator of its own size -------
// A net named G_<H>x<W> outputs H×W; G outputs the dataset's image. The cells keep their size,
// so a smaller stage is drawn enlarged (nearest neighbour, the canvases' pixelated rendering).
function stageSize(info, net) {
  const m = /_(\d+)x(\d+)$/.exec(net);
  return m ? [Number(m[1]), Number(m[2])] : net === 'G' ? info.image.slice(1) : null;
}

function setupStages(info) {
  const g = (info.nets.G || []).join();
  state.stages = Object.keys(info.nets).filter((n) => info.nets[n].join() === g && stageSize(info, n))
    .sort((a, b) => stageSize(info, a)[0] - stageSize(info, b)[0]);
  const several = state.stages.length > 1;
  state.net = several ? 'G' : undefined;
  $('stage-field').hidden = $('growth').hidden = !several;
  $('stage').replaceChildren(...state.stages.map((n) => new Option(stageSize(info, n).join('×'), n)));
  $('stage').value = 'G';
  const strip = $('growth-strip');
  strip.replaceChildren(...(several ? state.stages : []).map((n) => {
    const fig = document.createElement('figure');
    fig.append(document.createElement('canvas'), Object.assign(document.createElement('figcaption'), { textContent: stageSize(info, n).join('×') }));
    fig.dataset.net = n;
    return fig;
  }));
}

// The focused sample (the last clicked cell) at every stage.
async function refreshGrowth() {
  if (!state.model || state.stages.length < 2) return;
  const seed = state.seed, index = state.focus;
  const all = await Promise.all(state.stages.map((net) => state.model.generate({ seed, first: index, count: 1, net, ...request(false) })));
  if (seed !== state.seed || index !== state.focus) return;
  page.growth = { seed, index, nets: state.stages, images: all };
  $('growth-name').textContent = `seed ${seed}, #${index}`;
  [...$('growth-strip').children].forEach((fig, k) => draw(fig.firstChild, all[k], 0));
}

function request(withNet = true) {
  const r = {};
  if (withNet && state.net !== undefined) r.net = state.net;
  if (state.model.info.num_classes > 0) r.label = state.label;
  if (Object.keys(state.codes).length) r.codes = state.codes;
  return r;
}

// ---- the grid -------------------------------------------------------------------------
const cells = [];
function buildGrid() {
  const grid = $('grid');
  for (let i = 0; i < COUNT; i++) {
    const cell = document.createElement('button');
    cell.type = 'button';
    cell.className = 'cell';
    cell.setAttribute('aria-label', `sample ${i}`);
    cell.append(document.createElement('canvas'));
    cell.addEventListener('click', () => chooseEnd(i));
    grid.append(cell);
    cells.push(cell);
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
  const images = await state.model.generate({ seed: state.seed, count: COUNT, ...request() });
  if (generation !== page.generation) return;
  page.grid = images;
  images.seed = state.seed;
  cells.forEach((cell, i) => draw(cell.firstChild, images, i));
  $('grid').classList.remove('busy');
  $('timing').textContent = `${images.msPerImage.toFixed(2)} ms / image`;
  $('timing').title = `${COUNT} images in ${images.ms.toFixed(1)} ms (one batch, in a Web Worker)`;
  markEnds();
  await refreshGrowth();
}

// ---- the walk -------------------------------------------------------------------------
let walkGeneration = 0;
async function refreshWalk() {
  if (!state.model || state.view !== 'sample') return;
  const generation = ++walkGeneration;
  const [from, to] = state.ends;
  const walk = await state.model.interpolate({ from, to, steps: WALK_STEPS, mode: state.mode, ...request() });
  if (generation !== walkGeneration) return;
  page.walk = walk;
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
    await Promise.all([refreshGrid(), refreshWalk()]);
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

async function main() {
  buildGrid();
  const params = new URLSearchParams(location.search);
  if (/^\d+$/.test(params.get('seed') || '')) {
    state.seed = Number(params.get('seed'));
    state.ends = [{ seed: state.seed, index: 0 }, { seed: state.seed, index: 1 }];
  }
  $('seed').value = state.seed;
  $('seed').addEventListener('change', () => {
    const v = Number($('seed').value);
    if (Number.isSafeInteger(v) && v >= 0) setSeed(v);
  });
  $('new-seed').addEventListener('click', () => setSeed(Math.floor(Math.random() * 1e6)));
  $('label').addEventListener('change', () => { state.label = Number($('label').value); refresh(); });
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
    download(tile(page.grid, [...Array(COUNT).keys()], 8),
             `ganzoo-${state.model.info.name}-seed${state.seed}${state.net && state.net !== 'G' ? `-${state.net}` : ''}.png`));
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
  await selectModel(models[0].url);
}

main().catch((e) => showError(e.message));
