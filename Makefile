# Lichen: `make demo`, `make test`, `make bench` (see README.md).
#
# Every target installs what it is missing: toolchains (scripts/ensure-tools.sh),
# the per-interpreter venvs .venv/X.Y with Lichen providing hpy.universal
# (scripts/venv.sh), HPy's sdist (fetched with pip into .cache/).

PYTHONS ?= 3.9 3.10 3.11 3.12 3.13 3.14 3.15
# The PyPy venvs (Lichen's PyPy host): .venv/pypy on Debian 12's PyPy 7.3.11
# (Python 3.9), .venv/pypy8.0 on PyPy 8.0.1 (Python 3.11, unpacked from
# Debian's development suite into a private root by scripts/private-root.sh).
PYPYS ?= pypy pypy8.0
# The PyPy that runs the cross-host corpus and the PyPy benchmarks.
MAIN_PYPY ?= pypy
# The interpreter that builds the demo and runs the benchmarks.
MAIN_PYTHON ?= 3.11
export CARGO_TARGET_DIR ?= $(CURDIR)/target
JOBS ?= 2

# Everything that goes into the installed Lichen: a venv is reinstalled when
# one of these is newer than its stamp.
LICHEN_SOURCES := Cargo.toml Cargo.lock pyproject.toml \
	$(shell find crates python -type f \( -name '*.rs' -o -name '*.py' -o -name '*.toml' -o -name '*.abi' \) 2>/dev/null)

STAMPS := $(foreach v,$(PYTHONS) $(PYPYS),.venv/$(v)/.lichen-installed)
# ensure-tools.sh names Debian 12's PyPy by its version
PYPY_TOOLS := $(patsubst pypy,pypy7.3.11,$(PYPYS))
comma := ,
space := $(eval) $(eval)
PYTHONS_CSV = $(subst $(space),$(comma),$(strip $(PYTHONS)))
PYPYS_CSV = $(subst $(space),$(comma),$(strip $(PYPYS)))
DEBUG_PYTHONS ?= 3.11 3.12 3.13 3.14 3.15
DEBUG_PYTHONS_CSV = $(subst $(space),$(comma),$(strip $(filter $(DEBUG_PYTHONS),$(PYTHONS))))

.PHONY: test-rust-authors test-bridge bench-bridge check-freethreaded bench-pypy test-pypy test-crosshost test-rustpython-hpy tools-main test-rustpython bench-rustpython all demo test test-rust test-python test-hpy bench bench-callgrind venvs tools clean-venvs help

all: test

help:
	@echo "make demo    build examples/ once (universal ABI), run the same .so on CPython $(PYTHONS), $(PYPYS) and RustPython"
	@echo "make test    Rust tests + Lichen's Python tests + HPy 0.9.0's suite + the RustPython host's tests"
	@echo "make bench   HPy's microbenchmarks on CPython $(MAIN_PYTHON): C API vs HPy runtime vs Lichen; RustPython calls and threads; PyPy: cpyext vs Lichen vs PyPy's HPy"
	@echo "make bench-callgrind   the same, in instructions per iteration under valgrind"
	@echo "make venvs   create/update .venv/X.Y for X.Y in $(PYTHONS)"

tools:
	@bash scripts/ensure-tools.sh $(PYTHONS) $(PYPY_TOOLS)

# $(JOBS) venvs at a time (their pip installs overlap; scripts/venv.sh
# builds Lichen for one at a time), each one's output in one piece.
venvs: tools
	@$(MAKE) --no-print-directory -j$(JOBS) -Otarget $(STAMPS)

# One venv per interpreter; Lichen is rebuilt and reinstalled when its
# sources changed since the last install.
.venv/%/.lichen-installed: $(LICHEN_SOURCES)
	bash scripts/venv.sh $*
	@touch $@

# HPy's own runtime (no Lichen), for the benchmark comparison.
.venv/hpy-%/.deps-installed:
	bash scripts/venv.sh $* hpy

demo: venvs tools .venv/$(MAIN_PYTHON)/.lichen-installed
	bash scripts/demo.sh $(MAIN_PYTHON) $(PYTHONS) $(PYPYS)

# Runs the parts even if one fails, then fails if any did; prints the time
# each part took (the venvs part is the release builds of Lichen, one per
# interpreter).
test:
	@status=0; start=$$(date +%s); times=""; \
	part() { t=$$(date +%s); $(MAKE) --no-print-directory "$$@" || status=1; \
		t=$$(( $$(date +%s) - t )); echo "== $$1: $${t}s"; times="$$times $$1 $${t}s,"; }; \
	part venvs; [ $$status = 0 ] || { echo "== make test: the venvs failed"; exit 1; }; \
	part test-rust; \
	part check-freethreaded; \
	part test-python; \
	part test-hpy; \
	part test-rustpython; \
	part test-pypy; \
	part test-crosshost; \
	part test-rust-authors; \
	part test-rustpython-hpy RP_HPY_MODES=universal; \
	part test-bridge; \
	echo "== make test parts:$${times%,}"; \
	echo "== make test: $$(( $$(date +%s) - start ))s, $$( [ $$status = 0 ] && echo OK || echo FAILED)"; \
	exit $$status

# The layout test (crates/lichen-abi/tests/layout.rs) reads the hpy headers
# through the main venv's hpy.devel.
# Clippy with warnings as errors over every target of the default members;
# `#![deny(unsafe_op_in_unsafe_fn)]` in every crate makes the build itself
# refuse an unsafe operation outside an `unsafe` block.
test-rust: tools .venv/$(MAIN_PYTHON)/.lichen-installed
	@echo "== Rust tests (cargo test: the default members, without RustPython)"
	LICHEN_PYTHON=$(CURDIR)/.venv/$(MAIN_PYTHON)/bin/python cargo test --quiet
	@echo "== cargo clippy --all-targets -D warnings (every member but the RustPython ones, linted by test-rustpython)"
	cargo clippy --quiet --workspace --exclude lichen-rustpython --exclude lichen-bridge --all-targets -- -D warnings

# The CPython host type-checked for free-threaded 3.14t and 3.15t, which
# cannot be installed here (a pyo3 configuration stands in for them; about a
# minute from clean, seconds after).
check-freethreaded:
	@bash scripts/check-freethreaded.sh

# The PyPy host's own tests (tests/pypy): threads and its extension lock,
# its object table, what it refuses without a C API, its panic barrier.
test-pypy: $(foreach v,$(PYPYS),.venv/$(v)/.lichen-installed)
	@status=0; for v in $(PYPYS); do \
		echo "== the PyPy host's tests on $$v"; \
		.venv/$$v/bin/python -m pytest tests/pypy -q -p no:cacheprovider || status=1; \
	done; exit $$status

test-python: venvs
	@status=0; for v in $(PYTHONS) $(PYPYS); do \
		echo "== Lichen's Python tests on $$v"; \
		.venv/$$v/bin/python -m pytest tests/python -q -p no:cacheprovider -n $(JOBS) || status=1; \
	done; exit $$status

# universal and hybrid modes on every interpreter; the debug and trace modes
# (issue 3) on the interpreters in DEBUG_PYTHONS that are also in PYTHONS.
test-hpy: venvs
	@status=0; \
	.venv/$(MAIN_PYTHON)/bin/python tests/hpy_suite/run.py --python $(PYTHONS_CSV) -n $(JOBS) \
		--modes universal,hybrid --baseline tests/hpy_suite/known-failures.txt || status=1; \
	if [ -n "$(DEBUG_PYTHONS_CSV)" ]; then \
	.venv/$(MAIN_PYTHON)/bin/python tests/hpy_suite/run.py --python $(DEBUG_PYTHONS_CSV) -n $(JOBS) \
		--modes debug,hybrid+debug,trace --baseline tests/hpy_suite/known-failures.txt || status=1; \
	fi; \
	if [ -n "$(PYPYS_CSV)" ]; then \
	.venv/$(MAIN_PYTHON)/bin/python tests/hpy_suite/run.py --python $(PYPYS_CSV) -n $(JOBS) \
		--modes universal,debug,trace --baseline tests/hpy_suite/known-failures.txt || status=1; \
	fi; exit $$status

bench: tools .venv/$(MAIN_PYTHON)/.lichen-installed .venv/hpy-$(MAIN_PYTHON)/.deps-installed
	.venv/$(MAIN_PYTHON)/bin/python bench/run.py --python $(MAIN_PYTHON)
	.venv/$(MAIN_PYTHON)/bin/python bench/rust_authors.py --python $(MAIN_PYTHON)
	$(MAKE) --no-print-directory bench-rustpython
	$(MAKE) --no-print-directory bench-pypy
	$(MAKE) --no-print-directory bench-bridge

# The same suites on each PyPy (bench/pypy.py): cpyext vs Lichen, and PyPy
# 7.3.19's own HPy (its venv only for benchmarks: that PyPy ships an HPy of
# its own, whose ABI differs from 0.9.0's, so it is no test target).
BENCH_PYPYS ?= $(PYPYS) pypy7.3.19
bench-pypy: .venv/$(MAIN_PYTHON)/.lichen-installed $(foreach v,$(BENCH_PYPYS),.venv/$(v)/.lichen-installed)
	.venv/$(MAIN_PYTHON)/bin/python bench/pypy.py --pypy $(subst $(space),$(comma),$(strip $(BENCH_PYPYS)))

# Call overhead and thread scaling on RustPython (bench/rustpython.py), with
# a release build of lichen-rustpython (made here if needed: long from clean,
# see bench/README.md).
bench-rustpython: tools .venv/$(MAIN_PYTHON)/.lichen-installed .venv/hpy-$(MAIN_PYTHON)/.deps-installed
	.venv/$(MAIN_PYTHON)/bin/python bench/rustpython.py --python $(MAIN_PYTHON)

# The same benchmarks counted in instructions under valgrind (deterministic).
bench-callgrind: tools .venv/$(MAIN_PYTHON)/.lichen-installed .venv/hpy-$(MAIN_PYTHON)/.deps-installed
	.venv/$(MAIN_PYTHON)/bin/python bench/callgrind.py --python $(MAIN_PYTHON)
	.venv/$(MAIN_PYTHON)/bin/python bench/rust_authors.py --python $(MAIN_PYTHON) --callgrind --number 20000

# The RustPython host (issue 4): builds lichen-rustpython (the dev profile,
# rustpython-vm optimised: about 6 min from clean on 2 cores), runs its unit
# tests and the same universal binaries on it, in universal, debug and trace
# mode (tests/rustpython/run.sh fetches the hpy sdist if needed). The
# extensions are built with HPy's hpy.devel from .venv/hpy-$(MAIN_PYTHON).
test-rustpython: tools .venv/hpy-$(MAIN_PYTHON)/.deps-installed
	@echo "== RustPython tests (lichen-rustpython)"
	cargo test --quiet -p lichen-rustpython --ignore-rust-version
	@echo "== cargo clippy --all-targets -D warnings (lichen-rustpython, lichen-bridge)"
	cargo clippy --quiet -p lichen-rustpython -p lichen-bridge --all-targets --ignore-rust-version -- -D warnings
	bash tests/rustpython/run.sh $(MAIN_PYTHON)

# HPy 0.9.0's own suite on lichen-rustpython (issue 4), universal, debug
# and trace mode: tests/rustpython/hpy_suite.py installs pytest 7.4.4,
# setuptools and hpy.devel into .cache/rp-hpy-suite, runs `lichen-rustpython
# -m pytest` on the sdist's test/ and fails only on failures that
# tests/rustpython/hpy-suite-known-failures.txt does not list.
# `make test` runs the universal mode only, in $(JOBS) RustPython processes
# (about 3 minutes).
RP_HPY_MODES ?= universal,debug,trace
test-rustpython-hpy: tools-main .venv/hpy-$(MAIN_PYTHON)/.deps-installed
	@echo "== HPy's suite on RustPython (lichen-rustpython -m pytest), modes $(RP_HPY_MODES)"
	.venv/hpy-$(MAIN_PYTHON)/bin/python tests/rustpython/hpy_suite.py --modes $(RP_HPY_MODES) -j $(JOBS)

# The cross-host corpus (issue 4): tests/crosshost's extensions built once
# (universal ABI, .venv/hpy-X.Y's hpy.devel), each script run on CPython
# through Lichen (universal, debug, trace) and on lichen-rustpython, outputs
# compared, exercised context functions counted from the trace. Only
# $(MAIN_PYTHON) is needed (tools-main: ensure-tools.sh for it alone).
test-crosshost: tools-main .venv/$(MAIN_PYTHON)/.lichen-installed .venv/hpy-$(MAIN_PYTHON)/.deps-installed $(if $(MAIN_PYPY),.venv/$(MAIN_PYPY)/.lichen-installed)
	@echo "== Cross-host corpus (CPython through Lichen vs lichen-rustpython vs PyPy through Lichen)"
	cargo build -q -p lichen-rustpython --ignore-rust-version
	.venv/$(MAIN_PYTHON)/bin/python tests/crosshost/run.py \
		--hpy-python .venv/hpy-$(MAIN_PYTHON)/bin/python \
		--pypy "$(if $(MAIN_PYPY),.venv/$(MAIN_PYPY)/bin/python)" \
		--rustpython $(CARGO_TARGET_DIR)/debug/lichen-rustpython -j $(JOBS)

# The bridge (issue 13): CPython C-API extensions imported on
# lichen-rustpython through an embedded CPython 3.11 (crates/lichen-bridge).
# tests/bridge/run.py (run with CPython 3.11) builds the test extensions,
# installs ujson, msgpack and markupsafe unchanged from their CPython 3.11
# wheels, and their sdists' test suites, under ~/.cache/lichen/bridge, and
# runs them all with pytest on lichen-rustpython, against
# tests/bridge/known-failures.txt.
test-bridge:
	@bash scripts/ensure-tools.sh $(MAIN_PYTHON) 3.11 libpython3.11
	@echo "== The bridge: CPython extensions on lichen-rustpython"
	cargo build -q -p lichen-rustpython --ignore-rust-version
	$$(bash scripts/find-python.sh 3.11) tests/bridge/run.py --rustpython $(CARGO_TARGET_DIR)/debug/lichen-rustpython --jobs $(JOBS)

# The bridge's costs (bench/bridge.py, release build): a bridged call,
# ujson through the bridge vs RustPython's json vs ujson on CPython 3.11.
bench-bridge:
	@bash scripts/ensure-tools.sh $(MAIN_PYTHON) 3.11 libpython3.11
	$$(bash scripts/find-python.sh 3.11) bench/bridge.py

# Extensions written in safe Rust with lichen-hpy (issue 9): examples/rust/
# (HPy's proof-of-concept with the sdist's test_pof.py, the array type, the
# registry) and tests/rust_authors/ext, built once into wheels by
# build_backend/lichen_hpy_build.py, installed with pip and tested on
# CPython $(PYTHONS) and PyPy $(PYPYS) through Lichen, on $(MAIN_PYTHON) with
# HPy's own runtime and on lichen-rustpython, in universal and debug mode.
# The compile-fail tests (crates/lichen-hpy/tests/ui) run in `make test-rust`.
test-rust-authors: tools $(foreach v,$(PYTHONS) $(PYPYS),.venv/$(v)/.lichen-installed) .venv/hpy-$(MAIN_PYTHON)/.deps-installed
	@echo "== Rust author bindings (lichen-hpy): examples and tests on Lichen (CPython, PyPy), HPy's runtime, RustPython"
	cargo build -q -p lichen-rustpython --ignore-rust-version
	.venv/$(MAIN_PYTHON)/bin/python tests/rust_authors/run.py --python $(PYTHONS_CSV) --pypy "$(PYPYS_CSV)" \
		--hpy $(MAIN_PYTHON) --rustpython $(CARGO_TARGET_DIR)/debug/lichen-rustpython \
		--build-python .venv/$(MAIN_PYTHON)/bin/python

tools-main:
	@bash scripts/ensure-tools.sh $(MAIN_PYTHON)

clean-venvs:
	rm -rf .venv
