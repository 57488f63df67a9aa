#!/bin/sh
# Regenerates the sample 8 KiB namespace heads in samples/ (see README.md).
# Needs: node, a built library (npm run build, done here if dist/ is missing)
# and ndctl 76 for ndctl-O.head. Fixed uuids: the output is reproducible.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
[ -f dist/cli.js ] || npm run build --silent
ib() { node dist/cli.js "$@" 2>/dev/null; }

U_FSDAX=11111111-2222-3333-4444-555555555555
U_DAX=22222222-3333-4444-5555-666666666666
U_MEM=33333333-4444-5555-6666-777777777777
U_PAD=44444444-5555-6666-7777-888888888888

ib write -c -s 1G -m fsdax -M dev -u $U_FSDAX > samples/fsdax.head
ib write -c -s 1G -m devdax -a 2M -u $U_DAX > samples/devdax.head
ib write -c -s 1G -m fsdax -M mem -u $U_MEM > samples/fsdax-map-mem.head
ib write -c --meaning legacy -O 0x100100000 -s 1G -u $U_PAD > samples/legacy-startpad.head
ib write -c --meaning map -O 0x100100000 -s 1G -u $U_PAD > samples/map-startpad.head
if command -v ndctl >/dev/null 2>&1; then
  ndctl write-infoblock -c -s 1G -O 0x100100000 -u $U_PAD > samples/ndctl-O.head 2>/dev/null
else
  echo "make-samples: ndctl not found; keeping samples/ndctl-O.head as it is" >&2
fi
node samples/make-btt.mjs samples/btt.head

for f in samples/*.head; do
  n=$(wc -c < "$f")
  [ "$n" -eq 8192 ] || { echo "make-samples: $f is $n bytes, expected 8192" >&2; exit 1; }
done
echo "make-samples: wrote $(ls samples/*.head | wc -l) heads" >&2
