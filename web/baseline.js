// The project's quality bar in the sampling UIs (the page, web/app.js, and the <gan-sampler>
// widget), written once for both: a shipped member whose FD-FMNIST or SWD average is worse
// (higher) than the bar's says so. The bar is the 2-epoch DCGAN baseline of docs/RESULTS.md; its
// numbers come from one place, web/models/manifest.json: the top-level "baseline" (written by
// scripts/results.mjs from docs/results/dcgan-2ep.json) against each entry's "metrics"
// (scripts/eval-zoo.mjs). A member without those metrics (CycleGAN) gets no notice, and so does a
// model with no manifest beside it. The studio does the same in C++ (native/studio/card.cpp).
import { familyTitle } from './family.js';

const METRICS = [['fd_fmnist', 'FD-FMNIST', 2], ['swd_average', 'SWD', 1]];

/** The metrics of `metrics` worse than the baseline's: [{key, name, value, bar, digits}]; [] when
 *  none is (or either side lacks the numbers). */
export function belowBaseline(metrics, baseline) {
  return METRICS.filter(([key]) => typeof metrics?.[key] === 'number' && typeof baseline?.[key] === 'number' && metrics[key] > baseline[key])
    .map(([key, name, digits]) => ({ key, name, value: metrics[key], bar: baseline[key], digits }));
}

// The member's page in the repository, and its URL where the page is served: relative to the
// manifest (web/models/), '../../docs/members/M.md' is the repository's file when the repository
// is served as it is, and /docs/members/M.md when web/ is the root (`make demo` serves
// docs/members there; `ganzoo serve` does not).
export const memberDoc = (family) => `docs/members/${family}.md`;

const manifests = new Map();  // manifest URL -> Promise<manifest or null>
/** The manifest (JSON) at `url`, fetched once; null when there is none or it is not JSON. */
export function fetchManifest(url) {
  if (!manifests.has(url))
    manifests.set(url, fetch(url).then((r) => (r.ok ? r.json() : null)).then((m) => (m && typeof m === 'object' ? m : null), () => null));
  return manifests.get(url);
}

/**
 * The notice for the model at `modelUrl` (absolute) from the manifest at `manifestUrl` (by
 * default the one beside the model): null, or {family, title, summary, text, docPath, docUrl, worse}:
 * summary names the numbers, text adds the member's page.
 */
export async function baselineNotice(modelUrl, manifestUrl = new URL('manifest.json', modelUrl).href) {
  const manifest = await fetchManifest(manifestUrl);
  const entry = manifest?.models?.find((e) => e.file && new URL(e.file, manifestUrl).href === modelUrl);
  const worse = belowBaseline(entry?.metrics, manifest?.baseline);
  if (!worse.length) return null;
  const title = familyTitle(entry.family), docPath = memberDoc(entry.family);
  const numbers = worse.map((w) => `${w.name} ${w.value.toFixed(w.digits)} against ${w.bar.toFixed(w.digits)}`).join(', ');
  const summary = `${title} is below the project's baseline, a plain DCGAN after 2 epochs (lower is better): ${numbers}.`;
  return { family: entry.family, title, docPath, docUrl: new URL(`../../${docPath}`, manifestUrl).href, worse, summary,
           text: `${summary} See ${docPath}.` };
}
