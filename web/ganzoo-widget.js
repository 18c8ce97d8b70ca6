// <gan-sampler model="URL" mode="grid|walk|translate" seed="7" size="256"></gan-sampler>
// (timeout="60": seconds to wait for a silent model server, default 30; label="3": a class of a
// conditional model; codes="c_cat=3 c_cont=0.5,-0.5": codes, as `ganzoo sample --code`;
// truncation="0.7": the truncation trick's psi, 0..2, 1 = off, as `ganzoo sample --trunc`)
//
// grid and walk sample a generator (a file's net G: ProGAN's full-size stage); translate shows an
// image-to-image model's (CycleGAN's) held-out examples and their translations, 4 of each domain
// from example 4·seed on (rows: A, G_AB(A), B, G_BA(B)). The grid is the core's plan, as
// `ganzoo sample` draws it: 16 samples, or, without a label (a categorical code), one row per
// class (value). The walk needs the label of a conditional model: without, it shows the core's
// message naming it and its classes; codes left out are at 0, as everywhere.
//
//   <script type="module" src="https://HOST/ganzoo/ganzoo-widget.js"></script>
//
// A custom element with its own shadow DOM (no styles leak in or out). It starts only when
// scrolled into view; every widget on the page shares ganzoo.js's one worker and loads each
// model URL once. From another origin, the host of these files must send
// Access-Control-Allow-Origin (see web/embed.html).
//
// A shipped member below the project's baseline (web/baseline.js: the manifest.json beside the
// model says so) adds "below baseline" to the caption, and the frame's tooltip says by how much
// and names the member's page (docs/members/MEMBER.md).
import * as ganzoo from './ganzoo.js';
import { baselineNotice } from './baseline.js';
import { cannotDrive } from './drive.js';

const models = new Map();  // model URL -> Promise<Model>, shared by all widgets
function loadShared(url, timeoutMs) {
  if (!models.has(url)) {
    const p = ganzoo.load(url, timeoutMs ? { timeoutMs } : {});
    p.catch(() => models.delete(url));  // a later widget may retry
    models.set(url, p);
  }
  return models.get(url);
}

// The codes attribute: "NAME=V[,V...] ..." -> {NAME: [V, ...]}.
function parseCodes(text) {
  const codes = {};
  for (const item of (text || '').split(/\s+/).filter(Boolean)) {
    const [name, values = ''] = item.split('=');
    codes[name] = values.split(',').map(Number);
  }
  return codes;
}

const STYLE = `
  :host { display: inline-block; width: var(--size, 256px); max-width: 100%; vertical-align: top;
          font: 13px/1.4 system-ui, sans-serif; color: #e7e9f0; }
  :host([hidden]) { display: none; }
  .frame { position: relative; background: #0f1117; border-radius: 12px; overflow: hidden; aspect-ratio: 1;
           box-shadow: 0 4px 16px #0004; }
  canvas { display: block; width: 100%; height: 100%; image-rendering: pixelated; cursor: pointer; }
  /* The caption (.chip) and the button share the bar's line while both fit; otherwise the button
     moves to a line of its own below, at the right, and the caption wraps within the frame: the two
     never overlap, and the button's label is never squeezed onto two lines. */
  .bar { position: absolute; left: 6px; right: 6px; bottom: 6px; display: flex; flex-wrap: wrap;
         justify-content: space-between; align-items: flex-end; gap: 4px 6px; pointer-events: none; }
  .chip:empty { display: none; }
  .chip { background: #000a; border-radius: 10px; padding: 1px 8px; font-size: 11px; min-width: 0;
          overflow-wrap: anywhere; }
  button { pointer-events: auto; font: inherit; font-size: 11px; color: inherit; background: #6d5dfcdd; border: 0;
           border-radius: 999px; padding: 2px 9px; cursor: pointer; flex: none; margin-left: auto; white-space: nowrap; }
  .msg { position: absolute; inset: 0; display: grid; place-items: center; padding: 14px; text-align: center;
         color: #9097ab; }
  .msg.error { color: #ffd7d7; background: #2a1214; font-size: 12px; place-items: safe center; overflow: auto;
               overflow-wrap: anywhere; border: 1px solid #ff6b6b; border-radius: 12px; padding: 10px; }
  .msg b { display: block; margin-bottom: 4px; }
  .frame.failed .bar { display: none; }
`;

class GanSampler extends HTMLElement {
  static get observedAttributes() { return ['model', 'mode', 'seed', 'size', 'label', 'codes', 'truncation']; }

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.innerHTML = `<style>${STYLE}</style>
      <div class="frame" part="frame">
        <canvas part="canvas"></canvas>
        <div class="msg" part="message">waiting to scroll into view…</div>
        <div class="bar"><span class="chip"></span><button type="button" title="Draw another seed">new seed</button></div>
      </div>`;
    this.canvas = root.querySelector('canvas');
    this.msg = root.querySelector('.msg');
    this.chip = root.querySelector('.chip');
    root.querySelector('button').addEventListener('click', () => this.setAttribute('seed', String(Math.floor(Math.random() * 1e6))));
    this.canvas.addEventListener('click', () => this.setAttribute('seed', String(this.seed + 1)));
    this.frame = root.querySelector('.frame');
    this.started = false;
    this.timer = null;
    this.run = 0;
    this.notice = undefined;  // the baseline notice: undefined until the model has rendered, then null or one
  }

  get seed() { const s = Number(this.getAttribute('seed') ?? 0); return Number.isSafeInteger(s) && s >= 0 ? s : 0; }
  get mode() { const m = this.getAttribute('mode'); return m === 'walk' || m === 'translate' ? m : 'grid'; }
  // The truncation attribute as psi (undefined: none); a value that is not a number 0..2 throws.
  get truncation() {
    const text = this.getAttribute('truncation');
    if (text === null) return undefined;
    const psi = Number(text);
    if (text.trim() === '' || !(psi >= 0 && psi <= 2)) throw new Error(`gan-sampler: truncation="${text}": expected a number from 0 to 2 (1 = off)`);
    return psi;
  }

  connectedCallback() {
    this.style.setProperty('--size', `${Number(this.getAttribute('size')) || 256}px`);
    if (this.started || this.observer) return;
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        this.observer.disconnect();
        this.observer = null;
        this.started = true;
        this.render();
      }
    }, { rootMargin: '100px' });
    this.observer.observe(this);
  }

  disconnectedCallback() {
    this.observer?.disconnect();
    this.observer = null;
    clearInterval(this.timer);
  }

  attributeChangedCallback(name) {
    if (name === 'size') this.style.setProperty('--size', `${Number(this.getAttribute('size')) || 256}px`);
    else if (this.started) this.render();
  }

  // text, under an optional bold title; an error also hides the seed controls.
  message(text, error = false, title = '') {
    this.msg.replaceChildren();
    this.msg.title = '';
    if (title) this.msg.append(Object.assign(document.createElement('b'), { textContent: title }));
    this.msg.append(text);
    this.msg.className = error ? 'msg error' : 'msg';
    this.shadowRoot.querySelector('.frame').classList.toggle('failed', error);
    this.msg.setAttribute('role', error ? 'alert' : 'status');
    this.msg.hidden = !text;
    this.msg.style.display = text ? '' : 'none';
  }

  async render() {
    const run = ++this.run;
    clearInterval(this.timer);
    const url = this.getAttribute('model');
    if (!url) return this.message('gan-sampler: set the model attribute to a ganzoo .safetensors URL', true);
    this.message(this.started && this.images ? '' : 'loading…');
    try {
      const timeout = Number(this.getAttribute('timeout')), href = new URL(url, document.baseURI).href;
      const notice = baselineNotice(href).catch(() => null);
      const model = await loadShared(href, timeout > 0 ? timeout * 1000 : undefined);
      if (this.mode === 'translate') return await this.renderTranslations(model, run, notice);
      const { domains } = model;
      const reason = domains ? `gan-sampler cannot drive model '${model.info.name}' (${model.info.family}) in this mode: it translates images (${domains.A} ↔ ${domains.B}) and has no generator; use mode="translate".`
        : cannotDrive(model.info, 'gan-sampler');
      if (reason) throw new Error(reason);
      const seed = this.seed, codes = parseCodes(this.getAttribute('codes')), truncation = this.truncation;
      const label = this.hasAttribute('label') ? Number(this.getAttribute('label')) : undefined;
      const images = this.mode === 'walk'
        ? await model.interpolate({ from: { seed, index: 0 }, to: { seed, index: 1 }, steps: 32, mode: 'slerp', label, codes, truncation })
        : await model.grid({ seed, count: 16, label, codes, truncation });
      const shown = await notice;
      if (run !== this.run) return;
      this.images = images;
      this.message('');
      this.chip.textContent = `seed ${seed}${truncation !== undefined && truncation !== 1 ? ` · ψ ${truncation}` : ''} · ${images.msPerImage.toFixed(1)} ms/img`;
      this.showNotice(shown);
      if (this.mode === 'walk') this.animate(images);
      else this.drawGrid(images, images.plan.columns);
      this.dispatchEvent(new CustomEvent('rendered', { detail: { seed, count: images.count } }));
    } catch (e) {
      if (run !== this.run) return;
      this.images = null;
      this.notice = null;
      this.frame.title = '';
      // ganzoo.load's "ganzoo.load(URL): " prefix becomes a short title, and the URL in the
      // message the file's name: the widget is small. The event and the tooltip keep it all.
      const href = new URL(url, document.baseURI).href;
      const name = decodeURIComponent(new URL(href).pathname.split('/').pop() || href);
      const prefix = `ganzoo.load(${href}): `;
      const full = e.message;
      if (full.startsWith(prefix)) this.message(full.slice(prefix.length).replaceAll(href, name), true, `Could not load ${name}`);
      else this.message(full, true);
      this.msg.title = full;
      this.dispatchEvent(new CustomEvent('sampler-error', { detail: { message: full } }));
    }
  }

  // The baseline notice (web/baseline.js) or none: a mark in the caption, the numbers and the
  // member's page in the frame's tooltip.
  showNotice(notice) {
    this.notice = notice;
    this.frame.title = notice ? notice.text : '';
    if (notice) this.chip.textContent += ' · below baseline';
  }

  // Four examples of A and of B from example 4·seed on (wrapping), each above its translation.
  async renderTranslations(model, run, notice) {
    const domains = model.domains;
    if (!domains)
      throw new Error(`gan-sampler: mode="translate" needs an image-to-image model (nets G_AB and G_BA); model '${model.info.name}' (${model.info.family}) generates from a seed: use mode="grid" or "walk".`);
    const seed = this.seed, columns = 4, rows = [];
    let ms = 0, count = 0;
    for (const [domain, direction] of [['A', 'AB'], ['B', 'BA']]) {
      const examples = model.examples(domain), per = examples.floats.length / examples.count;
      const picks = Array.from({ length: Math.min(columns, examples.count) }, (_, k) => (seed * columns + k) % examples.count);
      const images = new Float32Array(picks.length * per);
      picks.forEach((i, k) => images.set(examples.floats.subarray(i * per, (i + 1) * per), k * per));
      const t = await model.translate({ images, direction });
      rows.push(t.input, t.translated);
      ms += t.ms;
      count += t.count;
    }
    const shown = await notice;
    if (run !== this.run) return;
    this.images = rows;
    this.message('');
    this.chip.textContent = `${domains.A} ↔ ${domains.B} · ${(ms / count).toFixed(1)} ms/img`;
    this.showNotice(shown);
    const { width: w, height: h } = rows[0], pad = 1;
    this.canvas.width = columns * w + (columns - 1) * pad;
    this.canvas.height = rows.length * h + (rows.length - 1) * pad;
    const ctx = this.canvas.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    rows.forEach((row, r) => { for (let c = 0; c < row.count; c++) ctx.putImageData(row.imageData(c), c * (w + pad), r * (h + pad)); });
    this.dispatchEvent(new CustomEvent('rendered', { detail: { seed, count } }));
  }

  drawGrid(images, columns) {
    const { width: w, height: h } = images, pad = 1, rows = Math.ceil(images.count / columns);
    this.canvas.width = columns * w + (columns - 1) * pad;
    this.canvas.height = rows * h + (rows - 1) * pad;
    const ctx = this.canvas.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    for (let i = 0; i < images.count; i++)
      ctx.putImageData(images.imageData(i), (i % columns) * (w + pad), Math.floor(i / columns) * (h + pad));
  }

  animate(images) {
    this.canvas.width = images.width;
    this.canvas.height = images.height;
    const ctx = this.canvas.getContext('2d');
    let f = 0, dir = 1;
    const step = () => {
      ctx.putImageData(images.imageData(f), 0, 0);
      if (f + dir < 0 || f + dir >= images.count) dir = -dir;
      f += dir;
    };
    step();
    this.timer = setInterval(step, 60);
  }
}

if (!customElements.get('gan-sampler')) customElements.define('gan-sampler', GanSampler);
