#!/bin/sh
# Expand the committed 8 KiB heads into sparse 1 GiB namespace images for the
# repair walk-through (docs/repair.md). The images are too big to commit;
# sparse, they take a few KiB on disk.
#
#   samples/repair/make-images.sh [DIR]     (default: a new directory under /tmp)
#
#   legacy.img   `infoblock write --meaning legacy -O 0x100100000 -s 1G` (v1.4, legacy meaning)
#   ndctl-O.img  `ndctl write-infoblock -O 0x100100000` on a 1 GiB file (v1.4, map meaning)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$(mktemp -d /tmp/infoblock-repair.XXXXXX)}
mkdir -p "$dir"
for name in legacy ndctl-O; do
	img="$dir/$name.img"
	rm -f "$img" "$img.infoblock-backup" "$img.infoblock.lock"
	truncate -s 1G "$img"
	dd if="$here/$name.head" of="$img" bs=8192 count=1 conv=notrunc status=none
	echo "$img"
done
