# SPDX-License-Identifier: GPL-2.0
#
# Turn one part of a tool's --help text (the output of nvmf_args_usage() or
# a command list) into roff for a man page.  part: USAGE (the synopsis
# line), SUMMARY (the paragraphs), OPTIONS or COMMANDS (tagged paragraphs).
# The help text is generated from each tool's option table, so the man
# pages cannot miss an option the tool takes.

function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	if (s ~ /^[.']/)
		s = "\\&" s
	return s
}

# "-c, --config FILE" -> \fB\-c\fR, \fB\-\-config\fR \fIFILE\fR
function opt_tag(s,    n, w, i, out, t) {
	n = split(s, w, " ")
	out = ""
	for (i = 1; i <= n; i++) {
		t = w[i]
		if (t ~ /^-/) {
			sub(/,$/, "", t)
			out = out (out == "" ? "" : (w[i - 1] ~ /,$/ ? ", " : " "))
			out = out "\\fB" esc(t) "\\fR"
		} else {
			out = out " \\fI" esc(t) "\\fR"
		}
	}
	return out
}

BEGIN { sec = "" }

/^Usage: / {
	if (part == "USAGE") {
		u = substr($0, 8)
		prog = u
		sub(/ .*/, "", prog)
		rest = substr(u, length(prog) + 1)
		if (prog == tool && rest ~ /^ [a-z][-a-z]* /) {
			# "nvmf-host connect -t ..." : the command is bold too
			split(rest, r, " ")
			prog = prog " " r[1]
			rest = substr(rest, length(r[1]) + 2)
		}
		print "\\fB" esc(prog) "\\fR" esc(rest)
		print ".br"
		found = 1
	}
	sec = "summary"
	next
}
/^Options:$/ { sec = "options"; next }
/^Commands:$/ { sec = "commands"; next }
/^$/ {
	if (sec == "summary" && part == "SUMMARY" && para)
		pending = 1
	if (sec == "commands")
		sec = "after"
	next
}
sec == "summary" {
	if (part != "SUMMARY")
		next
	if (pending)
		print ".PP"
	pending = 0
	print esc($0)
	para = found = 1
	next
}
sec == "options" && part == "OPTIONS" {
	if (!match($0, /^  (-[^ ,]+, |    )--[^ ]+( [^ ]+)?  +/))
		next
	head = substr($0, 3, RLENGTH - 2)
	sub(/ +$/, "", head)
	sub(/^ +/, "", head)
	print ".TP"
	print opt_tag(head)
	print esc(substr($0, RLENGTH + 1))
	found = 1
	next
}
sec == "commands" && part == "COMMANDS" {
	if (!match($0, /^  [a-z][-a-z]*  +/))
		next
	name = substr($0, 3, RLENGTH - 2)
	sub(/ +$/, "", name)
	print ".TP"
	print "\\fB" esc(name) "\\fR"
	print esc(substr($0, RLENGTH + 1))
	found = 1
	next
}
END {
	if (!found) {
		print "help2roff: no " part " in the help text" > "/dev/stderr"
		exit 1
	}
}
