// A minimal safetensors reader for the benchmark page (docs/format.md): the header, the ganzoo
// metadata document and every tensor as a Float32Array (F16 widened exactly).
function f16ToF32(bits) {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    const h = bits[i], s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    out[i] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return out;
}

export function readSafetensors(buffer) {
  const view = new DataView(buffer);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, n)));
  const tensors = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = e.data_offsets;
    const bytes = buffer.slice(8 + n + begin, 8 + n + end);  // copies: aligned views
    if (e.dtype === 'F16') tensors[name] = { shape: e.shape, data: f16ToF32(new Uint16Array(bytes)) };
    else if (e.dtype === 'F32') tensors[name] = { shape: e.shape, data: new Float32Array(bytes) };
    else throw new Error(`safetensors: ${name} has dtype ${e.dtype}`);
  }
  return { meta: JSON.parse(header.__metadata__.ganzoo), tensors };
}
