#!/usr/bin/env bash
# scripts/ensure-tools.sh [X.Y | pypyVERSION ...]
#
# Makes sure the tools the Makefile needs exist, installing what is missing:
# a C compiler (apt-get, only if there is none), cargo (rustup), and for every
# name given:
#   X.Y up to 3.13   a CPython X.Y (pyenv, if a pyenv is present)
#   X.Y from 3.14    a CPython X.Y from Debian's development suite, unpacked
#                    into a private root (scripts/private-root.sh; pyenv cannot
#                    fetch sources here and Debian 12 stops at 3.11)
#   pypy7.3.11       Debian 12's own pypy3 (apt-get install pypy3 pypy3-dev pypy3-venv)
#   pypy8.0, pypy7.3.19   PyPy from Debian sid / trixie in a private root
#   libpython3.11    Debian's shared libpython (the bridge of lichen-rustpython embeds it)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else
        echo "ensure-tools: need root to run: $*" >&2; return 1; fi
}

if ! have cc; then
    echo "== no C compiler: installing build-essential with apt-get"
    as_root apt-get update
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y build-essential
fi

if ! have cargo && [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! have cargo; then
    echo "== no cargo: installing the stable Rust toolchain with rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
fi

apt_install() {
    echo "== installing $* with apt-get"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

# patchelf is a Debian 12 package; the private roots need it.
private_root() {
    have patchelf || apt_install patchelf
    "$root/scripts/private-root.sh" "$@" >/dev/null
}

# Debian 12's pypy3 is 7.3.11; the newer ones exist only in private roots.
ensure_pypy() {
    local v="$1"
    if [ "$v" = 7.3.11 ]; then
        "$root/scripts/find-pypy.sh" "$v" >/dev/null 2>&1 || apt_install pypy3 pypy3-dev pypy3-venv
        "$root/scripts/find-pypy.sh" "$v" >/dev/null
    else
        private_root "pypy$v"
    fi
}

# The shared libpython the bridge embeds (lichen-rustpython opens it with
# dlopen): Debian's libpython3.11 package.
ensure_libpython() {
    ldconfig -p 2>/dev/null | grep -q "$1\.so\.1\.0" || apt_install "$1"
}

pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for v in "$@"; do
    case "$v" in pypy*) ensure_pypy "${v#pypy}"; continue ;; esac
    case "$v" in libpython*) ensure_libpython "$v"; continue ;; esac
    if "$root/scripts/find-python.sh" "$v" >/dev/null 2>&1; then
        # A private root is checked again: instant when done, rebuilt
        # when scripts/private-root.sh has changed its recipe.
        case "$("$root/scripts/find-python.sh" "$v")" in
            */roots/cpython"$v"/*) private_root "cpython$v" ;;
        esac
        continue
    fi
    if [ "${v#3.}" -ge 14 ] 2>/dev/null; then
        echo "== no CPython $v: unpacking Debian's python$v into a private root"
        private_root "cpython$v"
    elif have pyenv || [ -x "$pyenv_root/bin/pyenv" ]; then
        pyenv="$(command -v pyenv || echo "$pyenv_root/bin/pyenv")"
        latest="$("$pyenv" install --list | sed -n "s/^ *\($v\.[0-9][0-9]*\)$/\1/p" | tail -1)"
        echo "== no CPython $v: installing $latest with pyenv"
        "$pyenv" install -s "$latest"
    else
        echo "ensure-tools: no CPython $v and no pyenv to install it; install python$v" >&2
        exit 1
    fi
done
