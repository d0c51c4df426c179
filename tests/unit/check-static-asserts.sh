#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The wire-format layout checks must break the build when a field moves:
# compile copies of common/nvme_spec.h with one field changed each and
# expect the compiler to reject each with the matching assertion (the
# transports' own formats are in common/nvme_rdma.h and nvme_tcp.h).
# Usage: check-static-asserts.sh CC SOURCE_DIR
set -u
cc=$1
common=$2/common
src=$common/nvme_spec.h
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# mutate NAME OLD NEW EXPECTED_MESSAGE [HEADER (nvme_spec.h)]
mutate() {
	local name=$1 old=$2 new=$3 expect=$4 h=${5:-nvme_spec.h}
	mkdir -p "$tmp/$name"
	cp "$common/nvme_spec.h" "$common/nvme_rdma.h" "$common/nvme_tcp.h" \
		"$tmp/$name/"
	python3 - "$common/$h" "$tmp/$name/$h" "$old" "$new" <<'PY' || { echo "FAIL $name: pattern not found once"; fail=$((fail + 1)); return; }
import sys
s = open(sys.argv[1]).read()
if s.count(sys.argv[3]) != 1:
    sys.exit(1)
open(sys.argv[2], 'w').write(s.replace(sys.argv[3], sys.argv[4]))
PY
	printf '#include "%s"\nint main(void) { return 0; }\n' "$h" \
		>"$tmp/$name/t.c"
	if "$cc" -std=gnu11 -fsyntax-only -I"$tmp/$name" "$tmp/$name/t.c" \
		>"$tmp/$name/out" 2>&1; then
		echo "FAIL $name: compiled although $old became $new"
		fail=$((fail + 1))
	elif grep -qF "$expect" "$tmp/$name/out"; then
		echo "ok   $name: rejected with '$expect'"
		pass=$((pass + 1))
	else
		echo "FAIL $name: rejected, but not with '$expect':"
		cat "$tmp/$name/out"
		fail=$((fail + 1))
	fi
}

# the unmodified headers compile
printf '#include "nvme_spec.h"\n#include "nvme_rdma.h"\n#include "nvme_tcp.h"\nint main(void) { return 0; }\n' >"$tmp/t.c"
"$cc" -std=gnu11 -fsyntax-only -I"${src%/*}" "$tmp/t.c" ||
	{ echo "FAIL baseline: the real header does not compile"; exit 1; }

mutate connect-sqsize "nvme_le16 sqsize; /* 0-based */" \
	"nvme_le32 sqsize;" "nvmf_connect_command.cattr must be at offset 46"
mutate keyed-sgl-length "uint8_t length[3]; /* 24-bit little endian */" \
	"uint8_t length[4];" "nvme_keyed_sgl_desc.key must be at offset 11"
mutate disc-entry-eflags "	nvme_le16 eflags;
" "" "nvmf_disc_log_entry.trsvcid must be at offset 32"
mutate cm-req-hrqsize "	nvme_le16 hrqsize;
" "	uint8_t hrqsize;
" "nvme_rdma_cm_req.hsqsize must be at offset 6" nvme_rdma.h
mutate tcp-icreq-hpda "	uint8_t hpda; /* host PDU data alignment, 4-byte units, 0-based */
	uint8_t digest;" "	uint8_t digest;
	uint8_t hpda;" "nvme_tcp_icreq_pdu.hpda must be at offset 10" nvme_tcp.h
mutate tcp-r2t-length "	nvme_le32 r2t_length;
	uint8_t rsvd[4];" "	uint8_t rsvd[4];
	nvme_le32 r2t_length;" "nvme_tcp_r2t_pdu.r2t_length must be at offset 16" \
	nvme_tcp.h
mutate id-ctrl-ioccsz "	uint8_t rsvd1024[768];" "	uint8_t rsvd1024[764];" \
	"nvme_id_ctrl.ioccsz must be at offset 1792"
mutate cqe-status "	uint16_t command_id;
	nvme_le16 status;" "	nvme_le16 status;
	uint16_t command_id;" "nvme_completion.command_id must be at offset 12"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
