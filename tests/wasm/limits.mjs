// Crafted model files through the web page's entry point (gz_load, called the way
// web/ganzoo-worker.js calls it: malloc, copy, gz_load, free, gz_error). Each must be refused with
// its one-line message, and the refusal must come before the core allocates what the file claims:
// the wasm memory does not grow during gz_load (with free heap left for what the file itself
// holds) and no single allocation is larger than the case allows (tests/wasm/alloc_probe.cpp).
// The default LoadLimits are the ones the page gets (shared/include/ganzoo/limits.hpp).
//
//   node --no-experimental-fetch tests/wasm/limits.mjs BUILD/ganzoo_limits.js MODEL.safetensors
// (tests/wasm/limits.sh builds the .js and runs this.) Exit 0: every case passed.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const [jsPath, modelPath] = process.argv.slice(2);
if (!jsPath || !modelPath) {
  console.error('usage: node limits.mjs GANZOO_LIMITS_JS MODEL');
  process.exit(1);
}
const M = await createRequire(import.meta.url)(resolve(jsPath))();
const gz = {
  load: M.cwrap('gz_load', 'number', ['number', 'number']),
  error: M.cwrap('gz_error', 'string', []),
  info: M.cwrap('gz_info', 'string', ['number']),
  generate: M.cwrap('gz_generate', 'number', ['number', 'string']),
  free: M.cwrap('gz_free', null, ['number']),
  probeStart: M.cwrap('probe_start', null, []),
  probeStop: M.cwrap('probe_stop', null, []),
  largest: M.cwrap('probe_largest', 'number', []),
  total: M.cwrap('probe_total', 'number', []),
};
// The wasm memory's size: HEAPU8 is replaced with a view of the new buffer when memory grows.
const memoryBytes = () => M.HEAPU8.buffer.byteLength;

const KiB = 1024, MiB = 1024 * KiB;
const LIMITS = { headerBytes: 16 * MiB, tensors: 4096, totalElements: 256 * MiB, imageSide: 1024 };

// ---- safetensors files ----------------------------------------------------------------------
function parse(bytes) {
  const n = Number(Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigUInt64LE(0));
  return { header: JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString('utf8')), data: bytes.subarray(8 + n) };
}

function file(header, data = new Uint8Array(0)) {
  const json = typeof header === 'string' ? Buffer.from(header) : Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  Buffer.from(out.buffer).writeBigUInt64LE(BigInt(json.length), 0);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

// `count` tensors of `elements` values each, all over the same data (the limits are checked
// before the overlap is): a small file that claims count * elements values.
function sharedTensors(count, elements, dtype) {
  const size = elements * (dtype === 'F16' ? 2 : 4);
  const header = {};
  for (let i = 0; i < count; i++) header[`t${i}`] = { dtype, shape: [elements], data_offsets: [0, size] };
  return file(header, new Uint8Array(size));
}

const model = new Uint8Array(readFileSync(modelPath));
const { header: modelHeader, data: modelData } = parse(model);

// The model with its ganzoo document changed by `edit`.
function edited(edit) {
  const header = structuredClone(modelHeader);
  const doc = JSON.parse(header.__metadata__.ganzoo);
  edit(doc, header);
  header.__metadata__.ganzoo = JSON.stringify(doc);
  return file(header, modelData);
}

// ---- the cases ------------------------------------------------------------------------------
// largest: the most one allocation may take during the refused gz_load: 64 KiB where the file is
// refused before its tensors are read, less than one claimed tensor where the header itself is
// large, and where the refusal comes later (the metadata) the file's own tensors (F16 -> F32
// doubles them) but nothing sized from a claim.
const SMALL = 64 * KiB;
const cases = [
  {
    name: 'header bytes over the limit',
    bytes: () => file(`{"__metadata__": {"pad": "${' '.repeat(LIMITS.headerBytes)}"}}`),
    expect: /^safetensors: header length 167772\d\d is over the limit of 16777216 bytes$/,
    largest: SMALL,
  },
  {
    // Accepted, its tensors would take 4097 x 260 kB = 1 GB of floats (their total, 266 M
    // values, is under its own limit). The parsed header itself is freed through one vector of
    // 4097 JSON values (131 kB): less than one tensor.
    name: 'tensor count over the limit',
    bytes: () => sharedTensors(LIMITS.tensors + 1, 65000, 'F16'),
    expect: /^safetensors: 4097 tensors, over the limit of 4096$/,
    largest: 65000 * 4 - 1,
  },
  {
    // 513 tensors of 2 MiB each, all over one 2 MiB data area: 1 GiB of floats if accepted.
    name: 'total elements over the limit',
    bytes: () => sharedTensors(513, 512 * KiB, 'F32'),
    expect: /^safetensors: tensor 't\d+' brings the total to 268959744 elements, over the limit of 268435456$/,
    largest: SMALL,
  },
  {
    name: 'image size over the limit',
    bytes: () => edited((doc) => { doc.dataset.image = [1, 40000, 40000]; }),
    expect: /^ganzoo metadata: dataset\.image\[1\] \(height\) is 40000, expected 1\.\.1024$/,
    largest: 2 * model.length,
  },
  {
    name: 'truncated file (inside the header)',
    bytes: () => model.slice(0, 100),
    expect: /^safetensors: header length \d+ exceeds the 92 bytes after it \(truncated or not a safetensors file\)$/,
    largest: SMALL,
  },
  {
    name: 'truncated file (inside the tensor data)',
    bytes: () => model.slice(0, model.length - 100),
    expect: /^safetensors: tensor '.+': data_offsets \[\d+, \d+\] end beyond the data area of \d+ bytes$/,
    largest: SMALL,
  },
  {
    name: 'empty file',
    bytes: () => new Uint8Array(0),
    expect: /^safetensors: file is 0 bytes, shorter than the 8-byte header length$/,
    largest: SMALL,
  },
  {
    name: 'not a ganzoo file (an HTML page)',
    bytes: () => new Uint8Array(Buffer.from('<!doctype html><title>404 Not Found</title><h1>Not Found</h1>\n')),
    expect: /^safetensors: header length \d+ exceeds the \d+ bytes after it \(truncated or not a safetensors file\)$/,
    largest: SMALL,
  },
  {
    name: 'not a ganzoo file (safetensors without the ganzoo document)',
    bytes: () => { const h = structuredClone(modelHeader); delete h.__metadata__; return file(h, modelData); },
    expect: /^not a ganzoo model: the safetensors metadata has no 'ganzoo' document$/,
    largest: 2 * model.length,
  },
  {
    name: 'not a ganzoo file (another graph format)',
    bytes: () => edited((doc) => { doc.format = 'onnx'; }),
    expect: /^ganzoo metadata: format is 'onnx', expected 'ganzoo-graph'$/,
    largest: 2 * model.length,
  },
  {
    name: 'wrong version (newer than the core)',
    bytes: () => edited((doc) => { doc.version = 99; }),
    expect: /^ganzoo metadata: version 99 is newer than this core supports \(\d+\)$/,
    largest: 2 * model.length,
  },
  {
    name: 'wrong version (0)',
    bytes: () => edited((doc) => { doc.version = 0; }),
    expect: /^ganzoo metadata: version is 0, expected 1\.\.\d+$/,
    largest: 2 * model.length,
  },
];

// gz_load as web/ganzoo-worker.js calls it; memory and allocations measured around gz_load only
// (the copy of the file into the heap is the page's, before the core sees it).
function load(bytes) {
  const ptr = M._malloc(Math.max(1, bytes.length));
  M.HEAPU8.set(bytes, ptr);
  // Free heap for what the file itself holds (its tensors as floats, parse structures), so
  // that growth during gz_load means an allocation sized from a claim, not from the file.
  const room = M._malloc(4 * bytes.length + 4 * MiB);
  M._free(room);
  const before = memoryBytes();
  gz.probeStart();
  const handle = gz.load(ptr, bytes.length);
  gz.probeStop();
  const after = memoryBytes();
  M._free(ptr);
  return { handle, error: handle ? '' : gz.error(), before, after, largest: gz.largest(), total: gz.total() };
}

const mib = (n) => `${(n / MiB).toFixed(2)} MiB`;
let failures = 0;
for (const c of cases) {
  const bytes = c.bytes();
  const r = load(bytes);
  const problems = [];
  if (r.handle) {
    problems.push(`loaded (handle ${r.handle}), expected a refusal`);
    gz.free(r.handle);
  }
  if (!c.expect.test(r.error)) problems.push(`message does not match ${c.expect}`);
  if (r.error.includes('\n')) problems.push('message is more than one line');
  if (r.after !== r.before) problems.push(`wasm memory grew from ${mib(r.before)} to ${mib(r.after)}`);
  if (r.largest > c.largest) problems.push(`largest allocation ${r.largest} bytes, allowed ${c.largest}`);
  console.log(`${problems.length ? 'FAIL' : 'ok  '} ${c.name} (${bytes.length} bytes)\n` +
              `     "${r.error}"\n` +
              `     memory ${mib(r.before)} -> ${mib(r.after)}; largest allocation ${r.largest} B, ${r.total} B in all`);
  for (const p of problems) console.log(`     ${p}`);
  failures += problems.length ? 1 : 0;
}

// The control: the model itself loads and generates, and the probe sees its tensors.
{
  const r = load(model);
  const problems = [];
  if (!r.handle) problems.push(`the valid model was refused: ${r.error}`);
  else {
    const info = JSON.parse(gz.info(r.handle));
    if (gz.generate(r.handle, JSON.stringify({ seed: '7', count: 2 })) !== 0) problems.push(`generate failed: ${gz.error()}`);
    const biggest = Math.max(...Object.entries(modelHeader).filter(([k]) => k !== '__metadata__')
      .map(([, t]) => t.shape.reduce((a, b) => a * b, 1) * 4));
    if (r.largest < biggest) problems.push(`the probe saw no allocation of the largest tensor (${biggest} B): it measures nothing`);
    console.log(`${problems.length ? 'FAIL' : 'ok  '} control: the model loads (${info.family}, ${info.image.join('x')}), ` +
                `largest allocation ${r.largest} B, ${r.total} B in all`);
    gz.free(r.handle);
  }
  for (const p of problems) console.log(`     ${p}`);
  failures += problems.length ? 1 : 0;
}

console.log(failures ? `FAIL: ${failures} of ${cases.length + 1} cases` : `PASS: ${cases.length} refusals + the control`);
process.exit(failures ? 1 : 0);
