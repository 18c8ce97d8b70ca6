// ganzoo in the browser: load a ganzoo .safetensors model and sample it in a Web Worker.
//
//   import * as ganzoo from './ganzoo.js';
//   const m = await ganzoo.load('models/dcgan.safetensors');   // or an ArrayBuffer
//   m.info                      // {family, name, image: [C, H, W], classes, inputs, ...}
//   const r = await m.generate({seed: 7, count: 64});
//   ctx.putImageData(r.imageData(0), 0, 0);   // r.rgba (all images), r.floats (NCHW)
//   const walk = await m.interpolate({from: 7, to: {seed: 8, index: 3}, steps: 16, mode: 'slerp'});
//
// Sample i of seed S is the same image as `ganzoo sample --seed S` draws natively.
// Every failure rejects with a GanzooError whose message says what went wrong.
// All models on a page (and all <gan-sampler> widgets) share one worker.
// On a cross-origin isolated page (COOP/COEP headers, docs/web-bench.md) the worker runs the
// threaded core (ganzoo-core-mt.*, one thread per core) and `m.threads` says how many; elsewhere,
// or if it fails to start, the single-threaded one.

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
  // A worker script must be same-origin with the page: when ganzoo.js is served from
  // another origin (the widget on someone else's page), start it from a blob: module that
  // imports the real one (which needs CORS headers on our files).
  const sameOrigin = typeof location !== 'undefined' && WORKER_URL.origin === location.origin;
  // The threaded core needs SharedArrayBuffer (a cross-origin isolated page) and starts its
  // own Workers from our URL (so same-origin only).
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
    else p.reject(new GanzooError(`${p.what}: ${data.error}`));
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

/** The generated images: `count` images of `channels`×`height`×`width`. */
export class Images {
  constructor(info, { floats, rgba, ms }) {
    const [channels, height, width] = info.image;
    Object.assign(this, { channels, height, width, floats, rgba, ms });
    this.count = rgba.length / (width * height * 4);
    this.msPerImage = this.count ? ms / this.count : 0;
    this.range = info.range;
  }
  /** RGBA bytes of image i (a view into `rgba`). */
  pixels(i) {
    const n = this.width * this.height * 4;
    return this.rgba.subarray(i * n, (i + 1) * n);
  }
  /** Image i as an ImageData (copied; ImageData needs its own buffer offset 0). */
  imageData(i) {
    return new ImageData(new Uint8ClampedArray(this.pixels(i)), this.width, this.height);
  }
}

function seedString(seed, what) {
  const s = typeof seed === 'bigint' ? seed.toString() : String(seed ?? 0);
  if (!/^\d+$/.test(s) || BigInt(s) >= 1n << 64n) throw new GanzooError(`${what}: seed must be an integer in [0, 2^64), got ${seed}`);
  return s;
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

  _labels(label) {
    if (label === undefined || label === null) {
      if (this.info.num_classes > 0) return [0];
      return undefined;
    }
    return Array.isArray(label) ? label : [label];
  }

  /** {seed, count = 1, first = 0, label, codes} -> Images (samples first..first+count-1 of seed). */
  async generate({ seed = 0, count = 1, first = 0, label, codes } = {}) {
    const request = { seed: seedString(seed, 'generate'), first_index: first, count };
    const labels = this._labels(label);
    if (labels) request.labels = labels;
    if (codes && Object.keys(codes).length) request.codes = codes;
    return new Images(this.info, await call('generate', { type: 'generate', handle: this.handle, request }));
  }

  /** {from, to, steps = 10, mode = 'slerp', label, codes}; from/to: a seed (its sample 0) or {seed, index}. */
  async interpolate({ from, to, steps = 10, mode = 'slerp', label, codes } = {}) {
    if (mode !== 'slerp' && mode !== 'lerp') throw new GanzooError(`interpolate: mode must be 'slerp' or 'lerp', got '${mode}'`);
    const request = {
      interpolate: { from: endpoint(from, 'interpolate.from'), to: endpoint(to, 'interpolate.to'), steps, mode },
    };
    const labels = this._labels(label);
    if (labels) request.labels = labels;
    if (codes && Object.keys(codes).length) request.codes = codes;
    return new Images(this.info, await call('interpolate', { type: 'generate', handle: this.handle, request }));
  }

  /** Frees the model's memory in the worker. */
  dispose() {
    return call('dispose', { type: 'free', handle: this.handle });
  }
}

/** Loads a model from a URL (string or URL) or from bytes (ArrayBuffer / typed array). */
export async function load(source) {
  let message, transfer = [], label;
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source, typeof document !== 'undefined' ? document.baseURI : undefined).href;
    message = { type: 'load', url };
    label = `ganzoo.load(${url})`;
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    const view = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
    const copy = view.slice();  // the caller keeps its bytes
    message = { type: 'load', bytes: copy.buffer };
    transfer = [copy.buffer];
    label = `ganzoo.load(${copy.byteLength} bytes)`;
  } else {
    throw new GanzooError(`ganzoo.load: expected a URL or an ArrayBuffer, got ${Object.prototype.toString.call(source)}`);
  }
  const { handle, info, bytes, threads } = await call(label, message, transfer);
  return new Model(handle, info, typeof source === 'string' ? source : null, bytes, threads);
}
