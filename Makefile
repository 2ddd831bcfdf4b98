# Top-level entry points. Every target installs missing Debian packages first.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all deps configure build demo test test-sanitize bench clean

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	@./examples/kvstore/demo.sh $(BUILD)

bench: build
	@./bench/run.sh $(BUILD)

test-sanitize: deps
	@cmake -S . -B build-san -DKITSUNE_SANITIZE=ON >/dev/null
	@cmake --build build-san -j $(JOBS)
	@cd build-san && ctest --output-on-failure -j $(JOBS) --timeout 900

clean:
	rm -rf $(BUILD) build-san
