// The core's portable latents (docs/format.md, "Portable latents") in JavaScript, so that the
// peers of the benchmark are fed exactly the z the core draws for (seed, sample index).
// BigInt for the 64-bit counter RNG; the normal transform in doubles, stored as float32.
const MASK = (1n << 64n) - 1n;

function splitmix64(x) {
  x = (x + 0x9E3779B97F4A7C15n) & MASK;
  x = ((x ^ (x >> 30n)) * 0xBF58476D1CE4E5B9n) & MASK;
  x = ((x ^ (x >> 27n)) * 0x94D049BB133111EBn) & MASK;
  return x ^ (x >> 31n);
}

/** z [count, dim] (row-major Float32Array) for samples first..first+count-1 of seed. */
export function normalLatents(seed, first, count, dim) {
  const z = new Float32Array(count * dim);
  const twoPow53 = 2 ** -53;
  const normalStream = splitmix64(0n);
  for (let i = 0; i < count; i++) {
    const key = splitmix64(BigInt(seed) ^ splitmix64(BigInt(first + i) ^ normalStream));
    for (let j = 0; j < dim; j += 2) {
      const a = splitmix64((key + BigInt(j)) & MASK), b = splitmix64((key + BigInt(j + 1)) & MASK);
      const u1 = Number((a >> 11n) + 1n) * twoPow53, u2 = Number(b >> 11n) * twoPow53;
      const r = Math.sqrt(-2 * Math.log(u1));
      z[i * dim + j] = r * Math.cos(6.283185307179586 * u2);
      if (j + 1 < dim) z[i * dim + j + 1] = r * Math.sin(6.283185307179586 * u2);
    }
  }
  return z;
}
