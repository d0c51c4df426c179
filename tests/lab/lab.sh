#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Soft-RoCE lab runner: boots two qemu (TCG) VMs, "target" and "host", that
# share this machine's root filesystem read-only over virtio-9p, are joined
# by a private virtio-net link (-netdev stream over a unix socket), and run
# rdma_rxe.  Each VM runs one role script of a scenario and writes its
# verdict to a writable 9p export that this script reads back.
#
#   lab.sh prepare            install packages, fetch + unpack the kernel,
#                             build the initramfs (cached)
#   lab.sh run SCENARIO...    run scenarios; exit 0 only if all passed
#   lab.sh list               list scenarios
#
# Environment: LAB_CACHE (default /var/cache/nvmf-lab), LAB_OUT (default
# BUILD/lab-out), LAB_BUILD (build tree the guests use, default REPO/build),
# LAB_SMP (default 2), LAB_MEM (MiB, default 2048), LAB_TIMEOUT (seconds,
# overrides the scenario's own), LAB_SET ("NAME=VALUE ...": settings that
# override scenario.conf, e.g. LAB_SET="CYCLES=20"), LAB_CPU_QUOTA
# (percent of one CPU the two VMs may use together, e.g. 100 on a 2-CPU
# machine to run the lab at about half speed; default: no limit).
set -u -o pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
LAB_CACHE=${LAB_CACHE:-/var/cache/nvmf-lab}
LAB_BUILD=${LAB_BUILD:-$REPO/build}
LAB_OUT=${LAB_OUT:-$LAB_BUILD/lab-out}
LAB_SMP=${LAB_SMP:-2}
LAB_MEM=${LAB_MEM:-2048}
# Addresses exist only inside the two guests, on their private link.
TARGET_IP=10.77.0.1
HOST_IP=10.77.0.2

# Modules the initramfs needs to reach the 9p root; dependencies are added
# from modules.dep.
# virtio_net, configfs, soft-RoCE and the RDMA user-space interfaces come
# with them: loading them from memory saves each guest seconds of modprobe
# over 9p under TCG (the same modules init.sh loaded before every role).
INITRD_MODULES="virtio_pci 9pnet_virtio 9p overlay virtio_net configfs rdma_rxe
rdma_ucm ib_uverbs"

LAB_PACKAGES="qemu-system-x86 busybox-static cpio kmod iproute2 rdma-core
ibverbs-utils rdmacm-utils ibverbs-providers nvme-cli fio
python3-configshell-fb gdb dmsetup perftest linux-perf"

log() { printf '[lab %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 2; }

need_root() { [ "$(id -u)" = 0 ] || die "the lab needs root (qemu, apt-get)"; }

install_packages() {
	local missing="" p
	for p in $LAB_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >/dev/null ||
		die "apt-get install$missing failed"
}

# The full-flavour Debian kernel that linux-image-amd64 points at (the cloud
# flavour lacks rdma_rxe).
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: \(linux-image-[0-9.]*-[0-9]*-amd64\)$/\1/p' | head -1
}

fetch_kernel() {
	local pkg kver dl
	pkg=$(kernel_package)
	[ -n "$pkg" ] || { apt-get update -q >/dev/null; pkg=$(kernel_package); }
	[ -n "$pkg" ] || die "cannot find the linux-image-*-amd64 package"
	kver=${pkg#linux-image-}
	if [ -f "$LAB_CACHE/kernel/$kver/.done" ]; then
		echo "$kver"
		return 0
	fi
	log "fetching $pkg"
	dl=$(mktemp -d)
	(cd "$dl" && apt-get download "$pkg" >/dev/null 2>&1) ||
		die "apt-get download $pkg failed"
	rm -rf "$LAB_CACHE/kernel/$kver"
	mkdir -p "$LAB_CACHE/kernel/$kver"
	dpkg -x "$dl"/*.deb "$LAB_CACHE/kernel/$kver" || die "dpkg -x failed"
	rm -rf "$dl"
	depmod -b "$LAB_CACHE/kernel/$kver" "$kver" || die "depmod failed"
	touch "$LAB_CACHE/kernel/$kver/.done"
	echo "$kver"
}

# Print the .ko paths (relative to the module dir) for $@ and their
# dependencies, dependencies first.
module_closure() {
	local moddir=$1 m line deps d
	shift
	declare -A seen=()
	local out=()
	visit() {
		local name=$1 path
		path=$(awk -F: -v n="$name" '{
			f = $1; sub(".*/", "", f); sub("\\.ko$", "", f);
			gsub("-", "_", f); if (f == n) { print $1; exit } }' \
			"$moddir/modules.dep")
		[ -n "$path" ] || die "module $name not found"
		[ -n "${seen[$path]:-}" ] && return 0
		seen[$path]=1
		deps=$(grep "^$path:" "$moddir/modules.dep" | cut -d: -f2)
		for d in $deps; do
			d=${d##*/}; d=${d%.ko}; visit "${d//-/_}"
		done
		out+=("$path")
	}
	for m in "$@"; do visit "$m"; done
	printf '%s\n' "${out[@]}"
}

build_initramfs() {
	local kver=$1 kdir=$LAB_CACHE/kernel/$1 img=$LAB_CACHE/initramfs-$1.cpio.gz
	local stamp tmp m
	stamp=$({ cat "$LAB_DIR/initramfs-init" && echo $INITRD_MODULES; } |
		sha1sum | cut -c1-12)
	if [ -f "$img" ] && [ "$(cat "$img.stamp" 2>/dev/null)" = "$stamp" ]; then
		return 0
	fi
	log "building initramfs for $kver"
	tmp=$(mktemp -d)
	mkdir -p "$tmp"/{bin,proc,sys,dev,lower,upper,newroot,mod}
	cp /bin/busybox "$tmp/bin/busybox"
	for m in $(module_closure "$kdir/lib/modules/$kver" $INITRD_MODULES); do
		cp "$kdir/lib/modules/$kver/$m" "$tmp/mod/"
		echo "${m##*/}" >>"$tmp/mod/order"
	done
	cp "$LAB_DIR/initramfs-init" "$tmp/init"
	chmod +x "$tmp/init"
	(cd "$tmp" && find . | cpio -o -H newc 2>/dev/null | gzip -1) >"$img.tmp" ||
		die "cpio failed"
	mv "$img.tmp" "$img"
	echo "$stamp" >"$img.stamp"
	rm -rf "$tmp"
}

cmd_prepare() {
	need_root
	install_packages
	mkdir -p "$LAB_CACHE"
	KVER=$(fetch_kernel) || exit 2
	build_initramfs "$KVER"
	echo "$KVER" >"$LAB_CACHE/current"
	log "ready: kernel $KVER, cache $LAB_CACHE"
}

# LINKS=2 in scenario.conf: a second link between the VMs (eth1), on the
# first one's socket path with "2" appended.
second_link() {
	local role=$1 netdev=$2 n=1
	[ "${LINKS:-1}" = 2 ] || return 0
	[ "$role" = host ] && n=2
	echo "-netdev ${netdev//id=n0/id=n1}2 -device virtio-net-pci,netdev=n1,mac=52:54:00:78:00:0$n"
}

# With LAB_CPU_QUOTA, put the calling process (a VM about to start) in a
# CPU cgroup shared by the lab's VMs, limited to that percent of one CPU.
cpu_limit() {
	local q=${LAB_CPU_QUOTA:-} cg
	[ -n "$q" ] || return 0
	if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		cg=/sys/fs/cgroup/nvmf-lab
		mkdir -p "$cg" && echo "$((q * 1000)) 100000" >"$cg/cpu.max" &&
			echo $$ >"$cg/cgroup.procs"
	else
		cg=/sys/fs/cgroup/cpu/nvmf-lab
		mkdir -p "$cg" && echo 100000 >"$cg/cpu.cfs_period_us" &&
			echo $((q * 1000)) >"$cg/cpu.cfs_quota_us" &&
			echo $$ >"$cg/tasks"
	fi || die "cannot limit the VMs to ${q}% of a CPU (cgroup $cg)"
}

# boot_vm ROLE NETDEV_ARGS OUTDIR SCENARIO IP PEER_IP MAC
boot_vm() {
	local role=$1 netdev=$2 out=$3 scen=$4 ip=$5 peer=$6 mac=$7
	local kdir=$LAB_CACHE/kernel/$KVER
	cpu_limit
	exec qemu-system-x86_64 -accel tcg -nodefaults -no-reboot -display none \
		-m "$LAB_MEM" -smp "$LAB_SMP" -cpu max \
		-kernel "$kdir/boot/vmlinuz-$KVER" \
		-initrd "$LAB_CACHE/initramfs-$KVER.cpio.gz" \
		-append "console=ttyS0 loglevel=4 panic=-1 lab.role=$role lab.ip=$ip lab.peer=$peer lab.repo=$REPO lab.build=$LAB_BUILD lab.scenario=$scen lab.moddir=$kdir/lib/modules lab.timeout=$TIMEOUT" \
		-serial "file:$out/$role/console.log" \
		-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
		-fsdev local,id=labout,path="$out",security_model=none,multidevs=remap \
		-device virtio-9p-pci,fsdev=labout,mount_tag=labout \
		-netdev "$netdev" -device virtio-net-pci,netdev=n0,mac="$mac" \
		$(second_link "$role" "$netdev") \
		</dev/null >"$out/$role/qemu.log" 2>&1
}

# Read a role's verdict: PASS, or FAIL with a reason.
# qemu_pid PID: the pid of the qemu process that the timeout(1) process
# PID runs; fails before it started or after it ended.
qemu_pid() {
	local q
	q=$(cat "/proc/$1/task/$1/children" 2>/dev/null) && q=${q%% *} &&
		[ -n "$q" ] && echo "$q"
}

# qemu_cpu_ms PID: user + system CPU time in ms of the qemu process that the
# timeout(1) process PID runs (all its threads: vCPUs, I/O, TCG); "nan"
# before it started or after it ended.
qemu_cpu_ms() {
	local q
	q=$(qemu_pid "$1") &&
		awk -v hz="$CLK_TCK" '{
			sub(/^.*\) /, "");	# past pid and (comm)
			printf "%d\n", ($12 + $13) * 1000 / hz }' \
			"/proc/$q/stat" 2>/dev/null || echo nan
}

# qemu_profile_start OUT NAME TPID HPID: sample each VM's qemu process on
# this machine (perf record -p: its threads, TCG's generated code, the
# devices it emulates, and this machine's kernel under them) until
# qemu_profile_stop; the guest asked (lab_profile_start with PROFILE=qemu).
qemu_profile_start() {
	local out=$1 name=$2 role pid
	QPROF_PIDS=""
	for role in target host; do
		pid=$3
		[ $role = host ] && pid=$4
		pid=$(qemu_pid "$pid") || continue
		perf record -e cpu-clock -F 499 -g -p "$pid" \
			-o "$out/$role/$name.qemu.perf.data" \
			>"$out/$role/$name.qemu.perf.log" 2>&1 &
		QPROF_PIDS="$QPROF_PIDS $!"
	done
}

# qemu_profile_stop OUT NAME: OUT/ROLE/NAME.qemu.profile for each VM: the
# share of samples by object, then by symbol above 1% (qemu's threads are
# not named: -name debug-threads=on would tell vCPUs from I/O)
qemu_profile_stop() {
	local out=$1 name=$2 role pid d
	for pid in $QPROF_PIDS; do kill -INT "$pid" 2>/dev/null; done
	for pid in $QPROF_PIDS; do wait "$pid"; done
	for role in target host; do
		d=$out/$role/$name.qemu.perf.data
		[ -s "$d" ] || continue
		{
			perf report -i "$d" --stdio --no-children -g none \
				--sort comm,dso --percent-limit 0.5 2>&1
			perf report -i "$d" --stdio --no-children -g none \
				--sort comm,dso,sym --percent-limit 1 2>&1
		} | grep -v '^$' >"$out/$role/$name.qemu.profile"
		rm -f "$d"
	done
}

# cpu_server OUT TPID HPID TICK: answers the guests' requests for the CPU
# time of the VMs' qemu processes while the scenario runs.  A guest creates
# sync/cpu-req.NAME (lab_qemu_cpu in guest/lib.sh); the answer,
# sync/cpu.NAME, is "TARGET_MS HOST_MS".  Read on this machine, so a guest
# pays only for its own two small files on 9p.  It looks every 50 ms,
# waiting with a read timeout on the FIFO TICK rather than a sleep
# process: the VMs use both CPUs, and a fork every 50 ms cost them 8% of
# one.  Also sync/qprof-start.NAME and sync/qprof-stop.NAME: the qemu
# processes sampled (answers: sync/qprof.NAME, sync/qprofd.NAME).
cpu_server() {
	local out=$1 tpid=$2 hpid=$3 req name tick
	CLK_TCK=$(getconf CLK_TCK)
	mkfifo "$4" && exec {tick}<>"$4" || return 1
	while kill -0 "$tpid" 2>/dev/null || kill -0 "$hpid" 2>/dev/null; do
		for req in "$out"/sync/cpu-req.*; do
			[ -e "$req" ] || continue
			name=${req##*/cpu-req.}
			echo "$(qemu_cpu_ms "$tpid") $(qemu_cpu_ms "$hpid")" \
				>"$out/sync/.cpu.$name" &&
				mv "$out/sync/.cpu.$name" "$out/sync/cpu.$name"
			rm -f "$req"
		done
		for req in "$out"/sync/qprof-start.* "$out"/sync/qprof-stop.*; do
			[ -e "$req" ] || continue
			name=${req##*/sync/qprof-}
			rm -f "$req"
			case $name in
			start.*)
				qemu_profile_start "$out" "${name#start.}" \
					"$tpid" "$hpid"
				: >"$out/sync/qprof.${name#start.}"
				;;
			stop.*)
				qemu_profile_stop "$out" "${name#stop.}"
				: >"$out/sync/qprofd.${name#stop.}"
				;;
			esac
		done
		read -r -t 0.05 -u "$tick" _ || :
	done
}

role_verdict() {
	local f=$1/result
	[ -s "$f" ] || {
		echo "FAIL: no verdict (VM hung or crashed; see its console.log)"
		return
	}
	head -1 "$f"
}

run_one() {
	local scen=$1 sdir=$LAB_DIR/scenarios/$1 out sockdir tpid hpid
	LINKS=1
	local start end rc=0 vt vh
	[ -d "$sdir" ] || { log "no such scenario: $scen"; return 2; }
	TIMEOUT=300
	GRACE=60
	# shellcheck disable=SC1091
	[ -f "$sdir/scenario.conf" ] && . "$sdir/scenario.conf"
	# LAB_SET="CYCLES=20 ...": settings over scenario.conf, in the guests too
	[ -n "${LAB_SET:-}" ] && eval "$LAB_SET"
	TIMEOUT=${LAB_TIMEOUT:-$TIMEOUT}
	out=$LAB_OUT/$scen
	rm -rf "$out"
	mkdir -p "$out/target" "$out/host" "$out/sync"
	printf '%s\n' ${LAB_SET:-} >"$out/sync/override.conf"
	sockdir=$(mktemp -d /tmp/lab-net.XXXXXX)
	log "scenario $scen: starting (timeout ${TIMEOUT}s, logs in $out)"
	start=$(date +%s)
	export KVER TIMEOUT LINKS
	# The VM gets GRACE seconds beyond the scenario's own timeout to boot
	# and power off; after that it is killed and its role has no verdict.
	timeout -k 5 $((TIMEOUT + GRACE)) "$0" _boot target \
		"stream,id=n0,server=on,addr.type=unix,addr.path=$sockdir/net" \
		"$out" "$scen" $TARGET_IP $HOST_IP 52:54:00:77:00:01 &
	tpid=$!
	for _ in $(seq 100); do
		[ -S "$sockdir/net" ] && { [ "$LINKS" = 1 ] || [ -S "$sockdir/net2" ]; } &&
			break
		sleep 0.1
	done
	timeout -k 5 $((TIMEOUT + GRACE)) "$0" _boot host \
		"stream,id=n0,server=off,addr.type=unix,addr.path=$sockdir/net" \
		"$out" "$scen" $HOST_IP $TARGET_IP 52:54:00:77:00:02 &
	hpid=$!
	cpu_server "$out" "$tpid" "$hpid" "$sockdir/cpu-tick" &
	wait "$tpid"
	wait "$hpid"
	wait
	end=$(date +%s)
	rm -rf "$sockdir"
	vt=$(role_verdict "$out/target")
	vh=$(role_verdict "$out/host")
	sort -s -k1,1 "$out"/target/timeline "$out"/host/timeline \
		>"$out/timeline" 2>/dev/null
	if [ -s "$out/timeline" ]; then
		echo "---- timeline ($scen): +seconds, time, node, event ----"
		awk 'NR == 1 { t0 = $1 } {
			t = $1; $1 = ""; s = int(t);
			printf "+%7.3f %s.%03d%s\n", t - t0,
				strftime("%H:%M:%S", s), (t - s) * 1000, $0 }' \
			"$out/timeline"
		echo "----"
	fi
	for f in "$out"/target/report "$out"/host/report; do
		[ -s "$f" ] && cat "$f"
	done
	echo "target: $vt"
	echo "host:   $vh"
	if [ "$vt" = PASS ] && [ "$vh" = PASS ]; then
		log "scenario $scen: PASS in $((end - start))s"
	else
		log "scenario $scen: FAIL in $((end - start))s (logs: $out)"
		rc=1
	fi
	return $rc
}

cmd_run() {
	local s rc=0 pass=0 fail=0
	need_root
	[ $# -gt 0 ] || die "usage: lab.sh run SCENARIO..."
	cmd_prepare
	KVER=$(cat "$LAB_CACHE/current")
	for s in "$@"; do
		if run_one "$s"; then pass=$((pass + 1)); else fail=$((fail + 1)); rc=1; fi
	done
	echo "lab: $pass passed, $fail failed"
	return $rc
}

cmd_list() {
	local d
	for d in "$LAB_DIR"/scenarios/*/; do
		d=${d%/}; echo "${d##*/}"
	done
}

usage() {
	sed -n '3,19p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
prepare) cmd_prepare ;;
run) shift; cmd_run "$@" ;;
_boot) shift; boot_vm "$@" ;;
list) cmd_list ;;
-h|--help|help) usage ;;
*) usage >&2; exit 2 ;;
esac
