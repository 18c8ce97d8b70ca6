# The README's two commands. Everything else is scripts/ and the CMake presets.
#   make demo   install what is missing, build, sample the shipped DCGAN into demo/
#   make test   install what is missing, build, run every test (CTest)
SHELL := /bin/bash
JOBS ?= $(shell nproc)
BUILD := build/native
GANZOO := $(BUILD)/bin/ganzoo
MODEL ?= web/models/dcgan.safetensors
# Under load OpenMP spin-waiting makes LibTorch steps erratic (TOOLCHAIN.md).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: all deps configure build demo test train-dcgan bench clean

all: build

deps:
	@bash scripts/install-deps.sh

configure: deps
	@cmake --preset native >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@mkdir -p demo
	$(GANZOO) verify $(MODEL)
	$(GANZOO) sample $(MODEL) --seed 7 -n 64 -o demo/dcgan-grid.png
	$(GANZOO) interpolate $(MODEL) --from 7 --to 8 --steps 10 --slerp -o demo/dcgan-interpolation.png
	@echo "demo: open demo/dcgan-grid.png and demo/dcgan-interpolation.png"
	@echo "demo: train your own with: $(GANZOO) train dcgan --epochs 10 --out runs/my-dcgan"

test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The recipe behind the shipped weights (docs/results.md); ~35 minutes on 2 CPU cores.
train-dcgan: build
	$(GANZOO) train dcgan --epochs 12 --seed 1 --out runs/dcgan-shipped
	$(GANZOO) export runs/dcgan-shipped -o $(MODEL)

bench: build
	@bash tests/bench/train_throughput --bin $(GANZOO)

clean:
	rm -rf build
