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
  # -g1: line tables for backtraces and sanitizer reports, without the variables' debug info
  # that made a quarter of the build's time.
  cmake -S "$DOCKLING_REPO" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" "$@" >/dev/null
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
  cmake --build "$1" --target "test_ch$nn" "ch$2" probe || return 1
  # Chapter 14 on: the tests drive the daemon with the real docker CLI.
  [ "$((10#$nn))" -lt 14 ] || "$DOCKLING_REPO/scripts/fetch-docker-cli" "$1"
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

# asan_suite: builds the asan preset (AddressSanitizer + UndefinedBehaviorSanitizer, Debug) in
# build-asan and runs the whole suite there. A sanitizer report ends the process that made it
# (UBSan too: halt_on_error), so it fails its test. Prints "asan: N passed, M failed" last;
# returns 1 when the build failed or a test failed, did not run, or skipped.
asan_suite() {
  local dir="$DOCKLING_REPO/build-asan" start=$SECONDS passed failed
  # The preset builds with clang (an ASan+UBSan file compiles in half the time g++ takes); a
  # tree configured with another compiler cannot switch: it is made again.
  if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++' "$dir/CMakeCache.txt"; then
    rm -rf "$dir"
  fi
  mkdir -p "$dir"
  (cd "$DOCKLING_REPO" && cmake --preset asan >"$dir/asan-configure.log" 2>&1) \
    || { cat "$dir/asan-configure.log"; echo "asan: configure failed"; return 1; }
  cmake --build "$dir" >"$dir/asan-build.log" 2>&1 || { tail -50 "$dir/asan-build.log"; echo "asan: build failed"; return 1; }
  "$DOCKLING_REPO/scripts/fetch-docker-cli" "$dir" || { echo "asan: no docker CLI for chapter 14's tests"; return 1; }
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    ctest --test-dir "$dir" -j"$(nproc)" --output-on-failure >"$dir/test.log" 2>&1
  grep -E '\*\*\*|Not Run|Skipped|tests passed|Total Test time' "$dir/test.log"
  passed=$(grep -cE 'Test +#[0-9]+: .* +Passed' "$dir/test.log")
  failed=$(grep -cE 'Test +#[0-9]+: .*(\*\*\*|Not Run| Skipped)' "$dir/test.log")
  local flaky=()
  if [ "$failed" -gt 0 ]; then
    # What each failure printed, here: CI keeps this output, not the log.
    failed_output <"$dir/test.log"
    # Once more, alone: a test that passes then failed only beside the others (a sanitizer
    # report is the same every run; a race or a timeout under the suite's load is not). It is
    # named, with its first output above, and does not fail the stage; one that fails again does.
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
      ctest --test-dir "$dir" --rerun-failed --output-on-failure >"$dir/rerun.log" 2>&1
    mapfile -t flaky < <(sed -nE 's/.*Test +#[0-9]+: ([^ ]+) .* Passed.*/\1/p' "$dir/rerun.log")
    failed=$((failed - ${#flaky[@]}))
    [ ${#flaky[@]} -eq 0 ] || printf 'asan: flaky: %s failed in the suite and passed alone (see its output above)\n' "${flaky[@]}"
  fi
  echo "asan: $passed passed, $failed failed, ${#flaky[@]} flaky in $(( (SECONDS - start) / 60 )) min (log: $dir/test.log)"
  [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

# failed_output: reads ctest --output-on-failure's log on stdin and prints each failed test's
# result line and the first 150 lines of its output.
failed_output() {
  awk '/Test +#[0-9]+: .*(\*\*\*|Not Run| Skipped)/ { shown = 0; printing = 1; print "---- " $0; next }
       /^ +Start +[0-9]+:/ || /Test +#[0-9]+: / { printing = 0 }
       printing && shown++ < 150'
}
