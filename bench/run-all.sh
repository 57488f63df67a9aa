#!/bin/sh
# Builds the library and runs every benchmark in bench/ (no npm scripts
# needed beyond the TypeScript build). Figures, not tests: see docs/bench.md.
#   sh bench/run-all.sh            all cases
#   QUICK=1 sh bench/run-all.sh    shorter runs
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
echo "== build"
npx tsc -p tsconfig.build.json
echo "== machine: $(uname -m), $(nproc) cores, node $(node --version), load $(cut -d' ' -f1-3 /proc/loadavg)"

if [ "${QUICK:-}" = 1 ]; then T=200; RUNS=8; FILES=2000; SAMPLE=200; ITERS=5000; else T=1000; RUNS=20; FILES=10000; SAMPLE=500; ITERS=20000; fi

echo "== codec (tinybench, ns per 4 KiB block)"
node bench/codec.mjs --time "$T"

echo "== checksum, C -O2 baseline"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if command -v gcc >/dev/null 2>&1; then CC=gcc; elif command -v g++ >/dev/null 2>&1; then CC="g++ -x c++"; else CC=; fi
if [ -n "$CC" ]; then
  $CC -O2 -o "$tmp/checksum" bench/checksum.c
  "$tmp/checksum" "$ITERS"
else
  echo "no gcc/g++: skipped"
fi

echo "== scan vs cat on a page-cached image, checksum vs C"
node bench/scan.mjs --size-mib "$( [ "${QUICK:-}" = 1 ] && echo 256 || echo 1024 )" --runs 5

echo "== read many heads: one infoblock process vs an ndctl loop"
node bench/read-many.mjs --files "$FILES" --sample "$SAMPLE" --runs 3

echo "== cold start"
node bench/cold-start.mjs --runs "$RUNS"
