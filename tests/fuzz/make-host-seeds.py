#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Seeds for fuzz_host: a well-behaved target, simulated.

Runs the harness with FZ_TRACE=1 on the responses so far, reads which
command the host sent next, appends the answer a sane target gives, and
goes on until the host stops asking (it disconnected).  Usage:
make-host-seeds.py HARNESS
"""
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r"fz: qid (\d+) cid (\d+) opcode 0x(\w+) fctype 0x(\w+) "
                  r"cdw10 0x(\w+) cdw11 0x(\w+) nsid (\d+) len (\d+)")
CNTLID = 1


def cqe(result=0, status=0):
    # result (8), sq_head (2), sq_id (2), command_id (2), status (2)
    return struct.pack("<QHHHH", result, 0, 0, 0, status << 1)


def id_ctrl(discovery):
    b = bytearray(4096)
    b[4:8] = b"FUZZ"
    b[24:32] = b"fuzz tgt"
    b[64:68] = b"1.0 "
    b[77] = 5                                   # mdts: 128 KiB
    struct.pack_into("<H", b, 78, CNTLID)
    struct.pack_into("<I", b, 80, 0x10300)
    struct.pack_into("<I", b, 92, 0x100)        # oaes: ns attribute
    b[111] = 2 if discovery else 1
    b[259] = 3                                  # aerl
    struct.pack_into("<H", b, 320, 50)          # kas
    b[512], b[513] = 0x66, 0x44
    struct.pack_into("<H", b, 514, 128)
    struct.pack_into("<I", b, 516, 8)
    struct.pack_into("<I", b, 536, 0x100005)    # SGL, keyed, offsets
    nqn = (b"nqn.2014-08.org.nvmexpress.discovery" if discovery
           else b"nqn.2014-08.org.fuzz:sub")
    b[768:768 + len(nqn)] = nqn
    struct.pack_into("<I", b, 1792, (64 + 4096) // 16)
    struct.pack_into("<I", b, 1796, 1)
    b[1803] = 1
    return bytes(b)


def id_ns(nsid):
    b = bytearray(4096)
    size = 2048 * nsid
    struct.pack_into("<QQQ", b, 0, size, size, size)
    b[130] = 12                                 # lbaf 0: 4 KiB
    return bytes(b)


def disc_log(numrec=2):
    hdr = bytearray(1024)
    struct.pack_into("<QQH", hdr, 0, 7, numrec, 0)
    out = bytes(hdr)
    for i in range(numrec):
        e = bytearray(1024)
        e[0], e[1], e[2], e[3] = 1, 1, 2, 0     # rdma, ipv4, nvme, treq
        struct.pack_into("<HHH", e, 4, 1 + i, 0xffff, 0)
        e[32:36] = b"4420".ljust(4)
        nqn = b"nqn.2014-08.org.fuzz:sub%d" % i
        e[256:256 + len(nqn)] = nqn
        e[512:520] = b"10.0.0.1"
        e[768], e[769], e[770] = 1, 1, 1
        out += bytes(e)
    return out


def answer(qid, op, fct, cdw10, cdw11, nsid, length, state, discovery):
    if op == 0x7f and fct == 0x01:
        return cqe(CNTLID), b""
    if op == 0x7f and fct == 0x04:
        if cdw11 == 0x00:
            return cqe(127 | 1 << 16 | 20 << 24 | 1 << 37), b""
        if cdw11 == 0x08:
            return cqe(0x10300), b""
        if cdw11 == 0x1c:
            return cqe(1 | (8 if state.get("shn") else 0)), b""
        return cqe(), b""
    if op == 0x7f and fct == 0x00:
        if cdw11 == 0x14:       # CC: the second write is the shutdown
            state["shn"] = "cc" in state
            state["cc"] = 1
        return cqe(), b""
    if op == 0x06:
        cns = cdw10 & 0xff
        if cns == 1:
            return cqe(), id_ctrl(discovery)
        if cns == 2:
            return cqe(), struct.pack("<II", 1, 7).ljust(4096, b"\0")
        if cns == 0:
            return cqe(), id_ns(nsid)
        if cns == 3:
            return cqe(), bytes(4096)
        return cqe(status=0x4002), b""
    if op == 0x09:
        return cqe(0), b""
    if op == 0x0c:
        if not state.get("aer"):
            state["aer"] = 1
            return cqe(0x040002), b""           # namespace attribute changed
        return cqe(), b"", 2                    # no event: never answered
    if op == 0x02 and qid == 0:
        lid = cdw10 & 0xff
        if lid == 0x04:
            return cqe(), struct.pack("<I", 7).ljust(4096, b"\0")
        if lid == 0x70:
            return cqe(), disc_log()[:length]
        return cqe(), bytes(length)
    if op == 0x02:
        return cqe(), bytes(range(256)) * (length // 256)
    return cqe(), b""


def run(harness, seed):
    with open("/tmp/fz-host-seed", "wb") as f:
        f.write(seed)
    p = subprocess.run([harness, "/tmp/fz-host-seed"], env=dict(os.environ, FZ_TRACE="1"),
                       stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, timeout=60)
    return [LINE.search(l).groups() for l in p.stderr.decode(errors="replace").splitlines()
            if LINE.search(l)]


def make(harness, flags):
    discovery = bool(flags & 1)
    seed = bytes([flags])
    state = {}
    answered = 0
    while True:
        cmds = run(harness, seed)
        if len(cmds) <= answered:
            break
        qid, cid, op, fct, cdw10, cdw11, nsid, length = cmds[answered]
        a = answer(int(qid), int(op, 16), int(fct, 16), int(cdw10, 16),
                   int(cdw11, 16), int(nsid), int(length), state, discovery)
        answered += 1
        c, data = a[0], a[1]
        how = a[2] if len(a) > 2 else 0
        n = (len(data) + 15) // 16
        if n > 255:
            n, data = 255, data[:255 * 16]
        seed += c + bytes([how, n]) + data.ljust(n * 16, b"\0")
        if answered > 200:
            break
    return seed, cmds


harness = sys.argv[1]
d = os.path.join(HERE, "corpus", "fuzz_host")
os.makedirs(d, exist_ok=True)
for flags, name in ((0, "io"), (1, "discovery"), (3, "discovery-json")):
    seed, cmds = make(harness, flags)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(seed)
    print("seed-%s: %d bytes, %d commands answered" % (name, len(seed), len(cmds)))
