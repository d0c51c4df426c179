#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the hand-made seed inputs of the target harnesses into corpus/.

The committed corpora are these seeds plus what the fuzzers found from
them (merged with -merge=1); run this again only to recreate the seeds.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
KEYED, KEYED_INV, INLINE = 0x40, 0x4F, 0x01


def sqe(opcode, nsid=0, cdw=(0,) * 6, sgl=None, flags=0x40, fctype=None):
    b = bytearray(64)
    b[0] = opcode
    b[1] = flags
    struct.pack_into("<H", b, 2, 1)
    struct.pack_into("<I", b, 4, nsid)
    if fctype is not None:
        b[4] = fctype
    if sgl:
        kind, length, off = sgl
        struct.pack_into("<Q", b, 24, off)
        if kind == INLINE:
            struct.pack_into("<I", b, 32, length)
        else:
            b[32:35] = length.to_bytes(3, "little")
            b[35:39] = b"\x11\x22\x33\x44"
        b[39] = kind
    for i, v in enumerate(cdw):
        struct.pack_into("<I", b, 40 + 4 * i, v & 0xffffffff)
    return bytes(b)


def rec(sel, s, inline=b""):
    n = (len(inline) + 15) // 16
    return bytes([sel]) + s + struct.pack("<H", n) + inline.ljust(n * 16, b"\0")


def write(name, seeds):
    d = os.path.join(HERE, "corpus", name)
    os.makedirs(d, exist_ok=True)
    for key, data in seeds.items():
        with open(os.path.join(d, "seed-" + key), "wb") as f:
            f.write(data)


def capsule():
    ident = sqe(0x06, cdw=(1, 0, 0, 0, 0, 0), sgl=(KEYED, 4096, 0))
    idns = sqe(0x06, nsid=1, cdw=(0, 0, 0, 0, 0, 0), sgl=(KEYED, 4096, 0))
    log = sqe(0x02, nsid=0xffffffff, cdw=(0x04 | (1023 << 16),), sgl=(KEYED, 4096, 0))
    write8 = sqe(0x01, nsid=1, cdw=(0, 0, 1), sgl=(INLINE, 8192, 0))
    write1 = sqe(0x01, nsid=1, cdw=(8, 0, 0), sgl=(INLINE, 4096, 0))
    read1 = sqe(0x02, nsid=1, cdw=(8, 0, 0), sgl=(KEYED, 4096, 0))
    wkeyed = sqe(0x01, nsid=7, cdw=(16, 0, 1), sgl=(KEYED_INV, 8192, 0))
    dsm = sqe(0x09, nsid=1, cdw=(0, 4), sgl=(INLINE, 16, 0))
    wz = sqe(0x08, nsid=1, cdw=(0, 0, 7))
    flush = sqe(0x00, nsid=1)
    aer = sqe(0x0c)
    ka = sqe(0x18)
    feat = sqe(0x09, cdw=(0x07, 0x00030003))
    gfeat = sqe(0x0a, cdw=(0x0f,))
    propget = sqe(0x7f, fctype=0x04, cdw=(1, 0x1c))
    propcap = sqe(0x7f, fctype=0x04, cdw=(1, 0))
    disc = sqe(0x7f, fctype=0x08)
    dlog = sqe(0x02, cdw=(0x70 | (255 << 16),), sgl=(KEYED, 1024, 0))
    write("fuzz_capsule", {
        "admin": b"\0" + rec(0, ident) + rec(0, idns) + rec(0, log) +
                 rec(0, feat) + rec(0, gfeat) + rec(0, ka) + rec(0, aer),
        "io": b"\0" + rec(1, write1, b"\xab" * 4096) + rec(1, read1) +
              rec(1, write8, b"\xcd" * 8192) + rec(1, wkeyed) +
              rec(1, dsm, struct.pack("<IIQ", 0, 8, 16)) + rec(1, wz) +
              rec(1, flush),
        "fabrics": b"\0" + rec(0, propget) + rec(0, propcap) + rec(1, disc) +
                   rec(2, ident),
        "discovery": b"\2" + rec(0, dlog) + rec(0, ident) + rec(0, ka),
    })


def connect_data(cntlid, subnqn, hostnqn=b"nqn.2014-08.org.fuzz:host"):
    d = bytearray(1024)
    d[0:16] = bytes(range(16))
    struct.pack_into("<H", d, 16, cntlid)
    d[256:256 + len(subnqn)] = subnqn
    d[512:512 + len(hostnqn)] = hostnqn
    return bytes(d)


def connect():
    def csqe(qid, sqsize, kato, sgl):
        b = bytearray(sqe(0x7f, fctype=0x01, sgl=sgl))
        struct.pack_into("<H", b, 40, 0)        # recfmt
        struct.pack_into("<H", b, 42, qid)
        struct.pack_into("<H", b, 44, sqsize)
        b[46] = 0                               # cattr
        struct.pack_into("<I", b, 48, kato)
        return bytes(b)
    open_nqn = b"nqn.2014-08.org.fuzz:open"
    adm = csqe(0, 31, 5000, (KEYED, 1024, 0))
    io = csqe(1, 127, 0, (INLINE, 1024, 0))
    write("fuzz_connect", {
        "admin": b"\0" + adm + connect_data(0xffff, open_nqn),
        "io": b"\1" + io + connect_data(0xfffe, open_nqn),
        "io-port2": b"\5" + io + connect_data(0xfffe, open_nqn),
        "pipelined": b"\2" + adm + connect_data(0xffff, open_nqn) +
                     adm + connect_data(0xffff, open_nqn),
        "closed": b"\0" + adm + connect_data(0xffff, b"nqn.2014-08.org.fuzz:closed"),
        "discovery": b"\0" + adm + connect_data(0xffff, b"nqn.2014-08.org.nvmexpress.discovery"),
    })


def logpage():
    def r(which, op, nsid, cdw):
        return bytes([which, op]) + struct.pack("<I", nsid) + b"".join(
            struct.pack("<I", c & 0xffffffff) for c in cdw)
    numd = lambda lid, dw: lid | ((dw - 1) & 0xffff) << 16
    write("fuzz_logpage", {
        "ctrl": b"\0" + r(0, 0, 0xffffffff, (numd(0x04, 1024), 0, 0, 0, 0, 0)) +
                r(0, 0, 0xffffffff, (numd(0x02, 128), 0, 0, 0, 0, 0)) +
                r(0, 0, 0, (numd(0x01, 16), 0, 0, 0, 0, 0)) +
                r(0, 0, 0, (numd(0x0c, 1024), 0, 0, 0, 0, 0)) +
                r(0, 2, 1, (0, 0, 0, 0, 0, 0)) + r(0, 2, 0, (1,) + (0,) * 5) +
                r(0, 3, 0, (7,) + (0,) * 5) + r(0, 4, 0, (0x0b, 0x100) + (0,) * 4),
        "wrap": b"\0" + r(0, 0, 0xffffffff, (0xffff0004, 0xffff, 0xfffffff0, 0xffffffff, 0, 0)),
        "disc": b"\1" + r(1, 0, 0, (numd(0x70, 256), 0, 0, 0, 0, 0)) +
                r(1, 0, 0, (numd(0x70, 4), 0, 1020, 0, 0, 0)) +
                r(1, 2, 0, (1,) + (0,) * 5),
    })


def config():
    fx = os.path.join(HERE, "..", "unit", "fixtures")
    seeds = {}
    for f in sorted(os.listdir(fx)):
        if f.endswith(".json"):
            seeds[f] = open(os.path.join(fx, f), "rb").read()
    write("fuzz_config", seeds)
    write("fuzz_nvmetcli", seeds)


capsule()
connect()
logpage()
config()
