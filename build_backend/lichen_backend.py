"""Lichen's PEP 517 build backend.

On CPython it is maturin's (the ``lichen._lichen`` extension module, PyO3).
On PyPy it builds the PyPy host instead: the ``lichen-pypy`` static library
with cargo, linked into the cffi module ``lichen._lichen_pypy`` by
``python/lichen/_pypy/build.py``, and a wheel holding the ``lichen``
package, that module, HPy 0.9.0's Python surface (``hpy.devel`` with its
headers, ``hpy.debug``, ``hpy.trace``: PyPy ships its own, older ``hpy``,
and HPy's package refuses to install on PyPy) taken from the ``hpy==0.9.0``
sdist (``LICHEN_HPY_SDIST``, else fetched with pip), and the ``.pth`` that
makes ``hpy`` and ``hpy.universal`` Lichen's (see ``lichen._provider``).
"""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import zipfile

IS_PYPY = sys.implementation.name == "pypy"

if not IS_PYPY:
    from maturin import *  # noqa: F401,F403

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "lichen"
VERSION = "0.1.0"
HPY_VERSION = "0.9.0"
PTH_NAME = "lichen-hpy-universal.pth"
PTH_LINE = "import lichen._provider as p; p.install()\n"
SUMMARY = "A Rust runtime for HPy universal-ABI extensions (drop-in hpy.universal)"


def _log(msg):
    sys.stderr.write("lichen_backend: %s\n" % msg)
    sys.stderr.flush()


def _wheel_tag():
    """``pp39-pypy39_pp73-linux_x86_64`` for this interpreter."""
    suffix = sysconfig.get_config_var("EXT_SUFFIX")  # .pypy39-pp73-x86_64-linux-gnu.so
    abi = "_".join(suffix.split(".")[1].split("-")[:2])
    impl = "pp%d%d" % sys.version_info[:2]
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (impl, abi, plat)


def _metadata():
    return (
        "Metadata-Version: 2.1\n"
        "Name: %s\nVersion: %s\nSummary: %s\nLicense: MIT\nRequires-Python: >=3.9\n"
        "Classifier: Programming Language :: Python :: Implementation :: PyPy\n" % (NAME, VERSION, SUMMARY)
    )


ENTRY_POINTS = "[distutils.setup_keywords]\nhpy_ext_modules = hpy.devel:handle_hpy_ext_modules\n"


def _dist_info(target):
    """Lichen's metadata, with the setuptools keyword ``hpy_ext_modules``
    of the HPy surface it installs (HPy's own distribution declares it)."""
    d = os.path.join(target, "%s-%s.dist-info" % (NAME, VERSION))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "METADATA"), "w") as f:
        f.write(_metadata())
    with open(os.path.join(d, "entry_points.txt"), "w") as f:
        f.write(ENTRY_POINTS)
    return os.path.basename(d)


# --------------------------------------------------------------------------
# the pieces


def _cargo_staticlib():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    _log("cargo build --release -p lichen-pypy (CARGO_TARGET_DIR=%s)" % target)
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    subprocess.check_call(["cargo", "build", "--release", "-p", "lichen-pypy"], cwd=ROOT, env=env)
    return os.path.join(target, "release", "liblichen_pypy.a")


def _cffi_module(staticlib, tmp):
    sys.path.insert(0, os.path.join(ROOT, "python", "lichen", "_pypy"))
    try:
        import build as cffi_build  # python/lichen/_pypy/build.py, by path
    finally:
        sys.path.pop(0)
    _log("compiling the cffi module")
    return cffi_build.build(os.path.join(ROOT, "crates", "lichen-pypy"), staticlib, tmp)


def _hpy_sdist(tmp):
    path = os.environ.get("LICHEN_HPY_SDIST")
    if path:
        return path
    _log("fetching the hpy==%s sdist with pip (set LICHEN_HPY_SDIST to use a local one)" % HPY_VERSION)
    dest = os.path.join(tmp, "sdist")
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:", "-d", dest]
    try:
        subprocess.check_call(cmd + ["hpy==%s" % HPY_VERSION])
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError(
            "Lichen on PyPy needs HPy %s's Python surface from its sdist and could not fetch it (%s); "
            "download hpy-%s.tar.gz and set LICHEN_HPY_SDIST to its path" % (HPY_VERSION, e, HPY_VERSION)
        )
    return os.path.join(dest, "hpy-%s.tar.gz" % HPY_VERSION)


def _hpy_surface(sdist, target):
    """Unpacks ``hpy/devel``, ``hpy/debug``, ``hpy/trace`` of the sdist into
    ``target/hpy`` (HPy's files, as its distribution installs them)."""
    prefix = "hpy-%s/hpy/" % HPY_VERSION
    keep = ("devel/", "debug/", "trace/")
    with tarfile.open(sdist) as tar:
        for member in tar.getmembers():
            if not member.name.startswith(prefix) or not member.isfile():
                continue
            rel = member.name[len(prefix) :]
            if not rel.startswith(keep):
                continue
            out = os.path.join(target, "hpy", rel)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            with tar.extractfile(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst)
    # HPy's own hpy is a namespace package; this one is a regular package
    # so that it, not PyPy's bundled one, is found (lichen._provider).
    with open(os.path.join(target, "hpy", "__init__.py"), "w") as f:
        f.write("# HPy %s's Python surface, installed with Lichen for PyPy.\n" % HPY_VERSION)


# HPy's helpers (HPyArg_Parse, HPy_BuildValue, ...) that universal
# extensions compile in; HPy's setup.py prebuilds them as this static library,
# which HPy's test support links instead of compiling them again per test.
HELPER_SOURCES = ["argparse.c", "buildvalue.c", "format.c", "helpers.c", "structseq.c"]


def _hpy_static_lib(surface, tmp):
    """Builds ``hpy/devel/lib/universal/libhpy-extra-universal.a`` from the
    helper sources of the surface, as HPy's own build does."""
    from distutils.ccompiler import new_compiler
    from distutils.sysconfig import customize_compiler

    devel = os.path.join(surface, "hpy", "devel")
    compiler = new_compiler()
    customize_compiler(compiler)
    sources = [os.path.join(devel, "src", "runtime", name) for name in HELPER_SOURCES]
    objects = compiler.compile(
        sources,
        output_dir=os.path.join(tmp, "helpers"),
        macros=[("HPY", None), ("HPY_ABI_UNIVERSAL", None)],
        include_dirs=[os.path.join(devel, "include")],
    )
    out_dir = os.path.join(devel, "lib", "universal")
    os.makedirs(out_dir, exist_ok=True)
    compiler.create_static_lib(objects, "hpy-extra-universal", output_dir=out_dir)


def _package_files(tree):
    """Copies the ``lichen`` package into ``tree`` (no caches, no stray
    native modules from other interpreters)."""
    src = os.path.join(ROOT, "python", "lichen")
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        rel = os.path.relpath(dirpath, os.path.join(ROOT, "python"))
        for name in filenames:
            if name.endswith((".pyc", ".so")):
                continue
            out = os.path.join(tree, rel, name)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            shutil.copy2(os.path.join(dirpath, name), out)


def _record_line(tree, rel):
    with open(os.path.join(tree, rel), "rb") as f:
        data = f.read()
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (rel, digest, len(data))


def _zip_wheel(tree, wheel_path, dist_info):
    rels = []
    for dirpath, _, filenames in os.walk(tree):
        for name in filenames:
            rels.append(os.path.relpath(os.path.join(dirpath, name), tree))
    record = "%s/RECORD" % dist_info
    lines = [_record_line(tree, r) for r in sorted(rels)] + ["%s,," % record]
    with open(os.path.join(tree, record), "w") as f:
        f.write("\n".join(lines) + "\n")
    with zipfile.ZipFile(wheel_path, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in sorted(rels) + [record]:
            z.write(os.path.join(tree, rel), rel)


def _build_pypy_wheel(wheel_directory):
    tag = _wheel_tag()
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        _package_files(tree)
        module = _cffi_module(_cargo_staticlib(), os.path.join(tmp, "cffi"))
        shutil.copy2(module, os.path.join(tree, "lichen", os.path.basename(module)))
        surface = os.path.join(tree, "lichen", "_hpy")
        _hpy_surface(_hpy_sdist(tmp), surface)
        _hpy_static_lib(surface, tmp)
        with open(os.path.join(tree, PTH_NAME), "w") as f:
            f.write(PTH_LINE)
        dist_info = _dist_info(tree)
        with open(os.path.join(tree, dist_info, "WHEEL"), "w") as f:
            f.write("Wheel-Version: 1.0\nGenerator: lichen_backend\nRoot-Is-Purelib: false\nTag: %s\n" % tag)
        name = "%s-%s-%s.whl" % (NAME, VERSION, tag)
        _zip_wheel(tree, os.path.join(wheel_directory, name), dist_info)
        _log("built %s" % name)
        return name


if IS_PYPY:

    def get_requires_for_build_wheel(config_settings=None):
        return []

    def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
        return _dist_info(metadata_directory)

    def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
        return _build_pypy_wheel(wheel_directory)

    def get_requires_for_build_sdist(config_settings=None):
        return []

    def build_sdist(sdist_directory, config_settings=None):
        raise RuntimeError("build Lichen's sdist on CPython (maturin); on PyPy, install from the source tree")
