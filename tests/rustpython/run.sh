#!/usr/bin/env bash
# tests/rustpython/run.sh [PYTHON_VERSION]
#
# Builds HPy universal extensions once with hpy.devel (from .venv/hpy-X.Y,
# made by `scripts/venv.sh X.Y hpy`) and runs them under lichen-rustpython:
#   - tests/rustpython/rphost.c with smoke.py, whose output must equal
#     expected.txt in universal, debug (HPY=debug) and trace (HPY=trace)
#     mode; debug_mode.py (a leak and a use after close reported, with their
#     text) and trace_mode.py (call counts of what the functions and the
#     type's slots use); threads_check.py (threads calling the extension at
#     once, in universal, debug and trace mode); HPY_LOG's line;
#     types_destroy.py (tests/python/ext/types.c: the destroy functions
#     and fields of every HPy type on an object's base chain at
#     deallocation, and no __bases__/__class__ assignment that would hand
#     out a struct smaller than its type's, universal and debug mode);
#     opslots.py (tests/rustpython/opslots.c: which number and sequence
#     slots the operators reach, as on CPython, universal and debug mode);
#     unsupported.py (the errors for
#     what RustPython cannot do); builtin_base.py (HPy_tp_new on an int
#     subclass); panic_check.py (a context function made to panic by
#     LICHEN_SELFTEST_PANIC raises SystemError, in each mode; one with no
#     error channel, Leave/ReenterPythonExecution, is a fatal error naming it);
#     tests/hpy_surface.py (HPy's Python surface, as on CPython and PyPy);
#   - HPy 0.9.0's docs/examples simple-example, quickstart and
#     hpytype-example (simple_type, builtin_type), with the assertions of
#     docs/examples/tests.py;
#   - HPy 0.9.0's proof-of-concept (pof, pofcpp, pofpackage) with test_pof.py
#     and docs/porting-example step_03_hpy_final with its test's assertions
#     (run by run_tests.py, which stands in for pytest), the latter also in
#     debug mode, where test_leak_checker uses Lichen's frozen hpy.debug.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -uo pipefail
v="${1:-3.11}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
hpy_ref="${HPY_REF:-$root/.cache/hpy-sdist/hpy-0.9.0}"
work="$root/.cache/rustpython-tests"
py="$root/.venv/hpy-$v/bin/python"
[ -x "$py" ] || bash "$root/scripts/venv.sh" "$v" hpy >/dev/null || exit 1
# the hpy sdist (examples, proof-of-concept), fetched as the suite runner does
[ -d "$hpy_ref" ] || (cd "$root/tests/hpy_suite" && "$py" -c \
    "import run, sys; run.fetch_sdist('$root/.cache', sys.executable)") || exit 1
cargo build -q -p lichen-rustpython --ignore-rust-version || exit 1
bin="$CARGO_TARGET_DIR/debug/lichen-rustpython"

rm -rf "$work" && mkdir -p "$work"
build() {  # build NAME SRC_DIR: a universal build of the setup.py in SRC_DIR
    mkdir -p "$work/$1" && cp -r "$2"/. "$work/$1/" &&
        (cd "$work/$1" && "$py" setup.py -q --hpy-abi=universal build_ext --inplace >build.log 2>&1) ||
        { echo "build of $1 failed:"; cat "$work/$1/build.log"; return 1; }
}

passed=0 failed=0
check() {  # check NAME COMMAND...: counts a pass when COMMAND succeeds
    local name="$1"; shift
    if "$@"; then passed=$((passed + 1)); echo "PASS $name"; else failed=$((failed + 1)); echo "FAIL $name"; fi
}

smoke() {  # smoke MODE
    [ -f "$work/rphost/rphost.hpy0.so" ] || build rphost "$root/tests/rustpython" || return 1
    (cd "$work/rphost" && HPY="$1" "$bin" smoke.py >"out-$1.txt" 2>"err-$1.txt")
    diff -u "$root/tests/rustpython/expected.txt" "$work/rphost/out-$1.txt" || { cat "$work/rphost/err-$1.txt"; return 1; }
}

rphost_script() {  # rphost_script MODE SCRIPT: runs SCRIPT next to rphost
    [ -f "$work/rphost/rphost.hpy0.so" ] || build rphost "$root/tests/rustpython" || return 1
    (cd "$work/rphost" && HPY="$1" PYTHONPATH="$work/rphost" "$bin" "$root/tests/rustpython/$2")
}

examples() {
    build simple "$hpy_ref/docs/examples/simple-example" && build quickstart "$hpy_ref/docs/examples/quickstart" &&
        build hpytype "$hpy_ref/docs/examples/hpytype-example" || return 1
    local script='
import simple, quickstart, simple_type, builtin_type
assert simple.myabs(-42) == 42
assert simple.myabs(42) == 42
assert simple.double(21) == 42
assert quickstart.say_hello() == "Hello world"
p = simple_type.Point(4, 5)
assert p.x == 4
assert p.y == 5
assert p.foo() == 45
assert p.z == 1045
p.z = 2000
assert p.y == 960
assert p.z == 2000
obj = builtin_type.Dummy("hello")
assert obj == "hello"
obj = builtin_type.Language("hello")
obj.lang = "en"
assert obj == "hello"
assert obj.lang == "en"
print("examples ok")
'
    (cd "$work" && PYTHONPATH="$work/simple:$work/quickstart:$work/hpytype" "$bin" -c "$script")
}

proof_of_concept() {
    build pof "$hpy_ref/proof-of-concept" || return 1
    (cd "$work/pof" && "$bin" "$root/tests/rustpython/run_tests.py" test_pof)
}

porting_example() {
    local steps="$hpy_ref/docs/porting-example/steps"
    mkdir -p "$work/porting" &&
        cp "$steps/setup03.py" "$steps/step_03_hpy_final.c" "$steps/test_porting_example.py" "$work/porting/" &&
        (cd "$work/porting" && "$py" setup03.py -q --hpy-abi=universal build_ext --inplace >build.log 2>&1) ||
        { echo "build of the porting example failed"; cat "$work/porting/build.log"; return 1; }
    # In universal mode test_leak_checker would find no debug handle to
    # check; in debug mode it checks the handles of the whole test.
    (cd "$work/porting" && "$bin" "$root/tests/rustpython/run_tests.py" test_porting_example TestPorting test_leak_checker) &&
        (cd "$work/porting" && HPY=debug "$bin" "$root/tests/rustpython/run_tests.py" test_porting_example TestPorting)
}

universal_ext() {  # universal_ext NAME SOURCE: $work/NAME/NAME.hpy0.so, built as conftest.py does
    local inc
    if [ "$2" -nt "$work/$1/$1.hpy0.so" ]; then  # missing, or older than its source
        inc="$("$py" -c 'import hpy.devel; print(hpy.devel.HPyDevel().include_dir)')" && mkdir -p "$work/$1" &&
            cc -shared -fPIC -O0 -DHPY_ABI_UNIVERSAL -I "$inc" -o "$work/$1/$1.hpy0.so" "$2" ||
            return 1
    fi
}

types_destroy() {  # types_destroy MODE: tests/python/ext/types.c
    universal_ext types "$root/tests/python/ext/types.c" &&
        HPY="$1" "$bin" "$root/tests/rustpython/types_destroy.py" "$work/types/types.hpy0.so"
}

operator_slots() {  # operator_slots MODE: tests/rustpython/opslots.c with opslots.py
    universal_ext opslots "$root/tests/rustpython/opslots.c" &&
        HPY="$1" "$bin" "$root/tests/rustpython/opslots.py" "$work/opslots/opslots.hpy0.so"
}

hpy_log() {  # HPY_LOG prints the mode of each import that HPY steers
    local out
    out="$(cd "$work/rphost" && HPY=debug HPY_LOG=1 "$bin" -c "import rphost")" &&
        [ "$out" = "Loading 'rphost' in HPy universal mode with a debug context" ] ||
        { echo "HPY_LOG printed: $out"; return 1; }
}

check smoke smoke universal
check smoke-debug smoke debug
check smoke-trace smoke trace
check debug-mode rphost_script debug debug_mode.py
check trace-mode rphost_script trace trace_mode.py
check threads rphost_script universal threads_check.py
check threads-debug rphost_script debug threads_check.py
check threads-trace rphost_script trace threads_check.py
check hpy-log hpy_log
check types-destroy types_destroy universal
check operator-slots operator_slots universal
check operator-slots-debug operator_slots debug
check types-destroy-debug types_destroy debug
check unsupported rphost_script universal unsupported.py
check builtin-base rphost_script universal builtin_base.py
check builtin-base-debug rphost_script debug builtin_base.py
# a context function made to panic becomes a SystemError, the process lives
# (RUST_BACKTRACE=0: the panic's report on stderr stays short)
panic_barrier() { LICHEN_SELFTEST_PANIC=Add RUST_BACKTRACE=0 rphost_script "$1" panic_check.py; }
# ... except in the functions with no error channel, where it is HPy's fatal
# error naming the function (the process ends; the panic of Reenter comes
# before the thread is back, in the debug and trace contexts through their
# wrappers)
panic_fatal() {  # panic_fatal MODE NAME
    [ -f "$work/rphost/rphost.hpy0.so" ] || build rphost "$root/tests/rustpython" || return 1
    local err
    if err="$(cd "$work/rphost" && LICHEN_SELFTEST_PANIC="$2" RUST_BACKTRACE=0 HPY="$1" PYTHONPATH="$work/rphost" \
        "$bin" -c 'import rphost; rphost.leave_reenter(); print("alive")' 2>&1 >/dev/null)"; then
        echo "no fatal error from a panicking $2"; return 1
    fi
    grep -qF "Fatal Python error: HPy context function '$2' panicked in Lichen (a bug in Lichen): LICHEN_SELFTEST_PANIC=$2" <<<"$err" ||
        { echo "$err"; return 1; }
}
check hpy-surface "$bin" "$root/tests/hpy_surface.py"
check panic-barrier panic_barrier universal
check panic-barrier-debug panic_barrier debug
check panic-barrier-trace panic_barrier trace
check panic-fatal-leave panic_fatal universal LeavePythonExecution
check panic-fatal-reenter-debug panic_fatal debug ReenterPythonExecution
check panic-fatal-reenter-trace panic_fatal trace ReenterPythonExecution
check docs-examples examples
check proof-of-concept proof_of_concept
check porting-example porting_example
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
