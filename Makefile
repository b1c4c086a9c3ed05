# Front door. `make demo` and `make check` work on a fresh Debian machine.
BUILD ?= build
ASAN_BUILD ?= build-asan
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=
ifneq ($(CI),)
CMAKE_FLAGS += -DTARS_WERROR=ON
endif

.PHONY: all deps tools build demo check test test-asan bench clean format

all: build

deps:
	@scripts/deps.sh build

# helm, kubectl and actionlint, pinned and checked, into tools/ (scripts/tools.sh; once per clone)
tools:
	@scripts/tools.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Every test on the normal build, then every test again under ASan + UBSan.
check: build tools
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory test-asan

test: build tools
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DTARS_SANITIZE=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD)/src/cli/tars

bench: build
	@scripts/deps.sh bench
	@bench/serve.sh $(BUILD)/src/cli/tars
	@bench/load-vs-peers.sh $(BUILD)/src/cli/tars
	@bench/ws-scale.sh $(BUILD)/src/cli/tars
	@bench/compare.sh $(BUILD)/src/cli/tars

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
