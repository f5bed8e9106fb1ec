#!/usr/bin/env bash
# The backend tests (tests/unit/backend) on an emulated GPU, to check CUDA changes where
# no GPU is lent. common/backend/cuda/*.cu are compiled as host C++ against the fake
# runtime in tests/gpu/emulate/ (cuda_runtime.h, emu_rt.cpp), with backend.cpp and
# nvml.cpp as a CUDA build (-DZKS_HAVE_CUDA=1), and linked with the other modules'
# libraries from a CMake build dir; the real test_backend sources run on top.
#
#   tests/gpu/emulate.sh [BUILD_DIR] [--asan] [--slice] [CATCH2 ARGS...]
#       BUILD_DIR: the CMake build dir (default build) whose libzks_*.a are used; the
#       emulation is built under BUILD_DIR/gpu-emulate (incrementally). --asan: with
#       AddressSanitizer. --slice: test_slice instead (whole slice proofs of corpus
#       models with and without the GPU, compared byte for byte), linked from the build
#       dir's own objects and libraries with the emulated backend in place of
#       libzks_backend.a. Catch2 args default to every test case (--slice: the [gpu]
#       ones), with durations. Exits with the tests' status.
#
# Checks: each block's threads run as fibers, one to its next __syncthreads, then the
# next (EMU_THREADS=1: real threads with a real barrier); device and shared memory start
# as junk; copies and memsets are bounds-checked against the live allocations; launches
# of more than 1024 threads a block or 48 KiB of shared memory fail as on the GPU.
# Cannot check: races between streams or within one barrier phase; device-only code
# (the __CUDA_ARCH__ branch in common/field/goldilocks.hpp); performance.
# More switches (EMU_WORKERS, EMU_TRACE, ...) at the top of emulate/emu_rt.cpp.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SELF="$ROOT/tests/gpu/emulate.sh"
EMU="$ROOT/tests/gpu/emulate"
CUDA_DIR="$ROOT/common/backend/cuda"

die() { echo "emulate.sh: $*" >&2; exit 2; }

BUILD="$ROOT/build"
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then
  if [ -d "$1" ]; then BUILD=$(cd "$1" && pwd); shift
  elif [ -d "$ROOT/$1" ]; then BUILD="$ROOT/$1"; shift
  fi
fi
ASAN=0 SLICE=0
if [ "${1:-}" = --asan ]; then ASAN=1; shift; fi
if [ "${1:-}" = --slice ]; then SLICE=1; shift; fi
if [ $# = 0 ]; then
  if [ $SLICE = 1 ]; then set -- "[gpu]" -d yes; else set -- -d yes; fi
fi

# The modules the tests link besides zks_backend, brought up to date by CMake.
MODULES=(lookup sumcheck pcs poly hash transcript field util)
[ -f "$BUILD/CMakeCache.txt" ] || die "$BUILD is not a CMake build dir (cmake -S . -B build first)"
log=$(cmake --build "$BUILD" --target "${MODULES[@]/#/zks_}" 2>&1) || { echo "$log" >&2; die "building the modules in $BUILD failed"; }
LIBS=()
for m in "${MODULES[@]}"; do LIBS+=("$BUILD/common/$m/libzks_$m.a"); done

OUT="$BUILD/gpu-emulate"
OBJ="$OUT/obj" BIN="$OUT/test_backend" OPT=(-O2)
if [ $ASAN = 1 ]; then
  # (GCC 12 warns falsely in <regex>, for Catch2, under -fsanitize=address.)
  OBJ="$OUT/obj-asan" BIN="$OUT/test_backend_asan"
  OPT=(-O1 -fsanitize=address -fno-omit-frame-pointer -Wno-maybe-uninitialized)
fi
mkdir -p "$OUT/src" "$OBJ"

# Each launch k<<<cfg>>>(args) becomes emu_launch(k, emu_cfg(cfg), args) and each
# `extern __shared__ T s[];` becomes `T* s = emu_shared<T>();`, line for line (#line keeps
# the .cu's names and numbers in messages). Whatever is left fails here, not at run time.
bad=0 GEN=()
for cu in "$CUDA_DIR"/*.cu; do
  gen="$OUT/src/$(basename "$cu" .cu).cpp"
  GEN+=("$gen")
  { echo "#line 1 \"$cu\""
    perl -pe '
      s/([\w:]+)<<<(.*?)>>>\(\s*\)/emu_launch($1, emu_cfg($2))/g;
      s/([\w:]+)<<<(.*?)>>>\(/emu_launch($1, emu_cfg($2), /g;
      s/\bextern __shared__ (\w+) (\w+)\[\];/$1* $2 = emu_shared<$1>();/g;
      (my $code = $_) =~ s{//.*}{};
      if ($code =~ /<<<|__shared__/) { print STDERR "$ARGV:$.: not converted: $_"; $bad = 1 }
      END { $? = 1 if $bad }' "$cu"
  } >"$gen.new" || bad=1
  if cmp -s "$gen.new" "$gen"; then rm "$gen.new"; else mv "$gen.new" "$gen"; fi
done
for h in "$CUDA_DIR"/*.cuh "$CUDA_DIR"/*.hpp; do
  if sed 's|//.*||' "$h" | grep -n '<<<\|__shared__' >&2; then echo "$h: launch or __shared__ in a header" >&2; bad=1; fi
done
[ $bad = 0 ] || { echo "emulate.sh: FAILED: kernel launches or __shared__ the emulation cannot convert (above)" >&2; exit 2; }

CXX=(g++ -std=c++20 -g -march=x86-64-v2 -Wall -Wextra -Wno-unused-parameter -Wno-unknown-pragmas
     -DFMT_SHARED -DSPDLOG_COMPILED_LIB -DSPDLOG_FMT_EXTERNAL -DSPDLOG_SHARED_LIB -DZKS_HAVE_CUDA=1 -DNDEBUG
     -I"$EMU" -I"$ROOT/common" -I"$ROOT" -I"$ROOT/tests" "${OPT[@]}")

# Sources, largest first; an object is rebuilt when anything in its .d (or this script)
# is newer.
SOURCES=("$ROOT/tests/unit/backend/gpu_parity_test.cpp" "${GEN[@]}" "$EMU/emu_rt.cpp"
         "$ROOT/common/backend/backend.cpp" "$ROOT/common/backend/nvml.cpp"
         "$ROOT/tests/unit/backend/backend_test.cpp" "$ROOT/tests/unit/catch_main.cpp")
OBJS=()
for s in "${SOURCES[@]}"; do
  b=$(basename "$s" .cpp)
  case $s in "$OUT"/src/*) b=cuda_$b ;; esac
  OBJS+=("$OBJ/$b.o")
done

fresh() {
  local o=$1 d=${1%.o}.d dep
  [ -e "$o" ] && [ -e "$d" ] || return 1
  for dep in $(sed -e '1s/^[^:]*://' -e 's/\\$//' "$d") "$SELF"; do
    [ -e "$dep" ] && [ ! "$dep" -nt "$o" ] || return 1
  done
}
compile() {
  fresh "$1" && return 0
  echo "cc ${2#"$ROOT"/}"
  rm -f "$1"
  "${CXX[@]}" -MMD -MF "${1%.o}.d" -c "$2" -o "$1"
}
jobs_max=$(nproc)
for i in "${!SOURCES[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  compile "${OBJS[$i]}" "${SOURCES[$i]}" &
done
wait
failed=0
for i in "${!SOURCES[@]}"; do
  [ -e "${OBJS[$i]}" ] || { echo "emulate.sh: compiling ${SOURCES[$i]} failed" >&2; failed=1; }
done
[ $failed = 0 ] || exit 2

# Links $1 from the rest of the arguments unless it is newer than all of them.
link() {
  local bin=$1 f relink=0
  shift
  [ -e "$bin" ] || relink=1
  for f in "$@"; do if [ -e "$f" ] && [ "$f" -nt "$bin" ]; then relink=1; fi; done
  [ $relink = 1 ] || return 0
  echo "ld ${bin#"$ROOT"/}"
  g++ "${OPT[@]}" "$@" -o "$bin"
}

if [ $SLICE = 0 ]; then
  link "$BIN" "${OBJS[@]}" -Wl,--start-group "${LIBS[@]}" -Wl,--end-group -lsodium -lspdlog -lfmt -ldl -lpthread
  exec "$BIN" "$@"
fi

# test_slice: its object and link line from the build dir (Ninja), the emulated backend
# (the .cu files, emu_rt, backend.cpp, nvml.cpp) for libzks_backend.a and the CUDA runtime.
log=$(cmake --build "$BUILD" --target test_slice 2>&1) || { echo "$log" >&2; die "building test_slice in $BUILD failed"; }
[ -f "$BUILD/build.ninja" ] || die "--slice needs a Ninja build dir"
libs=$(awk '/^build tests\/unit\/circuits\/test_slice[ :]/ { f = 1 } f && /^  LINK_LIBRARIES = / { sub(/^  LINK_LIBRARIES = /, ""); print; exit }' "$BUILD/build.ninja")
[ -n "$libs" ] || die "no link line for test_slice in $BUILD/build.ninja"
SLICE_LIBS=()
for l in $libs; do
  case $l in */libzks_backend.a | *cudart* | */librt.a) ;; /* | -*) SLICE_LIBS+=("$l") ;; *) SLICE_LIBS+=("$BUILD/$l") ;; esac
done
BACKEND_OBJS=()
for o in "${OBJS[@]}"; do
  case $(basename "$o") in gpu_parity_test.o | backend_test.o | catch_main.o) ;; *) BACKEND_OBJS+=("$o") ;; esac
done
SLICE_BIN="$OUT/test_slice"
[ $ASAN = 1 ] && SLICE_BIN="$OUT/test_slice_asan"
link "$SLICE_BIN" "$BUILD/tests/unit/circuits/CMakeFiles/test_slice.dir/slice_test.cpp.o" "${BACKEND_OBJS[@]}" \
  -Wl,--start-group "${SLICE_LIBS[@]}" -Wl,--end-group -ldl -lpthread
exec "$SLICE_BIN" "$@"
