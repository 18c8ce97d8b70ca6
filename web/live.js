// The live view: runs that train while the page watches them (`ganzoo train --live` writes
// RUN/live/latest.safetensors and RUN/live/status.json; `ganzoo serve RUN...` serves them).
// Without `ganzoo serve` (its answers carry X-Ganzoo-Serve) the page has no live view and this
// module does nothing.
//
// Each run gets a card: its status and ETA, a 4×4 grid of its newest snapshot sampled by the
// wasm core (the trainer's grid seed, so the cells are the first 16 of its epoch grids), its
// loss curves as they grow, and the epoch timeline. Runs sit side by side for comparison. The
// page's own controls drive whichever run the model picker names ("Live: ID"): app.js reloads
// that snapshot when this module says it changed, keeping the seed, class, codes and stage.
//
// Everything a live file system does is survivable: a run not started yet, a snapshot replaced
// mid-poll (the server sends one whole file), a run stopped or resumed (log.csv shorter than
// what was read: read again from the start), a run folder deleted, the server restarted. Each
// card polls on its own; a failed poll only shows on that card and the next poll tries again.
import * as ganzoo from './ganzoo.js';
import { familyTitle } from './family.js';

const POLL_MS = 2000, CARD_SAMPLES = 16, CARD_COLUMNS = 4, MAX_POINTS = 4000, TIMELINE_EVERY = 5;
// Curves drawn first when a log has them: the losses, then each member's own signal.
const PREFERRED = ['loss_d', 'loss_g', 'wasserstein', 'm_global', 'k_t', 'gradient_penalty', 'info_cat', 'cycle'];
const NOT_CURVES = new Set(['step', 'critic_step', 'generator_step', 'epoch', 'images_per_s', 'elapsed_s', 'resolution', 'alpha', 'lr']);

const el = (tag, props = {}, ...children) => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

function duration(s) {
  if (!(s >= 0) || !Number.isFinite(s)) return '–';
  s = Math.round(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  return h ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${m}:${String(sec).padStart(2, '0')}`;
}

// Seconds a training run has been silent, when that is longer than it should be (a minute, or
// ten snapshot intervals); 0 otherwise. A killed trainer never writes "stopped".
function quietFor(s) {
  const age = s.time ? Date.now() / 1000 - s.time : 0;
  return s.state === 'training' && age > Math.max(60, 10 * (s.interval_s || 0)) ? age : 0;
}

const number = (v) => (Math.abs(v) >= 100 || Number.isInteger(v) ? Math.round(v).toLocaleString('en') : Number(v).toPrecision(3));

// What the card asks of a snapshot: the first 16 samples of the trainer's grid seed; a label per
// cell for a conditional model (0, 1, 2, ... as the trainer's grid), each categorical code the
// same way, continuous codes at 0.
export function cardRequest(info, seed) {
  const r = { seed, count: CARD_SAMPLES };
  const g = info.nets.find((n) => n.name === 'G');
  const codes = {};
  for (const name of g ? g.inputs : []) {
    const { kind, size, categories } = info.inputs.find((i) => i.name === name) || {};
    if (kind === 'latent' || kind === 'image' || !size) continue;
    const values = Array.from({ length: CARD_SAMPLES * size }, (_, i) =>
      categories > 0 ? Math.floor(i / size) % categories : 0);
    if (kind === 'label') r.label = values;
    else codes[name] = values;
  }
  if (Object.keys(codes).length) r.codes = codes;
  return r;
}

function drawTiles(canvas, images, count, columns) {
  const { width: w, height: h } = images, pad = 1;
  const rows = Math.ceil(count / columns);
  canvas.width = columns * w + (columns - 1) * pad;
  canvas.height = rows * h + (rows - 1) * pad;
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = 'rgb(32,32,32)';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < Math.min(count, images.count); i++)
    ctx.putImageData(images.imageData(i), (i % columns) * (w + pad), Math.floor(i / columns) * (h + pad));
}

// One small chart per curve, stacked, each on its own scale (its 1st–99th percentile), with the
// newest logged value.
function drawCurves(canvas, header, rows) {
  const names = header.filter((n) => !NOT_CURVES.has(n))
    .sort((a, b) => (PREFERRED.indexOf(a) + 1 || 99) - (PREFERRED.indexOf(b) + 1 || 99)).slice(0, 4);
  const dpr = window.devicePixelRatio || 1, width = canvas.clientWidth || 320, band = 46;
  canvas.width = width * dpr;
  canvas.height = band * Math.max(1, names.length) * dpr;
  canvas.style.height = `${band * Math.max(1, names.length)}px`;
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  ctx.font = '11px system-ui, sans-serif';
  // WGAN, WGAN-GP and ProGAN count critic steps (log.csv's critic_step, with generator_step last).
  const stepCol = header.indexOf('step') >= 0 ? header.indexOf('step') : header.indexOf('critic_step');
  if (!rows.length || stepCol < 0) {
    ctx.fillStyle = '#888';
    ctx.fillText('no steps logged yet', 6, 16);
    return names;
  }
  const x0 = rows[0][stepCol], x1 = Math.max(rows[rows.length - 1][stepCol], x0 + 1);
  // One point per 2 pixels: the mean of the steps that fall there (per-step losses are noise).
  const buckets = Math.max(1, Math.floor(width / 2));
  const smooth = (col) => {
    const sum = new Float64Array(buckets), count = new Uint32Array(buckets);
    for (const r of rows) {
      if (!Number.isFinite(r[col])) continue;
      const b = Math.min(buckets - 1, Math.floor(((r[stepCol] - x0) / (x1 - x0)) * buckets));
      sum[b] += r[col];
      count[b] += 1;
    }
    const out = [];
    for (let b = 0; b < buckets; b++) if (count[b]) out.push([x0 + ((b + 0.5) / buckets) * (x1 - x0), sum[b] / count[b]]);
    return out;
  };
  names.forEach((name, k) => {
    const col = header.indexOf(name), top = k * band;
    const points = smooth(col);
    const values = points.map((p) => p[1]);
    if (!values.length) return;
    const sorted = [...values].sort((a, b) => a - b);
    let lo = sorted[Math.floor(sorted.length * 0.01)], hi = sorted[Math.ceil(sorted.length * 0.99) - 1];
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    ctx.strokeStyle = 'rgba(128,128,128,0.35)';
    ctx.beginPath(); ctx.moveTo(0, top + band - 0.5); ctx.lineTo(width, top + band - 0.5); ctx.stroke();
    ctx.strokeStyle = `hsl(${(250 + k * 70) % 360} 70% 55%)`;
    ctx.beginPath();
    points.forEach(([step, value], i) => {
      const v = Math.min(hi, Math.max(lo, value));
      const x = ((step - x0) / (x1 - x0)) * (width - 2) + 1;
      const y = top + 14 + (1 - (v - lo) / (hi - lo)) * (band - 18);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.fillStyle = getComputedStyle(canvas).color || '#444';
    const newest = rows[rows.length - 1][col];
    ctx.fillText(`${name} ${Number.isFinite(newest) ? number(newest) : '–'}`, 4, top + 11);
  });
  return names;
}

class RunCard {
  constructor(run, { onSnapshot }) {
    this.run = run;
    this.onSnapshot = onSnapshot;
    this.base = `runs/${encodeURIComponent(run.id)}/`;
    this.status = null;
    this.snapshotStep = null;
    this.model = null;
    this.images = null;
    this.log = { offset: 0, partial: '', header: [], rows: [] };
    this.samples = [];
    this.polls = 0;
    this.stopped = false;
    this.grid = el('canvas', { className: 'live-grid', width: 4, height: 4 });
    this.grid.setAttribute('aria-label', `${run.id}: the newest snapshot's first ${CARD_SAMPLES} samples`);
    this.text = el('p', { className: 'live-status', textContent: 'connecting…' });
    this.curves = el('canvas', { className: 'live-curves' });
    this.timeline = el('div', { className: 'live-timeline' });
    this.timeline.setAttribute('aria-label', `${run.id}: the grid after each epoch`);
    this.drive = el('button', { type: 'button', textContent: 'Drive the page with it' });
    this.element = el('article', { className: 'live-run' },
      el('h3', {}, el('span', { className: 'live-dot' }), run.id, el('small', { textContent: ` ${run.name}` })),
      this.text, el('div', { className: 'live-body' }, this.grid, this.curves), this.timeline, this.drive);
    this.element.dataset.run = run.id;
  }

  snapshotUrl() {
    return this.snapshotStep === null ? null : `${this.base}live/latest.safetensors?step=${this.snapshotStep}`;
  }

  setState(state, text) {
    this.element.dataset.state = state;
    this.text.textContent = text;
  }

  describe(s) {
    const bits = [`step ${number(s.step)}${s.steps ? ` / ${number(s.steps)}` : ''}`];
    if (s.epoch) bits.push(`epoch ${s.epoch}${s.epochs ? ` / ${s.epochs}` : ''}`);
    if (s.images_per_s) bits.push(`${number(s.images_per_s)} img/s`);
    if (s.state === 'training' && s.eta_s >= 0) bits.push(`ETA ${duration(s.eta_s)}`);
    for (const [k, v] of Object.entries(s.signal || {})) bits.push(`${k} ${number(v)}`);
    const states = { training: 'training', finished: 'finished', stopped: 'stopped (resume with --resume)',
      failed: 'failed (the training log says why)' };
    let head = states[s.state] || s.state || 'training';
    if (quietFor(s)) head = `no news for ${duration(quietFor(s))}`;
    return `${familyTitle(s.family)} ${head} · ${bits.join(' · ')}`.trim();
  }

  async poll() {
    this.polls += 1;
    const res = await fetch(`${this.base}live/status.json`, { cache: 'no-store' });
    if (!res.ok) throw new Error(`status.json: HTTP ${res.status}`);
    const s = await res.json();
    if (s.state === 'missing' || s.state === 'waiting') {
      this.setState('waiting', s.state === 'missing' ? 'waiting for the run folder to appear'
        : 'waiting for the first snapshot (train with --live)');
      return;
    }
    this.status = s;
    const quiet = quietFor(s) > 0;
    this.setState(s.state === 'training' && !quiet ? 'training' : quiet ? 'quiet' : 'idle', this.describe(s));
    const step = s.snapshot && s.snapshot.step;
    const fresh = Number.isInteger(step) && step !== this.snapshotStep;
    if (fresh) await this.loadSnapshot(step, s);
    await this.readLog();
    if (fresh || this.polls % TIMELINE_EVERY === 1) await this.readTimeline();
  }

  async loadSnapshot(step, s) {
    const model = await ganzoo.load(`${this.base}live/latest.safetensors?step=${step}`);
    // The file may be newer than the status that announced it: its own metadata says which step.
    if (Number.isInteger(model.info.training?.steps)) step = model.info.training.steps;
    let images = null;
    if (model.domains) {
      images = (await model.translate({ examples: 'A', direction: 'AB' })).translated;
    } else {
      images = await model.generate(cardRequest(model.info, (s.sample_seed ?? 0)));
    }
    if (this.model) this.model.dispose();
    this.model = model;
    this.images = images;
    this.snapshotStep = step;
    drawTiles(this.grid, images, CARD_SAMPLES, CARD_COLUMNS);
    this.grid.title = `snapshot of step ${step}${s.generator === 'average' ? ' (the averaged generator)' : ''}`;
    this.element.dataset.snapshot = String(step);
    this.onSnapshot(this.run.id);
  }

  async readLog() {
    const log = this.log;
    const res = await fetch(`${this.base}log.csv?from=${log.offset}`, { cache: 'no-store' });
    if (!res.ok) return;
    const size = Number(res.headers.get('X-File-Size'));
    const text = await res.text();
    if (Number.isFinite(size) && size < log.offset) {  // rewritten (a resume trims it): read again
      Object.assign(log, { offset: 0, partial: '', header: [], rows: [] });
      return this.readLog();
    }
    log.offset += new TextEncoder().encode(text).length;
    const lines = (log.partial + text).split('\n');
    log.partial = lines.pop();
    for (const line of lines) {
      if (!line) continue;
      if (!log.header.length) { log.header = line.split(','); continue; }
      log.rows.push(line.split(',').map(Number));
    }
    if (log.rows.length > MAX_POINTS) log.rows = log.rows.filter((_, i) => i % 2 === 0 || i === log.rows.length - 1);
    this.curveNames = drawCurves(this.curves, log.header, log.rows);
  }

  async readTimeline() {
    const res = await fetch(`${this.base}samples.json`, { cache: 'no-store' });
    if (!res.ok) return;
    const { samples } = await res.json();
    if (samples.join() === this.samples.join()) return;
    this.samples = samples;
    this.timeline.replaceChildren(...samples.map((name) => {
      const epoch = Number(/(\d+)/.exec(name)[1]);
      const a = el('a', { href: `${this.base}samples/${name}`, target: '_blank', title: `the grid after epoch ${epoch}` },
        el('img', { src: `${this.base}samples/${name}`, alt: `epoch ${epoch}`, loading: 'lazy' }),
        el('span', { textContent: String(epoch) }));
      return a;
    }));
  }

  start() {
    const tick = async () => {
      if (this.stopped) return;
      try {
        await this.poll();
      } catch (e) {
        this.setState('error', `cannot reach the run (${e.message}); trying again`);
      }
      if (!this.stopped) this.timer = setTimeout(tick, POLL_MS);
    };
    tick();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.model) this.model.dispose();
    this.model = null;
  }
}

// Returns {cards, models: [{url: 'live:ID', name}], snapshotUrl(value)}; cards is empty when the
// page is not served by `ganzoo serve`.
export async function startLive({ onSnapshot = () => {}, onDrive = () => {} } = {}) {
  let runs = [];
  try {
    // `ganzoo serve` marks its answers; asking any other server for api/runs.json would log a
    // 404 in the console of every page load.
    const here = await fetch(location.pathname, { method: 'HEAD', cache: 'no-store' });
    if (here.headers.get('X-Ganzoo-Serve')) {
      const res = await fetch('api/runs.json', { cache: 'no-store' });
      if (res.ok) runs = (await res.json()).runs || [];
    }
  } catch {
    runs = [];
  }
  const live = {
    cards: [],
    models: runs.map((r) => ({ url: `live:${r.id}`, name: `Live: ${r.id}` })),
    snapshotUrl(value) {
      const card = live.cards.find((c) => `live:${c.run.id}` === value);
      return card ? card.snapshotUrl() : null;
    },
    stop() { live.cards.forEach((c) => c.stop()); },
  };
  window.ganzooLive = live;
  if (!runs.length) return live;
  const section = el('section', { id: 'live', className: 'card live' },
    el('div', { className: 'card-head' }, el('h2', { textContent: 'Live' }),
      el('span', { className: 'stat', textContent: 'runs training now, re-sampled from each snapshot' })));
  const row = el('div', { className: 'live-runs' });
  section.append(row);
  document.querySelector('main').prepend(section);
  for (const run of runs) {
    const card = new RunCard(run, { onSnapshot });
    card.drive.addEventListener('click', () => onDrive(`live:${run.id}`));
    live.cards.push(card);
    row.append(card.element);
    card.start();
  }
  return live;
}
