"""The panic barrier (``crates/lichen-core/src/guard.rs``): a Rust panic
inside a context function becomes a ``SystemError`` naming the function and
the process goes on, instead of aborting the interpreter.

``LICHEN_SELFTEST_PANIC=Name`` makes the universal context's function
``Name`` panic on every call (read when the context is built), so each case
runs in a fresh interpreter; ``debug:Name`` does the same for the debug
context's overrides of the functions with no error channel
(``LeavePythonExecution``, ``ReenterPythonExecution``, ``FatalError``),
where a panic is HPy's fatal error instead of a ``SystemError``.
"""
import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import sys, importlib.machinery
    import lichen.universal
    path, mode, func, arg = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    spec = importlib.machinery.ModuleSpec("panic", None, origin=path)
    modes = {"universal": lichen.universal.MODE_UNIVERSAL, "debug": lichen.universal.MODE_DEBUG,
             "trace": lichen.universal.MODE_TRACE}
    m = lichen.universal.load("panic", path, spec, mode=modes[mode])
    try:
        getattr(m, func)(*[int(a) for a in arg])
    except SystemError as e:
        print("SystemError:", e)
    else:
        print("no exception")
    # the interpreter and the extension still work afterwards
    assert m.as_ssize(7) == 7 if func != "as_ssize" else True
    print("alive")
    """
)


def start(build, tmp_path, env_target, mode, func, *args):
    path = build("panic.c", "panic.hpy0.so", hpy=True)
    env = dict(os.environ, LICHEN_SELFTEST_PANIC=env_target)
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, path, mode, func] + [str(a) for a in args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=str(tmp_path),
    )


def run(build, tmp_path, env_target, mode, func, *args):
    proc = start(build, tmp_path, env_target, mode, func, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


@pytest.mark.parametrize("mode", ["universal", "debug", "trace"])
@pytest.mark.parametrize(
    "target, func, args",
    [("Add", "add", (1, 2)), ("Long_AsSsize_t", "as_ssize", (5,)), ("Close", "close_dup", (3,))],
)
def test_a_panicking_context_function_raises_system_error(build, tmp_path, mode, target, func, args):
    out = run(build, tmp_path, target, mode, func, *args)
    assert out == [
        "SystemError: HPy context function '%s' panicked in Lichen (a bug in Lichen): "
        "LICHEN_SELFTEST_PANIC=%s: the self-test panic" % (target, target),
        "alive",
    ]


def test_without_the_hook_nothing_panics(build, tmp_path):
    assert run(build, tmp_path, "", "universal", "add", 1, 2) == ["no exception", "alive"]


@pytest.mark.parametrize("mode, prefix, suffix", [
    ("universal", "", ""),
    ("debug", "", ""),
    ("trace", "", ""),
    ("debug", "debug:", " (debug mode)"),
])
@pytest.mark.parametrize("target, func", [
    ("LeavePythonExecution", "leave_reenter"),
    ("ReenterPythonExecution", "leave_reenter"),
    ("FatalError", "fatal"),
])
def test_a_panic_without_an_error_channel_is_a_fatal_error(build, tmp_path, mode, prefix, suffix, target, func):
    # These three have no error value to return (and, for Leave/Reenter, no
    # telling whether the GIL is held after a panic, which raising needs):
    # HPy's fatal-error path, with a message naming the function, instead of
    # Rust's abort for a panic that cannot unwind. Without a prefix the
    # universal context's function panics (the debug override and the trace
    # wrapper call it: the process ends in its barrier, which names it
    # without a mode); with "debug:" the debug context's own override does.
    # The panic of ReenterPythonExecution comes before the thread took the
    # GIL back, so the fatal-error path runs without it.
    proc = start(build, tmp_path, prefix + target, mode, func)
    assert proc.returncode != 0
    assert "alive" not in proc.stdout
    assert "Fatal Python error" in proc.stderr, proc.stderr
    assert (
        "HPy context function '%s'%s panicked in Lichen (a bug in Lichen): "
        "LICHEN_SELFTEST_PANIC=%s%s: the self-test panic" % (target, suffix, prefix, target)
    ) in proc.stderr, proc.stderr
    if target == "FatalError":
        assert "the extension's fatal error" in proc.stderr


@pytest.mark.parametrize("mode", ["universal", "debug", "trace"])
def test_without_the_hook_leave_and_reenter_work(build, tmp_path, mode):
    assert run(build, tmp_path, "", mode, "leave_reenter") == ["no exception", "alive"]


TRACE_HOOKS = textwrap.dedent(
    """
    import sys, importlib.machinery
    import lichen.universal
    from lichen.universal import _trace
    path = sys.argv[1]
    spec = importlib.machinery.ModuleSpec("panic", None, origin=path)
    m = lichen.universal.load("panic", path, spec, mode=lichen.universal.MODE_TRACE)
    calls = []
    _trace.set_trace_functions(on_enter=lambda n: calls.append(("enter", n)),
                               on_exit=lambda n: calls.append(("exit", n)))
    m.leave_reenter()
    _trace.set_trace_functions(None, None)
    for what, name in calls:
        if name in ("ctx_LeavePythonExecution", "ctx_ReenterPythonExecution"):
            print(what, name)
    """
)


def test_trace_hooks_of_leave_and_reenter_run_while_the_vm_may_be_used(build, tmp_path):
    # The trace hooks are Python functions: those of LeavePythonExecution
    # run before it gives the VM up (the GIL, on CPython), those of
    # ReenterPythonExecution after it takes the VM back. Calling the exit
    # hook of Leave after the GIL was released crashed the interpreter.
    path = build("panic.c", "panic.hpy0.so", hpy=True)
    proc = subprocess.run([sys.executable, "-c", TRACE_HOOKS, path], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "enter ctx_LeavePythonExecution", "exit ctx_LeavePythonExecution",
        "enter ctx_ReenterPythonExecution", "exit ctx_ReenterPythonExecution",
    ]
