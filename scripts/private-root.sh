#!/usr/bin/env bash
# scripts/private-root.sh NAME...
#
# Installs, on demand, an interpreter Debian 12 lacks into a private root:
#   cpython3.X   python3.X from Debian's development suite (sid), e.g. cpython3.15
#   pypy8.0      pypy3 8.0 from sid (Python 3.11)
#   pypy7.3.19   pypy3 7.3.19 from Debian 13 "trixie" (Python 3.11)
# Prints the interpreter's path on stdout; what it does goes to stderr.
#
# Nothing is installed system-wide and the system's apt sources are not
# touched: these packages need a newer C library than Debian 12's, so each
# root gets its own. The packages are resolved with a private apt
# configuration (own sources list, lists, cache and an empty dpkg status, in
# $LICHEN_CACHE/apt/<suite>), unpacked with `dpkg-deb -x` into
# $LICHEN_CACHE/roots/<name> (default cache: ~/.cache/lichen), and patched
# with patchelf so that the interpreter starts through the root's loader and
# finds the root's libraries. A stamp file makes a second run instant.
set -euo pipefail

cache="${LICHEN_CACHE:-$HOME/.cache/lichen}"
# Bump when the steps below change, so that existing roots are rebuilt.
recipe=2
stamp_name=.lichen-root

say() { echo "private-root: $*" >&2; }
die() { echo "private-root: error: $*" >&2; exit 1; }

# --- what each name means ---------------------------------------------------

# Sets suite, pkgs (what to ask apt for), bin (the interpreter, relative to
# the root), kind, and vpkg/vprefix (the package whose version must match).
recipe_for() {
    local name="$1"
    case "$name" in
        cpython3.*)
            local v="${name#cpython}"
            suite=sid kind=cpython bin="usr/bin/python$v"
            pkgs="python$v python$v-dev python$v-venv"
            vpkg="python$v" vprefix="$v." ;;
        pypy8.0)
            suite=sid kind=pypy bin=usr/bin/pypy3
            pkgs="pypy3 pypy3-dev pypy3-venv" vpkg=pypy3 vprefix="8.0." ;;
        pypy7.3.19)
            suite=trixie kind=pypy bin=usr/bin/pypy3
            pkgs="pypy3 pypy3-dev pypy3-venv" vpkg=pypy3 vprefix="7.3.19+" ;;
        *) die "unknown name '$name' (known: cpython3.X, pypy8.0, pypy7.3.19)" ;;
    esac
}

# Packages of the dependency closure that are not unpacked: C headers and
# tools must stay Debian 12's (the host's gcc compiles against the host's libc;
# newer glibc headers would make objects need symbols 2.36 lacks), and data
# or configuration the host already provides (debconf, certificates, zoneinfo).
skip_pkg() {
    case "$1" in
        libpython*-dev|python3*-dev|pypy3-dev) return 1 ;;
        *-dev|libc-dev-bin|rpcsvc-proto) return 0 ;;
        debconf|tzdata|netbase|readline-common|openssl|ca-certificates) return 0 ;;
        perl-base|sensible-utils|gcc-*-base) return 0 ;;
    esac
    return 1
}

# --- private apt ------------------------------------------------------------

# Writes $aptdir/etc/apt.conf; APT_CONFIG pointing there makes apt read only
# it (Dir::Etc moves the parts folder, sources list and preferences too).
# Only the host's Acquire settings are kept (proxies, date checks: the
# registry here serves Release files past their Valid-Until), so that the
# host's update hooks (appstream, packagekit) never run for this suite.
apt_setup() {
    local d="$1" suite="$2"
    mkdir -p "$d/etc/apt.conf.d" "$d/etc/preferences.d" "$d/etc/sources.list.d" \
        "$d/state/lists/partial" "$d/cache/archives/partial" "$d/debs"
    [ -e "$d/state/status" ] || : > "$d/state/status"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
        > "$d/etc/sources.list"
    {
        echo "Dir::Etc \"$d/etc\";"
        echo "Dir::State \"$d/state\";"
        echo "Dir::State::status \"$d/state/status\";"
        echo "Dir::Cache \"$d/cache\";"
        echo "Dir::Cache::pkgcache \"\"; Dir::Cache::srcpkgcache \"\";  // built in memory: 2 s, not 180 MB"
        echo "Debug::NoLocking \"true\";"
        echo "APT::Sandbox::User \"$(id -un)\";"
        echo "APT::Install-Recommends \"false\";"
        echo "Acquire::Languages \"none\";"
        echo "Acquire::GzipIndexes \"true\";  // lists stay compressed: 10 MB, not 60"
        apt-config dump 2>/dev/null | grep -E '^Acquire::(https?|ftp|Check-Valid-Until|Check-Date|Retries|ForceIPv[46])' || true
    } > "$d/etc/apt.conf"
}

papt() { APT_CONFIG="$aptdir/etc/apt.conf" "$@"; }

# Lists fetched within the hour are used as they are: ensure-tools.sh
# asks for one root at a time, and sid's lists take seconds to fetch.
apt_update() {
    if [ -n "$(find "$aptdir/state/lists" -maxdepth 1 -name '*InRelease' -mmin -60 2>/dev/null)" ]; then
        say "apt lists of $suite fetched less than an hour ago: not updating"
        return
    fi
    say "apt-get update ($suite, private lists in $aptdir)"
    papt apt-get -q update >"$aptdir/update.log" 2>&1 \
        || { cat "$aptdir/update.log" >&2; die "apt-get update for $suite failed"; }
}

# Prints "name version" for every package of the closure of $pkgs, as apt
# would install it on an empty system.
resolve() {
    local out
    out="$(papt apt-get -s -q install $pkgs 2>&1)" \
        || { echo "$out" >&2; die "apt cannot resolve $pkgs in $suite"; }
    echo "$out" | sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) .*/\1 \2/p'
}

# Downloads the .debs not yet in $aptdir/debs (kept there for rebuilds).
download() {
    local name ver want=()
    while read -r name ver; do
        ls "$aptdir/debs/${name}_${ver//:/%3a}_"*.deb >/dev/null 2>&1 || want+=("$name=$ver")
    done
    [ "${#want[@]}" = 0 ] && return 0
    say "downloading ${#want[@]} packages: ${want[*]}"
    (cd "$aptdir/debs" && papt apt-get -q download "${want[@]}" >"$aptdir/download.log" 2>&1) \
        || { cat "$aptdir/download.log" >&2; die "apt-get download failed"; }
}

deb_of() { ls "$aptdir/debs/${1}_${2//:/%3a}_"*.deb; }

# --- the root -----------------------------------------------------------------

unpack() {
    local name ver
    while read -r name ver; do
        dpkg-deb -x "$(deb_of "$name" "$ver")" "$root"
    done
}

# Absolute symlinks (e.g. /lib64/ld-linux-x86-64.so.2, a venv's wheel folder,
# PyPy's include folder) would point into the host; point them into the root.
fix_symlinks() {
    local link target
    find "$root" -type l -lname '/*' -print0 | while IFS= read -r -d '' link; do
        target="$(readlink "$link")"
        if [ -e "$root$target" ] || [ -L "$root$target" ]; then
            ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$root$target")" "$link"
        fi
    done
}

loader() {
    local f
    for f in usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 lib/x86_64-linux-gnu/ld-linux-x86-64.so.2; do
        [ -f "$root/$f" ] && { realpath "$root/$f"; return; }
    done
    die "no ld-linux-x86-64.so.2 in $root (libc6 not unpacked?)"
}

libpath() {
    local d out=""
    for d in usr/lib/x86_64-linux-gnu lib/x86_64-linux-gnu; do
        [ -d "$root/$d" ] && [ ! -L "$root/$d" ] && out="$out${out:+:}$root/$d"
    done
    echo "$out"
}

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# DT_RPATH (--force-rpath), not DT_RUNPATH: RPATH also applies to the
# dependencies of dependencies (libssl -> libcrypto) and to what is
# dlopen()ed later, where RUNPATH would let the root's loader fall back to
# the host's older libraries through /etc/ld.so.cache.
patch_exe() {
    say "patchelf: loader and rpath of ${1#$root/}"
    patchelf --set-interpreter "$ld" --force-rpath --set-rpath "$rpath" "$1"
}
patch_lib() { patchelf --force-rpath --set-rpath "$rpath" "$1"; }

# Every ELF with an interpreter is started through the root's loader; every
# shared object outside the plain library folders (the interpreter's own
# library, extension modules) gets the rpath.
patch_elves() {
    local f n=0
    while IFS= read -r -d '' f; do
        is_elf "$f" || continue
        if readelf -l "$f" 2>/dev/null | grep -q 'Requesting program interpreter'; then
            patch_exe "$f"
        else
            patch_lib "$f"; n=$((n + 1))
        fi
    done < <(find "$root/usr/bin" "$root/usr/lib" -path "$root/usr/lib/x86_64-linux-gnu" -prune -o \
                 -type f \( -perm -u+x -o -name '*.so*' \) -print0)
    while IFS= read -r -d '' f; do
        is_elf "$f" && { patch_lib "$f"; n=$((n + 1)); }
    # The interpreter's own library (libpython3.X.so, libpypy3.11-c.so, which
    # the small pypy3 binary loads) sits among the plain libraries.
    done < <(find "$root/usr/lib/x86_64-linux-gnu" -maxdepth 1 -type f \
                 \( -name 'libpython*' -o -name 'libpypy*' \) -print0)
    say "patchelf: rpath of $n shared objects"
}

# --- per-kind fixes -----------------------------------------------------------

# Rewrites, in the sysconfig files given, the system paths of the
# interpreter's own folders ($1: a regex of them, under /usr/) to the root's.
root_paths() {
    local dirs="$1" f; shift
    for f in "$@"; do
        [ -f "$f" ] && [ ! -L "$f" ] || continue
        sed -i -E -e "s#(^|[^A-Za-z0-9_./-])/usr/($dirs)#\1$root/usr/\2#g" \
            -e "s#^(\s*'BINDIR': ')/usr/bin'#\1$root/usr/bin'#" "$f"
        say "sysconfig: root paths in ${f#$root/}"
    done
}

fix_cpython() {
    local v="${name#cpython}"
    # Debian's pyconfig.h is a wrapper that includes
    # <x86_64-linux-gnu/python3.X/pyconfig.h>, which gcc would look for in
    # the host's /usr/include (no 3.X there); put the real file in its place.
    if [ -f "$root/usr/include/x86_64-linux-gnu/python$v/pyconfig.h" ]; then
        cp "$root/usr/include/x86_64-linux-gnu/python$v/pyconfig.h" "$root/usr/include/python$v/pyconfig.h"
        say "pyconfig.h: replaced Debian's multiarch wrapper by the real file"
    fi
    # The sysconfig data names the paths of a system install (INCLUDEPY,
    # LIBPL, EXENAME, the wheel folder ensurepip uses, ...): make them the
    # root's. Host tools (/usr/bin/install) and folders (INCLUDEDIR, LIBDIR:
    # system headers and -L for linking) stay the host's; the config script
    # finds its own prefix.
    root_paths "include/python$v|lib/python$v|share/python-wheels|bin/python$v" \
        "$root/usr/lib/python$v"/_sysconfigdata_*.py "$root/usr/lib/python$v"/config-*/Makefile
}

# PyPy's sysconfig data: INCLUDEPY is what cffi's compiler step uses
# (through setuptools), WHEEL_PKG_DIR is where `pypy3 -m venv` takes pip and
# setuptools from (else it takes the host's older wheels).
fix_pypy() {
    local lib
    lib="$(basename "$(dirname "$(find "$root/usr/lib" -maxdepth 2 -path '*/pypy3*/_sysconfigdata.py' | head -1)")")"
    [ -n "$lib" ] || die "no pypy3.X/_sysconfigdata.py in $root/usr/lib"
    root_paths "include/$lib|lib/$lib|share/python-wheels" "$root/usr/lib/$lib"/_sysconfigdata_*.py
}

# --- main -----------------------------------------------------------------------

# The stamp's first line names the recipe and the root's own path: the
# patched loader path, rpaths and sysconfig data are absolute, so a moved
# cache folder is rebuilt.
stamp_line() { echo "recipe=$recipe $1"; }
stamp_ok() { [ -f "$1/$stamp_name" ] && [ "$(head -1 "$1/$stamp_name")" = "$(stamp_line "$1")" ]; }

need_tools() {
    local t
    # The loader and library folder names below are amd64's.
    [ "$(dpkg --print-architecture)" = amd64 ] || die "only amd64 is supported"
    for t in apt-get dpkg-deb patchelf readelf flock; do
        command -v "$t" >/dev/null || die "$t is missing (scripts/ensure-tools.sh installs patchelf)"
    done
}

build() {
    name="$1"; recipe_for "$name"
    root="$cache/roots/$name"; aptdir="$cache/apt/$suite"
    if stamp_ok "$root" && [ -x "$root/$bin" ]; then echo "$root/$bin"; return; fi
    need_tools
    # One build at a time (make -j may ask for two roots at once; they share
    # the apt lists, which apt does not lock here); the one that waited finds
    # the root done.
    mkdir -p "$cache/roots"
    exec 9>"$cache/roots/.lock"
    flock 9
    if stamp_ok "$root" && [ -x "$root/$bin" ]; then flock -u 9; echo "$root/$bin"; return; fi
    local t0=$SECONDS closure ver
    say "building $root"
    apt_setup "$aptdir" "$suite"
    apt_update
    closure="$(resolve)"
    ver="$(echo "$closure" | awk -v p="$vpkg" '$1 == p { print $2 }')"
    case "$ver" in
        "$vprefix"*) ;;
        "") die "$suite has no package $vpkg" ;;
        *) die "$suite serves $vpkg $ver, not $vprefix* (the name $name no longer matches)" ;;
    esac
    closure="$(echo "$closure" | while read -r n v; do skip_pkg "$n" || echo "$n $v"; done)"
    echo "$closure" | download
    rm -rf "$root"; mkdir -p "$root"
    say "unpacking $(echo "$closure" | wc -l) packages into $root"
    echo "$closure" | unpack
    fix_symlinks
    ld="$(loader)"; rpath="$(libpath)"
    patch_elves
    "fix_$kind"
    "$root/$bin" -c 'import sys; print(sys.version.replace(chr(10), " "))' >&2 \
        || die "$root/$bin does not start"
    { stamp_line "$root"; echo "$closure"; } > "$root/$stamp_name"
    flock -u 9
    say "done in $((SECONDS - t0)) s: $(du -sh "$root" | cut -f1)"
    echo "$root/$bin"
}

[ $# -gt 0 ] || { sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0" >&2; exit 2; }
for n in "$@"; do build "$n"; done
