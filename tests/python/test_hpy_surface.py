"""HPy 0.9.0's Python surface on this interpreter (``tests/hpy_surface.py``,
the same checks every host runs)."""
import os
import subprocess
import sys

SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "hpy_surface.py")


def test_hpy_python_surface():
    proc = subprocess.run([sys.executable, SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines() == ["hpy surface: ok"]
