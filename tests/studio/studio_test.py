#!/usr/bin/env python3
"""The native studio under Xvfb (Mesa's software OpenGL), driven by its --script option.

  studio_test.py --studio BIN --models DIR [--ganzoo BIN] [--make-models BIN] [--keep DIR]

Checks, on the screenshots' pixels (PNG decoded here, standard library only):
  - the window is not blank and shows Dear ImGui windows (title bars, widgets in ImGui's colours);
  - the grid region holds varied pixels, and a scripted click on "Randomize", then the R key,
    each change it (and the seed);
  - grid cell 0 for seed 7 is what `ganzoo sample --seed 7 -n 1` writes (with --ganzoo);
  - a conditional model without a class chosen gets the core's rows (one per class, as `ganzoo
    sample`), with a class a plain grid, cell 0 the CLI's pixels either way (with --ganzoo);
  - the settings file remembers the model and the seed for the next start;
  - with --make-models (files from ganzoo_make_studio_models): ProGAN's resolution stages change the
    generated size, CycleGAN's panel shows the input, its translation and the cycle back;
  - --follow RUN follows a run as `ganzoo train --live` writes it (its live/latest.safetensors
    replaced by rename): nothing there yet, then a snapshot, then another (the grid redrawn in
    place, cell 0 what that file draws, seed and image count kept), a truncated one (no crash, the
    model shown stays), the run folder deleted (the model stays), the run back (its snapshot loads);
  - a model switch while a grid is generating drops that grid: the CycleGAN file picked during
    ProGAN's grid shows its translation panel, and ProGAN's grid is never shown (shipped files);
  - --help and -h print the usage and exit 0; a bad option is one line on stderr and exit 2;
  - the model card shows metrics as a table of rounded values (FD-FMNIST 8.94, class accuracy
    91.9 %), from the manifest and from the file, with no long digit runs;
  - the model card of a member below the project's baseline (the manifest's "baseline": BEGAN)
    says so, with its numbers against the bar's and its page; DCGAN, cGAN and CycleGAN's do not;
  - the truncation slider (a scripted click on it) and set:truncation=0.4 change the grid and the
    interpolation strip to what `ganzoo sample --trunc` and `ganzoo interpolate --trunc` write
    (with --ganzoo); a psi outside 0..1 is refused;
  - the model list holds only what the studio draws: the classifier, or a file that does not
    load, in the folder is not listed but named with why (the shipped folder, and one without
    a manifest);
  - the Project panel (with --ganzoo): a 28x28 PNG (`ganzoo sample --seed 3`) loaded as the target
    and projected with seed 1, 40 steps, 2 starts gives the z of `ganzoo project` with the same
    options and classifier, bit for bit; the loss fell and the panel reports every step; the
    interpolation strip then runs from the projected image (`ganzoo sample --z projection.json`)
    to the focus cell (cell 0); the panel with its images is on screen;
The studio runs on one Xvfb server that this test starts itself (-displayfd: the server picks a
free display and reports it; no auth file, no temporary folder). xvfb-run is not used: its
cleanup, `rm -r` of its temporary folder, once failed after the studio had exited and turned the
studio's exit status 1 into its own 5 (CI, 2026-12-04).
Exit 0: all pass; 77: skipped (no Xvfb).
"""
import argparse
import ctypes
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib


def read_png(path):
    """(width, height, rows of RGBA tuples) for 8-bit non-interlaced PNGs (grey, RGB, RGBA)."""
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', f'{path}: not a PNG'
    pos, idat, width = 8, b'', None
    while pos < len(data):
        (length,) = struct.unpack('>I', data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b'IHDR':
            width, height, depth, ctype, _, _, interlace = struct.unpack('>IIBBBBB', body)
            assert depth == 8 and interlace == 0 and ctype in (0, 2, 4, 6), f'{path}: unsupported PNG'
        elif kind == b'IDAT':
            idat += body
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        px = []
        for x in range(width):
            v = line[x * channels:(x + 1) * channels]
            if channels == 1:
                px.append((v[0], v[0], v[0], 255))
            elif channels == 2:
                px.append((v[0], v[0], v[0], v[1]))
            elif channels == 3:
                px.append((v[0], v[1], v[2], 255))
            else:
                px.append(tuple(v))
        rows.append(px)
    return width, height, rows


def region(rows, rect):
    x, y, w, h = (int(round(v)) for v in rect)
    return [p for row in rows[y:y + h] for p in row[x:x + w]]


def spread(pixels):
    """Standard deviation of the grey level."""
    g = [(p[0] + p[1] + p[2]) / 3 for p in pixels]
    m = sum(g) / len(g)
    return (sum((v - m) ** 2 for v in g) / len(g)) ** 0.5


def count_near(pixels, colour, tol=4):
    return sum(1 for p in pixels if all(abs(p[i] - colour[i]) <= tol for i in range(3)))


def mean_abs_diff(a, b):
    assert len(a) == len(b)
    return sum(abs(p[i] - q[i]) for p, q in zip(a, b) for i in range(3)) / (3 * len(a))


failures = []


def check(ok, what):
    print(('ok    ' if ok else 'FAIL  ') + what)
    if not ok:
        failures.append(what)


class Display:
    """One Xvfb (1280x800, 24 bits) for the whole test, in its own process group. Xvfb picks a
    free display number itself and writes it to the -displayfd pipe once it accepts clients."""

    def __init__(self):
        self.server = None
        self.env = None

    def start(self, timeout=60):
        r, w = os.pipe()

        def die_with_the_test():  # PR_SET_PDEATHSIG: Xvfb ends even when this test is killed (a CTest timeout)
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)

        self.server = subprocess.Popen(['Xvfb', '-displayfd', str(w), '-screen', '0', '1280x800x24',
                                        '-nolisten', 'tcp', '-noreset'], pass_fds=(w,), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                                       preexec_fn=die_with_the_test)
        os.close(w)
        number, start = b'', time.time()
        try:
            while not number.endswith(b'\n') and time.time() - start < timeout:
                ready, _, _ = select.select([r], [], [], 0.5)
                if ready:
                    chunk = os.read(r, 64)
                    if not chunk:
                        break
                    number += chunk
        finally:
            os.close(r)
        if not number.strip().isdigit():
            self.stop()
            err = self.server.stderr.read().decode(errors='replace').strip().splitlines()
            raise SystemExit(f'FAIL  Xvfb did not start ({err[-1] if err else "no output"})')
        self.env = dict(os.environ, DISPLAY=':' + number.decode().strip())
        self.env.pop('XAUTHORITY', None)

    def stop(self):
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait()


display = Display()


def studio_cmd(studio, *options):
    return [studio, '--size', '1280x800', '--scale', '1', *options]


def run_studio(args, studio, script, ini, *extra):
    cmd = studio_cmd(studio, '--ini', ini, '--script', script, *extra)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=display.env)
    if r.returncode != 0:
        print(r.stdout, r.stderr, sep='\n')
        raise SystemExit(f'FAIL  ganzoo-studio exited with {r.returncode}: {" ".join(cmd)}')


def imgui_windows(rows, name):
    """The screenshot is not blank and has ImGui's dark-style windows."""
    pixels = [p for row in rows for p in row]
    check(spread(pixels) > 10, f'{name}: not blank (grey spread {spread(pixels):.1f})')
    title_active = count_near(pixels, (41, 74, 122))     # ImGuiCol_TitleBgActive
    title = count_near(pixels, (10, 10, 10), 2)          # ImGuiCol_TitleBg
    widget = count_near(pixels, (66, 150, 250), 6)       # slider grabs, checks (ImGuiCol_SliderGrab..)
    frame = count_near(pixels, (41, 74, 122), 6) + count_near(pixels, (29, 47, 73), 4)  # frame backgrounds
    check(title_active > 500 and title > 2000, f'{name}: ImGui title bars (active {title_active}, others {title} px)')
    check(widget > 50 and frame > 1000, f'{name}: ImGui widgets ({widget} accent px, {frame} frame px)')


def same_pixels(a, b):
    """Max channel difference of two PNGs of the same size (255 when their sizes differ)."""
    (aw, ah, ar), (bw, bh, br) = read_png(a), read_png(b)
    if (aw, ah) != (bw, bh):
        return 255
    return max(abs(p[i] - q[i]) for r1, r2 in zip(ar, br) for p, q in zip(r1, r2) for i in range(3))


def replace_atomically(path, data):
    """As the trainer writes live/: the new file beside the old, renamed over it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)


def follow_test(args, tmp):
    """--follow on a run folder whose live/ files this test writes, as the trainer would."""
    shot = lambda n: os.path.join(tmp, n)
    first = open(os.path.join(args.models, 'dcgan.safetensors'), 'rb').read()
    second = open(os.path.join(args.models, 'wgan-gp.safetensors'), 'rb').read()
    # What each file draws in the studio on its own: cell 0 of seed 7.
    for name, ref in (('dcgan.safetensors', 'ref-first.png'), ('wgan-gp.safetensors', 'ref-second.png')):
        run_studio(args, args.studio, f'wait;dump:{shot(ref)};quit', shot('follow-ref.ini'), '--models', args.models,
                   '--model', name, '--seed', '7', '--no-remember')
    run = shot('run')
    live = os.path.join(run, 'live')

    def snapshot(data, step):
        replace_atomically(os.path.join(live, 'latest.safetensors'), data)
        status = {'state': 'training', 'step': step, 'steps': 100, 'epoch': 1, 'epochs': 5, 'eta_s': 42,
                  'losses': {'loss_d': 0.5, 'loss_g': 1.25}, 'snapshot': {'step': step, 'bytes': len(data)}}
        replace_atomically(os.path.join(live, 'status.json'), json.dumps(status).encode())

    script = ';'.join([
        'frames:3', 'follow:state=missing', f'shot:{shot("w.png")}',
        'follow:snapshots=1', 'set:count=16', 'wait', f'dump:{shot("fa0.png")}', f'shot:{shot("fa.png")}',
        'follow:snapshots=2', 'wait', f'dump:{shot("fb0.png")}', f'shot:{shot("fb.png")}',
        'follow:failures=1', 'wait', f'dump:{shot("fc0.png")}', f'shot:{shot("fc.png")}',
        'follow:state=missing', f'dump:{shot("fe0.png")}', f'shot:{shot("fe.png")}',
        'follow:snapshots=3', 'wait', f'dump:{shot("fd0.png")}', f'shot:{shot("fd.png")}', 'quit'])
    cmd = studio_cmd(args.studio, '--no-remember', '--models', args.models, '--seed', '7', '--follow', run,
                     '--script', script)
    # Its own process group: the studio ends if this test gives up on it.
    studio = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
                              env=display.env)

    def state(name, timeout=60):
        """The studio's state beside screenshot `name`, once it has written it (after the dump
        the script names before the shot)."""
        path, start = shot(name + '.json'), time.time()
        while time.time() - start < timeout and studio.poll() is None:
            try:
                return json.load(open(path))
            except (OSError, ValueError):
                time.sleep(0.05)
        try:
            return json.load(open(path))
        except (OSError, ValueError):
            check(False, f'--follow: the studio reached {name} (exit status {studio.poll()})')
            return None

    try:
        w = state('w.png')
        if not w:
            return
        check(w['follow']['state'] == 'missing' and w['model'] == '' and w['follow']['snapshots'] == 0,
              f'--follow, no run folder yet: waiting, nothing loaded ({w["follow"]})')
        snapshot(first, 10)
        a = state('fa.png')
        if not a:
            return
        check(a['follow']['snapshots'] == 1 and a['follow']['step'] == 10 and a['model'].startswith('Live: '),
              f'the first snapshot is on screen ({a["model"]}, {a["follow"]})')
        check(same_pixels(shot('fa0.png'), shot('ref-first.png')) == 0, 'cell 0 of the first snapshot is what its file draws')
        snapshot(second, 20)
        b = state('fb.png')
        if not b:
            return
        grid_a, grid_b = region(read_png(shot('fa.png'))[2], a['widgets']['grid']), region(read_png(shot('fb.png'))[2], b['widgets']['grid'])
        d = mean_abs_diff(grid_a, grid_b) if len(grid_a) == len(grid_b) else 255
        check(b['follow']['snapshots'] == 2 and d > 5, f'a new snapshot redraws the grid (mean |diff| {d:.1f})')
        check(same_pixels(shot('fb0.png'), shot('ref-second.png')) == 0, 'cell 0 of the new snapshot is what the new file draws')
        check(b['seed'] == 7 and b['grid']['count'] == 16, f'the reload keeps the seed and the image count ({b["seed"]}, {b["grid"]["count"]})')
        replace_atomically(os.path.join(live, 'latest.safetensors'), first[:len(first) // 2])
        c = state('fc.png')
        if not c:
            return
        check(c['follow']['failures'] >= 1 and c['follow']['snapshots'] == 2 and 'did not load' in c['follow']['problem'],
              f'a truncated snapshot is refused ({c["follow"]["problem"]})')
        check(same_pixels(shot('fc0.png'), shot('fb0.png')) == 0, 'after a truncated snapshot the model shown stays')
        shutil.rmtree(run)
        e = state('fe.png')
        if not e:
            return
        check(same_pixels(shot('fe0.png'), shot('fb0.png')) == 0 and e['model'] == b['model'],
              'the run folder deleted: the model shown stays')
        snapshot(first, 30)  # the run resumed
        f = state('fd.png')
        if not f:
            return
        check(f['follow']['snapshots'] == 3 and f['follow']['step'] == 30, f'the resumed run\'s snapshot loads ({f["follow"]})')
        check(same_pixels(shot('fd0.png'), shot('ref-first.png')) == 0, 'cell 0 is the resumed run\'s file\'s')
        try:
            code = studio.wait(timeout=60)
        except subprocess.TimeoutExpired:
            code = None
        check(code == 0, f'the studio following the run exits 0 at the end of its script ({code})')
    finally:
        if studio.poll() is None:
            os.killpg(studio.pid, signal.SIGKILL)
        out = studio.communicate()[0]
        if failures:
            print(out)


def options_test(args):
    """--help (and -h) print the usage on stdout and exit 0 without opening a window; a bad option
    is a one-line error and exit status 2."""
    for flag in ('--help', '-h'):
        r = subprocess.run([args.studio, flag], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and r.stdout.startswith('usage: ganzoo-studio') and '--models DIR' in r.stdout
              and r.stderr == '', f'ganzoo-studio {flag}: the usage, exit 0 ({r.returncode}, {r.stderr.strip()!r})')
    for bad, says in ((['--bogus'], 'unknown option --bogus'), (['--seed'], '--seed needs a value'),
                      (['--seed', 'x'], "--seed 'x'")):
        r = subprocess.run([args.studio, *bad], capture_output=True, text=True, timeout=60)
        lines = r.stderr.strip().split('\n')
        check(r.returncode == 2 and len(lines) == 1 and says in lines[0],
              f'ganzoo-studio {" ".join(bad)}: one line, exit 2 ({r.returncode}, {r.stderr.strip()!r})')


def list_test(args, tmp):
    """The model list holds what the studio can draw: a file of the folder with no generator (the
    classifier: one net on images) or one that does not load is not listed, but named with why."""
    shot = lambda n: os.path.join(tmp, n)
    classifier = os.path.join(args.models, 'classifier.safetensors')
    if os.path.exists(classifier):
        run_studio(args, args.studio, f'wait;shot:{shot("l0.png")};quit', shot('list.ini'), '--models', args.models,
                   '--model', 'dcgan.safetensors', '--no-remember')
        state = json.load(open(shot('l0.png.json')))
        why = {os.path.basename(l['path']): l['why'] for l in state['left_out']}
        check('classifier.safetensors' not in state['models'] and 'DCGAN · Fashion-MNIST' in state['models'],
              f'--models {args.models}: the generators are listed, not the classifier ({state["models"]})')
        check('no generator' in why.get('classifier.safetensors', ''), f'the classifier is named as left out ({why})')
    else:
        print('skip  the shipped classifier is not listed (no classifier.safetensors in --models)')
    if not args.make_models:
        return
    # A folder without a manifest: every file is checked.
    folder = shot('mixed')
    os.makedirs(folder)
    subprocess.run([args.make_models, folder], check=True, capture_output=True)
    dcgan = open(os.path.join(args.models, 'dcgan.safetensors'), 'rb').read()
    open(os.path.join(folder, 'truncated.safetensors'), 'wb').write(dcgan[:len(dcgan) // 2])
    if os.path.exists(classifier):
        shutil.copy(classifier, os.path.join(folder, 'classifier.safetensors'))
    run_studio(args, args.studio, f'wait;shot:{shot("l1.png")};quit', shot('list.ini'), '--models', folder, '--no-remember')
    state = json.load(open(shot('l1.png.json')))
    why = {os.path.basename(l['path']): l['why'] for l in state['left_out']}
    check(state['models'] == ['cyclegan-test.safetensors', 'progan-test.safetensors'],
          f'a folder without a manifest: its ProGAN and CycleGAN files are listed, nothing else ({state["models"]})')
    check(why.get('truncated.safetensors', '') != '' and
          (not os.path.exists(classifier) or 'no generator' in why.get('classifier.safetensors', '')),
          f'the truncated file and the classifier are named with why ({why})')


def card_test(args, tmp):
    """The model card's metrics are a table of names and rounded values (the manifest's
    8.940413595584033 is "FD-FMNIST 8.94"), no long digit runs anywhere on the card."""
    shot = lambda n: os.path.join(tmp, n)
    models = ('dcgan', 'cgan', 'cyclegan', 'began')
    if not all(os.path.exists(os.path.join(args.models, f'{m}.safetensors')) for m in models):
        print('skip  the model card of the shipped models (not in --models)')
        return
    script = ';'.join(f'set:model={m}.safetensors;wait;shot:{shot(f"card-{m}.png")}' for m in models) + ';quit'
    run_studio(args, args.studio, script, shot('card.ini'), '--models', args.models, '--no-remember')
    cards = {m: json.load(open(shot(f'card-{m}.png.json'))).get('card', {}) for m in models}
    # The rows expected, rounded here from the manifest's full numbers (a re-shipped member
    # changes them; the rounding is what is tested).
    shipped = {e['family']: e.get('metrics', {}) for e in json.load(open(os.path.join(args.models, 'manifest.json')))['models']}
    d, c, y = shipped['dcgan'], shipped['cgan'], shipped['cyclegan']
    expect = {'dcgan': [['FD-FMNIST', f"{d['fd_fmnist']:.2f}"], ['SWD', f"{d['swd_average']:.1f}"],
                        ['IS', f"{d['inception_score']:.2f}"], ['classifier test accuracy', f"{100 * d['classifier_test_accuracy']:.1f} %"]],
              'cgan': [['FD-FMNIST', f"{c['fd_fmnist']:.2f}"], ['class accuracy', f"{100 * c['class_accuracy']:.1f} %"]],
              'cyclegan': [['FD, G_AB(A) to B', f"{y['fd_ab']:.2f}"], ['cycle L1, A', f"{y['cycle_l1_a']:.4f}"],
                           ['G_AB(A) classed as B', f"{100 * y['target_fraction_ab']:.1f} %"]]}
    for m, rows in expect.items():
        table = cards[m].get('manifest_metrics', [])
        check(all(r in table for r in rows), f'{m}: the card\'s metrics table has {rows} ({table})')
        texts = [v for part in cards[m].values() for row in (part if isinstance(part, list) else [[part]]) for v in row]
        long = [v for v in texts if re.search(r'\d{6,}', v)]
        check(not long and all(len(row[1]) <= 24 for row in table), f'{m}: no long digit runs on the card ({long})')
    # The baseline notice, worked out here from the manifest: a member worse than the bar on
    # FD-FMNIST or the SWD average says so; the others say nothing.
    manifest = json.load(open(os.path.join(args.models, 'manifest.json')))
    bar = manifest.get('baseline', {})
    for m in models:
        metrics = next(e for e in manifest['models'] if e['family'] == m).get('metrics', {})
        worse = [f'{name} {metrics[k]:.{d}f} against {bar[k]:.{d}f}' for k, name, d in
                 (('fd_fmnist', 'FD-FMNIST', 2), ('swd_average', 'SWD', 1)) if k in metrics and k in bar and metrics[k] > bar[k]]
        want = ('Below the project\'s baseline, a plain DCGAN after 2 epochs (lower is better): ' + ', '.join(worse) +
                f'. See docs/members/{m}.md in the repository.') if worse else ''
        check(cards[m].get('notice') == want, f'{m}: the card\'s baseline notice is {want!r} ({cards[m].get("notice")!r})')
    check(bool(cards['began'].get('notice')), 'BEGAN, below the baseline, has a notice on its card')


def switch_test(args, tmp):
    """A model switch while a grid is generating: the grid of the model left is dropped, never
    shown for the new one. ProGAN (shipped, ~10 ms an image here) starts a 256-image grid; one
    frame later the CycleGAN file is picked: its translation panel shows, and no grid."""
    shot = lambda n: os.path.join(tmp, n)
    if not all(os.path.exists(os.path.join(args.models, f)) for f in ('progan.safetensors', 'cyclegan.safetensors')):
        print('skip  model switch during a grid (no shipped progan/cyclegan in --models)')
        return
    # The shot right after set:model is drawn in the frame of the switch: the grids shown until then
    # were ProGAN's, for ProGAN (its first 64-image grid may land after s0 on a loaded machine).
    script = ';'.join(['set:count=256', f'shot:{shot("s0.png")}', 'set:model=cyclegan.safetensors',
                       f'shot:{shot("switch.png")}', 'wait', 'frames:30', 'wait', f'shot:{shot("s1.png")}', 'quit'])
    run_studio(args, args.studio, script, shot('switch.ini'), '--models', args.models, '--model', 'progan.safetensors',
               '--no-remember')
    before, after = json.load(open(shot('s0.png.json'))), json.load(open(shot('s1.png.json')))
    switched = json.load(open(shot('switch.png.json')))
    check(before['model'].startswith('ProGAN') and before['busy'] and before['generations'] == 0,
          f'the switch comes while ProGAN\'s grid is generating ({before["model"]}, busy {before["busy"]}, '
          f'{before["generations"]} grids shown)')
    check(after['model'].startswith('CycleGAN') and 'cycle' in after['widgets'] and 'grid' not in after['widgets'],
          f'after the switch the CycleGAN panel shows, no grid ({after["model"]}, widgets {sorted(after["widgets"])})')
    check(switched['model'].startswith('CycleGAN') and after['generations'] == switched['generations'],
          f'the grid of the model left is never shown ({after["generations"] - switched["generations"]} grids shown '
          f'after the switch to {switched["model"]})')
    if 'cycle' in after['widgets']:
        pixels = region(read_png(shot('s1.png'))[2], after['widgets']['cycle'])
        check(spread(pixels) > 20, f'the translation panel is drawn (spread {spread(pixels):.1f})')


def truncation_test(args, tmp):
    """The truncation trick: a scripted click on the slider (ImGui's own input), then
    set:truncation=0.4; grid cell 0 and the interpolation strip (cells 0 to 1, 10 slerp frames)
    against the CLI's --trunc, and psi 1's images against the CLI without it."""
    shot = lambda n: os.path.join(tmp, n)
    model = os.path.join(args.models, 'dcgan.safetensors')
    script = ';'.join(['wait', f'dump:{shot("u0.png")}', f'strip:{shot("us.png")}', f'shot:{shot("u.png")}',
                       'click:truncation', 'wait', f'dump:{shot("k0.png")}', f'strip:{shot("ks.png")}', f'shot:{shot("k.png")}',
                       'set:truncation=0.4', 'wait', f'dump:{shot("t0.png")}', f'strip:{shot("ts.png")}', f'shot:{shot("t.png")}', 'quit'])
    run_studio(args, args.studio, script, shot('trunc.ini'), '--models', args.models, '--model', 'dcgan.safetensors',
               '--seed', '7', '--no-remember')
    u, k, t = (json.load(open(shot(f'{n}.png.json'))) for n in 'ukt')
    clicked = round(k['truncation'] * 20) / 20
    check(u['truncation'] == 1 and 0 < clicked < 1 and abs(k['truncation'] - clicked) < 1e-6 and abs(t['truncation'] - 0.4) < 1e-6,
          f'the slider moves psi in steps of 0.05, set:truncation sets it ({u["truncation"]} -> {k["truncation"]} -> {t["truncation"]})')
    check(same_pixels(shot('u0.png'), shot('k0.png')) > 0, 'a click on the truncation slider changes cell 0')
    check(same_pixels(shot('us.png'), shot('ks.png')) > 0, 'a click on the truncation slider changes the interpolation')
    bad = subprocess.run(studio_cmd(args.studio, '--no-remember', '--models', args.models, '--model', 'dcgan.safetensors',
                                    '--script', 'wait;set:truncation=1.5;quit'),
                         capture_output=True, text=True, timeout=600, env=display.env)
    check(bad.returncode == 1 and "cannot set 'truncation=1.5'" in bad.stderr,
          f'set:truncation=1.5 is refused ({bad.returncode}, {bad.stderr.strip()!r})')
    if not args.ganzoo:
        print('skip  the truncated pixels against ganzoo sample/interpolate --trunc (no --ganzoo)')
        return
    for psi, cell, strip in ((None, 'u0.png', 'us.png'), (clicked, 'k0.png', 'ks.png'), (0.4, 't0.png', 'ts.png')):
        trunc = ['--trunc', f'{psi:g}'] if psi is not None else []
        said = ' '.join(['', *trunc])
        ref, walk = shot(f'ref-trunc-{psi}.png'), shot(f'ref-walk-{psi}.png')
        subprocess.run([args.ganzoo, 'sample', model, '--seed', '7', '-n', '1', *trunc, '-o', ref], check=True, capture_output=True)
        subprocess.run([args.ganzoo, 'interpolate', model, '--from', '7:0', '--to', '7:1', '--steps', '10', '--slerp', *trunc,
                        '-o', walk], check=True, capture_output=True)
        check(same_pixels(shot(cell), ref) == 0, f'cell 0 at psi {psi or 1} = `ganzoo sample --seed 7 -n 1{said}`')
        (sw, sh, srows), (rw, rh, rrows) = read_png(shot(strip)), read_png(walk)
        frames = sw // sh if sh else 0
        diff = 255 if frames != 10 or rw != 10 * sh + 9 * 2 else max(
            abs(srows[y][f * sh + x][i] - rrows[y][f * (sh + 2) + x][i])
            for f in range(10) for y in range(sh) for x in range(sh) for i in range(3))
        check(diff == 0, f'the interpolation strip at psi {psi or 1} = `ganzoo interpolate --from 7:0 --to 7:1 --steps 10 --slerp'
              f'{said}` ({frames} frames, max diff {diff}/255)')


def project_test(args, tmp):
    """The Project panel against `ganzoo project`: the same core, so the same z bit for bit."""
    if not args.ganzoo:
        print('skip  the Project panel against ganzoo project (no --ganzoo: built without LibTorch)')
        return
    shot = lambda n: os.path.join(tmp, n)
    model = os.path.join(args.models, 'dcgan.safetensors')
    target, out = shot('proj-target.png'), shot('proj-cli')
    subprocess.run([args.ganzoo, 'sample', model, '--seed', '3', '-n', '1', '-o', target], check=True, capture_output=True)
    subprocess.run([args.ganzoo, 'project', model, '--target', target, '--steps', '40', '--seed', '1', '--starts', '2',
                    '--classifier', os.path.join(args.models, 'classifier.safetensors'), '-o', out], check=True,
                   capture_output=True)
    cli = json.load(open(os.path.join(out, 'projection.json')))
    script = ';'.join(['wait', f'target:{target}', 'project:steps=40,seed=1,starts=2', 'wait', f'zdump:{shot("proj-z.json")}',
                       'click:Interpolate from projection', 'wait', f'dump:{shot("proj-cell0.png")}',
                       f'strip:{shot("proj-strip.png")}', f'shot:{shot("proj.png")}', 'quit'])
    run_studio(args, args.studio, script, shot('proj.ini'), '--models', args.models, '--model', 'dcgan.safetensors',
               '--seed', '7', '--no-remember')
    z = json.load(open(shot('proj-z.json')))
    state = json.load(open(shot('proj.png.json')))
    same = z['z'] == cli['z']
    diff = max(abs(a - b) for a, b in zip(z['z'], cli['z'])) if len(z['z']) == len(cli['z']) else float('inf')
    check(same and z['perceptual'] and z['start'] == cli['start'],
          f'the studio\'s projected z = `ganzoo project --steps 40 --seed 1 --starts 2` ({len(z["z"])} values, '
          f'max |diff| {diff:g}, start {z["start"]} vs {cli["start"]}, perceptual {z["perceptual"]})')
    check(z['losses'] == cli['losses'] and z['loss']['final'] < 0.5 * z['loss']['initial'],
          f'its loss fell as the CLI\'s did ({z["loss"]["initial"]:.4g} -> {z["loss"]["final"]:.4g}, '
          f'CLI {cli["loss"]["initial"]["total"]:.4g} -> {cli["loss"]["final"]["total"]:.4g})')
    p = state['projection']
    check(p['steps_done'] == 40 and not p['running'] and p['interpolating'] and p['classifier'] and p['note'].startswith('loaded'),
          f'the panel reports the run ({p})')
    w = state['widgets']
    check(all(k in w for k in ('canvas', 'projection', 'Project', 'loss')), f'the panel is on screen ({sorted(w)})')
    # The strip: from the projection (what `sample --z projection.json` draws) to cell 0.
    ref = shot('proj-ref.png')
    subprocess.run([args.ganzoo, 'sample', model, '--z', os.path.join(out, 'projection.json'), '-o', ref], check=True,
                   capture_output=True)
    (sw, sh, srows), (rw, rh, rrows), (cw, chh, crows) = read_png(shot('proj-strip.png')), read_png(ref), read_png(shot('proj-cell0.png'))
    first = max(abs(srows[y][x][i] - rrows[y][x][i]) for y in range(sh) for x in range(sh) for i in range(3)) \
        if (rw, rh) == (sh, sh) else 255
    last = max(abs(srows[y][sw - sh + x][i] - crows[y][x][i]) for y in range(sh) for x in range(sh) for i in range(3)) \
        if (cw, chh) == (sh, sh) else 255
    check(first == 0 and last == 0, f'the interpolation runs from the projection to the focus cell (first frame vs '
          f'`sample --z`: max diff {first}/255, last vs cell 0: {last}/255)')
    pixels = region(read_png(shot('proj.png'))[2], w['projection'])
    check(spread(pixels) > 20, f'the projected image is on screen (spread {spread(pixels):.1f})')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--studio', required=True)
    ap.add_argument('--models', required=True, help='the shipped models folder (web/models)')
    ap.add_argument('--ganzoo', help='the CLI, for the same-pixels check')
    ap.add_argument('--make-models', help='ganzoo_make_studio_models: ProGAN- and CycleGAN-shaped test files')
    ap.add_argument('--keep', help='copy the screenshots here')
    args = ap.parse_args()
    if not shutil.which('Xvfb'):
        print('skip: no Xvfb (scripts/install-deps.sh installs xvfb)')
        return 77
    display.start()
    model = os.path.join(args.models, 'dcgan.safetensors')
    options_test(args)
    tmp = tempfile.mkdtemp(prefix='ganzoo-studio-')
    ini = os.path.join(tmp, 'studio.ini')
    shot = lambda n: os.path.join(tmp, n)
    try:
        script = ';'.join(['wait', f'shot:{shot("a.png")}', f'dump:{shot("cell0.png")}', 'click:Randomize', 'wait',
                           f'shot:{shot("b.png")}', 'key:R', 'wait', f'shot:{shot("c.png")}', 'quit'])
        run_studio(args, args.studio, script, ini, '--models', args.models, '--model', 'dcgan.safetensors', '--seed', '7')
        states = {n: json.load(open(shot(n + '.png.json'))) for n in 'abc'}
        images = {n: read_png(shot(n + '.png'))[2] for n in 'abc'}
        imgui_windows(images['a'], 'first screenshot')
        grid = states['a']['widgets'].get('grid')
        check(grid is not None and grid[2] > 200 and grid[3] > 200, f'the grid is on screen ({grid})')
        cells = {n: region(images[n], grid) for n in 'abc'}
        check(spread(cells['a']) > 30, f'the grid shows varied pixels (spread {spread(cells["a"]):.1f})')
        check(states['a']['seed'] == 7 and states['b']['seed'] != 7 and states['c']['seed'] != states['b']['seed'],
              f'Randomize and R change the seed ({states["a"]["seed"]} -> {states["b"]["seed"]} -> {states["c"]["seed"]})')
        d_ab, d_bc = mean_abs_diff(cells['a'], cells['b']), mean_abs_diff(cells['b'], cells['c'])
        check(d_ab > 10, f'a click on Randomize changes the grid (mean |diff| {d_ab:.1f})')
        check(d_bc > 10, f'the R key changes the grid (mean |diff| {d_bc:.1f})')
        check(states['c']['generations'] >= 3, f'three grids were generated ({states["c"]["generations"]})')

        # Same core, same pixels: cell 0 of seed 7 against the CLI.
        if args.ganzoo:
            ref = shot('ref.png')
            subprocess.run([args.ganzoo, 'sample', model, '--seed', '7', '-n', '1', '-o', ref], check=True,
                           capture_output=True)
            rw, rh, rrows = read_png(ref)
            cw, ch, crows = read_png(shot('cell0.png'))
            same_size = (rw, rh) == (cw, ch)
            diff = max(abs(p[i] - q[i]) for r1, r2 in zip(rrows, crows) for p, q in zip(r1, r2) for i in range(3)) \
                if same_size else 255
            check(same_size and diff == 0, f'cell 0 of seed 7 = `ganzoo sample --seed 7 -n 1` ({cw}x{ch}, max diff {diff}/255)')
        else:
            print('skip  same pixels as ganzoo sample (no --ganzoo: built without LibTorch)')

        # A conditional model with no class chosen (the label left out): the core's grid plan, one
        # row per class of 10 columns, as `ganzoo sample` draws it; a class chosen: a plain grid
        # of that class. Cell 0 is the CLI's pixels either way.
        if args.ganzoo:
            cgan = os.path.join(args.models, 'cgan.safetensors')
            script = ';'.join(['wait', f'shot:{shot("g.png")}', f'dump:{shot("g0.png")}', 'set:class=3', 'wait',
                               f'shot:{shot("h.png")}', f'dump:{shot("h0.png")}', 'quit'])
            run_studio(args, args.studio, script, os.path.join(tmp, 'cgan.ini'), '--models', args.models, '--model',
                       'cgan.safetensors', '--seed', '7', '--no-remember')
            g, h = json.load(open(shot('g.png.json')))['grid'], json.load(open(shot('h.png.json')))['grid']
            check((g['count'], g['columns'], g['description']) == (100, 10, 'one row per class'),
                  f'cGAN, no class chosen: one row per class ({g})')
            check(h['count'] == 64 and h['description'] == '', f'cGAN, class 3: a plain grid of 64 ({h})')
            for cell, label in (('g0.png', '0'), ('h0.png', '3')):
                ref = shot(f'ref-{label}.png')
                subprocess.run([args.ganzoo, 'sample', cgan, '--seed', '7', '--label', label, '-n', '1', '-o', ref],
                               check=True, capture_output=True)
                rrows, crows = read_png(ref)[2], read_png(shot(cell))[2]
                diff = max(abs(p[i] - q[i]) for r1, r2 in zip(rrows, crows) for p, q in zip(r1, r2) for i in range(3))
                check(diff == 0, f'cGAN cell 0 ({cell}) = `ganzoo sample --label {label} -n 1` (max diff {diff}/255)')

        # Remembered: the model and the last seed come back from the settings file.
        text = open(ini).read()
        check(f'seed={states["c"]["seed"]}' in text and 'model=DCGAN' in text, 'the settings file holds the model and the seed')
        run_studio(args, args.studio, f'wait;shot:{shot("d.png")};quit', ini, '--models', args.models)
        d = json.load(open(shot('d.png.json')))
        check(d['seed'] == states['c']['seed'] and d['model'] == states['c']['model'],
              f'a new start restores model and seed ({d["model"]}, {d["seed"]})')

        if args.make_models:
            extra = os.path.join(tmp, 'extra')
            os.makedirs(extra)
            subprocess.run([args.make_models, extra], check=True, capture_output=True)
            script = ';'.join(['wait', f'dump:{shot("p28.png")}', 'set:stage=G_4x4', 'wait', f'dump:{shot("p4.png")}',
                               'set:stage=G_8x8', 'wait', f'dump:{shot("p8.png")}', 'set:model=cyclegan-test.safetensors',
                               'wait', f'shot:{shot("e.png")}', 'set:domain=1', 'wait', f'shot:{shot("f.png")}', 'quit'])
            run_studio(args, args.studio, script, os.path.join(tmp, 'extra.ini'), '--models', extra, '--model',
                       'progan-test.safetensors', '--no-remember')
            sizes = [read_png(shot(f'p{s}.png'))[:2] for s in (28, 4, 8)]
            check(sizes == [(28, 28), (4, 4), (8, 8)], f'ProGAN stages G, G_4x4, G_8x8 give {sizes}')
            e, f = json.load(open(shot('e.png.json'))), json.load(open(shot('f.png.json')))
            card = e.get('card', {}).get('file_metrics')
            check(card == [['cycle_l1', '0.500']], f'the card shows the metrics stored in the file, rounded ({card})')
            rect = e['widgets'].get('cycle')
            check(rect is not None, f'the CycleGAN panel shows input, translation and cycle ({rect})')
            if rect:
                ea, fa = region(read_png(shot('e.png'))[2], rect), region(read_png(shot('f.png'))[2], rect)
                check(spread(ea) > 20, f'CycleGAN images are not blank (spread {spread(ea):.1f})')
                check(mean_abs_diff(ea, fa) > 5, f'domain B shows other images than domain A ({mean_abs_diff(ea, fa):.1f})')
        list_test(args, tmp)
        card_test(args, tmp)
        truncation_test(args, tmp)
        switch_test(args, tmp)
        follow_test(args, tmp)
        project_test(args, tmp)
        if args.keep:
            os.makedirs(args.keep, exist_ok=True)
            for n in os.listdir(tmp):
                if n.endswith('.png'):
                    shutil.copy(shot(n), os.path.join(args.keep, n))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        display.stop()
    print(f'{len(failures)} failure(s)')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
