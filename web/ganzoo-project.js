// Projection in the browser (docs/api.md, "m.project"): the latent z (and label, codes) whose image
// matches a given one, by the core's ganzoo::project, as `ganzoo project` natively. Loaded by
// web/ganzoo.js the first time m.project() is called; it starts its own worker
// (web/ganzoo-project-worker.js) with the projection core, so sampling never downloads either.
import { GanzooError, Images } from './ganzoo.js';

const CLASSIFIER = new URL('models/classifier.safetensors', import.meta.url).href;
let worker = null, nextId = 1;
const pending = new Map();

function call(what, message, onStep, transfer = []) {
  if (!worker) {
    // On a cross-origin isolated page, the threaded projection core (as ganzoo.js's sampling: it
    // needs SharedArrayBuffer, and starts Workers from our URL, same-origin only).
    const url = new URL('./ganzoo-project-worker.js', import.meta.url);
    if (typeof location !== 'undefined' && url.origin === location.origin && globalThis.crossOriginIsolated === true)
      url.searchParams.set('threads', '1');
    worker = new Worker(url, { type: 'module', name: 'ganzoo-project' });
    worker.onmessage = ({ data }) => {
      const p = pending.get(data.id);
      if (!p) return;
      if (data.step) return p.onStep?.(data.step);
      pending.delete(data.id);
      if (data.ok) p.resolve(data.result);
      else p.reject(new GanzooError(data.error.startsWith(`${what}: `) ? data.error : `${what}: ${data.error}`));
    };
    worker.onerror = (event) => {
      event.preventDefault();
      for (const p of pending.values()) p.reject(new GanzooError(`${what}: the projection worker failed to start (${event.message || 'could not load it'})`));
      pending.clear();
      worker = null;
    };
  }
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, onStep });
    worker.postMessage({ id, ...message }, transfer);
  });
}

// The model file for the worker: its URL (a model loaded from one), else `file` (bytes or a URL).
function modelSource(m, file, what) {
  const base = typeof document !== 'undefined' ? document.baseURI : undefined;
  if (file !== undefined) {
    if (typeof file === 'string' || file instanceof URL) return { model: new URL(file, base).href };
    if (file instanceof ArrayBuffer || ArrayBuffer.isView(file)) {
      const bytes = new Uint8Array(file instanceof ArrayBuffer ? file : file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength)).slice();
      return { model: `bytes:${m.handle}`, bytes: bytes.buffer };
    }
    throw new GanzooError(`${what}: file must be the model's URL or bytes`);
  }
  if (typeof m.source !== 'string') throw new GanzooError(`${what}: the model was loaded from bytes; pass them again as {file: bytes}`);
  return { model: new URL(m.source, base).href };
}

// The target for the worker: floats in the model's range ({floats}), or an image's pixels in the
// model's channels (CHW bytes) for the core to centre-crop and area-resize, as the CLI reads a file:
// RGB to grey by stb_image's weights ((77 R + 150 G + 29 B) >> 8), alpha dropped.
function target(m, image, what) {
  const [c, h, w] = m.info.image, per = c * h * w;
  if (image instanceof Images) {
    if (image.count !== 1 || image.floats.length !== per) throw new GanzooError(`${what}: image must be one ${c}×${h}×${w} image, got ${image.count}`);
    return { floats: Float32Array.from(image.floats) };
  }
  if (image instanceof Float32Array || Array.isArray(image)) {
    if (image.length !== per) throw new GanzooError(`${what}: image must hold ${c}×${h}×${w} = ${per} values in [${m.info.range.join(', ')}], got ${image.length}`);
    return { floats: Float32Array.from(image) };
  }
  let data = image;
  if (!(typeof ImageData !== 'undefined' && image instanceof ImageData)) {
    const iw = image?.naturalWidth || image?.videoWidth || image?.width, ih = image?.naturalHeight || image?.videoHeight || image?.height;
    if (!(iw > 0 && ih > 0)) throw new GanzooError(`${what}: image must be Images, a Float32Array, an ImageData, a canvas or an image, got ${Object.prototype.toString.call(image)}`);
    const canvas = new OffscreenCanvas(iw, ih), ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    data = ctx.getImageData(0, 0, iw, ih);
  }
  const { width, height, data: rgba } = data, plane = width * height, pixels = new Uint8Array(c * plane);
  for (let p = 0; p < plane; p++) {
    const [r, g, b] = [rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]];
    if (c === 1) pixels[p] = (r * 77 + g * 150 + b * 29) >> 8;
    else [pixels[p], pixels[plane + p], pixels[2 * plane + p]] = [r, g, b];
  }
  return { pixels, channels: c, height, width };
}

function endpoint(e, what) {
  if (e && (e.z || e.request)) return { z: Array.from(e.z ?? e.request.z) };
  if (e !== null && typeof e === 'object') return { seed: String(e.seed ?? 0), index: e.index ?? 0 };
  if (!/^\d+$/.test(String(e))) throw new GanzooError(`${what}: expected a seed, {seed, index} or a projection, got ${e}`);
  return { seed: String(e), index: 0 };
}

/** {from, to, steps = 10, mode = 'slerp', label, codes, file}: from/to a projection (or {z}), a seed
 *  or {seed, index} -> Images; the label and codes are the projection's unless given. */
export async function interpolate(m, { from, to, steps = 10, mode = 'slerp', label, codes, file } = {}) {
  const what = 'interpolate';
  if (mode !== 'slerp' && mode !== 'lerp') throw new GanzooError(`${what}: mode must be 'slerp' or 'lerp', got '${mode}'`);
  const p = [from, to].find((e) => e?.z);
  label ??= p?.label ?? undefined;
  codes ??= p?.codes;
  const request = { from: endpoint(from, `${what}.from`), to: endpoint(to, `${what}.to`), steps, mode };
  if (label !== undefined && label !== null) request.labels = [label];
  if (codes && Object.keys(codes).length) request.codes = codes;
  const r = await call(what, { type: 'interpolate', ...modelSource(m, file, what), request });
  return new Images(m.info, { floats: r.floats, ms: 0 });
}

/** m.project(): {image, steps = 300, seed = 0, starts = 4, label, codes, perceptual = true (or a weight),
 *  classifier (URL), file, threads (default: every thread the page may use), searchKeep (default 2;
 *  0: no cut), searchFraction (default 0.2), onProgress({step, steps, loss, image})} -> {z, label,
 *  codes, image, losses, loss, candidates, evaluations, start, threads, request, target, ms,
 *  interpolate({to, steps, mode})}. */
export async function project(m, { image, steps = 300, seed = 0, starts = 4, label, codes, perceptual = true, classifier = CLASSIFIER, file, threads,
                                   searchKeep, searchFraction, onProgress } = {}) {
  const what = 'project';
  if (m.domains)
    throw new GanzooError(`${what}: model '${m.info.name}' translates images (nets G_AB, G_BA: CycleGAN-shaped) and has no latent z to project onto`);
  if (!Number.isInteger(steps) || steps < 1) throw new GanzooError(`${what}: steps must be an integer >= 1, got ${steps}`);
  if (!Number.isInteger(starts) || starts < 1 || starts > 64) throw new GanzooError(`${what}: starts must be an integer 1..64, got ${starts}`);
  if (!/^\d+$/.test(String(seed)) || BigInt(seed) >= 1n << 64n) throw new GanzooError(`${what}: seed must be an integer in [0, 2^64), got ${seed}`);
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) throw new GanzooError(`${what}: threads must be an integer >= 1, got ${threads}`);
  if (searchKeep !== undefined && (!Number.isInteger(searchKeep) || searchKeep < 0))
    throw new GanzooError(`${what}: searchKeep must be an integer >= 0 (0: every candidate runs every step), got ${searchKeep}`);
  if (searchFraction !== undefined && !(typeof searchFraction === 'number' && searchFraction > 0 && searchFraction <= 1))
    throw new GanzooError(`${what}: searchFraction must be a number in (0, 1], got ${searchFraction}`);
  const img = target(m, image, what);
  const request = { seed: String(seed), steps, starts, label: label ?? null, weights: {} };
  if (threads !== undefined) request.threads = threads;
  if (searchKeep !== undefined) request.search_keep = searchKeep;
  if (searchFraction !== undefined) request.search_fraction = searchFraction;
  if (codes) request.codes = codes;
  if (typeof perceptual === 'number') request.weights.perceptual = perceptual;
  const src = modelSource(m, file, what);
  const onStep = onProgress && ((s) => onProgress({ step: s.done, steps: s.total, loss: s.loss, image: new Images(m.info, { floats: s.image, ms: 0 }) }));
  const r = await call(what, { type: 'project', ...src, classifier: perceptual === false || perceptual === 0 ? null : new URL(classifier, typeof document !== 'undefined' ? document.baseURI : undefined).href,
                               image: img, request }, onStep);
  const result = {
    ...r, image: new Images(m.info, { floats: r.floats, ms: r.ms }), target: new Images(m.info, { floats: r.target, ms: 0 }),
    request: { net: r.net, z: r.z, labels: r.label === null ? [] : [r.label], codes: r.codes },
  };
  delete result.floats;
  result.interpolate = (o = {}) => interpolate(m, { ...o, from: result, file });
  return result;
}
