// Ships a finished run as the zoo's model of its member: exports it into web/models/ (the file
// the manifest names for that member), rewrites the member's manifest entry from the file's own
// training record (so `make train-MEMBER` re-runs exactly the recorded commands), then measures it
// (scripts/eval-zoo.mjs --only MEMBER). Nothing is typed into the manifest by hand.
//   node scripts/ship.mjs RUN [--raw] [--file F] [--stopped] [--note TEXT] [--device TEXT] [--ganzoo BIN] [--no-eval]
// --raw      ship the live generator of a run that averages (recipe key ema): the ablation of
//            docs/averaging.md decides which one a member ships
// --file F   ship F, already exported from RUN elsewhere (a GPU machine's run comes back without
//            its checkpoints: scripts/gpu-zoo.sh); the recorded export is the one that made F
// --stopped  ship a run that a time limit stopped and that cannot be continued (a lend's run comes
//            back without checkpoints): the recipe is its command with `--set stop_step=STEPS`,
//            which ends a re-run at the same step on the same schedule (docs/gpu.md)
// --note     one sentence kept in the entry's training.note (what the recipe changed, and why)
// --device   how the manifest names the machine (default from the run's summary: cpu, threads,
//            BLAS); for a lent card, e.g. "cuda (NVIDIA H200, scripts/gpu-zoo.sh)"
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const fail = (m) => { process.stderr.write(`ship: error: ${m}\n`); process.exit(2); };
const args = process.argv.slice(2);
let run = null, raw = false, stopped = false, note = null, file = null, deviceNote = null, evaluate = true, ganzoo = join(root, 'build/native/bin/ganzoo');
for (let i = 0; i < args.length; ++i) {
  const a = args[i];
  if (a === '--raw') raw = true;
  else if (a === '--stopped') stopped = true;
  else if (a === '--no-eval') evaluate = false;
  else if (a === '--note' || a === '--ganzoo' || a === '--file' || a === '--device') {
    if (i + 1 >= args.length) fail(`${a} needs a value`);
    const value = args[++i];
    if (a === '--note') note = value; else if (a === '--device') deviceNote = value;
    else if (a === '--file') file = resolve(value); else ganzoo = resolve(value);
  } else if (a === '-h' || a === '--help') {
    const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
    console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).join('\n').replace(/^\/\/ ?/gm, ''));
    process.exit(0);
  } else if (a.startsWith('-')) fail(`unknown option '${a}' (use --raw, --file F, --stopped, --note TEXT, --device TEXT, --ganzoo BIN, --no-eval)`);
  else if (run) fail(`one run at a time (got '${run}' and '${a}')`);
  else run = a;
}
if (!run) fail('which run? usage: node scripts/ship.mjs RUN [--raw] [--file F] [--stopped] [--note TEXT] [--device TEXT] [--ganzoo BIN] [--no-eval]');
if (!existsSync(ganzoo)) fail(`${ganzoo}: not built (make build)`);
// ganzoo's own one-line error (it has printed it on stderr) ends the script with one more line.
function ganzooRun(args, stdio = ['ignore', 'pipe', 'inherit']) {
  try {
    return execFileSync(ganzoo, args, { cwd: root, encoding: 'utf8', stdio });
  } catch (e) {
    fail(`ganzoo ${args.join(' ')} failed (exit ${e.status ?? e.signal})`);
  }
}
const runDir = resolve(run);
const readJson = (path) => {
  try { return JSON.parse(readFileSync(path, 'utf8')); } catch (e) { fail(`${path}: ${e.message.split('\n')[0]}`); }
};
const config = readJson(join(runDir, 'config.json'));
const summary = existsSync(join(runDir, 'summary.json')) ? readJson(join(runDir, 'summary.json')) : null;
if (!summary) fail(`${run}: the run has not finished (continue it with --resume)`);
if (summary.interrupted && !stopped)
  fail(`${run}: the run was stopped at step ${summary.steps}: continue it with --resume, or ship it as it is with --stopped`);
if (stopped && !summary.interrupted) fail(`${run}: the run finished: drop --stopped`);
const family = config.family;
const manifestPath = join(root, 'web/models/manifest.json');
const manifest = readJson(manifestPath);
const entry = manifest.models.find((m) => m.family === family);
if (!entry) fail(`web/models/manifest.json has no '${family}' entry to replace`);
if (raw && !(Number(config.options?.ema) > 0)) fail(`${run} keeps no average (ema is off): --raw would ship the same generator`);

// The recorded command must run from the repository root: the run directory relative to it.
const runRel = relative(root, runDir);
if (runRel.startsWith('..')) fail(`${run}: not inside the repository (the recorded commands must run from its root)`);
const out = `web/models/${entry.file}`;
const exportArgs = ['export', runRel, ...(raw ? ['--raw'] : []), '-o', out];
// The safetensors header: the tensors' entries and __metadata__.ganzoo, the file's own document.
function header(path) {
  const buf = readFileSync(path);
  return JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8'));
}
// The file's training record, whole: `ganzoo info` cuts long strings for a terminal (a lend's
// recorded command runs past its 200 characters).
function trainingRecord(path) {
  try {
    return JSON.parse(header(path).__metadata__.ganzoo).training ?? {};
  } catch (e) {
    fail(`${path}: no ganzoo document in its header (${e.message.split('\n')[0]})`);
  }
}
// The weights' dtype from the safetensors header (the graph's own metadata is not a tensor).
function weightsDtype(path) {
  const kinds = new Set(Object.entries(header(path)).filter(([k]) => k !== '__metadata__').map(([, v]) => v.dtype));
  return kinds.size === 1 ? [...kinds][0] : [...kinds].sort().join('+');
}
let dtype;
if (file) {
  if (!existsSync(file)) fail(`${file}: not there`);
  // The file's own record must be this run's, and its generator the one asked for.
  const record = trainingRecord(file);
  if (typeof record.command !== 'string' || !record.command.includes(`--out ${runRel}`))
    fail(`${file}: its training record (${JSON.stringify(record.command)}) is not the run ${runRel}`);
  if ((record.generator === 'live') !== raw && Number(record.ema) > 0)
    fail(`${file} holds the ${record.generator} generator: ${raw ? 'drop --raw' : 'add --raw'} to ship it`);
  const verify = ganzooRun(['verify', file]);
  process.stdout.write(verify);
  copyFileSync(file, join(root, out));
} else {
  process.stderr.write(`ship: ganzoo ${exportArgs.join(' ')}\n`);
  const wrote = ganzooRun(exportArgs);
  process.stdout.write(wrote);
}
dtype = weightsDtype(join(root, out));

const t = trainingRecord(join(root, out));
if (typeof t.command !== 'string' || !t.command.includes(`--out ${runRel}`))
  fail(`${out}: its training record's command (${JSON.stringify(t.command)}) does not train into ${runRel}`);
const threads = summary.threads ?? config.options?.threads;
const device = deviceNote ?? (summary.device === 'cpu' || !summary.device
  ? `cpu (${threads ?? '?'} thread${threads === 1 ? '' : 's'} of ${cpus().length} cores, ${summary.blas?.includes('openblas') ? 'OpenBLAS' : summary.blas ?? 'BLAS'})`
  : summary.device_name ? `${summary.device} (${summary.device_name})` : summary.device);
// A run continued with --resume --epochs N (or --steps N): the recipe is its first command with
// the last length the resumes gave, since a resumed run at one thread equals an uninterrupted one
// bit for bit (tests/native/crash_resume.sh); every command that ran is kept beside it.
const commands = Array.isArray(t.commands) && t.commands.length ? t.commands : [t.command];
let recipe = t.command;
for (const later of commands.slice(1))
  for (const flag of ['--epochs', '--steps']) {
    const given = later.match(new RegExp(`(?:^| )${flag} (\\d+)(?= |$)`));
    if (!given) continue;
    const had = new RegExp(`(^| )${flag} \\d+(?= |$)`);
    recipe = had.test(recipe) ? recipe.replace(had, `$1${flag} ${given[1]}`) : recipe.replace(' --out ', ` ${flag} ${given[1]} --out `);
  }
// A stopped run: the same command, ended where the time limit ended it (the trainer's stop_step).
if (stopped) recipe = recipe.replace(' --out ', ` --set stop_step=${summary.steps} --out `);
entry.dtype = dtype;
entry.bytes = statSync(join(root, out)).size;
entry.training = {
  command: recipe,
  ...(commands.length > 1 ? { commands } : {}),
  export: `ganzoo ${exportArgs.join(' ')}`,
  epochs: Number.isInteger(t.epochs) ? t.epochs : Math.round(t.epochs * 100) / 100,
  steps: t.steps,
  batch: t.batch,
  device,
  wall_time_s: Math.round(t.wall_time_s),
  commit: t.commit,
  // What the file itself says it holds (ganzoo info: training.generator).
  generator: t.generator === 'average' ? `average (ema ${t.ema})` : t.generator === 'live' && Number(t.ema) > 0
    ? `live (export --raw; the run kept an average, ema ${t.ema})` : 'live (no average kept)',
  ...(note ? { note } : {}),
};
delete entry.metrics;  // measured below, from this file
writeFileSync(`${manifestPath}.tmp`, JSON.stringify(manifest, null, 2) + '\n');
renameSync(`${manifestPath}.tmp`, manifestPath);
console.log(`ship: ${family} <- ${runRel} (${entry.training.generator}), ${(entry.bytes / 1e6).toFixed(2)} MB, ` +
  `${entry.training.steps} steps, ${entry.training.wall_time_s} s on ${device}`);
if (evaluate)
  try {
    execFileSync(process.execPath, [join(root, 'scripts/eval-zoo.mjs'), '--ganzoo', ganzoo, '--only', family], { cwd: root, stdio: 'inherit' });
  } catch (e) {
    fail(`shipped, but the measurement failed (exit ${e.status}): run node scripts/eval-zoo.mjs --only ${family}`);
  }
