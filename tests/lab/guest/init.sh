#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of a lab guest (after the initramfs switched into the overlay root).
# Brings up the machine (mounts, network, soft-RoCE), then runs the role
# script of the scenario under a timeout, records the verdict and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C

# /proc, /sys, /dev (with /dev/pts, /dev/shm) and /run were mounted by the
# initramfs.  /tmp stays the overlay's (writable, on the tmpfs upper
# layer): a fresh tmpfs there would hide a repository or build tree that
# lives under /tmp.

# lab.* words of the kernel command line, read without a process per word
read -r -a words </proc/cmdline
declare -A arg
for w in "${words[@]}"; do
	case $w in
	lab.*=*) w=${w#lab.} && arg[${w%%=*}]=${w#*=} ;;
	esac
done
export LAB_ROLE=${arg[role]} LAB_IP=${arg[ip]} LAB_PEER=${arg[peer]}
export LAB_REPO=${arg[repo]} LAB_BUILD=${arg[build]}
export LAB_SCENARIO=${arg[scenario]} LAB_TIMEOUT=${arg[timeout]}
export LAB_OUT=/lab/out/$LAB_ROLE LAB_SYNC=/lab/out/sync
export LAB_LIB=$LAB_REPO/tests/lab/guest/lib.sh
mkdir -p "$LAB_OUT"

poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
}

verdict() {
	echo "$1" >"$LAB_OUT/result"
	echo "lab-init: verdict $1" >/dev/console
}

{
	# shellcheck source=lib.sh
	. "$LAB_LIB"
	lab_boot_setup
} >"$LAB_OUT/boot.log" 2>&1 || {
	verdict "FAIL: guest setup failed (see $LAB_ROLE/boot.log)"
	dmesg >"$LAB_OUT/dmesg" 2>/dev/null
	poweroff_now
}

script=$LAB_REPO/tests/lab/scenarios/$LAB_SCENARIO/$LAB_ROLE.sh
if [ ! -f "$script" ]; then
	verdict "FAIL: no role script $script"
	poweroff_now
fi

# The role script sees the variables of scenario.conf and reports its
# verdict with lab_pass/lab_fail (which write $LAB_OUT/result); an exit
# without one is a failure.
conf=$LAB_REPO/tests/lab/scenarios/$LAB_SCENARIO/scenario.conf
[ -f "$conf" ] || conf=/dev/null
over=$LAB_SYNC/override.conf
[ -f "$over" ] || over=/dev/null
timeout -k 5 "$LAB_TIMEOUT" bash -c ". '$LAB_LIB'; . '$conf'; . '$over'; . '$script'" \
	>"$LAB_OUT/log" 2>&1 </dev/null
rc=$?
if [ ! -s "$LAB_OUT/result" ]; then
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		verdict "FAIL: role script timed out after ${LAB_TIMEOUT}s"
	else
		verdict "FAIL: role script exited $rc without a verdict"
	fi
fi
dmesg >"$LAB_OUT/dmesg" 2>/dev/null
poweroff_now
