// The Web Worker behind web/ganzoo-project.js (m.project()): started the first time a page
// projects, it loads the projection core (web/ganzoo-project-core.{js,wasm}: the sampling core
// plus ganzoo::project and the reverse pass), so sampling never downloads it.
// ?threads=1 (ganzoo-project.js sets it on cross-origin isolated pages): the -pthread core
// (web/ganzoo-project-core-mt.*), whose projection runs its rows in slices on a pool of threads,
// with the same result; the single-threaded core if it cannot start.
// Protocol: {id, type: 'project' | 'interpolate' | 'release', ...} -> {id, step: {done, total, loss,
// image}} while projecting, then {id, ok, result | error}. Models (by URL, or by a key their bytes
// came with) and the classifier are kept loaded here under handles until released.
let corePromise = null;
const handles = new Map();  // model URL -> handle

async function instantiate() {
  const options = { locateFile: (path) => new URL(path, import.meta.url).href };
  if (new URL(import.meta.url).searchParams.get('threads') === '1' && self.crossOriginIsolated) {
    try {
      const { default: createCore } = await import('./ganzoo-project-core-mt.js');
      return await createCore(options);
    } catch (e) {
      console.warn(`ganzoo: the threaded projection core did not start (${e && e.message ? e.message : e}); using one thread`);
    }
  }
  const { default: createCore } = await import('./ganzoo-project-core.js');
  return createCore(options);
}

function core() {
  corePromise ??= instantiate().then((M) => ({
    M,
    load: M.cwrap('gp_load', 'number', ['number', 'number']),
    target: M.cwrap('gp_target', 'number', ['number', 'number', 'number', 'number', 'number']),
    project: M.cwrap('gp_project', 'number', ['number', 'number', 'number', 'string']),
    interpolate: M.cwrap('gp_interpolate', 'number', ['number', 'string']),
    output: () => new Float32Array(M.HEAPF32.buffer, M.cwrap('gp_output', 'number', [])(), M.cwrap('gp_output_size', 'number', [])()).slice(),
    result: M.cwrap('gp_result', 'string', []),
    free: M.cwrap('gp_free', null, ['number']),
    error: M.cwrap('gp_error', 'string', []),
  }));
  return corePromise;
}

// Copies bytes into the heap for f(ptr), then frees them.
function withHeap(c, bytes, f) {
  const ptr = c.M._malloc(Math.max(4, bytes.byteLength));
  if (!ptr) throw new Error(`out of memory: the projection core cannot hold ${bytes.byteLength} bytes`);
  try {
    c.M.HEAPU8.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), ptr);
    return f(ptr);
  } finally {
    c.M._free(ptr);
  }
}

async function handle(c, key, bytes) {
  if (!handles.has(key)) {
    const data = bytes ? new Uint8Array(bytes) : new Uint8Array(await (await fetch(key).then((r) => {
      if (!r.ok) throw new Error(`could not fetch ${key}: HTTP ${r.status}`);
      return r;
    })).arrayBuffer());
    const h = withHeap(c, data, (ptr) => c.load(ptr, data.length));
    if (!h) throw new Error(c.error());
    handles.set(key, h);
  }
  return handles.get(key);
}

const handlers = {
  // {model, bytes?, classifier (URL or null), image: {floats} | {pixels: Uint8Array CHW, channels, height, width}, request}
  async project({ id, model, bytes, classifier, image, request }) {
    const c = await core();
    const h = await handle(c, model, bytes);
    const k = classifier ? await handle(c, classifier) : 0;
    let target = image.floats;
    if (!target) {
      if (withHeap(c, image.pixels, (ptr) => c.target(h, ptr, image.channels, image.height, image.width)) !== 0) throw new Error(c.error());
      target = c.output();
    }
    c.M.onStep = (done, total, loss, img) => self.postMessage({ id, step: { done, total, loss, image: img.slice() } });
    const t0 = performance.now();
    let status;
    try {
      status = withHeap(c, new Uint8Array(target.buffer, target.byteOffset, target.byteLength), (ptr) => c.project(h, k, ptr, JSON.stringify(request)));
    } finally {
      c.M.onStep = null;
    }
    if (status !== 0) throw new Error(c.error());
    return { ...JSON.parse(c.result()), floats: c.output(), target, ms: performance.now() - t0 };
  },
  // {model, bytes?, request: {from, to, steps, mode, labels, codes}} -> {floats}
  async interpolate({ model, bytes, request }) {
    const c = await core();
    const h = await handle(c, model, bytes);
    if (c.interpolate(h, JSON.stringify(request)) !== 0) throw new Error(c.error());
    return { floats: c.output() };
  },
  // {model}: the handle is freed (the studio releases the models it no longer shows).
  async release({ model }) {
    const c = await core();
    if (handles.has(model)) c.free(handles.get(model));
    handles.delete(model);
    return {};
  },
};

self.onmessage = async ({ data }) => {
  try {
    self.postMessage({ id: data.id, ok: true, result: await handlers[data.type](data) });
  } catch (e) {
    self.postMessage({ id: data.id, ok: false, error: String(e && e.message ? e.message : e) });
  }
};
