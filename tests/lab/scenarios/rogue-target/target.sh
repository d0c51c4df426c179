# rogue-target, target node: nvmf-rogue-target, once per case.
rogue=$LAB_BUILD/tests/wire/nvmf-rogue-target
n=0
fails=0
for c in "read refused" "write refused" "read accepted" "write accepted"; do
	set -- $c
	n=$((n + 1))
	out=$LAB_OUT/rogue-$n.txt
	"$rogue" -a "$LAB_IP" -s "$PORT" -m "$1" -e "$2" >"$out" 2>&1 &
	pid=$!
	lab_retry 10 grep -q listening "$out" || lab_fail "case $n: the rogue target did not listen: $(tail -2 "$out")"
	lab_signal "rogue-$n-ready"
	timeout 120 tail --pid=$pid -f /dev/null
	wait $pid
	rc=$?
	cat "$out"
	lab_report "case $n (-m $1, expect $2): exit $rc: $(grep -a 'after its command completed' "$out" | tail -1)"
	[ $rc -eq 0 ] || fails=$((fails + 1))
done
lab_wait host-done 120
[ $fails -eq 0 ] || lab_fail "$fails of 4 rogue-target case(s) failed"
lab_pass
