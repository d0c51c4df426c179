#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Helpers for lab scenario role scripts.  Sourced by guest/init.sh before a
# role script runs; everything here runs inside a guest.
#
# Environment set by init.sh:
#   LAB_ROLE      target | host
#   LAB_IP        this guest's IPv4 address on the lab link (eth0)
#   LAB_PEER      the other guest's IPv4 address
#   LAB_IP6, LAB_PEER6   the same in IPv6 (fd77::1 target, fd77::2 host)
#   LAB_REPO      the repository (read-only), LAB_BUILD its build tree
#   LAB_OUT       this role's result directory (writable, read by the runner)
#   LAB_SYNC      directory shared by both guests for barriers
#
# Conventions: every helper returns non-zero on failure; lab_fail ends the
# role with a reason, lab_pass ends it successfully.  Times are taken from
# the guest clock, which lab_boot_setup aligns with the lab machine's clock
# (so timelines of the two guests can be merged).

LAB_DEFAULT_WAIT=${LAB_DEFAULT_WAIT:-60}
if [ "$LAB_ROLE" = target ]; then
	LAB_IP6=fd77::1 LAB_PEER6=fd77::2
else
	LAB_IP6=fd77::2 LAB_PEER6=fd77::1
fi
declare -A LAB_DAEMONS

# Wall-clock now in nanoseconds (microsecond resolution) / as seconds with
# milliseconds; from bash's EPOCHREALTIME, without a date process.
# lab_now_ns -v VAR sets VAR instead (no subshell: nothing in between).
lab_now_ns() {
	local t=$EPOCHREALTIME
	if [ "${1:-}" = -v ]; then
		printf -v "$2" %s "${t/[.,]/}000"
	else
		echo "${t/[.,]/}000"
	fi
}
lab_now() {
	local t=$EPOCHREALTIME
	t=${t/,/.}
	echo "${t%???}"
}

# sleep SECONDS: waits in a read timeout on a FIFO nobody writes to,
# instead of a sleep process.  Under TCG a fork and exec costs the guest
# tens of milliseconds of CPU, and the lab's polling loops (lab_wait,
# lab_retry) sleep 0.05-0.2 s at a time: with a process per wait, a guest
# that only waits used a large part of a CPU the other guest needed.  A
# signal may end the wait early; other arguments go to sleep(1).
LAB_TICK=/run/lab-tick
sleep() {
	if [ $# = 1 ] && [[ $1 =~ ^[0-9]*\.?[0-9]+$ ]]; then
		[ -p "$LAB_TICK" ] || mkfifo "$LAB_TICK" 2>/dev/null ||
			[ -p "$LAB_TICK" ] || { command sleep "$1"; return; }
		read -r -t "$1" _ <>"$LAB_TICK" || :
	else
		command sleep "$@"
	fi
}

# lab_event TEXT: a timestamped line in this role's timeline (and the log).
lab_event() {
	local line
	line="$(lab_now) $LAB_ROLE $*"
	echo "$line" >>"$LAB_OUT/timeline"
	echo "== $line"
}

# lab_report TEXT: a line the runner prints after the scenario (figures).
lab_report() {
	echo "$LAB_ROLE: $*" >>"$LAB_OUT/report"
	echo "report: $*"
}

# lab_pass: ends the role successfully - unless a daemon died on the way
# (lab_crashes), which fails it.
lab_pass() {
	local crash
	LAB_FAILING=1
	crash=$(lab_crashes) && lab_fail_crash "$crash"
	lab_event "PASS"
	echo "PASS" >"$LAB_OUT/result"
	exit 0
}

# lab_fail REASON: ends the role with that reason; tells the peer too, so it
# does not wait for barriers that will never come.  A daemon that died is
# named in the verdict, whatever the reason given.
lab_fail() {
	local crash
	if [ -z "${LAB_FAILING:-}" ]; then
		LAB_FAILING=1
		crash=$(lab_crashes) && lab_fail_crash "$crash" "$*"
	fi
	lab_event "FAIL: $*"
	echo "FAIL: $*" >"$LAB_OUT/result"
	: >"$LAB_SYNC/abort-$LAB_ROLE"
	exit 1
}

# lab_fail_crash SUMMARY [REASON]: the verdict for a daemon that died; its
# backtraces and last log lines go to the log and the report.
lab_fail_crash() {
	echo "---- $1"
	cat "$LAB_OUT/crashes.txt" 2>/dev/null
	grep -a '^ \{2,4\}\(#\|backtrace\|last lines\)' "$LAB_OUT/crashes.txt" 2>/dev/null |
		head -30 | while IFS= read -r line; do lab_report "$line"; done
	lab_fail "$1${2:+; then: $2}"
}

# Milliseconds between two lab_now_ns values.
lab_ms() { echo $((($2 - $1) / 1000000)); }

# Align the guest clock with the lab machine's: a file created on the 9p
# export gets the machine's time as mtime.  Take the sample with the
# shortest round trip of three (one stat and one rm for all three: each
# process costs the guest tens of milliseconds under TCG).
lab_sync_clock() {
	local f=$LAB_SYNC/.clock-$LAB_ROLE t0=() t1=() m h best=-1 off=0 i=0
	rm -f "$f".[123]
	for i in 1 2 3; do
		lab_now_ns -v "t0[$i]"
		: >"$f.$i"
		lab_now_ns -v "t1[$i]"
	done
	i=0
	for m in $(stat -c %.9Y "$f".[123]); do
		i=$((i + 1))
		h=${m/./}
		if [ $best -lt 0 ] || [ $((t1[i] - t0[i])) -lt $best ]; then
			best=$((t1[i] - t0[i]))
			off=$((h - (t0[i] + t1[i]) / 2))
		fi
	done
	rm -f "$f".[123]
	[ $i = 3 ] || return 1
	h=$(($(lab_now_ns) + off))
	date -s "@${h:0:-9}.${h: -9}" >/dev/null
	echo "clock: adjusted by $((off / 1000000)) ms (round trip $((best / 1000000)) ms)"
}

lab_boot_setup() {
	# each traced command with the time (boot.log; no process per line)
	PS4='+ ${EPOCHREALTIME} '
	set -x
	echo "$LAB_ROLE" >/proc/sys/kernel/hostname
	# a daemon that crashes leaves a core (LAB_OUT is kept on the lab
	# machine) named after its pid, signal and path; lab_crashes reads it
	ulimit -c unlimited
	echo "$LAB_OUT/core.%p.%s.%E" >/proc/sys/kernel/core_pattern
	# virtio_net, configfs and the soft-RoCE and RDMA user-space modules
	# came with the initramfs (loaded from memory, not over 9p)
	ip -b - <<-EOF || return 1
		link set lo up
		link set eth0 up
		addr add $LAB_IP/24 dev eth0
		addr add $LAB_IP6/64 dev eth0 nodad
	EOF
	lab_sync_clock
	mount -t configfs configfs /sys/kernel/config || return 1
	rdma link add rxe0 type rxe netdev eth0 || return 1
	set +x
}

# lab_wait_peer [SECONDS]: wait until the peer answers on the lab link (a
# TCP connection to a closed port is refused at once when the peer is up,
# and times out when it is not).
lab_wait_peer() {
	local deadline=$((SECONDS + ${1:-$LAB_DEFAULT_WAIT})) out
	while [ $SECONDS -lt $deadline ]; do
		out=$(timeout 1 bash -c "exec 3<>/dev/tcp/$LAB_PEER/9" 2>&1)
		case "$out" in
		*refused*|"") return 0 ;;
		esac
		sleep 0.2
	done
	return 1
}

# Sanitizer builds report to files lab_crashes reads (ASan disables core
# dumps; -fno-sanitize-recover makes any report fatal).
export ASAN_OPTIONS="log_path=$LAB_OUT/asan:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$LAB_OUT/ubsan:print_stacktrace=1:${UBSAN_OPTIONS:-}"

# The log file of a daemon by its executable's name.
lab_daemon_log() {
	case "$1" in
	nvmf-host) echo "$LAB_OUT/nvmf-host.log" ;;
	*) echo "$LAB_OUT/$1.log" ;;
	esac
}

# lab_crash_core CORE: describe the daemon that left CORE (core.PID.SIG.PATH
# with ! for /), with the backtrace gdb prints (kept in CORE.bt).
lab_crash_core() {
	local core=$1 base pid sig exe name log
	base=${core##*/core.}
	pid=${base%%.*}
	base=${base#*.}
	sig=${base%%.*}
	exe=${base#*.}
	exe=${exe//!//}
	name=${exe##*/}
	log=$(lab_daemon_log "$name")
	echo "$name (pid $pid) died with signal $sig (SIG$(kill -l "$sig" 2>/dev/null)); core kept: $LAB_ROLE/${core##*/}"
	if [ ! -e "$core.bt" ]; then
		timeout 120 gdb -batch -nx -ex "set pagination off" \
			-ex "echo === thread that got the signal\n" -ex bt \
			-ex "echo === all threads\n" -ex "thread apply all bt" \
			"$exe" "$core" >"$core.bt" 2>&1
	fi
	echo "  backtrace ($LAB_ROLE/${core##*/}.bt):"
	sed -n '/^=== thread that got the signal/,/^=== all threads/p' "$core.bt" |
		grep '^#' | head -12 | sed 's/^/    /'
	if [ -s "$log" ]; then
		echo "  last lines of $log:"
		tail -8 "$log" | sed 's/^/    /'
	fi
}

# lab_crashes: what died abnormally - a core, a sanitizer report, a daemon
# of lab_daemon_start gone without lab_daemon_stop, a segfault the kernel
# logged.  Prints a one-line summary (details in $LAB_OUT/crashes.txt);
# returns 0 if anything died, 1 if nothing did.
lab_crashes() {
	local f name pid rc what summary="" cored=" "
	: >"$LAB_OUT/crashes.txt"
	for f in "$LAB_OUT"/core.*; do
		case "$f" in *.bt | *"core.*") continue ;; esac
		pid=${f##*/core.}
		cored="$cored${pid%%.*} "
		lab_crash_core "$f" >>"$LAB_OUT/crashes.txt"
		summary="$summary${summary:+; }$(tail -n +1 "$LAB_OUT/crashes.txt" | grep -a 'died with signal' | tail -1)"
	done
	for f in "$LAB_OUT"/asan.* "$LAB_OUT"/ubsan.*; do
		[ -s "$f" ] || continue
		what=$(grep -a -m1 'ERROR:\|runtime error' "$f" | cut -c1-200)
		summary="$summary${summary:+; }sanitizer report in $f: $what"
		{ echo "sanitizer report $f:"; head -40 "$f" | sed 's/^/    /'; } >>"$LAB_OUT/crashes.txt"
	done
	for name in "${!LAB_DAEMONS[@]}"; do
		pid=${LAB_DAEMONS[$name]}
		kill -0 "$pid" 2>/dev/null && continue
		wait "$pid"
		rc=$?
		unset "LAB_DAEMONS[$name]"
		case "$cored" in *" $pid "*) continue ;; esac # told above
		what="$name (pid $pid) exited on its own with status $rc"
		[ "$rc" -gt 128 ] && what="$what (SIG$(kill -l $((rc - 128))))"
		summary="$summary${summary:+; }$what"
		{
			echo "$what; last lines of $(lab_daemon_log "$name"):"
			tail -5 "$(lab_daemon_log "$name")" 2>/dev/null | sed 's/^/    /'
		} >>"$LAB_OUT/crashes.txt"
	done
	f=$(dmesg | grep -E 'nvmf-[a-z]+\[[0-9]+\]: segfault|traps: nvmf' | head -1)
	[ -n "$f" ] && [ -z "$summary" ] && summary="the kernel logged: $f"
	[ -n "$summary" ] || return 1
	echo "daemon died: $summary"
}

# lab_signal NAME: raise a barrier the peer may lab_wait for.
lab_signal() {
	: >"$LAB_SYNC/$1"
	lab_event "signal $1"
}

# lab_wait_first SECONDS NAME...: wait for the first of the peer's
# lab_signal NAME...; prints its name.  Fails the role if the peer aborted
# or the wait timed out.  A look every 0.1 s, every 0.5 s once the wait
# has lasted 30 s: a VM that waits out the other's benchmark (bench-host's
# target) then takes less of the CPU the two VMs share.
lab_wait_first() {
	local deadline=$((SECONDS + $1)) slow=$((SECONDS + 30)) name
	shift
	while :; do
		for name in "$@"; do
			[ -e "$LAB_SYNC/$name" ] && echo "$name" && return 0
		done
		if compgen -G "$LAB_SYNC/abort-*" >/dev/null; then
			lab_fail "peer aborted while waiting for '$*'"
		fi
		[ $SECONDS -lt $deadline ] ||
			lab_fail "timed out waiting for '$*'"
		if [ $SECONDS -lt $slow ]; then sleep 0.1; else sleep 0.5; fi
	done
}

# lab_wait NAME [SECONDS]: wait for the peer's lab_signal NAME.
lab_wait() {
	lab_wait_first "${2:-$LAB_DEFAULT_WAIT}" "$1" >/dev/null
}

# lab_qemu_cpu NAME: "TARGET_MS HOST_MS", the CPU time (user + system, all
# threads) each VM's qemu process has used so far, read by lab.sh on the
# machine that runs the VMs; also kept in $LAB_OUT/NAME.cpu.  "nan nan"
# if no answer came within 10 s.  The request and the answer are two small
# files on the shared directory: call it between runs, not during one.
lab_qemu_cpu() {
	local ans=$LAB_SYNC/cpu.$LAB_ROLE-$1 i v="nan nan"
	rm -f "$ans"
	: >"$LAB_SYNC/cpu-req.$LAB_ROLE-$1"
	for i in $(seq 200); do
		[ -s "$ans" ] && { v=$(cat "$ans"); break; }
		sleep 0.05
	done
	[ "$v" = "nan nan" ] && lab_event "no CPU time from lab.sh for $1"
	echo "$v" >"$LAB_OUT/$1.cpu"
	echo "$v"
}

# lab_qemu_profile start|stop NAME ANSWER: ask lab.sh to start or stop
# sampling both VMs' qemu processes on the machine that runs them
# (NAME.qemu.profile in each role's output directory)
lab_qemu_profile() {
	rm -f "$LAB_SYNC/$3.$2"
	: >"$LAB_SYNC/qprof-$1.$2"
	lab_retry 120 test -e "$LAB_SYNC/$3.$2" ||
		lab_fail "lab.sh did not $1 sampling the qemu processes"
	[ "$1" = start ] && sleep 1 # perf -p reads the maps, then samples
	lab_event "qemu processes: sampling $1 ($2)"
}

# PROFILE=qemu: instead, lab_profile_start and lab_profile_stop sample the
# two qemu processes on the machine that runs them (lab_qemu_profile).
# lab_profile_start NAME: sample every CPU of this VM (perf record -a,
# cpu-clock: TCG has no hardware counters) until lab_profile_stop.  perf
# reads every process's maps before it samples (seconds under TCG): it
# samples once its workload, a sleep that lab_profile_stop ends, has
# started.  The samples go to /run (tmpfs), not to the shared directory,
# whose writes slow the VMs' network down while I/O runs.
lab_profile_start() {
	local f=/run/$1.perf
	LAB_PROFILE=$1
	if [ "${PROFILE:-}" = qemu ]; then
		lab_qemu_profile start "$1" qprof
		return
	fi
	rm -f "$f.pid"
	perf record -e cpu-clock -F 997 -a -g -o "$f.data" -- \
		sh -c "echo \$\$ >$f.pid.new && mv $f.pid.new $f.pid && exec sleep 3600" \
		>"$LAB_OUT/$1.perf.log" 2>&1 &
	LAB_PROFILE_PID=$!
	lab_retry 60 test -s "$f.pid" ||
		lab_fail "perf record did not start: $(tail -2 "$LAB_OUT/$1.perf.log")"
}

# lab_profile_stop: stop the sampling; NAME.profile in $LAB_OUT: the share
# of samples by command and object, the symbols above 0.5% (self), then
# by command and symbol with what the symbol calls (children) above 2%
lab_profile_stop() {
	local f=/run/$LAB_PROFILE.perf o=$LAB_OUT/$LAB_PROFILE.profile
	if [ "${PROFILE:-}" = qemu ]; then
		lab_qemu_profile stop "$LAB_PROFILE" qprofd
		return
	fi
	kill "$(cat "$f.pid")" 2>/dev/null
	wait "$LAB_PROFILE_PID"
	{
		perf report -i "$f.data" --stdio --no-children -g none \
			--sort comm,dso --percent-limit 0.5 2>&1
		perf report -i "$f.data" --stdio --no-children -g none \
			--sort comm,dso,sym --percent-limit 0.5 2>&1
		perf report -i "$f.data" --stdio --children -g none \
			--sort comm,sym --percent-limit 2 2>&1
	} | grep -v '^$' >"$o"
	rm -f "$f.data" "$f.pid"
	lab_event "profile of $LAB_PROFILE: $(grep -c . "$o") lines in ${o##*/}"
}

# lab_daemon_start NAME CMD...: run CMD in the background, output in
# $LAB_OUT/NAME.log.
lab_daemon_start() {
	local name=$1
	shift
	"$@" >"$LAB_OUT/$name.log" 2>&1 &
	LAB_DAEMONS[$name]=$!
	lab_event "started $name (pid $!): $*"
}

lab_daemon_pid() { echo "${LAB_DAEMONS[$1]:-}"; }

# lab_daemon_stop NAME [SIGNAL]: stop it and wait; prints its exit status.
lab_daemon_stop() {
	local name=$1 sig=${2:-TERM} pid=${LAB_DAEMONS[$1]:-} rc
	[ -n "$pid" ] || return 1
	kill -"$sig" "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	unset "LAB_DAEMONS[$name]"
	lab_event "stopped $name (signal $sig, status $rc)"
	return 0
}

# lab_fault KIND [ARG]: inject a fault and log it in the timeline.
#   rdma-del        rdma link delete rxe0 (records how long it blocked in
#                   LAB_LAST_FAULT_MS; fails if it still blocks after
#                   LAB_RDMA_DEL_WAIT seconds, 10 by default: a hang)
#   rdma-add        rdma link add rxe0 type rxe netdev eth0
#   link-down/up    ip link set eth0 down/up
#   kill NAME       kill -9 of a daemon started with lab_daemon_start
lab_fault() {
	local t0 t1 rc
	case "$1" in
	rdma-del)
		t0=$(lab_now_ns)
		# it blocks uninterruptibly while a process holds the device:
		# wait a bounded time, then say who holds it
		rdma link delete rxe0 &
		lab_event "fault: rdma link delete rxe0"
		local pid=$! i
		for i in $(seq $((${LAB_RDMA_DEL_WAIT:-10} * 20))); do
			kill -0 $pid 2>/dev/null || break
			sleep 0.05
		done
		t1=$(lab_now_ns)
		LAB_LAST_FAULT_MS=$(lab_ms "$t0" "$t1")
		if kill -0 $pid 2>/dev/null; then
			LAB_FAULT_ERR="still blocked after ${LAB_LAST_FAULT_MS} ms (a hang: typical is 1-2 s); holders:$(lab_rdma_holders)"
			lab_event "rdma link delete $LAB_FAULT_ERR"
			lab_hang_dump
			return 1
		fi
		wait $pid
		rc=$?
		LAB_FAULT_ERR="exit status $rc after ${LAB_LAST_FAULT_MS} ms"
		lab_event "rdma link delete returned $rc after ${LAB_LAST_FAULT_MS} ms"
		return $rc
		;;
	rdma-add)
		lab_event "fault: rdma link add rxe0"
		rdma link add rxe0 type rxe netdev eth0
		;;
	link-down)
		lab_event "fault: ip link set eth0 down"
		ip link set eth0 down
		;;
	link-up)
		lab_event "fault: ip link set eth0 up"
		ip link set eth0 up
		;;
	kill)
		lab_event "fault: kill -9 $2"
		lab_daemon_stop "$2" KILL
		;;
	*)
		echo "lab_fault: unknown fault '$1'" >&2
		return 2
		;;
	esac
}

# lab_second_rdma: a second soft-RoCE device, rxe1, on the second link
# (eth1, with LINKS=2 in scenario.conf: 10.78.0.1 on the target, .2 on the
# host): connections to the peer's 10.78.0.x address use rxe1, those to
# 10.77.0.x rxe0.  Sets LAB_IP2 and LAB_PEER2.
lab_second_rdma() {
	local n=1 p=2
	[ "$LAB_ROLE" = host ] && { n=2; p=1; }
	LAB_IP2=10.78.0.$n LAB_PEER2=10.78.0.$p
	ip link set eth1 up && ip addr add "$LAB_IP2/24" dev eth1 &&
		rdma link add rxe1 type rxe netdev eth1
}

# lab_rdma_holders: processes with RDMA device files open, and which.
lab_rdma_holders() {
	local p f out=""
	for p in /proc/[0-9]*; do
		for f in "$p"/fd/*; do
			case "$(readlink "$f" 2>/dev/null)" in
			/dev/infiniband/*|*infiniband*)
				out="$out ${p#/proc/}($(cat "$p/comm")):$(readlink "$f")"
				;;
			esac
		done
	done
	echo "${out:- none}"
}

# lab_hang_dump: the threads of every process that holds the RDMA device
# (a delete that blocks), for the hang's diagnosis: each thread's kernel
# stack and wait channel, and gdb's backtrace of all of them, in
# $LAB_OUT/hang-PID.txt.
lab_hang_dump() {
	local p pid t
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		ls -l "$p/fd" 2>/dev/null | grep -q infiniband || continue
		{
			echo "== $pid $(cat "$p/comm")"
			for t in "$p"/task/*; do
				echo "-- thread ${t##*/} $(cat "$t/comm") wchan $(cat "$t/wchan" 2>/dev/null)"
				cat "$t/stack" 2>/dev/null
			done
			timeout 60 gdb -batch -nx -p "$pid" \
				-ex "set pagination off" \
				-ex "thread apply all bt" 2>&1
		} >"$LAB_OUT/hang-$pid.txt" 2>&1
		lab_event "hang: threads of $pid ($(cat "$p/comm")) in hang-$pid.txt"
	done
}

# lab_at_most VALUE LIMIT: true if VALUE is a number no greater than LIMIT
# (decimals: a counter per I/O against its bound); false if VALUE is empty.
lab_at_most() {
	awk -v v="$1" -v m="$2" 'BEGIN { exit !(v != "" && v + 0 <= m + 0) }'
}

# lab_retry SECONDS CMD...: run CMD until it succeeds or SECONDS pass.
# lab_not CMD...: succeeds when CMD fails (its output discarded); for
# lab_retry, which takes a command, not a pipeline with "!".
lab_not() {
	! "$@" >/dev/null 2>&1
}

lab_retry() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $deadline ] || return 1
		sleep 0.2
	done
}

# ---- kernel peers ----------------------------------------------------------

NVMET_CFS=/sys/kernel/config/nvmet

# lab_kernel_target_setup NQN [PORTID] [SVCID] [SIZE_MB]: the kernel
# nvmet-rdma target on LAB_IP with a brd RAM disk (tmpfs files fail nvmet's
# O_DIRECT open) as namespace 1.
lab_kernel_target_setup() {
	local nqn=$1 portid=${2:-1} svcid=${3:-4420} size=${4:-256}
	local s=$NVMET_CFS/subsystems/$nqn p=$NVMET_CFS/ports/$portid
	modprobe brd rd_nr=1 rd_size=$((size * 1024)) || return 1
	modprobe nvmet_rdma || return 1
	mkdir "$s" && echo 1 >"$s/attr_allow_any_host" &&
		mkdir "$s/namespaces/1" &&
		echo /dev/ram0 >"$s/namespaces/1/device_path" &&
		echo 1 >"$s/namespaces/1/enable" || return 1
	mkdir "$p" && echo rdma >"$p/addr_trtype" &&
		echo ipv4 >"$p/addr_adrfam" &&
		echo "$LAB_IP" >"$p/addr_traddr" &&
		echo "$svcid" >"$p/addr_trsvcid" || return 1
	ln -s "$s" "$p/subsystems/$nqn" || return 1
	lab_event "kernel nvmet-rdma target: $nqn on $LAB_IP:$svcid (port $portid)"
}

# lab_kernel_subsys NQN PORTID [DEVICE]: one more kernel target subsystem
# (any host), with namespace 1 on DEVICE if given, linked to port PORTID.
lab_kernel_subsys() {
	local s=$NVMET_CFS/subsystems/$1
	mkdir "$s" && echo 1 >"$s/attr_allow_any_host" || return 1
	if [ -n "${3:-}" ]; then
		mkdir "$s/namespaces/1" &&
			echo "$3" >"$s/namespaces/1/device_path" &&
			echo 1 >"$s/namespaces/1/enable" || return 1
	fi
	ln -s "$s" "$NVMET_CFS/ports/$2/subsystems/$1"
}

lab_kernel_target_teardown() {
	local d l
	for l in "$NVMET_CFS"/ports/*/subsystems/*; do
		[ -L "$l" ] && rm -f "$l"
	done
	for d in "$NVMET_CFS"/ports/*/; do [ -d "$d" ] && rmdir "$d"; done
	for d in "$NVMET_CFS"/subsystems/*/; do
		[ -d "$d" ] || continue
		for l in "$d"namespaces/*/; do
			[ -d "$l" ] && { echo 0 >"$l/enable"; rmdir "$l"; }
		done
		rmdir "$d"
	done
	return 0
}

# lab_nvme_dev NQN: the /dev/nvmeXnY of the kernel host's namespace for NQN
# (the multipath head when native multipath is on, never a hidden nvmeXcYnZ).
lab_nvme_dev() {
	local b n q
	for b in /sys/block/nvme*n*; do
		n=${b##*/}
		[[ $n =~ ^nvme[0-9]+n[0-9]+$ ]] || continue
		q=
		read -r q 2>/dev/null <"$b/device/subsysnqn"
		[ "$q" = "$1" ] && { echo "/dev/$n"; return 0; }
	done
	return 1
}

# lab_cm_listeners SVCID: how many listening cm_ids (kernel users included)
# are bound to port SVCID, from `rdma res show cm_id`.
lab_cm_listeners() {
	rdma res show cm_id 2>/dev/null | grep LISTEN |
		grep -c "src-addr [^ ]*:$1 "
}

# lab_nvme_connect NQN ADDR SVCID [nvme connect args...]: connect the kernel
# host and wait for the namespace device; prints it.  Fails the role, with
# nvme's message, if either step fails.
lab_nvme_connect() {
	local nqn=$1 addr=$2 svcid=$3 log
	shift 3
	log=$LAB_OUT/connect-${nqn##*:}-$svcid.log
	nvme connect -t rdma -a "$addr" -s "$svcid" -n "$nqn" "$@" \
		>"$log" 2>&1 ||
		lab_fail "nvme connect to $nqn at $addr:$svcid failed: $(tail -1 "$log")"
	lab_retry 20 lab_nvme_dev "$nqn" >/dev/null ||
		lab_fail "no namespace device 20 s after connecting to $nqn"
	lab_nvme_dev "$nqn"
}

# lab_nvme_ctrl NQN: the kernel host controller's sysfs directory.
lab_nvme_ctrl() {
	local c
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$1" ] &&
			{ echo "$c"; return 0; }
	done
	return 1
}

# lab_nvme_state NQN: the kernel host controller state (live, connecting...).
lab_nvme_state() {
	local c
	c=$(lab_nvme_ctrl "$1") && cat "$c/state" && return 0
	echo "absent"
	return 1
}

# lab_fio_verify NAME FILE [fio args...]: a verified fio job; the output
# goes to $LAB_OUT/fio-NAME.log; returns fio's status.
lab_fio_verify() {
	local name=$1 file=$2
	shift 2
	fio --name="$name" --filename="$file" --ioengine=libaio --direct=1 \
		--verify=crc32c --verify_fatal=1 --output="$LAB_OUT/fio-$name.log" \
		"$@"
}

# ---- our daemons -------------------------------------------------------------

NVMF_TGT=$LAB_BUILD/target/nvmf-tgt

# lab_tgt_config FILE NQN DEV [PORTID] [SVCID] [TRTYPE]: an nvmetcli-format
# config with one subsystem (any host) whose namespace 1 is DEV, on LAB_IP
# (rdma unless TRTYPE says tcp).
lab_tgt_config() {
	cat >"$1" <<JSON
{
  "hosts": [],
  "ports": [
    {
      "addr": { "adrfam": "ipv4", "traddr": "$LAB_IP", "trsvcid": "${5:-4420}",
                "trtype": "${6:-rdma}", "treq": "not specified", "tsas": "not specified" },
      "param": { "inline_data_size": "4096" },
      "portid": ${4:-1},
      "referrals": [],
      "subsystems": [ "$2" ]
    }
  ],
  "subsystems": [
    {
      "allowed_hosts": [],
      "attr": { "allow_any_host": "1", "model": "nvmf-tgt", "version": "1.3" },
      "namespaces": [
        { "device": { "path": "$3" }, "enable": 1, "nsid": 1 }
      ],
      "nqn": "$2"
    }
  ]
}
JSON
}

# lab_tgt_start CONFIG [args...]: start nvmf-tgt in the foreground as the
# daemon "nvmf-tgt" and wait until every port is live.
lab_tgt_start() {
	local conf=$1
	shift
	lab_daemon_start nvmf-tgt "$NVMF_TGT" -c "$conf" --foreground "$@"
	lab_retry 20 grep -q 'running:' "$LAB_OUT/nvmf-tgt.log" ||
		return 1
	! grep -q 'cannot listen' "$LAB_OUT/nvmf-tgt.log"
}

# lab_proc_usage NAME: lab_pid_usage of a daemon started with
# lab_daemon_start.
lab_proc_usage() {
	local pid
	pid=$(lab_daemon_pid "$1")
	lab_pid_usage "$pid"
}

# lab_pid_usage PID: "N fds, RSS K kB, CPU C ms" of a process (CPU: user +
# system time of all its threads so far).
lab_pid_usage() {
	echo "$(ls "/proc/$1/fd" | wc -l) fds, RSS $(awk '/VmRSS/ { print $2 }' "/proc/$1/status") kB, CPU $(lab_proc_cpu_ms "$1") ms"
}

# lab_proc_cpu_ms PID: user + system CPU time of a process (all threads).
lab_proc_cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{
		sub(/^.*\) /, ""); printf "%d", ($12 + $13) * 1000 / hz }' \
		"/proc/$1/stat"
}

# lab_cpu_mark -v VAR: the VM's CPU time so far into VAR, "user nice system
# idle iowait irq softirq" in clock ticks summed over its vCPUs (the first
# line of /proc/stat), read without a fork.
lab_cpu_mark() {
	local l
	read -r l </proc/stat
	printf -v "$2" %s "${l#cpu }"
}

# lab_cpu_busy MARK0 MARK1: how busy the VM's vCPUs were between two
# lab_cpu_mark readings: "busy B% of N vCPUs (user U%, system S%, softirq
# Q%)", shares of all the vCPUs' time (under TCG a vCPU that is not idle
# may still be waiting for a core of the lab machine).
lab_cpu_busy() {
	awk -v a="$1" -v b="$2" -v n="$(nproc)" 'BEGIN {
		split(a, x); split(b, y); t = 0
		for (i = 1; i <= 7; i++) { d[i] = y[i] - x[i]; t += d[i] }
		if (t <= 0) { print "no CPU time between the marks"; exit }
		printf "busy %.0f%% of %d vCPUs (user %.0f%%, system %.0f%%, softirq %.0f%%)",
			100 * (t - d[4] - d[5]) / t, n, 100 * (d[1] + d[2]) / t,
			100 * (d[3] + d[6]) / t, 100 * d[7] / t }'
}

# lab_rnr_naks_sent: RNR NAKs this node's RDMA devices sent (a receive
# found no buffer posted), since each was added.
lab_rnr_naks_sent() {
	local f n=0
	for f in /sys/class/infiniband/*/ports/*/hw_counters/send_rnr_err; do
		[ -r "$f" ] && n=$((n + $(cat "$f")))
	done
	echo "$n"
}

# lab_tgt_stop: SIGTERM, and check that it exited 0 within 10 s, that
# every shared receive buffer came back and no RNR NAK was sent.
lab_tgt_stop() {
	local pid rc rnr
	pid=$(lab_daemon_pid nvmf-tgt)
	[ -n "$pid" ] || return 1
	# what came in through shared receive queues (checked below)
	lab_event "nvmf-tgt: $(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
t = j["total"]
print("commands %d, srq_taken %d, srq_returned %d, srq_buffers %d "
      "(at most %d)" % (t["commands"], t["srq_taken"], t["srq_returned"],
      j["main"]["srq_buffers"], j["main"]["srq_buffers_max"]))' \
		/run/nvmf-tgt/stats.json 2>/dev/null || echo "no stats.json")"
	kill -TERM "$pid"
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		lab_event "nvmf-tgt did not exit within 10 s of SIGTERM"
		return 1
	fi
	wait "$pid"
	rc=$?
	unset "LAB_DAEMONS[nvmf-tgt]"
	lab_event "nvmf-tgt exited with status $rc after SIGTERM"
	# each shared receive queue, destroyed with its device's last queue,
	# checks that the queues gave back every buffer they took
	if grep -q "shared receive buffers were not given back" \
		"$LAB_OUT/nvmf-tgt.log" 2>/dev/null; then
		lab_event "nvmf-tgt: $(grep -m1 "were not given back" "$LAB_OUT/nvmf-tgt.log")"
		return 1
	fi
	# a host that keeps to its queue size never finds no receive posted
	rnr=$(lab_rnr_naks_sent)
	lab_event "RNR NAKs sent by this node's RDMA devices: $rnr"
	[ "$rnr" = 0 ] || return 1
	return $rc
}

# ---- nvmf-host -----------------------------------------------------------------

NVMF_HOST=$LAB_BUILD/host/nvmf-host

# lab_host_connect NQN [ADDR] [SVCID] [args...]: nvmf-host connect; prints
# the controller name.  The scenarios written for namespace files export
# FUSE files unless args say --export nbd (the tool's default).
lab_host_connect() {
	local nqn=$1 addr=${2:-$LAB_PEER} svc=${3:-4420}
	shift 3 2>/dev/null || shift $#
	"$NVMF_HOST" connect -t rdma -a "$addr" -s "$svc" -n "$nqn" \
		--log-level info --log-file "$LAB_OUT/nvmf-host.log" \
		--export fuse "$@"
}

# lab_host_file NAME [NSID]: the namespace file of controller NAME.
lab_host_file() { echo "/run/nvmf-host/$1/n${2:-1}"; }

# lab_host_field NAME KEY: a string or number field of controller NAME's
# status file (the first KEY in it), read without a process: it is
# polled every 20-50 ms while faults recover.
lab_host_field() {
	local s= re="\"$2\": *\"?([^\",}"$'\n'"]*)"
	read -r -d '' s 2>/dev/null <"/run/nvmf-host/ctrl/$1/status.json"
	[[ $s =~ $re ]] && echo "${BASH_REMATCH[1]}"
}

# lab_host_state NAME: the controller's state.
lab_host_state() { lab_host_field "$1" state; }

# lab_host_wait_live NAME SECONDS: wait until controller NAME is live.
lab_host_wait_live() {
	local i
	for i in $(seq $(($2 * 10))); do
		[ "$(lab_host_state "$1")" = live ] && return 0
		sleep 0.1
	done
	[ "$(lab_host_state "$1")" = live ]
}

# lab_host_pid NAME: the pid of controller NAME's daemon.
lab_host_pid() {
	local pid
	pid=$(lab_host_field "$1" pid)
	[ -n "$pid" ] && echo "$pid"
}

# lab_host_usage NAME: lab_pid_usage of controller NAME's daemon.
lab_host_usage() {
	local pid
	pid=$(lab_host_pid "$1") || return 1
	lab_pid_usage "$pid"
}
