#!/usr/bin/env bash
# Installs what the real-kernel harness (src/kernel, npm run test:kernel) needs
# on a Debian machine, idempotently:
#   - qemu-system-x86, busybox-static, cpio (and ndctl, which the kernel tests
#     use to craft images), via apt-get, running `apt-get update` once if needed;
#   - the Debian kernel package, downloaded (not installed) with
#     `apt-get download` into $ND_INFOBLOCK_CACHE/debs (default
#     ~/.cache/nd-infoblock/debs), where src/kernel/assets.ts looks for it.
# Env: ND_INFOBLOCK_CACHE (cache dir), ND_INFOBLOCK_KERNEL_PKG (package name,
# default: the -unsigned variant of what linux-image-amd64 depends on).
set -euo pipefail

say() { printf 'kernel-setup: %s\n' "$*"; }

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
# Real filesystems for the recover tests (mkfs.ext4, mkfs.xfs live in /usr/sbin).
{ command -v mkfs.ext4 || [ -x /usr/sbin/mkfs.ext4 ]; } >/dev/null 2>&1 || missing+=(e2fsprogs)
{ command -v mkfs.xfs || [ -x /usr/sbin/mkfs.xfs ]; } >/dev/null 2>&1 || missing+=(xfsprogs)
if [ "${#missing[@]}" -gt 0 ]; then
  apt_update_once
  say "apt-get install -y --no-install-recommends ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  say "qemu-system-x86, busybox-static, cpio, ndctl: already installed"
fi

cache="${ND_INFOBLOCK_CACHE:-$HOME/.cache/nd-infoblock}"
debs="$cache/debs"
mkdir -p "$debs"

pkg="${ND_INFOBLOCK_KERNEL_PKG:-}"
existing=$(ls "$debs" 2>/dev/null | grep -E '^linux-image-.*_amd64\.deb$' | grep -vE -- '-(rt|cloud)-amd64' | { if [ -n "$pkg" ]; then grep -F "${pkg}_" || true; else cat; fi; } | sort -V | tail -n 1 || true)
if [ -n "$existing" ]; then
  say "kernel package already cached: $debs/$existing"
  exit 0
fi

resolve_pkg() {
  apt-cache show --no-all-versions linux-image-amd64 2>/dev/null \
    | sed -n 's/^Depends:.*\(linux-image-[0-9][A-Za-z0-9.+-]*-amd64\).*/\1/p' | head -n 1
}
if [ -z "$pkg" ]; then
  dep=$(resolve_pkg)
  if [ -z "$dep" ]; then apt_update_once; dep=$(resolve_pkg); fi
  if [ -z "$dep" ]; then say "cannot tell which kernel linux-image-amd64 depends on; set ND_INFOBLOCK_KERNEL_PKG"; exit 1; fi
  if apt-cache show --no-all-versions "${dep}-unsigned" >/dev/null 2>&1; then pkg="${dep}-unsigned"; else pkg="$dep"; fi
fi
say "downloading $pkg into $debs (apt-get download; nothing is installed)"
if ! (cd "$debs" && apt-get download -q "$pkg" 2>&1 | grep -v 'couldn.t be accessed by user' ); then :; fi
if ! ls "$debs" | grep -qF "${pkg}_"; then
  apt_update_once
  (cd "$debs" && apt-get download -q "$pkg")
fi
ls "$debs" | grep -qF "${pkg}_" || { say "download of $pkg failed"; exit 1; }
say "kernel package cached: $(ls "$debs" | grep -F "${pkg}_" | tail -n 1)"
