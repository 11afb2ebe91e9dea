"""A PEP 517 build backend for HPy universal extensions written in Rust
with ``lichen-hpy``.

A project is a Cargo crate (``crate-type = ["cdylib"]``) with a
``pyproject.toml``::

    [build-system]
    requires = ["lichen-hpy-build"]        # or backend-path to this file
    build-backend = "lichen_hpy_build"

    [project]
    name = "example"
    version = "0.1.0"

    [tool.lichen-hpy]
    modules = ["example", "pkg.sub"]       # default: [project.name]
    python-source = "python"              # optional: Python files to ship
    profile = "release"                    # optional: the Cargo profile

``modules`` may also be a table mapping each module to the directory of
the crate that builds it (``{"pkg.sub" = "crates/sub"}``); a list means
this directory's crate for all. One binary can hold several modules: each
is installed as its own ``name.hpy0.so`` (it exports that module's
``HPyInit_<name>``).

The wheel holds, per module, ``name.hpy0.so`` and ``name.py``, a loader
that finds an HPy runtime (``hpy.universal``: Lichen's or HPy's own) and
loads the binary, or raises an ImportError naming what to install. The
binary depends on no Python version or ABI, only on the platform, so the
wheel is tagged ``py3-none-<platform>``. The runtime is an optional
dependency (extras ``lichen`` and ``hpy``): which one serves
``hpy.universal`` is the installer's choice, and on RustPython it is built
into ``lichen-rustpython``.

``python lichen_hpy_build.py develop [dir]`` builds in place for
development: the binaries and loaders next to the Python sources (or in the
project directory), importable from there. ``pip install -e .`` does the
same through PEP 660.

Only the standard library is used (plus ``tomli`` before Python 3.11).
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import sysconfig
import zipfile

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

HPY_ABI_TAG = "hpy0"

LOADER = '''\
# Loader of the HPy universal extension {module!r}, written by lichen_hpy_build.
def __bootstrap__():
    import os
    import sys
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), {ext_file!r})
    try:
        from hpy.universal import _load_bootstrap
    except ImportError as e:
        raise ImportError(
            "{module} is an HPy universal extension (%s) and needs an HPy runtime "
            "providing hpy.universal: install Lichen ('pip install lichen', or "
            "'pip install {dist}[lichen]') or HPy's own ('pip install hpy==0.9.0'); "
            "on RustPython, run it with lichen-rustpython." % path,
            name=__name__, path=path) from e
    m = _load_bootstrap({short!r}, __name__, __package__, path, __loader__, __spec__, os.environ)
    sys.modules[__name__] = m


__bootstrap__()
'''


def _log(msg):
    sys.stderr.write("lichen_hpy_build: %s\n" % msg)
    sys.stderr.flush()


class Project:
    """What pyproject.toml says about the project in ``root``."""

    def __init__(self, root):
        self.root = os.path.abspath(root)
        with open(os.path.join(self.root, "pyproject.toml"), "rb") as f:
            data = tomllib.load(f)
        project = data.get("project", {})
        self.name = project["name"]
        self.version = project.get("version", "0.0.0")
        self.summary = project.get("description", "")
        self.requires_python = project.get("requires-python", ">=3.9")
        tool = data.get("tool", {}).get("lichen-hpy", {})
        modules = tool.get("modules", [self.name.replace("-", "_")])
        if isinstance(modules, dict):
            self.modules = {m: os.path.join(self.root, d) for m, d in modules.items()}
        else:
            self.modules = {m: self.root for m in modules}
        src = tool.get("python-source")
        self.python_source = os.path.join(self.root, src) if src else None
        self.profile = os.environ.get("LICHEN_HPY_PROFILE", tool.get("profile", "release"))
        self.features = tool.get("features", [])

    @property
    def dist_name(self):
        return self.name.replace("-", "_")


def cargo_build(crate_dir, profile, features):
    """Builds the crate's cdylib; returns the path of the binary."""
    cmd = [
        os.environ.get("CARGO", "cargo"), "build", "--lib", "--message-format=json-render-diagnostics",
        "--manifest-path", os.path.join(crate_dir, "Cargo.toml"), "--profile", profile,
    ]
    if features:
        cmd += ["--features", ",".join(features)]
    _log(" ".join(cmd))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, check=True).stdout.decode()
    found = None
    manifest = os.path.realpath(os.path.join(crate_dir, "Cargo.toml"))
    for line in out.splitlines():
        if not line.startswith("{"):
            continue
        msg = json.loads(line)
        if msg.get("reason") != "compiler-artifact" or "cdylib" not in msg["target"]["kind"]:
            continue
        if os.path.realpath(msg.get("manifest_path", manifest)) != manifest:
            continue
        found = [f for f in msg["filenames"] if f.endswith((".so", ".dylib", ".dll"))][0]
    if not found:
        raise RuntimeError("cargo built no cdylib in %s: set crate-type = [\"cdylib\"]" % crate_dir)
    return found


def build_binaries(project):
    """Builds every crate once; returns {module: binary path}."""
    built = {}
    for crate in sorted(set(project.modules.values())):
        built[crate] = cargo_build(crate, project.profile, project.features)
    return {m: built[c] for m, c in project.modules.items()}


def module_files(module, binary, dist):
    """(path in the wheel, bytes) of a module's binary and loader."""
    parts = module.split(".")
    short = parts[-1]
    ext_file = "%s.%s.so" % (short, HPY_ABI_TAG)
    with open(binary, "rb") as f:
        so = f.read()
    loader = LOADER.format(module=module, ext_file=ext_file, short=short, dist=dist)
    return [("/".join(parts[:-1] + [ext_file]), so), ("/".join(parts) + ".py", loader.encode())]


def python_files(project):
    """(path in the wheel, bytes) of the Python sources shipped as they are."""
    out = []
    src = project.python_source
    if not src:
        return out
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for fn in filenames:
            if fn.endswith((".so", ".pyc")):
                continue
            path = os.path.join(dirpath, fn)
            with open(path, "rb") as f:
                out.append((os.path.relpath(path, src).replace(os.sep, "/"), f.read()))
    return out


def wheel_tag():
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "py3-none-%s" % plat


def metadata(project):
    return (
        "Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nRequires-Python: %s\n"
        "Provides-Extra: lichen\nRequires-Dist: lichen; extra == \"lichen\"\n"
        "Provides-Extra: hpy\nRequires-Dist: hpy==0.9.0; extra == \"hpy\"\n"
        % (project.name, project.version, project.summary, project.requires_python)
    )


def write_wheel(project, wheel_directory, files):
    tag = wheel_tag()
    name = "%s-%s-%s.whl" % (project.dist_name, project.version, tag)
    info = "%s-%s.dist-info" % (project.dist_name, project.version)
    files = list(files) + [
        (info + "/METADATA", metadata(project).encode()),
        (info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: lichen_hpy_build\nRoot-Is-Purelib: false\nTag: %s\n" % tag).encode()),
    ]
    record = []
    path = os.path.join(wheel_directory, name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for arc, data in files:
            z.writestr(arc, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (arc, digest, len(data)))
        record.append(info + "/RECORD,,")
        z.writestr(info + "/RECORD", "\n".join(record) + "\n")
    _log("wrote " + path)
    return name


# ---------------------------------------------------------------------------
# PEP 517 / PEP 660 hooks

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = Project(os.getcwd())
    files = python_files(project)
    for module, binary in build_binaries(project).items():
        files += module_files(module, binary, project.name)
    return write_wheel(project, wheel_directory, files)


def develop(root):
    """Builds in place: binaries and loaders next to the Python sources (or
    in the project directory); returns that directory."""
    project = Project(root)
    dest = project.python_source or project.root
    for module, binary in build_binaries(project).items():
        for arc, data in module_files(module, binary, project.name):
            path = os.path.join(dest, *arc.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if os.path.exists(path):
                os.unlink(path)  # a loaded binary is replaced, not rewritten
            with open(path, "wb") as f:
                f.write(data)
            _log("wrote " + path)
    return dest


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    project = Project(os.getcwd())
    dest = develop(project.root)
    pth = ("%s.pth" % project.dist_name, (dest + "\n").encode())
    return write_wheel(project, wheel_directory, [pth])


def build_sdist(sdist_directory, config_settings=None):
    import tarfile

    project = Project(os.getcwd())
    base = "%s-%s" % (project.dist_name, project.version)
    path = os.path.join(sdist_directory, base + ".tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        for dirpath, dirnames, filenames in os.walk(project.root):
            dirnames[:] = [d for d in dirnames if d not in ("target", "__pycache__", ".git")]
            for fn in filenames:
                full = os.path.join(dirpath, fn)
                tar.add(full, arcname=base + "/" + os.path.relpath(full, project.root))
        info = tarfile.TarInfo(base + "/PKG-INFO")
        data = metadata(project).encode()
        info.size = len(data)
        import io

        tar.addfile(info, io.BytesIO(data))
    return os.path.basename(path)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "develop":
        print(develop(sys.argv[2] if len(sys.argv) > 2 else "."))
    else:
        sys.exit("usage: python lichen_hpy_build.py develop [project dir]")
