#!/usr/bin/env bash
# Installs every Debian package ganzoo needs, skipping what is already there (idempotent), and
# says nothing when nothing was missing (-v: says what it found). Run as root on Debian 12.
# Nothing is downloaded from outside Debian's archive and the npm registry (lock files only).
# scripts/deps-audit.sh checks this list against what the build and the tests used.
#   usage: scripts/install-deps.sh [-v]      (as root; -v says what it found)
[[ ${1:-} == -h || ${1:-} == --help ]] && { sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0; }
set -euo pipefail
verbose=0
[ "${1:-}" = -v ] && verbose=1
note() { [ "$verbose" = 1 ] && echo "install-deps: $*"; return 0; }

packages=(
  # build
  cmake g++ make pkg-config git
  # trainer: LibTorch 1.13 (CPU) and what its CMake config wants; OpenBLAS, or LibTorch runs
  # on the reference BLAS, ~3x slower on these models
  libtorch-dev libopenblas0-pthread libgflags-dev libgoogle-glog-dev libprotobuf-dev protobuf-compiler
  # data-parallel training (native/dist): c10d's Gloo headers, which libtorch-dev does not pull in
  libgloo-dev
  # header-only dependencies of the core, the CLI and the tests; zlib for the IDX reader
  libeigen3-dev nlohmann-json3-dev libcli11-dev libstb-dev catch2 zlib1g-dev
  # the data
  dataset-fashion-mnist
  # the core under WebAssembly (emcc + node); npm installs the browser tests' lock file (Debian's
  # nodejs ships without it)
  emscripten nodejs npm
  # browser tests (tests/web): Debian's chromium, driven by playwright-core from npm (below)
  chromium
  # benchmark peer (tests/bench): Debian's PyTorch 1.13 for /usr/bin/python3
  python3 python3-torch python3-numpy
  # the studio (native/studio): GLFW + OpenGL natively, its tests under Xvfb with Mesa's software
  # GL; dpkg-dev unpacks Dear ImGui's Debian source package (below)
  libglfw3-dev libgl-dev libgl1-mesa-dri xvfb xauth dpkg-dev
  # the fresh-machine rehearsal (scripts/fresh-check.sh)
  debootstrap
)

# Installed, or provided by an installed package (NodeSource's nodejs provides npm).
installed=$(dpkg-query -W -f='${Status}\t${Package}, ${Provides}\n' 2>/dev/null | sed -n 's/^install ok installed\t//p' \
            | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  note "all ${#packages[@]} packages are installed"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${missing[*]}; run this script as root (or sudo)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# LibTorch must load OpenBLAS, not the reference BLAS.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
case "$blas" in
  *openblas*) note "BLAS is $blas" ;;
  *) echo "install-deps: warning: libblas.so.3 resolves to '$blas', not OpenBLAS;" \
          "fix with: update-alternatives --config libblas.so.3-x86_64-linux-gnu" >&2 ;;
esac

# Dear ImGui's sources for the studio (native/studio): Debian's source package `imgui` (1.86 in
# bookworm), unpacked into .deps/imgui (git-ignored, never committed; CMake's GANZOO_IMGUI_DIR
# defaults to it). Needs a deb-src entry: added for bookworm's main when none is there.
imgui_dir="$(cd "$(dirname "$0")/.." && pwd)/.deps/imgui"
if [ -f "$imgui_dir/imgui.cpp" ] && [ -f "$imgui_dir/backends/imgui_impl_glfw.cpp" ]; then
  note "Dear ImGui sources are in $imgui_dir"
else
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: Dear ImGui sources missing in $imgui_dir; run this script as root (or sudo)" >&2
    exit 1
  fi
  if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    echo "install-deps: adding a deb-src entry for bookworm (/etc/apt/sources.list.d/ganzoo-deb-src.sources)"
    printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' 'Suites: bookworm' 'Components: main' \
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' > /etc/apt/sources.list.d/ganzoo-deb-src.sources
    apt-get update -qq
  fi
  unpack=$(mktemp -d)
  (cd "$unpack" && apt-get source -qq imgui >/dev/null)
  src=$(find "$unpack" -mindepth 2 -maxdepth 2 -name imgui.cpp -printf '%h\n' | head -n 1)
  if [ -z "$src" ] || [ ! -f "$src/backends/imgui_impl_glfw.cpp" ]; then
    echo "install-deps: apt-get source imgui gave no imgui.cpp + backends/ (in $unpack)" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$imgui_dir")"
  rm -rf "$imgui_dir"
  mv "$src" "$imgui_dir"
  rm -rf "$unpack"
  echo "install-deps: Dear ImGui $(sed -n 's/^#define IMGUI_VERSION *"\(.*\)"/\1/p' "$imgui_dir/imgui.h") sources in $imgui_dir"
fi

# npm packages, each folder's node_modules (ignored) reinstalled only when its lockfile changed:
# tests/web, the browser tests (playwright-core; no browser is downloaded: the tests drive
# /usr/bin/chromium); with GANZOO_BENCH_DEPS=1 (make bench-web) also tests/bench, the browser
# benchmark's peers (onnxruntime-web, tfjs: ~450 MB, so never for make demo or make test).
npm_dirs="tests/web"
[ "${GANZOO_BENCH_DEPS:-0}" = 1 ] && npm_dirs="$npm_dirs tests/bench"
for npm_dir in $npm_dirs; do
  dir="$(cd "$(dirname "$0")/.." && pwd)/$npm_dir"
  [ -f "$dir/package-lock.json" ] || continue
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed" 2>/dev/null; then
    echo "install-deps: npm ci in $npm_dir"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error) \
      && cp "$dir/package-lock.json" "$dir/node_modules/.package-lock.json.installed"
  else
    note "$npm_dir npm packages are installed"
  fi
done
