// What the sampling UIs (the page, web/app.js, and the <gan-sampler> widget) can drive, written
// once for both: from a model's info (the core's ModelInfo, through ganzoo.js).
/**
 * Why a sampling UI (the page: who = 'This page', the <gan-sampler> widget) cannot drive a
 * model's generator net G, or '' when it can: it sets the latent z, a class label (a picker of at
 * most 10,000 classes) and small code vectors (a control per value, at most 64); an image input,
 * or a vector larger than that, would need more (a slider per pixel would also freeze the page).
 */
export function cannotDrive(info, who) {
  const what = `${who} cannot drive model '${info.name}' (${info.family})`;
  const g = info.nets.find((n) => n.name === 'G');
  if (!g) return `${what}: it samples a generator net 'G', and this model has ${info.nets.length ? `nets ${info.nets.map((n) => n.name).join(', ')}` : 'none'}.`;
  if (!g.inputs.includes('z')) return `${what}: its generator takes no latent z (inputs: ${g.inputs.join(', ')}).`;
  for (const name of g.inputs) {
    const { kind, size, shape, categories } = info.inputs.find((i) => i.name === name);
    if (kind === 'label' ? categories > 10000 : kind !== 'latent' && (kind === 'image' || size > 64))
      return `${what}: its generator's input '${name}' (${kind}, shape [${shape.join(', ')}]) takes more than a class picker of up to 10,000 classes or a control per value for up to 64 values can set.`;
  }
  return '';
}

