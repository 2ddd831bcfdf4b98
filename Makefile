# Top-level entry points. Every target installs missing Debian packages first.
BUILD ?= build
JOBS  ?= $(shell nproc)

.PHONY: all deps configure build install demo test test-sanitize bench clean

all: build

deps:
	@./scripts/install-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

# The build's output goes to $(BUILD)/build.log; it is shown only when the build fails.
build: configure
	@echo "building into $(BUILD)/ (log: $(BUILD)/build.log)"
	@cmake --build $(BUILD) -j $(JOBS) >$(BUILD)/build.log 2>&1 || { tail -50 $(BUILD)/build.log; exit 1; }

# The runtime, headers, commands, CMake package, kitsune.pc, Make fragment, man pages
# and bash completion under PREFIX (docs/user-guide.md, "Installing").
PREFIX ?= /usr/local
install: build
	@cmake --install $(BUILD) --prefix $(PREFIX)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

demo: build
	@./examples/kvstore/demo.sh $(BUILD)

bench: build
	@./bench/run.sh $(BUILD)

# AddressSanitizer and UBSan over the whole suite.  The one-shot tools (kitc, xfgen)
# never free their models, so leak reports are off; the runtime's end-to-end tests are
# checked for leaks under valgrind instead (tests/lib/memcheck.sh).
SAN_ENV = ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
          KITSUNE_TEST_SLOW=10
test-sanitize: deps
	@cmake -S . -B build-san -DKITSUNE_SANITIZE=ON >/dev/null
	@echo "building into build-san/ with ASan and UBSan (log: build-san/build.log)"
	@$(SAN_ENV) cmake --build build-san -j $(JOBS) >build-san/build.log 2>&1 || \
		{ tail -50 build-san/build.log; exit 1; }
	@cd build-san && $(SAN_ENV) ctest --output-on-failure -j $(JOBS) --timeout 900

clean:
	rm -rf $(BUILD) build-san
