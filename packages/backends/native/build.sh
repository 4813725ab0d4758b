#!/usr/bin/env bash
# Builds wasm/fbnet-kernels.wasm from csrc/*.c with clang's wasm32 target (no emscripten, no libc).
# Usage: bash build.sh [output.wasm]   (default: wasm/fbnet-kernels.wasm)
# The committed binary must equal a fresh build (test/build.test.ts checks it when clang exists),
# so the command line below is the single source of truth; keep it deterministic (sorted
# inputs, relative paths, no debug info).
set -euo pipefail
cd "$(dirname "$0")"
CLANG="${CLANG:-clang}"
OUT="${1:-wasm/fbnet-kernels.wasm}"
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT" ;; esac
mkdir -p "$(dirname "$OUT")"

FLAGS=(
  --target=wasm32 -O3 -std=c11 -nostdlib -ffreestanding
  -msimd128 -matomics -mbulk-memory -mmutable-globals -mthread-model posix
  -fvisibility=hidden -fno-math-errno -ffp-contract=off
  -Wall -Wextra -Werror -Wno-unused-parameter
)
LDFLAGS=(
  -Wl,--no-entry,--import-memory,--shared-memory,--max-memory=2147483648
  -Wl,--export=__stack_pointer,--export=__heap_base
  -Wl,-z,stack-size=1048576
  -Wl,--strip-debug
)
cd csrc
SRCS=$(LC_ALL=C ls *.c | sort)
# shellcheck disable=SC2086
"$CLANG" "${FLAGS[@]}" "${LDFLAGS[@]}" -o "$OUT" $SRCS
# Record the compiler next to the committed binary: the reproducibility test only demands a
# byte-identical rebuild from the same clang version.
if [ "$OUT" = "$(cd .. && pwd)/wasm/fbnet-kernels.wasm" ]; then
  "$CLANG" --version | head -n1 >../wasm/clang-version.txt
fi
echo "built $OUT ($(wc -c <"$OUT") bytes) with $("$CLANG" --version | head -n1)"
