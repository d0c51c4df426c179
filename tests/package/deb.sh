#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The .deb on a clean Debian 12 root: build a tree for /usr, cpack -G DEB,
# debootstrap a minimal bookworm, install the package there with apt (its
# dependencies come from Debian), run every tool from it, then purge it and
# check that it left nothing behind: the root's file list is what it was
# before the package, and the linker cache forgot the library.
# Usage: deb.sh SOURCE_DIR   (root; needs debootstrap and a Debian mirror)
set -u
src=$1
if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null; then
	echo "FAIL: needs root and debootstrap (scripts/install-deps.sh)"
	exit 1
fi
tmp=$(mktemp -d /var/tmp/nvmf-deb.XXXXXX)
root=$tmp/root
cleanup() {
	umount "$root/proc" 2>/dev/null
	[ "${KEEP:-0}" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
passed=0
failed=0
ok() { echo "ok   $*"; passed=$((passed + 1)); }
bad() { echo "FAIL $*"; failed=$((failed + 1)); }
fatal() {
	bad "$*"
	echo "$passed passed, $failed failed"
	exit 1
}
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
# every file of the root but the package manager's own records and caches
files() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./tmp \
		-o -path ./var/lib/dpkg -o -path ./var/lib/apt \
		-o -path ./var/cache -o -path ./var/log \) -prune -o -print) |
		sort
}

start=$(date +%s)
echo "== building the package (prefix /usr)"
cmake -S "$src" -B "$tmp/build" -DCMAKE_INSTALL_PREFIX=/usr -DNVMF_LAB=OFF \
	>"$tmp/cmake.log" 2>&1 &&
	cmake --build "$tmp/build" -j"$(nproc)" >>"$tmp/cmake.log" 2>&1 &&
	(cd "$tmp/build" && cpack -G DEB) >>"$tmp/cmake.log" 2>&1 ||
	fatal "package build: $(tail -5 "$tmp/cmake.log")"
deb=$(ls "$tmp"/build/*.deb)
name=$(dpkg-deb -f "$deb" Package)
ok "cpack -G DEB: $(basename "$deb"), $(stat -c %s "$deb") bytes"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"

echo "== debootstrap --variant=minbase bookworm"
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources \
	2>/dev/null | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
debootstrap --variant=minbase bookworm "$root" "$mirror" \
	>"$tmp/debootstrap.log" 2>&1 ||
	fatal "debootstrap from $mirror: $(tail -3 "$tmp/debootstrap.log")"
ok "clean Debian 12 root from $mirror ($(($(date +%s) - start)) s so far)"
mount -t proc proc "$root/proc"
cp "$deb" "$root/tmp/"

# the dependencies first, so that what the package itself leaves is seen
deps=$(echo "$depends" | sed -E 's/\([^)]*\)//g; s/,/ /g')
# shellcheck disable=SC2086
in_root apt-get install -y -q --no-install-recommends $deps \
	>"$tmp/deps.log" 2>&1 || fatal "dependencies: $(tail -3 "$tmp/deps.log")"
files >"$tmp/before"

if in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")" \
	>"$tmp/install.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb") on the clean root"
else
	fatal "install: $(tail -5 "$tmp/install.log")"
fi
for t in nvmf-tgt nvmf-host nvmetcli nvmf-reactor; do
	out=$(in_root "/usr/sbin/$t" --version 2>&1)
	[ "$out" = "$t $(dpkg-deb -f "$deb" Version)" ] &&
		ok "$t runs from the package: $out" || bad "$t --version: $out"
done
in_root /usr/sbin/nvmf-host connect -t rdma -a 10.0.0.1 -s 4420 \
	>"$tmp/noargs.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q -- "--nqn" "$tmp/noargs.out" &&
	ok "a connect without -n exits 2 naming --nqn" ||
	bad "connect without -n: rc $rc: $(cat "$tmp/noargs.out")"
in_root ldconfig -p | grep -q 'libnvmf-host.so.0 ' &&
	ok "ldconfig knows libnvmf-host.so.0 (trigger ran)" ||
	bad "libnvmf-host.so.0 not in the linker cache"
for u in "$root"/usr/lib/systemd/system/nvmf-*.service; do
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
	[ -x "$root$exe" ] || bad "$(basename "$u"): ExecStart $exe missing"
done
man=$(in_root dpkg -L "$name" | grep -c '/man8/.*\.8\.gz$')
[ "$man" = 4 ] && ok "4 man pages installed, compressed" || bad "$man man pages (.8.gz)"

if in_root apt-get purge -y -q "$name" >"$tmp/purge.log" 2>&1; then
	ok "apt-get purge $name"
else
	bad "purge: $(tail -3 "$tmp/purge.log")"
fi
files >"$tmp/after"
if cmp -s "$tmp/before" "$tmp/after"; then
	ok "nothing left behind ($(wc -l <"$tmp/after") paths as before)"
else
	bad "purge changed the root: $(diff "$tmp/before" "$tmp/after" |
		grep '^[<>]' | head -10 | tr '\n' ' ')"
fi
in_root ldconfig -p | grep -q libnvmf-host &&
	bad "libnvmf-host still in the linker cache after purge" ||
	ok "the linker cache forgot libnvmf-host"

echo "package test took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
