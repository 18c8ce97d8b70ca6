// The Web Worker behind web/ganzoo.js: owns the wasm core, loads models, runs generate.
// Protocol: {id, type: 'load' | 'generate' | 'translate' | 'free', ...} -> {id, ok, result | error};
// a result of generate/translate is {floats, rgba, shape: [N, C, H, W], ms}.
// Each model lives here under a handle; the page never blocks on the core.
// ?threads=1 (ganzoo.js sets it on cross-origin isolated pages): the -pthread core, whose
// generate() splits a batch over a pool of threads; the single-threaded core if it cannot start.

let corePromise = null;

async function instantiate() {
  // The worker may be bootstrapped from a blob: (cross-origin widget); find the .wasm (and the
  // threaded core's pthread worker script) next to this file, wherever it is served from.
  const options = { locateFile: (path) => new URL(path, import.meta.url).href };
  const threaded = new URL(import.meta.url).searchParams.get('threads') === '1' && self.crossOriginIsolated;
  if (threaded) {
    try {
      const { default: createGanzooCore } = await import('./ganzoo-core-mt.js');
      return await createGanzooCore(options);
    } catch (e) {
      console.warn(`ganzoo: the threaded core did not start (${e && e.message ? e.message : e}); using one thread`);
    }
  }
  const { default: createGanzooCore } = await import('./ganzoo-core.js');
  return createGanzooCore(options);
}

function core() {
  corePromise ??= instantiate().then((M) => ({
    M,
    load: M.cwrap('gz_load', 'number', ['number', 'number']),
    info: M.cwrap('gz_info', 'string', ['number']),
    generate: M.cwrap('gz_generate', 'number', ['number', 'string']),
    translate: M.cwrap('gz_translate', 'number', ['number', 'string', 'string', 'number', 'number']),
    outputDim: M.cwrap('gz_output_dim', 'number', ['number', 'number']),
    output: M.cwrap('gz_output', 'number', ['number']),
    outputSize: M.cwrap('gz_output_size', 'number', ['number']),
    rgba: M.cwrap('gz_rgba', 'number', ['number']),
    rgbaSize: M.cwrap('gz_rgba_size', 'number', ['number']),
    error: M.cwrap('gz_error', 'string', []),
    free: M.cwrap('gz_free', null, ['number']),
    threads: M.cwrap('gz_threads', 'number', [])(),
  }));
  return corePromise;
}

async function fetchBytes(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`could not fetch ${url} (${e.message}; a cross-origin model needs Access-Control-Allow-Origin)`);
  }
  if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function load({ url, bytes }) {
  const c = await core();
  const data = bytes ? new Uint8Array(bytes) : await fetchBytes(url);
  const ptr = c.M._malloc(Math.max(1, data.length));
  let handle;
  try {
    c.M.HEAPU8.set(data, ptr);
    handle = c.load(ptr, data.length);
  } finally {
    c.M._free(ptr);
  }
  if (!handle) throw new Error(c.error());
  return { handle, info: JSON.parse(c.info(handle)), bytes: data.length, threads: c.threads };
}

// Copies the handle's last output out of the wasm heap (it may grow, detaching views); the
// buffers are then transferred to the page.
function result(c, handle, ms) {
  const floats = new Float32Array(c.M.HEAPF32.buffer, c.output(handle), c.outputSize(handle)).slice();
  const rgba = new Uint8ClampedArray(c.M.HEAPU8.buffer, c.rgba(handle), c.rgbaSize(handle)).slice();
  const shape = [0, 1, 2, 3].map((axis) => c.outputDim(handle, axis));
  return { floats, rgba, shape, ms };
}

async function generate({ handle, request }) {
  const c = await core();
  const t0 = performance.now();
  if (c.generate(handle, JSON.stringify(request)) !== 0) throw new Error(c.error());
  return result(c, handle, performance.now() - t0);
}

// images: Float32Array [count, C, H, W] -> [3·count, C, H, W]: images, net(images), back(net(images)).
async function translate({ handle, net, back, images, count }) {
  const c = await core();
  const ptr = c.M._malloc(Math.max(4, images.byteLength));
  let status, ms;
  try {
    c.M.HEAPF32.set(images, ptr >> 2);
    const t0 = performance.now();
    status = c.translate(handle, net, back, ptr, count);
    ms = performance.now() - t0;
  } finally {
    c.M._free(ptr);
  }
  if (status !== 0) throw new Error(c.error());
  return result(c, handle, ms);
}

const handlers = {
  load,
  generate,
  translate,
  async free({ handle }) { (await core()).free(handle); return null; },
};

self.onmessage = async ({ data }) => {
  const { id, type } = data;
  try {
    const result = await handlers[type](data);
    const transfer = result && result.floats ? [result.floats.buffer, result.rgba.buffer] : [];
    self.postMessage({ id, ok: true, result }, transfer);
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e && e.message ? e.message : e) });
  }
};
