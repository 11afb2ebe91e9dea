"""Fixtures for Lichen's own Python tests: C test libraries built at test time.

The sources are in ``ext/`` (one file per kind of library, specialised with
``-D`` macros); ``build`` compiles one with ``cc`` into the test's tmp_path.
"""
import importlib.machinery
import os
import subprocess
import sysconfig

import pytest

EXT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ext")


def hpy_include_dir():
    import hpy.devel

    return hpy.devel.HPyDevel().include_dir


class Builder:
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path

    def __call__(self, source, filename, defines=(), hpy=False):
        """Compiles ``ext/<source>`` into ``tmp_path/<filename>``; returns its path.

        ``defines`` are ``NAME=value`` macros; ``hpy=True`` adds the include
        directory of the installed hpy package and selects the universal ABI.
        """
        out = str(self.tmp_path / filename)
        cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
        cmd = cc.split() + ["-shared", "-fPIC", "-O0", "-o", out, os.path.join(EXT_DIR, source)]
        cmd += ["-D" + d for d in defines]
        if hpy:
            cmd += ["-DHPY_ABI_UNIVERSAL", "-I", hpy_include_dir()]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.returncode == 0, "compiling %s failed:\n%s\n%s" % (source, " ".join(cmd), proc.stdout)
        return out

    def text_file(self, filename, text):
        path = self.tmp_path / filename
        path.write_text(text)
        return str(path)


@pytest.fixture
def build(tmp_path):
    return Builder(tmp_path)


def spec_for(name, path):
    return importlib.machinery.ModuleSpec(name, None, origin=path)
