#!/usr/bin/env bash
# Copies what a bare CUDA machine (no package manager, no network) needs to build and train
# ganzoo into one ignored folder (default .deps/, ~35 MB): the header-only dependencies,
# zlib's header and static library, and the four Fashion-MNIST files. Run it here, on a
# Debian machine after scripts/install-deps.sh, then carry the folder to the GPU machine
# and run scripts/gpu-check.sh there. Nothing here is committed: .deps/ is in .gitignore.
#   usage: scripts/prepare-gpu-deps.sh [DEPS]      (default .deps)
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
deps=${1:-.deps}
# Only the folders this script fills: .deps/imgui (scripts/install-deps.sh) lives beside them.
rm -rf "$deps/include" "$deps/lib" "$deps/fashion-mnist"
mkdir -p "$deps/include" "$deps/lib" "$deps/fashion-mnist"
cp -r /usr/include/eigen3/Eigen /usr/include/nlohmann /usr/include/CLI /usr/include/catch2 "$deps/include/"
mkdir -p "$deps/include/stb"
cp /usr/include/stb/stb_image.h /usr/include/stb/stb_image_write.h /usr/include/stb/stb_image_resize.h "$deps/include/stb/"
cp /usr/include/zlib.h /usr/include/zconf.h "$deps/include/"
cp /usr/lib/x86_64-linux-gnu/libz.a "$deps/lib/"
cp /usr/share/datasets/fashion-mnist/*-ubyte.gz "$deps/fashion-mnist/"
echo "prepare-gpu-deps: $(du -sh "$deps" | cut -f1) in $deps"
