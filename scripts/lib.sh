# Shared by scripts/test, scripts/tour, scripts/grade, scripts/honesty and scripts/bench: source it.
# shellcheck shell=bash

DOCKLING_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "run me as root (sudo $0): containers need namespaces, mounts and chroot"
}

# Installs what is missing (scripts/setup-deps is idempotent and quick when all is there).
ensure_deps() { "$DOCKLING_REPO/scripts/setup-deps"; }

# configure BUILD_DIR [cmake -D options...]: (re)configures a build tree, quietly.
configure() {
  local dir=$1; shift
  cmake -S "$DOCKLING_REPO" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
}

# configure_and_build BUILD_DIR [cmake -D options...]
configure_and_build() {
  local dir=$1; shift
  configure "$dir" "$@" || die "cmake configure of $dir failed"
  cmake --build "$dir" || die "build of $dir failed"
}

# build_chapter BUILD_DIR FOLDER (e.g. 02-pid-namespace): builds only what that chapter's
# tests need: its test executable, its binary (with the libraries of the chapters before it)
# and the probe; not the other chapters, the benchmarks or the docs.
build_chapter() {
  local nn=${2%%-*}
  cmake --build "$1" --target "test_ch$nn" "ch$2" probe
}

# ctest_results NN: reads ctest's output on stdin and prints "NAME RESULT" for each test of
# chapter NN that it reports (RESULT: Passed, ***Failed, ***Timeout, Not Run, ...).
ctest_results() {
  sed -nE "s/.*Test +#[0-9]+: (ch$1\.[^ ]+) .*(Passed|\*\*\*[A-Za-z]+|Not Run).*/\1 \2/p" | sort
}

# exercise_tests BUILD_DIR NN: the names of chapter NN's exercise tests (ctest label
# `exercise`: their names end in _Exercise, see cmake/Chapter.cmake), one a line.
exercise_tests() {
  ctest --test-dir "$1" -N -L "^ch$2\$" -L '^exercise$' | sed -nE "s/.*Test +#[0-9]+: (ch$2\.[^ ]+).*/\1/p" | sort
}

# make_rootfs BUILD_DIR: the busybox rootfs next to that build's binaries.
make_rootfs() {
  "$DOCKLING_REPO/scripts/make-rootfs" --probe "$1/bin/probe" "$1/rootfs/busybox" >/dev/null
}

# The chapter folders that have a binary, in order (00-fork-exec 01-chroot ...).
chapters() {
  local dir
  for dir in "$DOCKLING_REPO"/chapters/[0-9][0-9]-*/; do
    [ -f "$dir/main.cpp" ] && basename "$dir"
  done
}
