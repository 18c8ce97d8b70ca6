// The page's "Project an image" panel (web/index.html #project): draw on a 28×28 canvas, or drop
// or choose an image file; Project runs m.project() (web/ganzoo-project.js, through the
// on-demand projection core) and shows the image and the loss converging; then the walk from the
// projection to the grid's sample under the cursor, or to a seed's sample 0. Loaded by app.js
// once the page is up: nothing here is part of the sampling download.
//   setupProject({model: () => the current Model, cellAt: (i) => {from: {seed, index}}, onError})
const $ = (id) => document.getElementById(id);
const WALK = 10;

function draw(canvas, images, i) {
  canvas.width = images.width;
  canvas.height = images.height;
  canvas.getContext('2d').putImageData(images.imageData(i), 0, 0);
}

function plotLoss(canvas, losses) {
  const ctx = canvas.getContext('2d'), { width: w, height: h } = canvas;
  ctx.clearRect(0, 0, w, h);
  if (losses.length < 2) return;
  const logs = losses.map((l) => Math.log10(Math.max(l, 1e-9))), lo = Math.min(...logs), hi = Math.max(...logs, lo + 1e-6);
  ctx.strokeStyle = '#8f83ff';
  ctx.lineWidth = 2;
  ctx.beginPath();
  logs.forEach((v, i) => ctx[i ? 'lineTo' : 'moveTo'](6 + (w - 12) * i / (logs.length - 1), 22 + (h - 28) * (hi - v) / (hi - lo)));
  ctx.stroke();
  ctx.fillStyle = '#9aa0b4';
  ctx.font = '11px ui-monospace, monospace';
  ctx.fillText(`loss ${losses[losses.length - 1].toPrecision(3)} (log scale)`, 8, 14);
}

export function setupProject({ model, cellAt, onError }) {
  const pad = $('project-draw'), ctx = pad.getContext('2d');
  const state = (window.ganzooPage.project = { projection: null, model: null, walk: null, busy: false });
  const clear = () => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
  };
  clear();

  // Drawing: white strokes 2 px wide (in the canvas's 28×28 pixels), as Fashion-MNIST's bright
  // objects on black.
  let last = null;
  const at = (e) => {
    const r = pad.getBoundingClientRect();
    return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
  };
  const stroke = (to) => {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 2.2;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...(last ?? to));
    ctx.lineTo(...to);
    ctx.stroke();
    last = to;
  };
  pad.addEventListener('pointerdown', (e) => { pad.setPointerCapture(e.pointerId); last = null; stroke(at(e)); });
  pad.addEventListener('pointermove', (e) => { if (last) stroke(at(e)); });
  const up = () => { last = null; };
  pad.addEventListener('pointerup', up);
  pad.addEventListener('pointercancel', up);
  $('project-clear').addEventListener('click', clear);

  // An image file (chosen or dropped) is drawn onto the pad, centre-cropped to a square; the core
  // then reads the pad as the CLI reads a 28×28 file.
  const useFile = async (file) => {
    if (!file) return;
    const bitmap = await createImageBitmap(file);
    const s = Math.min(bitmap.width, bitmap.height);
    clear();
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, (bitmap.width - s) / 2, (bitmap.height - s) / 2, s, s, 0, 0, pad.width, pad.height);
  };
  $('project-file').addEventListener('change', (e) => useFile(e.target.files[0]).catch((err) => onError(`Could not read the image: ${err.message}`)));
  pad.addEventListener('dragover', (e) => { e.preventDefault(); pad.classList.add('over'); });
  pad.addEventListener('dragleave', () => pad.classList.remove('over'));
  pad.addEventListener('drop', (e) => {
    e.preventDefault();
    pad.classList.remove('over');
    useFile(e.dataTransfer.files[0]).catch((err) => onError(`Could not read the image: ${err.message}`));
  });

  const status = (text) => { $('project-status').textContent = text; };
  $('project-run').addEventListener('click', async () => {
    const m = model();
    if (!m || state.busy) return;
    const steps = Math.max(1, Math.min(2000, Math.round(Number($('project-steps').value)) || 100));
    state.busy = true;
    $('project-run').disabled = true;
    document.body.dataset.project = 'running';
    const losses = [];
    status('loading the projection core…');
    try {
      const image = ctx.getImageData(0, 0, pad.width, pad.height);
      const t0 = performance.now();
      const r = await m.project({ image, steps, seed: 0, onProgress: (p) => {
        losses.push(p.loss);
        draw($('project-live'), p.image, 0);
        plotLoss($('project-loss'), losses);
        status(`step ${p.step} / ${p.steps} · loss ${p.loss.toPrecision(3)}`);
      } });
      if (model() !== m) return;
      state.projection = r;
      state.model = m;
      draw($('project-live'), r.image, 0);
      plotLoss($('project-loss'), r.losses);
      const label = r.label !== null && m.info.classes?.length ? `, ${m.info.classes[r.label] ?? `class ${r.label}`}` : '';
      status(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s · loss ${r.loss.initial.total.toPrecision(3)} → ${r.loss.final.total.toPrecision(3)}${label}`);
      $('project-walk').hidden = false;
      await walkTo(Number($('project-to').value) || 0);
    } catch (e) {
      status('failed');
      onError(e.message);
    } finally {
      state.busy = false;
      $('project-run').disabled = false;
      document.body.dataset.project = state.projection ? 'done' : 'failed';
    }
  });

  // The walk from the projection to a sample: {seed, index}.
  let walkGeneration = 0;
  async function walkTo(to) {
    const p = state.projection;
    if (!p || state.model !== model()) return;
    const generation = ++walkGeneration;
    const walk = await p.interpolate({ to, steps: WALK });
    if (generation !== walkGeneration) return;
    state.walk = Object.assign(walk, { to });
    const strip = $('project-strip');
    while (strip.children.length < WALK) strip.append(document.createElement('canvas'));
    [...strip.children].forEach((c, i) => draw(c, walk, i));
    strip.title = `from your image to ${typeof to === 'object' ? `seed ${to.seed}, #${to.index}` : `seed ${to}`}`;
  }
  $('project-to-seed').addEventListener('click', () => walkTo(Number($('project-to').value) || 0).catch((e) => onError(e.message)));
  $('grid').addEventListener('pointerover', (e) => {
    const c = e.target.closest('.cell');
    if (!c || !state.projection) return;
    const i = [...c.parentNode.children].indexOf(c);
    walkTo(cellAt(i).from).catch((err) => onError(err.message));
  });
}
