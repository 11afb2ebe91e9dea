#!/usr/bin/env bash
# scripts/find-pypy.sh VERSION   (e.g. 8.0, 7.3.19, 7.3.11)
#
# Prints the path of a PyPy whose version (sys.pypy_version_info) starts with
# VERSION: the private root that scripts/private-root.sh unpacks
# (pypy8.0, pypy7.3.19), else pypy3 on PATH (Debian 12's is 7.3.11).
set -euo pipefail
v="${1:?usage: find-pypy.sh VERSION}"
private="${LICHEN_CACHE:-$HOME/.cache/lichen}/roots/pypy$v"

# The version of a PyPy, "X.Y.Z", or nothing if it does not run.
pypy_version() {
    "$1" -c 'import sys; print("%d.%d.%d" % sys.pypy_version_info[:3])' 2>/dev/null || true
}

# Whether VERSION names this X.Y.Z: equal, or a prefix ending at a dot.
matches() { [ "$1" = "$v" ] || [ "${1#"$v".}" != "$1" ]; }

# The stamp is written last: a root without it is incomplete.
if [ -f "$private/.lichen-root" ] && [ -x "$private/usr/bin/pypy3" ]; then
    echo "$private/usr/bin/pypy3"
    exit 0
fi
for p in $(command -v pypy3 pypy 2>/dev/null || true); do
    if matches "$(pypy_version "$p")"; then
        echo "$p"
        exit 0
    fi
done
echo "find-pypy: no PyPy $v found (looked in $private and for pypy3 on PATH)" >&2
exit 1
