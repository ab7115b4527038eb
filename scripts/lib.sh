# Shared by scripts/test, scripts/tour, scripts/grade and scripts/bench: source it.
# shellcheck shell=bash

DOCKLING_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" -eq 0 ] || die "run me as root (sudo $0): containers need namespaces, mounts and chroot"
}

# Installs what is missing (scripts/setup-deps is idempotent and quick when all is there).
ensure_deps() { "$DOCKLING_REPO/scripts/setup-deps"; }

# configure_and_build BUILD_DIR [cmake -D options...]
configure_and_build() {
  local dir=$1; shift
  cmake -S "$DOCKLING_REPO" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null \
    || die "cmake configure of $dir failed"
  cmake --build "$dir" || die "build of $dir failed"
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
