// The Web Worker behind web/ganzoo.js: owns the wasm core, loads models, runs generate.
// Protocol: {id, type: 'load' | 'generate' | 'translate' | 'free', ...} -> {id, ok, result | error};
// a result of generate/translate is {floats, shape: [N, C, H, W], ms} (the page makes RGBA from
// the floats when it is asked for: web/ganzoo.js, toRgba), and of a grid request its plan.
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
    plan: M.cwrap('gz_plan', 'string', ['number']),
    translate: M.cwrap('gz_translate', 'number', ['number', 'string', 'string', 'number', 'number']),
    outputDim: M.cwrap('gz_output_dim', 'number', ['number', 'number']),
    output: M.cwrap('gz_output', 'number', ['number']),
    outputSize: M.cwrap('gz_output_size', 'number', ['number']),
    error: M.cwrap('gz_error', 'string', []),
    free: M.cwrap('gz_free', null, ['number']),
    threads: M.cwrap('gz_threads', 'number', [])(),
  }));
  return corePromise;
}

// The core's heap (at most 2 GiB) holds every model of the page: a file over maxBytes is refused
// before it is kept (by its Content-Length, else as it streams in), and one the heap has no room
// for by _malloc's 0 (writing there would overwrite the core). A server silent for timeoutMs,
// before it answers or between bytes, is given up on.
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
const tooBig = (size, max, more = '') => new Error(`the file is ${mib(size)}${more}, over the ${mib(max)} limit (ganzoo.load(url, {maxBytes}) raises it)`);

async function fetchBytes(url, maxBytes, timeoutMs) {
  const abort = new AbortController(), chunks = [];
  let timer, size = 0, response;
  const wait = () => { clearTimeout(timer); timer = setTimeout(() => abort.abort(), timeoutMs); };
  const failed = (e, hint = '') => new Error(abort.signal.aborted
    ? `no answer from ${url} for ${timeoutMs / 1000} s (ganzoo.load(url, {timeoutMs}) waits longer)`
    : `could not fetch ${url} (${e.message}${hint})`);
  try {
    wait();
    try {
      response = await fetch(url, { signal: abort.signal });
    } catch (e) {
      throw failed(e, '; a cross-origin model needs Access-Control-Allow-Origin');
    }
    if (!response.ok) throw new Error(`could not fetch ${url}: HTTP ${response.status} ${response.statusText}`);
    const declared = Number(response.headers.get('Content-Length'));
    if (declared > maxBytes) throw tooBig(declared, maxBytes);
    const reader = response.body.getReader();
    for (let part; wait(), !(part = await reader.read().catch((e) => { throw failed(e); })).done;) {
      if ((size += part.value.length) > maxBytes) throw tooBig(size, maxBytes, ' so far');  // no or a wrong Content-Length
      chunks.push(part.value);
    }
  } finally {
    clearTimeout(timer);
    if (!chunks.length || size > maxBytes) abort.abort();  // stops a body left unread
  }
  const bytes = new Uint8Array(size);
  chunks.reduce((at, chunk) => (bytes.set(chunk, at), at + chunk.length), 0);
  return bytes;
}

function heapAlloc(c, n, what) {
  const ptr = c.M._malloc(Math.max(4, n));
  if (!ptr) throw new Error(`out of memory: the ganzoo core cannot hold ${what} (${mib(n)}) beside the models already loaded (heap ${mib(c.M.HEAPU8.length)}); dispose() some or reload the page`);
  return ptr;
}

async function load({ url, bytes, maxBytes, timeoutMs }) {
  const c = await core();
  let data = bytes ? new Uint8Array(bytes) : await fetchBytes(url, maxBytes, timeoutMs);
  const size = data.length, ptr = heapAlloc(c, size, 'the file');
  let handle;
  try {
    c.M.HEAPU8.set(data, ptr);
    data = null;  // the core may need the memory while it loads
    handle = c.load(ptr, size);
  } finally {
    c.M._free(ptr);
  }
  if (!handle) throw new Error(c.error());
  return { handle, info: JSON.parse(c.info(handle)), bytes: size, threads: c.threads };
}

// The first write to a fresh ArrayBuffer page-faults its memory in: in Chromium on the project's
// VM, ~3.5 ms per MB, 0.7 ms for 64 DCGAN images, more than copying them (docs/web-bench.md).
// So the output is copied into a spare buffer that was made and touched while the worker was
// idle, after it posted the previous result (spareFor); a request of another size gets a new one.
let spare = null;
function outputBuffer(n) {
  if (spare && spare.length === n) {
    const b = spare;
    spare = null;
    return b;
  }
  return new Float32Array(n);
}
function spareFor(n) {
  if (!spare || spare.length !== n) spare = new Float32Array(n).fill(0);
}

// Copies the handle's last output out of the wasm heap (it may grow, detaching views); the
// buffer is then transferred to the page.
function result(c, handle, ms) {
  const floats = outputBuffer(c.outputSize(handle));
  floats.set(new Float32Array(c.M.HEAPF32.buffer, c.output(handle), floats.length));
  const shape = [0, 1, 2, 3].map((axis) => c.outputDim(handle, axis));
  return { floats, shape, ms };
}

async function generate({ handle, request }) {
  const c = await core();
  const t0 = performance.now();
  if (c.generate(handle, JSON.stringify(request)) !== 0) throw new Error(c.error());
  const r = result(c, handle, performance.now() - t0);
  if (request.grid) r.plan = JSON.parse(c.plan(handle));
  return r;
}

// images: Float32Array [count, C, H, W] -> [3·count, C, H, W]: images, net(images), back(net(images)).
async function translate({ handle, net, back, images, count }) {
  const c = await core();
  const ptr = heapAlloc(c, images.byteLength, `${count} input images`);
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
  let size = 0;  // of the output just posted (a transferred array reads as empty)
  try {
    const result = await handlers[type](data);
    size = result && result.floats ? result.floats.length : 0;
    self.postMessage({ id, ok: true, result }, size ? [result.floats.buffer] : []);
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e && e.message ? e.message : e) });
  }
  if (size) spareFor(size);
};
