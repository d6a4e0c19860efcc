#!/usr/bin/env bash
# Air-gapped path of the base image: a Debian bookworm minbase root filesystem with Python 3.11 and the audio
# libraries, written as a tarball for `docker import` (grader/sandbox/image.py then runs setup-venv.sh in it).
# Usage: debootstrap.sh OUTPUT.tar [MIRROR]     (root; needs debootstrap, reaches a Debian mirror, no registry)
# Packages are listed in debian-packages.txt; ffmpeg is left out there on purpose (see the comment in it).
set -euo pipefail
out=$1
mirror=${2:-http://deb.debian.org/debian}
here=$(cd "$(dirname "$0")" && pwd)
packages=$(grep -v '^\s*#' "$here/debian-packages.txt" | tr -s ' \n' ',' | sed 's/^,//; s/,$//')
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
debootstrap --variant=minbase --include="$packages" bookworm "$work/rootfs" "$mirror"
root=$work/rootfs
# What a sandbox never needs: package caches and lists, documentation, locales, man pages.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* \
       "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*.log
find "$root"/usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'locale.alias' -exec rm -rf {} +
tar --numeric-owner -C "$root" -cf "$out" .
