"""Debug mode sees the handles of an extension written with lichen-hpy:
its calls close every handle they open, and the deliberate leak of
rustext.leak() (safe Rust may `mem::forget` a handle) is reported. Run by
run.py with HPY=debug only."""
import pytest
from hpy.debug import LeakDetector
from hpy.debug.leakdetector import HPyLeakError

import rustext
from rustext import Counter


def test_ordinary_calls_leak_nothing():
    with LeakDetector():
        rustext.signature(1, 2, 3, c=4, d=5)
        rustext.pairs([("a", 1.0)])
        rustext.roundtrip_str("x")
        c = Counter(2)
        c.incr()
        c += 1
        assert 1 in c and c[1] == 1 and (c + 1).count == 5
        c.log = [1]
        assert c.log == [1]
        with pytest.raises(ValueError):
            rustext.raise_value_error("x")
        with pytest.raises(SystemError):
            rustext.panics("in debug mode")


def test_a_forgotten_handle_is_reported():
    with pytest.raises(HPyLeakError) as e:
        with LeakDetector():
            rustext.leak()
    assert "1 unclosed handle" in str(e.value)
    assert "leaked" in str(e.value)
