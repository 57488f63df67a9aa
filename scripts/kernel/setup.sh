#!/usr/bin/env bash
# Installs what the real-kernel harness (src/kernel, npm run test:kernel) needs
# on a Debian machine, idempotently:
#   - qemu-system-x86, busybox-static, cpio (and ndctl, which the kernel tests
#     use to craft images; gcc and libc6-dev for the DAX probe program), via
#     apt-get, running `apt-get update` once if needed;
#   - the DAX probe program (kernel-check --dax), built static with cc;
#   - the Debian kernel packages, downloaded (not installed) with
#     `apt-get download` through a private apt configuration (the system's
#     sources are not used or changed) into $ND_INFOBLOCK_CACHE/debs (default
#     ~/.cache/nd-infoblock/debs), where src/kernel/assets.ts looks for them.
# Usage: setup.sh [--kernels all | 5.10,6.1,6.12,7.2]   (default: 6.1)
# Env: ND_INFOBLOCK_CACHE (cache dir).
set -euo pipefail

say() { printf 'kernel-setup: %s\n' "$*"; }

ALL_KERNELS="5.10,6.1,6.12,7.2"
kernels="6.1"
while [ $# -gt 0 ]; do
  case "$1" in
    --kernels) kernels="${2:-}"; shift 2 || { say "--kernels needs a value"; exit 2; } ;;
    --kernels=*) kernels="${1#--kernels=}"; shift ;;
    *) say "unknown option $1 (usage: setup.sh [--kernels all|5.10,6.1,6.12,7.2])"; exit 2 ;;
  esac
done
[ "$kernels" = all ] && kernels="$ALL_KERNELS"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else say "not root and no sudo: apt-get steps may fail"; fi
fi

updated=0
apt_update_once() {
  if [ "$updated" -eq 0 ]; then
    say "apt-get update"
    $SUDO apt-get update -qq
    updated=1
  fi
}

missing=()
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || missing+=(busybox-static)
command -v cpio >/dev/null 2>&1 || missing+=(cpio)
command -v ndctl >/dev/null 2>&1 || missing+=(ndctl)
command -v dpkg-deb >/dev/null 2>&1 || missing+=(dpkg)
# Modules of 6.12 and 7.2 are .ko.xz; other kernels' may be .ko.zst.
command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
# Real filesystems for the recover tests (mkfs.ext4, mkfs.xfs live in /usr/sbin).
{ command -v mkfs.ext4 || [ -x /usr/sbin/mkfs.ext4 ]; } >/dev/null 2>&1 || missing+=(e2fsprogs)
{ command -v mkfs.xfs || [ -x /usr/sbin/mkfs.xfs ]; } >/dev/null 2>&1 || missing+=(xfsprogs)
# kernel-check --dax: a C compiler and the static C library for the guest's probe program.
cc_static_ok() { printf 'int main(void){return 0;}\n' | cc -static -x c -o /dev/null - >/dev/null 2>&1; }
if ! command -v cc >/dev/null 2>&1; then missing+=(gcc libc6-dev)
elif ! cc_static_ok; then missing+=(libc6-dev); fi
# file(1), which test/format/formats.slow.test.ts runs with formats/nd-infoblock.magic.
command -v file >/dev/null 2>&1 || missing+=(file)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  say "apt-get install -y --no-install-recommends ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "qemu-system-x86, busybox-static, cpio, ndctl, xz-utils, zstd: already installed"
fi

cache="${ND_INFOBLOCK_CACHE:-$HOME/.cache/nd-infoblock}"
debs="$cache/debs"
mkdir -p "$debs"

# The DAX probe program (src/kernel/guest/dax-probe.c), static, named by its source's hash as
# src/kernel/dax-probe.ts looks for it: <cache>/bin/ndib-dax-probe-<first 16 hex digits of sha256>.
probe_src="$(cd "$(dirname "$0")/../.." && pwd)/src/kernel/guest/dax-probe.c"
if [ -f "$probe_src" ]; then
  probe_bin="$cache/bin/ndib-dax-probe-$(sha256sum "$probe_src" | cut -c1-16)"
  if [ -x "$probe_bin" ]; then
    say "DAX probe program: already built: $probe_bin"
  else
    mkdir -p "$cache/bin"
    cc -static -O2 -o "$probe_bin.tmp" "$probe_src" && mv "$probe_bin.tmp" "$probe_bin" \
      || { say "cc -static could not build the DAX probe program: apt-get install -y gcc libc6-dev"; exit 1; }
    say "DAX probe program: built $probe_bin"
  fi
fi

# The kernel packages, by version (the same table as src/kernel/kernels.ts):
# suites, and the package-name pattern of the image (7.2 also needs the
# linux-modules package of the same build).
suites_of() {
  case "$1" in
    5.10) echo "debian bullseye|debian-security bullseye-security" ;;
    6.1|6.12) echo "debian bookworm|debian-security bookworm-security" ;;
    7.2) echo "debian sid" ;;
  esac
}
pattern_of() {
  case "$1" in
    5.10) echo '^linux-image-5\.10\.0-[0-9]+-amd64-unsigned$' ;;
    6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
    6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
    7.2) echo '^linux-binary-unsigned-7\.2\.[0-9]+\+deb[0-9]+-amd64$' ;;
  esac
}

cached() { # newest cached .deb whose package matches the pattern
  ls "$debs" 2>/dev/null | grep -E '_amd64\.deb$' | while read -r f; do
    if printf '%s\n' "${f%%_*}" | grep -qE "$1"; then echo "$f"; fi
  done | sort -V | tail -n 1 || true
}

fetch_kernel() { # version
  local v="$1" pat root opts img pkgs mods
  pat=$(pattern_of "$v")
  img=$(cached "$pat")
  if [ -n "$img" ]; then
    if [ "$v" != 7.2 ] || [ -n "$(cached "^$(printf '%s' "${img%%_*}" | sed 's/^linux-binary-unsigned-/linux-modules-/; s/[.+]/\\&/g')\$")" ]; then
      say "Linux $v: already cached: $img"
      return 0
    fi
  fi
  # A private apt configuration: the system's sources are never touched.
  root="$cache/apt/$v"
  mkdir -p "$root/parts" "$root/lists/partial" "$root/cache/archives/partial"
  : > "$root/sources.list"
  IFS='|' read -r -a lines <<< "$(suites_of "$v")"
  for l in "${lines[@]}"; do
    set -- $l
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/$1 $2 main" >> "$root/sources.list"
  done
  opts=(-o "Dir::Etc::sourcelist=$root/sources.list" -o "Dir::Etc::sourceparts=$root/parts" -o "Dir::State::lists=$root/lists"
        -o "Dir::Cache=$root/cache" -o Acquire::Languages=none -o APT::Sandbox::User=root)
  say "Linux $v: apt-get update (private lists: $(suites_of "$v" | tr '|' ','))"
  apt-get "${opts[@]}" -qq update || { say "Linux $v: apt-get update failed (is deb.debian.org reachable?)"; return 1; }
  img=$(apt-cache "${opts[@]}" pkgnames "$(printf '%s' "$pat" | sed 's/^\^//; s/\\.*//')" | grep -E "$pat" | sort -V | tail -n 1 || true)
  [ -n "$img" ] || { say "Linux $v: no package matches $pat"; return 1; }
  pkgs=("$img")
  if [ "$v" = 7.2 ]; then mods="${img/linux-binary-unsigned-/linux-modules-}"; pkgs+=("$mods"); fi
  say "Linux $v: downloading ${pkgs[*]} into $debs (apt-get download; nothing is installed)"
  tmp=$(mktemp -d "$debs/download-XXXXXX")
  if ! (cd "$tmp" && apt-get "${opts[@]}" -q download "${pkgs[@]}"); then rm -rf "$tmp"; say "Linux $v: download failed"; return 1; fi
  mv "$tmp"/*.deb "$debs"/ && rm -rf "$tmp"
  say "Linux $v: cached $(cached "$pat")"
}

for v in $(printf '%s' "$kernels" | tr ',' ' '); do
  if [ -z "$(pattern_of "$v")" ]; then say "unknown kernel version '$v' (known: $ALL_KERNELS)"; exit 2; fi
  fetch_kernel "$v"
done
