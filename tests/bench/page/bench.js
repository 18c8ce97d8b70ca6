// The benchmark page (driven by tests/bench/peers.mjs): one engine per page load, named in the
// query: ?engine=ganzoo|ganzoo-base|ort|ort-worker|tfjs&threads=N&zdim=100. It loads only that engine's files, so the
// bytes the page downloads are that engine's; records the time from navigation to the first
// image (batch 1), then exposes window.bench for the driver:
//   bench.info                      {engine, threads, isolated, firstImageMs, ...}
//   await bench.time(batch, runs)   median ms of `runs` calls after warm-up calls (at least 5 and
//                                   2 s: wasm starts in V8's baseline tier and its optimized
//                                   code arrives later, much later on a loaded machine)
//   await bench.output(seed, count) the output floats (NCHW) as a plain array
// Every engine gets the core's latents for (seed, sample index): the core draws them itself,
// the peers from latents.js (the same spec), outside their timed region.
import { normalLatents } from './latents.js';
import { readSafetensors } from './safetensors.js';

const query = new URLSearchParams(location.search);
const engine = query.get('engine');
const threads = Number(query.get('threads') || 1);
const zDim = Number(query.get('zdim') || 100);
const MODEL = '/files/model.safetensors';
const ONNX = '/files/model.onnx';

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(s);
  });
}

// The ganzoo graph (docs/format.md) as tf ops. tf's convolutions are NHWC: 4-D values are kept
// NHWC inside and the output is returned NCHW like the other engines'.
function tfNet(tf, net, tensors) {
  const w = (name) => tensors[name];
  const pair = (v) => (Array.isArray(v) ? v : [v, v]);
  const steps = net.ops.map((op, k) => {
    const weight = op.weight && w(op.weight), bias = op.bias && tf.tensor1d(w(op.bias).data);
    switch (op.op) {
      case 'linear': {
        const [out, inp] = weight.shape;
        const wt = tf.transpose(tf.tensor2d(weight.data, [out, inp]));  // [in, out]
        return (x) => (bias ? tf.add(tf.matMul(x, wt), bias) : tf.matMul(x, wt));
      }
      case 'reshape':
        if (op.shape.length !== 3) throw new Error(`op ${k}: reshape to ${op.shape} not supported by the bench`);
        return (x) => tf.transpose(tf.reshape(x, [-1, ...op.shape]), [0, 2, 3, 1]);
      case 'conv_transpose2d': {
        const [cin, cout, kh, kw] = weight.shape;
        const [sh, sw] = pair(op.stride ?? 1), [ph, pw] = pair(op.padding ?? 0), [oph, opw] = pair(op.output_padding ?? 0);
        if (ph !== pw || oph || opw) throw new Error(`op ${k}: conv_transpose2d padding ${op.padding} not supported by the bench`);
        const filter = tf.transpose(tf.tensor4d(weight.data, [cin, cout, kh, kw]), [2, 3, 1, 0]);  // [kh, kw, out, in]
        return (x) => {
          const [n, h, wd] = x.shape;
          const shape = [n, (h - 1) * sh - 2 * ph + kh, (wd - 1) * sw - 2 * pw + kw, cout];
          const y = tf.conv2dTranspose(x, filter, shape, [sh, sw], ph);
          return bias ? tf.add(y, bias) : y;
        };
      }
      case 'conv2d': {
        const [cout, cin, kh, kw] = weight.shape;
        const [ph, pw] = pair(op.padding ?? 0);
        if (ph !== pw) throw new Error(`op ${k}: conv2d padding ${op.padding} not supported by the bench`);
        const filter = tf.transpose(tf.tensor4d(weight.data, [cout, cin, kh, kw]), [2, 3, 1, 0]);  // [kh, kw, in, out]
        return (x) => {
          const y = tf.conv2d(x, filter, pair(op.stride ?? 1), ph);
          return bias ? tf.add(y, bias) : y;
        };
      }
      case 'batch_norm': {
        const scale = tf.tensor1d(w(op.scale).data), shift = tf.tensor1d(w(op.shift).data);
        return (x) => tf.add(tf.mul(x, scale), shift);
      }
      case 'relu': return (x) => tf.relu(x);
      case 'leaky_relu': return (x) => tf.leakyRelu(x, op.slope ?? 0.01);
      case 'elu': return (x) => tf.elu(x);
      case 'tanh': return (x) => tf.tanh(x);
      case 'sigmoid': return (x) => tf.sigmoid(x);
      default: throw new Error(`op ${k}: ${op.op} not supported by the bench's tfjs graph`);
    }
  });
  return (z) => {
    let x = z;
    for (const step of steps) x = step(x);
    return x.rank === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x;
  };
}

const engines = {
  // Ours, through the product's own API (web/ganzoo.js: worker + core). ms is what the page
  // waits for, worker round trip and the copy out of the wasm heap included; innerMs the core call
  // alone. Like the peers, it reads the floats: the API makes RGBA from them on first use.
  async ganzoo(root = '/') {
    const ganzoo = await import(`${root}ganzoo.js`);
    const m = await ganzoo.load(MODEL);
    return {
      threads: m.threads,
      async run(seed, count) {
        const t0 = performance.now();
        const r = await m.generate({ seed, count });
        return { out: r.floats, ms: performance.now() - t0, innerMs: r.ms };
      },
    };
  },

  // Another build of ours (peers.mjs --baseline DIR, served under /base/), to compare two
  // builds within one run.
  'ganzoo-base'() {
    return engines.ganzoo('/base/');
  },

  // onnxruntime-web, wasm backend (its one SIMD build), on the page's thread; 'ort-worker': in
  // its proxy worker, i.e. with the same page <-> worker round trip as ours.
  async ort(proxy = false) {
    const ort = await import('/ort/ort.wasm.min.mjs');
    ort.env.wasm.wasmPaths = '/ort/';
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.proxy = proxy;
    const session = await ort.InferenceSession.create(ONNX, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    return {
      threads: ort.env.wasm.numThreads,
      async run(seed, count) {
        const z = normalLatents(seed, 0, count, zDim);
        const t0 = performance.now();
        const out = await session.run({ z: new ort.Tensor('float32', z, [count, zDim]) });
        return { out: out.images.data, ms: performance.now() - t0 };
      },
    };
  },

  'ort-worker'() {
    return engines.ort(true);
  },

  // TensorFlow.js: tfjs-core + the wasm backend (SIMD; its threaded SIMD build when isolated).
  async tfjs() {
    await loadScript('/tfjs/tf-core.min.js');
    await loadScript('/tfjs-wasm/tf-backend-wasm.min.js');
    const tf = window.tf;
    tf.wasm.setWasmPaths('/tfjs-wasm/');
    if (threads > 1) tf.wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not start');
    const { meta, tensors } = readSafetensors(await (await fetch(MODEL)).arrayBuffer());
    const net = tfNet(tf, meta.nets.G, tensors);
    return {
      threads: threads > 1 ? tf.wasm.getThreadsCount() : 1,
      async run(seed, count) {
        const z = normalLatents(seed, 0, count, zDim);
        const t0 = performance.now();
        const y = tf.tidy(() => net(tf.tensor2d(z, [count, zDim])));
        const out = await y.data();
        y.dispose();
        return { out, ms: performance.now() - t0 };
      },
    };
  },
};

async function start() {
  if (!engines[engine]) throw new Error(`unknown engine '${engine}'`);
  const e = await engines[engine]();
  await e.run(0, 1);
  const firstImageMs = performance.now();  // since navigation start
  const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
  window.bench = {
    info: { engine, threads: e.threads, isolated: self.crossOriginIsolated, firstImageMs },
    async time(batch, runs) {
      const warm = performance.now();
      for (let i = 0; i < 5 || performance.now() - warm < 2000; i++) await e.run(1000 + i, batch);
      const ms = [], inner = [];
      for (let i = 0; i < runs; i++) {
        const r = await e.run(2000 + i, batch);
        ms.push(r.ms);
        if (r.innerMs !== undefined) inner.push(r.innerMs);
      }
      return { ms: median(ms), innerMs: inner.length ? median(inner) : null, all: ms };
    },
    async output(seed, count) {
      return Array.from((await e.run(seed, count)).out);
    },
  };
}

window.benchReady = start().then(() => window.bench.info, (err) => ({ error: String(err && err.stack ? err.stack : err) }));
