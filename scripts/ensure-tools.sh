#!/usr/bin/env bash
# scripts/ensure-tools.sh [X.Y ...]
#
# Makes sure the tools the Makefile needs exist, installing what is missing:
# a C compiler (apt-get, only if there is none), cargo (rustup), and a CPython
# X.Y for every version given (pyenv, if a pyenv is present).
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

pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
for v in "$@"; do
    if "$root/scripts/find-python.sh" "$v" >/dev/null 2>&1; then
        continue
    fi
    if have pyenv || [ -x "$pyenv_root/bin/pyenv" ]; then
        pyenv="$(command -v pyenv || echo "$pyenv_root/bin/pyenv")"
        latest="$("$pyenv" install --list | sed -n "s/^ *\($v\.[0-9][0-9]*\)$/\1/p" | tail -1)"
        echo "== no CPython $v: installing $latest with pyenv"
        "$pyenv" install -s "$latest"
    else
        echo "ensure-tools: no CPython $v and no pyenv to install it; install python$v" >&2
        exit 1
    fi
done
