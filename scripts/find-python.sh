#!/usr/bin/env bash
# Prints the path of a CPython X.Y interpreter: pyenv's newest X.Y.*, else
# pythonX.Y on PATH, else the private root that scripts/private-root.sh
# unpacks (for versions Debian 12 and pyenv here lack, 3.14 and later).
set -euo pipefail
v="$1"
root="${PYENV_ROOT:-$HOME/.pyenv}"
private="${LICHEN_CACHE:-$HOME/.cache/lichen}/roots/cpython$v"
best=""
for p in "$root"/versions/"$v".*/bin/python"$v"; do
    [ -x "$p" ] && best="$p"
done
if [ -z "$best" ]; then
    best="$(command -v "python$v" || true)"
fi
# The stamp is written last: a root without it is incomplete.
if [ -z "$best" ] && [ -f "$private/.lichen-root" ] && [ -x "$private/usr/bin/python$v" ]; then
    best="$private/usr/bin/python$v"
fi
if [ -z "$best" ]; then
    echo "find-python: no CPython $v found (looked in $root/versions, on PATH and in $private)" >&2
    exit 1
fi
echo "$best"
