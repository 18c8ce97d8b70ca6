# The README's two commands. Everything else is scripts/ and the CMake presets.
#   make demo   install what is missing, build, sample the shipped DCGAN into demo/
#   make test   install what is missing, build, run every test (CTest)
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD := build/native
GANZOO := $(BUILD)/bin/ganzoo
MODEL ?= web/models/dcgan.safetensors
# Under load OpenMP spin-waiting makes LibTorch steps erratic (docs/toolchain.md).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: all deps configure build wasm demo test web-test bench bench-web clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake --preset native >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# The core as WebAssembly (the wasm preset) -> web/ganzoo-core.{js,wasm}. em++ sees only Eigen/
# and nlohmann/ (linked into one folder): /usr/include itself would shadow emscripten's libc.
WASM_BUILD := build/wasm
EIGEN_DIR ?= /usr/include/eigen3
JSON_DIR ?= /usr/include
SERVE_PORT ?= 8000
wasm: deps
	@mkdir -p $(WASM_BUILD)-deps/include
	@ln -sfn $(EIGEN_DIR)/Eigen $(WASM_BUILD)-deps/include/Eigen
	@ln -sfn $(JSON_DIR)/nlohmann $(WASM_BUILD)-deps/include/nlohmann
	@NODE_PATH=/usr/share/nodejs cmake --preset wasm >/dev/null \
	  -DGANZOO_ganzoo__eigen_INCLUDE_DIR=$(CURDIR)/$(WASM_BUILD)-deps/include \
	  -DGANZOO_ganzoo__json_INCLUDE_DIR=$(CURDIR)/$(WASM_BUILD)-deps/include
	@NODE_PATH=/usr/share/nodejs cmake --build $(WASM_BUILD) -j $(JOBS)

# Browser tests of web/ (tests/web/browser_test.mjs): headless Debian chromium via playwright-core.
web-test: build wasm
	@node tests/web/browser_test.mjs --ganzoo $(GANZOO) --model $(MODEL)
	@node tests/web/live_test.mjs --ganzoo $(GANZOO)
	@node tests/web/studio_test.mjs --ganzoo $(GANZOO)

# The studio (native/studio, docs/studio.md): build and open it; STUDIO_ARGS are its options,
# e.g. make studio STUDIO_ARGS="--seed 7 my.safetensors". In the browser: web/studio.html (make wasm).
.PHONY: studio
studio: configure
	@cmake --build $(BUILD) --target ganzoo-studio -j $(JOBS)
	$(BUILD)/bin/ganzoo-studio $(STUDIO_ARGS)

# The page is served with the members' pages (docs/members, read-only) at /docs/members/: a
# member's below-baseline notice links its page there.
demo: build wasm
	@mkdir -p demo
	$(GANZOO) verify $(MODEL)
	$(GANZOO) sample $(MODEL) --seed 7 -n 64 --scale 3 -o demo/dcgan-grid.png
	$(GANZOO) interpolate $(MODEL) --from 7 --to 8 --steps 10 --slerp --scale 3 -o demo/dcgan-interpolation.png
	@echo "demo: open demo/dcgan-grid.png and demo/dcgan-interpolation.png"
	@echo "demo: train your own with: $(GANZOO) train dcgan --epochs 10 --out runs/my-dcgan"
	@echo "demo: the web page (sample, interpolate, embed): http://127.0.0.1:$(SERVE_PORT)/ (Ctrl-C stops the server)"
ifeq ($(LIVE),)
	@echo "demo: watch a GAN learn, live in the page: make demo LIVE=dcgan (or any member: ganzoo models)"
	@node tests/web/serve.mjs --root web --mount /docs/members/=docs/members --port $(SERVE_PORT) < /dev/null
else
	@bash scripts/watch.sh --ganzoo $(GANZOO) --port $(SERVE_PORT) $(LIVE) $(LIVE_ARGS)
endif

# The dependency audit first (scripts/deps-audit.sh: every header, library and program the build
# and the tests use comes from a package install-deps.sh installs), then the native tests. Then the
# core, the data readers and their tests again under ASan + UBSan (the asan preset; LibTorch stays
# out; the em++ parity test gains nothing there), the browser tests, and the audit once more over
# every build.
test: build
	@bash scripts/deps-audit.sh $(BUILD)
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)
	@cmake --preset asan >/dev/null
	@cmake --build build/asan -j $(JOBS)
	@ctest --test-dir build/asan --output-on-failure -j $(JOBS) -E '^core\.wasm_(forward|limits)$$'
	@$(MAKE) --no-print-directory web-test
	@bash scripts/deps-audit.sh $(BUILD) build/asan $(WASM_BUILD)

# The recipes behind the shipped weights live in one place, each model's entry in
# web/models/manifest.json (training.command and training.export, the commands that made it):
# make train-MEMBER runs them as recorded, into runs/MEMBER-shipped and
# web/models/MEMBER.safetensors (scripts/reproduce.sh --shipped); RESUME=1 continues the run, for
# a CPU run spread over sessions. make reproduce retrains the same entry beside the shipped one.
train-%: build
	@bash scripts/reproduce.sh --shipped $(if $(RESUME),--resume) --ganzoo $(GANZOO) $*

# Re-train a shipped member from web/models/manifest.json into runs/MEMBER-repro, export, eval, and
# print the numbers next to the manifest's: make reproduce MODEL=dcgan (a file path works too).
.PHONY: reproduce
reproduce: build
	@bash scripts/reproduce.sh --ganzoo $(GANZOO) $(basename $(notdir $(MODEL)))

# The classifier behind `ganzoo eval` (FD-FMNIST, IS, class and code accuracy): web/models/classifier.safetensors.
.PHONY: train-classifier
train-classifier: build
	$(GANZOO) train-classifier --epochs 5 --threads 1 --seed 1 -o web/models/classifier.safetensors

bench: build
	@bash tests/bench/train_throughput --bin $(GANZOO)

# Data-parallel throughput: 1 process against `ganzoo launch -n 2` (Gloo), the all-reduce time
# per step and the 8-GPU scaling prediction (docs/distributed.md). Not part of `make test`.
.PHONY: bench-dist
bench-dist: build
	@bash scripts/bench-dist.sh --bin $(GANZOO) $(BENCH_ARGS)

# The wasm core against onnxruntime-web and TensorFlow.js in headless Chromium (docs/web-bench.md).
bench-web: wasm
	@GANZOO_BENCH_DEPS=1 bash scripts/install-deps.sh >/dev/null
	@node tests/bench/peers.mjs $(BENCH_ARGS)

clean:
	rm -rf build
