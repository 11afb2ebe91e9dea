#!/usr/bin/env bash
# Prints the path of a CPython X.Y interpreter: pyenv's newest X.Y.*, else pythonX.Y on PATH.
set -euo pipefail
v="$1"
root="${PYENV_ROOT:-$HOME/.pyenv}"
best=""
for p in "$root"/versions/"$v".*/bin/python"$v"; do
    [ -x "$p" ] && best="$p"
done
if [ -z "$best" ]; then
    best="$(command -v "python$v" || true)"
fi
if [ -z "$best" ]; then
    echo "find-python: no CPython $v found (looked in $root/versions and on PATH)" >&2
    exit 1
fi
echo "$best"
