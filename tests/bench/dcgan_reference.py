#!/usr/bin/python3
"""Plain PyTorch DCGAN training loop: the reference that tests/bench/train_throughput
compares `ganzoo train dcgan` against. Same architecture, loss, optimiser, init, batch and
thread count as the C++ trainer; prints one JSON line with images/s and the BLAS that
was actually loaded (read from /proc/self/maps, not from the build configuration).

Run it with Debian's /usr/bin/python3 (torch 1.13); the python3 first on PATH may have
no torch. On a GPU machine, `--device cuda` with that machine's PyTorch: the data sits on the
card, and every step ends with a synchronisation, as the C++ trainer's per-step loss read does.
"""
import argparse
import gzip
import json
import os
import re
import statistics
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

Z_DIM = 100
WARMUP_STEPS = 5  # not timed, the same rule as the C++ trainer's images_per_s


def read_idx_images(path):
    """u8 images [n, rows, cols] from an IDX file, gzipped or not (sniffed by magic)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    magic, n, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x00000803:
        sys.exit(f"{path}: magic {magic:#010x}, expected 0x00000803 (images)")
    if len(data) != 16 + n * rows * cols:
        sys.exit(f"{path}: header says {n} images of {rows}x{cols} but the file holds {len(data) - 16} bytes")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(n, rows, cols)


def find_train_images(folder):
    for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    sys.exit(f"fashion-mnist: cannot open {os.path.join(folder, 'train-images-idx3-ubyte.gz')}; "
             "install dataset-fashion-mnist or pass --data DIR")


def generator(width):
    w2 = 2 * width
    return nn.Sequential(
        nn.Linear(Z_DIM, w2 * 7 * 7, bias=False),
        nn.Unflatten(1, (w2, 7, 7)),
        nn.BatchNorm2d(w2),
        nn.ReLU(),
        nn.ConvTranspose2d(w2, width, 4, stride=2, padding=1, bias=False),  # 7 -> 14
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1, bias=True),  # 14 -> 28
        nn.Tanh(),
    )


def discriminator(width):
    w2 = 2 * width
    return nn.Sequential(
        nn.Conv2d(1, width, 4, stride=2, padding=1, bias=True),  # 28 -> 14
        nn.LeakyReLU(0.2),
        nn.Conv2d(width, w2, 4, stride=2, padding=1, bias=False),  # 14 -> 7
        nn.BatchNorm2d(w2),
        nn.LeakyReLU(0.2),
        nn.Flatten(),
        nn.Linear(w2 * 7 * 7, 1),  # logits
    )


def dcgan_init(module):
    """DCGAN paper: conv/linear weights N(0, 0.02), batch norm weights N(1, 0.02);
    every bias starts at 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


BLAS_PATTERN = re.compile(r"lib(open)?blas|libmkl|libblis|libatlas|libflexiblas|libcblas")


def loaded_blas():
    """The BLAS libraries mapped into this process, alternatives symlinks resolved."""
    found = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            parts = line.split(maxsplit=5)
            if len(parts) < 6:
                continue
            path = parts[5].strip()
            if BLAS_PATTERN.search(os.path.basename(path)):
                real = os.path.realpath(path)
                if real not in found:
                    found.append(real)
    return found


def blas_name(paths):
    """A short name for the loaded BLAS: openblas-pthread, openblas-openmp, reference, mkl..."""
    if not paths:
        return "none found in /proc/self/maps"
    names = []
    for path in paths:
        folder = os.path.basename(os.path.dirname(path))
        base = os.path.basename(path)
        if "openblas" in folder:
            name = folder  # openblas-pthread, openblas-openmp, openblas-serial
        elif "openblas" in base:
            name = "openblas"
        elif "mkl" in base:
            name = "mkl"
        elif "blis" in folder or "blis" in base:
            name = "blis"
        elif "atlas" in folder or "atlas" in base:
            name = "atlas"
        elif folder == "blas" and base.startswith("libblas"):
            name = "reference (netlib)"
        else:
            name = base
        if name not in names:
            names.append(name)
    return ", ".join(names)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                        help="folder with train-images-idx3-ubyte[.gz]")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    args = parser.parse_args()
    if args.steps <= WARMUP_STEPS:
        sys.exit(f"--steps must be more than the {WARMUP_STEPS} warm-up steps")

    try:
        device = torch.device(args.device)
    except RuntimeError as e:
        sys.exit(f"--device {args.device}: {e}")
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit(f"--device {args.device}: this torch ({torch.__version__}) sees no CUDA device")
    if device.type not in ("cpu", "cuda"):
        sys.exit(f"--device {args.device}: use cpu, cuda or cuda:N")
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)

    images = torch.from_numpy(read_idx_images(find_train_images(args.data)).copy()).to(device)  # u8 [n, 28, 28]
    n = images.shape[0]

    G, D = generator(args.width), discriminator(args.width)
    G.apply(dcgan_init)
    D.apply(dcgan_init)
    G, D = G.to(device), D.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ones = torch.ones(args.batch, 1, device=device)
    zeros = torch.zeros(args.batch, 1, device=device)

    order, cursor = rng.permutation(n), 0
    step_seconds = []
    start = time.perf_counter()
    timed_from = None
    for step in range(args.steps):
        if step == WARMUP_STEPS:
            sync()
            timed_from = time.perf_counter()
        t0 = time.perf_counter()
        if cursor + args.batch > n:  # new epoch: reshuffle, drop the ragged tail
            order, cursor = rng.permutation(n), 0
        index = torch.from_numpy(order[cursor:cursor + args.batch]).to(device)
        cursor += args.batch
        real = images.index_select(0, index).unsqueeze(1).float().div_(127.5).sub_(1.0)  # [B,1,28,28] in [-1,1]

        fake = G(torch.randn(args.batch, Z_DIM, device=device))
        loss_d = (F.binary_cross_entropy_with_logits(D(real), ones) +
                  F.binary_cross_entropy_with_logits(D(fake.detach()), zeros))
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()

        loss_g = F.binary_cross_entropy_with_logits(D(fake), ones)  # non-saturating
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        sync()
        step_seconds.append(time.perf_counter() - t0)
    end = time.perf_counter()

    timed = step_seconds[WARMUP_STEPS:]
    blas_paths = loaded_blas()
    print(json.dumps({
        "engine": "python",
        "steps": args.steps,
        "batch": args.batch,
        "threads": torch.get_num_threads(),
        "width": args.width,
        "wall_s": round(end - start, 4),
        "images_per_s": round((args.steps - WARMUP_STEPS) * args.batch / (end - timed_from), 2),
        "step_ms_median": round(1000 * statistics.median(timed), 2),
        "step_ms_p90": round(1000 * sorted(timed)[int(0.9 * (len(timed) - 1))], 2),
        "loss_d": round(loss_d.item(), 4),
        "loss_g": round(loss_g.item(), 4),
        "blas": blas_name(blas_paths),
        "blas_paths": blas_paths,
        "torch": torch.__version__,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
    }))


if __name__ == "__main__":
    main()
