// ganzoo in the browser: load a .safetensors model and sample it in a Web Worker, through the
// CLI's core. Reference: docs/api.md:
//   const m = await (await import('./ganzoo.js')).load('models/dcgan.safetensors');
//   const r = await m.generate({seed: 7, count: 64});

export class GanzooError extends Error {
  constructor(message) {
    super(message);
    this.name = 'GanzooError';
  }
}

const WORKER_URL = new URL('./ganzoo-worker.js', import.meta.url);
let worker = null;
let nextId = 1;
const pending = new Map();

function startWorker() {
  // A worker script must be same-origin with the page: served from another origin (the widget
  // on someone else's page), start a blob: module importing it (needs CORS headers on our files).
  const sameOrigin = typeof location !== 'undefined' && WORKER_URL.origin === location.origin;
  // The threaded core needs SharedArrayBuffer (a cross-origin isolated page) and starts
  // Workers from our URL (same-origin only).
  const threaded = sameOrigin && globalThis.crossOriginIsolated === true;
  const url = sameOrigin
    ? new URL(threaded ? '?threads=1' : '', WORKER_URL)
    : URL.createObjectURL(new Blob([`import ${JSON.stringify(WORKER_URL.href)};`], { type: 'text/javascript' }));
  const w = new Worker(url, { type: 'module', name: 'ganzoo' });
  w.onmessage = ({ data }) => {
    const p = pending.get(data.id);
    if (!p) return;
    pending.delete(data.id);
    if (data.ok) p.resolve(data.result);
    else p.reject(new GanzooError(data.error.startsWith(`${p.what}: `) ? data.error : `${p.what}: ${data.error}`));
  };
  w.onerror = (event) => {
    event.preventDefault();
    const message = `the ganzoo worker failed to start (${event.message || 'could not load ' + WORKER_URL.href})`;
    for (const p of pending.values()) p.reject(new GanzooError(message));
    pending.clear();
    worker = null;
  };
  return w;
}

function call(what, message, transfer = []) {
  worker ??= startWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, what });
    worker.postMessage({ id, ...message }, transfer);
  });
}

// The core's to_rgba8 (shared/src/image.cpp) in float32 arithmetic, Math.fround at every step as
// the core rounds, so the bytes are the core's: v in [lo, hi] -> (v - lo) · (255 / (hi - lo)),
// 0 at or below 0 (and NaN), 255 from 255 up, else truncated after + 0.5. Grey images fill R, G, B.
export function toRgba(floats, [count, channels, height, width], [lo, hi]) {
  if (channels !== 1 && channels !== 3)
    throw new GanzooError(`images have ${channels} channels, only 1 (grey) or 3 (RGB) can be shown`);
  if (!(lo < hi)) throw new GanzooError(`value range [${lo}, ${hi}] is empty`);
  const f = Math.fround, low = f(lo), scale = f(255 / f(f(hi) - low));
  const plane = height * width, rgba = new Uint8ClampedArray(count * plane * 4);
  const byte = (v) => {
    const x = f(f(v - low) * scale);
    return x > 0 ? (x >= 255 ? 255 : f(x + 0.5) | 0) : 0;
  };
  for (let i = 0, o = 0; i < count; i++) {
    const src = i * channels * plane;
    for (let p = 0; p < plane; p++, o += 4) {
      const r = byte(floats[src + p]);
      rgba[o] = r;
      rgba[o + 1] = channels === 3 ? byte(floats[src + plane + p]) : r;
      rgba[o + 2] = channels === 3 ? byte(floats[src + 2 * plane + p]) : r;
      rgba[o + 3] = 255;
    }
  }
  return rgba;
}

/** The generated images: `count` images of `channels`×`height`×`width` (`shape` [N, C, H, W]
 *  from the core; a ProGAN stage's images are smaller than info.image). `floats` are the core's
 *  output (NCHW, in info.range); `rgba` (ImageData-ready bytes of all images, [N, H, W, 4]) is
 *  made from them when first read. */
export class Images {
  constructor(info, { floats, rgba, ms, shape }) {
    const [channels, height, width] = shape && shape[2] > 0 ? shape.slice(1) : info.image;
    Object.assign(this, { channels, height, width, floats, ms });
    this.count = floats.length / (channels * height * width);
    this.msPerImage = this.count ? ms / this.count : 0;
    this.range = info.range;
    this._rgba = rgba ?? null;
  }
  get rgba() {
    this._rgba ??= toRgba(this.floats, [this.count, this.channels, this.height, this.width], this.range);
    return this._rgba;
  }
  /** RGBA bytes of image i (a view into `rgba`). */
  pixels(i) {
    const n = this.width * this.height * 4;
    return this.rgba.subarray(i * n, (i + 1) * n);
  }
  /** Image i as an ImageData (copied: ImageData needs its own buffer). */
  imageData(i) {
    return new ImageData(new Uint8ClampedArray(this.pixels(i)), this.width, this.height);
  }
}

function seedString(seed, what) {
  const s = typeof seed === 'bigint' ? seed.toString() : String(seed ?? 0);
  if (!/^\d+$/.test(s) || BigInt(s) >= 1n << 64n) throw new GanzooError(`${what}: seed must be an integer in [0, 2^64), got ${seed}`);
  return s;
}

// The truncation trick's psi on a request: a number 0..2 (the core's range); left out, off (1).
function truncated(request, psi, what) {
  if (psi === undefined) return request;
  if (typeof psi !== 'number' || !(psi >= 0 && psi <= 2))
    throw new GanzooError(`${what}: truncation must be a number from 0 to 2 (1 = off), got ${typeof psi === 'string' ? JSON.stringify(psi) : String(psi)}`);
  request.truncation = psi;
  return request;
}

function endpoint(e, what) {
  if (e !== null && typeof e === 'object' && !(typeof e === 'bigint')) {
    return { seed: seedString(e.seed, what), index: e.index ?? 0 };
  }
  return { seed: seedString(e, what), index: 0 };
}

export class Model {
  constructor(handle, info, source, bytes, threads = 1) {
    this.handle = handle;
    this.info = info;
    this.source = source;
    this.bytes = bytes;
    this.threads = threads;  // threads one generate() may use
  }

  // Labels and codes as given (the core refuses a missing one).
  _conditions(request, label, codes) {
    if (label !== undefined && label !== null) request.labels = Array.isArray(label) ? label : [label];
    if (codes && Object.keys(codes).length) request.codes = codes;
    return request;
  }

  /** The net names of the file, in the core's (name) order. */
  get nets() { return this.info.nets.map((n) => n.name); }
  /** A net {name, inputs, output} of the file, or undefined. */
  net(name) { return this.info.nets.find((n) => n.name === name); }
  /** A declared input {name, kind, shape, size, categories, range, default}, or undefined. */
  input(name) { return this.info.inputs.find((i) => i.name === name); }

  /** Image-to-image models: {A: class name, B: class name}; null for the others. */
  get domains() {
    const [a, b] = this.info.domains;
    return this.info.translates ? { A: a.class, B: b.class } : null;
  }

  // The net a z-driven call runs: the given one (it must exist and take z), else the core's default.
  _latentNet(net, what) {
    const name = net ?? (this.net('G') ? 'G' : this.nets[0]);
    if (net !== undefined && !this.net(net))
      throw new GanzooError(`${what}: model '${this.info.name}' has no net '${net}' (nets: ${this.nets.join(', ')})`);
    if (!this.net(name).inputs.includes('z')) {
      const hint = this.domains ? `: it translates images, use m.translate({example: {domain: 'A', index: 0}, direction: 'AB'})` : '';
      throw new GanzooError(`${what}: net '${name}' of model '${this.info.name}' (${this.info.family}) takes no latent z${hint}`);
    }
    return net;
  }

  /** {seed, count = 1, first = 0, label, codes, net, truncation} -> Images (samples first..first+count-1 of seed). */
  async generate({ seed = 0, count = 1, first = 0, label, codes, net, truncation } = {}) {
    const request = this._conditions({ seed: seedString(seed, 'generate'), first_index: first, count }, label, codes);
    truncated(request, truncation, 'generate');
    if (this._latentNet(net, 'generate') !== undefined) request.net = net;
    return new Images(this.info, await call('generate', { type: 'generate', handle: this.handle, request }));
  }

  /** {seed, count = 64, first = 0, columns, label, codes, sweep: 'NAME[:INDEX]', net, truncation} -> Images with .plan (the core's grid). */
  async grid({ seed = 0, count = 64, first = 0, columns = 0, label, codes, sweep = '', net, truncation } = {}) {
    const request = this._conditions({ seed: seedString(seed, 'grid'), first_index: first, count, grid: { columns, sweep } }, label, codes);
    truncated(request, truncation, 'grid');
    if (this._latentNet(net, 'grid') !== undefined) request.net = net;
    const r = await call('grid', { type: 'generate', handle: this.handle, request });
    return Object.assign(new Images(this.info, r), { plan: r.plan });
  }

  /** {from, to, steps = 10, mode = 'slerp', label, codes, net, truncation}; from/to: a seed (its sample 0) or {seed, index}. */
  async interpolate({ from, to, steps = 10, mode = 'slerp', label, codes, net, truncation } = {}) {
    if (mode !== 'slerp' && mode !== 'lerp') throw new GanzooError(`interpolate: mode must be 'slerp' or 'lerp', got '${mode}'`);
    const request = this._conditions({
      interpolate: { from: endpoint(from, 'interpolate.from'), to: endpoint(to, 'interpolate.to'), steps, mode },
    }, label, codes);
    truncated(request, truncation, 'interpolate');
    if (this._latentNet(net, 'interpolate') !== undefined) request.net = net;
    return new Images(this.info, await call('interpolate', { type: 'generate', handle: this.handle, request }));
  }

  // A domain's held-out examples (info.domains) as floats [N, C, H, W]: v/127.5 − 1, as the
  // core's example_images (docs/format.md), their bytes and count.
  _examples(domain, what) {
    if (!this.domains) throw new GanzooError(`${what}: model '${this.info.name}' (${this.info.family}) is not an image-to-image model (no nets G_AB and G_BA on inputs.image.domains)`);
    if (domain !== 'A' && domain !== 'B') throw new GanzooError(`${what}: domain must be 'A' or 'B', got ${JSON.stringify(domain)}`);
    const { pixels, count } = this.info.domains.find((d) => d.name === domain);
    if (!count) throw new GanzooError(`${what}: model '${this.info.name}' stores no examples of domain ${domain}`);
    return { floats: Float32Array.from(pixels, (v) => Math.fround(v / 127.5) - 1), pixels, count };
  }

  /** The stored held-out examples of domain 'A' or 'B' as Images (no inference). */
  examples(domain) {
    const { floats, pixels, count } = this._examples(domain, 'examples');
    const [c, h, w] = this.info.image, plane = h * w;
    const rgba = new Uint8ClampedArray(count * plane * 4);
    for (let i = 0; i < count; i++)
      for (let p = 0; p < plane; p++)
        for (let k = 0; k < 4; k++) rgba[(i * plane + p) * 4 + k] = k === 3 ? 255 : pixels[(i * c + (c === 3 ? k : 0)) * plane + p];
    return new Images(this.info, { floats, rgba, ms: 0, shape: [count, c, h, w] });
  }

  /**
   * {example: {domain, index} | examples: domain | images: Float32Array [N, C, H, W] | Images,
   *  direction = 'AB'} -> {input, translated, cycled: Images, direction, from, to, ms, msPerImage}:
   * x, G_AB(x), G_BA(G_AB(x)) for 'AB' (names of the domains in from/to); the reverse for 'BA'.
   */
  async translate({ images, example, examples, direction = 'AB' } = {}) {
    const domains = this.domains;
    if (!domains) {
      const hint = this.net('G')?.inputs.includes('z') ? ': it generates from a latent z, use m.generate({seed})' : '';
      throw new GanzooError(`translate: model '${this.info.name}' (${this.info.family}) has no image-to-image nets G_AB and G_BA (nets: ${this.nets.join(', ')})${hint}`);
    }
    if (direction !== 'AB' && direction !== 'BA') throw new GanzooError(`translate: direction must be 'AB' or 'BA', got ${JSON.stringify(direction)}`);
    if ([images, example, examples].filter((v) => v !== undefined).length !== 1)
      throw new GanzooError('translate: give exactly one of images, example: {domain, index} or examples: domain');
    const [c, h, w] = this.info.image, per = c * h * w;
    let floats;
    if (example !== undefined) {
      const all = this._examples(example?.domain, 'translate');
      const i = example.index ?? 0;
      if (!Number.isInteger(i) || i < 0 || i >= all.count)
        throw new GanzooError(`translate: example index ${example.index} of domain ${example.domain} is outside 0..${all.count - 1}`);
      floats = all.floats.slice(i * per, (i + 1) * per);
    } else if (examples !== undefined) {
      floats = this._examples(examples, 'translate').floats;
    } else {
      const values = images instanceof Images ? images.floats : images;
      if (!(values instanceof Float32Array || Array.isArray(values)) || !values.length || values.length % per)
        throw new GanzooError(`translate: images must be a Float32Array (or array, or Images) of N×${c}×${h}×${w} values in [${this.info.range.join(', ')}], got ${values?.length ?? typeof values} values`);
      floats = Float32Array.from(values);
    }
    const count = floats.length / per;
    const [there, back] = direction === 'AB' ? ['G_AB', 'G_BA'] : ['G_BA', 'G_AB'];
    const r = await call('translate', { type: 'translate', handle: this.handle, net: there, back, images: floats, count }, [floats.buffer]);
    const n = per * count;
    const part = (k) => new Images(this.info, { floats: r.floats.subarray(k * n, (k + 1) * n), ms: k === 1 ? r.ms : 0, shape: [count, c, h, w] });
    const [from, to] = direction === 'AB' ? [domains.A, domains.B] : [domains.B, domains.A];
    return { input: part(0), translated: part(1), cycled: part(2), direction, from, to, count, ms: r.ms, msPerImage: r.ms / count };
  }

  /** The projection of an image (docs/api.md): web/ganzoo-project.js, loaded on first use. */
  async project(o) { return (await import('./ganzoo-project.js')).project(this, o); }

  /** Frees the model's memory in the worker. */
  dispose() {
    return call('dispose', { type: 'free', handle: this.handle });
  }
}

// Far above any model of the zoo, far below the core's heap (2 GiB for a page's models).
export const DEFAULT_MAX_BYTES = 256 * 1048576, DEFAULT_TIMEOUT_MS = 30000;

/** Loads a model from a URL (string or URL) or from bytes (ArrayBuffer / typed array):
 *  {maxBytes}: larger is refused; {timeoutMs}: a server silent that long fails the load. */
export async function load(source, { maxBytes = DEFAULT_MAX_BYTES, timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
  if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new GanzooError(`ganzoo.load: maxBytes must be a positive integer, got ${maxBytes}`);
  if (!(timeoutMs > 0 && timeoutMs < 2 ** 31)) throw new GanzooError(`ganzoo.load: timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  let message, transfer = [], label;
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, typeof document !== 'undefined' ? document.baseURI : undefined).href;
    message = { type: 'load', url, maxBytes, timeoutMs };
    label = `ganzoo.load(${url})`;
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const view = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    label = `ganzoo.load(${view.byteLength} bytes)`;
    if (view.byteLength > maxBytes)  // before the copy
      throw new GanzooError(`${label}: the model is over the ${maxBytes} byte limit (ganzoo.load(bytes, {maxBytes}) raises it)`);
    const copy = view.slice();  // the caller keeps its bytes
    message = { type: 'load', bytes: copy.buffer };
    transfer = [copy.buffer];
  } else {
    throw new GanzooError(`ganzoo.load: expected a URL or an ArrayBuffer, got ${Object.prototype.toString.call(source)}`);
  }
  const { handle, info, bytes, threads } = await call(label, message, transfer);
  return new Model(handle, info, typeof source === 'string' ? source : null, bytes, threads);
}
