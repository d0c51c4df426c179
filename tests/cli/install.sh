#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# cmake --install of a build tree, as a user installs it (into a DESTDIR
# here): every binary, libnvmf-host as a versioned shared library exporting
# exactly <nvmf/host.h> with its header and pkg-config file (a program is
# built and run against them), systemd units (clean in systemd-analyze
# verify) and udev rules that name installed binaries, a man page per tool that documents every option the
# tool and each of its commands takes (and renders without warnings), bash
# completion that completes commands and options, --version everywhere,
# and an install to a prefix the tree was not configured for refused
# before anything is copied.
# Usage: install.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh"

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt")
D=$tmp/root
P=$D$prefix
echo "prefix $prefix, libdir $libdir"

if DESTDIR=$D cmake --install "$build" >"$tmp/install.log" 2>&1; then
	ok "cmake --install (prefix $prefix)"
else
	bad "cmake --install: $(tail -5 "$tmp/install.log")"
	finish
	exit 1
fi

tools="nvmf-tgt nvmf-host nvmetcli nvmf-reactor"
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
expect="
sbin/nvmf-tgt sbin/nvmf-host sbin/nvmetcli sbin/nvmf-reactor
$libdir/libnvmf-host.so.$version $libdir/libnvmf-host.so.0
$libdir/libnvmf-host.so $libdir/pkgconfig/libnvmf-host.pc
include/nvmf/host.h
lib/systemd/system/nvmf-tgt.service lib/systemd/system/nvmf-reactor.service
lib/systemd/system/nvmf-reactor-kernel-host.service
lib/systemd/system/nvmf-host-recover@.service
lib/systemd/system/nvmf-host-connect-all.service
lib/udev/rules.d/70-nvmf-reactor.rules lib/udev/rules.d/71-nvmf-host.rules"
for t in $tools; do
	expect="$expect share/man/man8/$t.8.gz share/bash-completion/completions/$t"
done
missing=""
for f in $expect; do
	[ -e "$P/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "$(echo $expect | wc -w) files installed" ||
	bad "not installed:$missing"
# nothing but those (and their directories)
extra=$(cd "$P" && find . -type f -o -type l | sed 's|^\./||' | sort |
	comm -23 - <(echo $expect | tr ' ' '\n' | sort))
[ -z "$extra" ] && ok "no other file installed" || bad "also installed: $extra"

for t in $tools; do
	out=$("$P/sbin/$t" --version 2>&1)
	[ "$out" = "$t $version" ] && ok "$t --version: $out" ||
		bad "$t --version printed '$out'"
done

# units and rules name installed, executable files
for u in "$P"/lib/systemd/system/*.service; do
	exe=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")
	if [ -n "$exe" ] && [ -x "$D$exe" ] && [[ $exe == "$prefix"/* ]]; then
		ok "$(basename "$u"): ExecStart $exe is installed"
	else
		bad "$(basename "$u"): ExecStart '$exe' is not an installed binary"
	fi
	doc=$(sed -n 's/^Documentation=//p' "$u")
	for m in $doc; do
		[[ $m == man:* ]] || continue
		page=${m#man:}
		page=${page%%(*}
		[ -e "$P/share/man/man8/$page.8.gz" ] ||
			bad "$(basename "$u"): Documentation $m is not installed"
	done
done
# systemd's own check of each unit (syntax, executables), in the installed
# tree with this machine's systemd units beside it
if command -v systemd-analyze >/dev/null && [ -d /lib/systemd/system ]; then
	mkdir -p "$D/lib/systemd" && cp -a /lib/systemd/system "$D/lib/systemd/"
	for u in "$P"/lib/systemd/system/*.service; do
		out=$(systemd-analyze verify --root="$D" --man=no "$u" 2>&1)
		rc=$?
		[ $rc = 0 ] && [ -z "$out" ] &&
			ok "systemd-analyze verify $(basename "$u"): clean" ||
			bad "systemd-analyze verify $(basename "$u"): exit $rc: $out"
	done
fi
grep -q '^Type=notify' "$P/lib/systemd/system/nvmf-tgt.service" &&
	ok "nvmf-tgt.service is Type=notify" || bad "nvmf-tgt.service not Type=notify"

# the library: exports exactly the header's functions, versioned
lib=$P/$libdir/libnvmf-host.so.0
soname=$(objdump -p "$lib" | awk '/SONAME/ { print $2 }')
[ "$soname" = libnvmf-host.so.0 ] && ok "SONAME $soname" || bad "SONAME '$soname'"
nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' |
	sort >"$tmp/exported"
grep -E '^[a-z].*\bnvmf_[a-z_]+\(' "$P/include/nvmf/host.h" |
	sed -E 's/.*\b(nvmf_[a-z_]+)\(.*/\1/' | sort >"$tmp/declared"
if cmp -s "$tmp/exported" "$tmp/declared"; then
	ok "libnvmf-host exports the $(wc -l <"$tmp/declared") functions of <nvmf/host.h>, nothing else"
else
	bad "exports differ from the header: $(diff "$tmp/declared" "$tmp/exported" | grep '^[<>]' | head -5 | tr '\n' ' ')"
fi

# a program built with pkg-config against the installed files
cat >"$tmp/app.c" <<'EOF'
#include <stdio.h>
#include <nvmf/host.h>

int main(void)
{
	struct nvmf_ctrl_opts opts;
	struct nvmf_trid trid;
	char err[128];

	nvmf_ctrl_opts_init(&opts);
	if (nvmf_trid_parse(&trid,
			    "trtype:rdma adrfam:ipv4 traddr:10.0.0.1 "
			    "trsvcid:4420 subnqn:nqn.2014-08.org.example:x",
			    err, sizeof(err)))
		return 1;
	if (nvmf_trid_parse(&trid, "trtype:rdma traddr:", err, sizeof(err)))
		printf("refused: %s\n", err);
	printf("%s %d\n", nvmf_ctrl_state_name(NVMF_CTRL_LIVE),
	       opts.ctrl_loss_tmo);
	return 0;
}
EOF
export PKG_CONFIG_PATH=$P/$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
if flags=$(pkg-config --cflags --libs libnvmf-host) &&
	cc -Wall -Werror -o "$tmp/app" "$tmp/app.c" $flags 2>"$tmp/cc.log" &&
	out=$(LD_LIBRARY_PATH=$P/$libdir "$tmp/app") &&
	echo "$out" | grep -q '^live 600$' && echo "$out" | grep -q '^refused: '; then
	ok "a program built with pkg-config ($flags) runs: $(echo $out)"
else
	bad "pkg-config build/run: $(cat "$tmp/cc.log") ${out:-}"
fi

# man pages: render without warnings; every option of every command
for t in $tools; do
	page=$P/share/man/man8/$t.8.gz
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
	[ -z "$warn" ] && ok "$t.8 renders without warnings" ||
		bad "$t.8: $warn"
	MANWIDTH=200 man -l "$page" 2>/dev/null | col -b >"$tmp/$t.txt"
	cmds=""
	if [ "$t" = nvmf-host ]; then
		cmds=$("$P/sbin/$t" --help | awk '/^Commands:$/ { c = 1; next }
			/^$/ { c = 0 } c && /^  [a-z]/ { print $1 }' |
			grep -v '^version$')
	fi
	n=0
	missing=""
	for c in "" $cmds; do
		# shellcheck disable=SC2086 # no command: no argument
		for o in $("$P/sbin/$t" $c --help | sed -nE 's/^  (-[^ -], |    )--([^ ]+).*/\2/p'); do
			n=$((n + 1))
			grep -q -- "--$o\b" "$tmp/$t.txt" || missing="$missing $c--$o"
		done
		[ -z "$c" ] || grep -q "^ *$c\b" "$tmp/$t.txt" || missing="$missing $c"
	done
	[ -z "$missing" ] && ok "$t.8 documents all $n options${cmds:+ of $(echo $cmds | wc -w) commands}" ||
		bad "$t.8 lacks:$missing"
	sections="NAME SYNOPSIS DESCRIPTION FILES"
	[ "$t" = nvmf-host ] && sections="$sections COMMANDS" ||
		sections="$sections OPTIONS"
	for s in $sections "EXIT STATUS" "SEE ALSO"; do
		grep -q "^$s" "$tmp/$t.txt" || bad "$t.8 has no $s section"
	done
done
grep -q '/etc/nvme/hostnqn' "$tmp/nvmf-host.txt" &&
	grep -q '/etc/nvmet/config.json' "$tmp/nvmf-tgt.txt" &&
	ok "FILES sections name the files the tools read" ||
	bad "FILES sections incomplete"

# bash completion (bash-completion's framework, the installed script)
complete_words() { # LINE: what <TAB> offers after LINE
	bash -c '
		source /usr/share/bash-completion/bash_completion
		PATH=$1/sbin:$PATH
		source "$1/share/bash-completion/completions/nvmf-host"
		read -ra COMP_WORDS <<<"$2"
		[[ $2 == *" " ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE=$2
		COMP_POINT=${#2}
		_nvmf_complete
		echo "${COMPREPLY[*]}"' _ "$P" "$1" 2>&1
}
check_completion() { # LINE EXPECTED...
	local line=$1 got w
	shift
	got=" $(complete_words "$line") "
	for w in "$@"; do
		if [[ $got != *" $w "* ]]; then
			bad "completion of '$line' offers '$got', not '$w'"
			return
		fi
	done
	ok "completion of '$line': $got"
}
if [ -r /usr/share/bash-completion/bash_completion ]; then
	check_completion "nvmf-host co" connect
	check_completion "nvmf-host connect --ctrl-l" --ctrl-loss-tmo
	check_completion "nvmf-host connect --export " nbd fuse
	check_completion "nvmf-host perf -w rand" randread randwrite randrw
	check_completion "nvmf-tgt --con" --config --configfs --connect-timeout
	check_completion "nvmf-tgt --log-level " error warn info debug
	check_completion "nvmetcli re" restore
	check_completion "nvmf-reactor --" --kernel-nvmet --interval --once
else
	bad "bash-completion is not installed (scripts/install-deps.sh)"
fi

# another prefix than the configured one: refused, nothing copied
if DESTDIR=$tmp/other cmake --install "$build" --prefix /opt/elsewhere \
	>"$tmp/other.log" 2>&1; then
	bad "an install to /opt/elsewhere (configured $prefix) succeeded"
elif grep -q "configured for $prefix" "$tmp/other.log" &&
	[ -z "$(find "$tmp/other" -type f 2>/dev/null)" ]; then
	ok "install to another prefix refused: $(grep -o 'install prefix.*' "$tmp/other.log" | head -1 | cut -c1-100)..."
else
	bad "install to another prefix: $(tail -3 "$tmp/other.log")"
fi

finish
