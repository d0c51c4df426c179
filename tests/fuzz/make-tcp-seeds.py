#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the hand-made seed inputs of fuzz_tcp (a host's NVMe/TCP byte
stream, see fuzz_tcp.c) into corpus/fuzz_tcp/."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
FZ_OPEN = b"nqn.2014-08.org.fuzz:open"
FZ_HOST = b"nqn.2014-08.org.fuzz:host"
INLINE, TRANSPORT = 0x01, 0x5A
TTAG = 1


_T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    _T.append(c)


def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = _T[(c ^ x) & 0xFF] ^ (c >> 8)
    return struct.pack("<I", c ^ 0xFFFFFFFF)


class Stream:
    def __init__(self, hd=False, dd=False):
        self.hd, self.dd, self.out, self.cid = hd, dd, b"", 0

    def icreq(self):
        b = bytearray(128)
        b[0:8] = struct.pack("<BBBBI", 0, 0, 128, 0, 128)
        b[11] = (1 if self.hd else 0) | (2 if self.dd else 0)
        self.out += bytes(b)
        return self

    def pdu(self, ptype, hdr, data=b""):
        hlen = 8 + len(hdr)
        hdl = 4 if self.hd else 0
        ddl = 4 if self.dd and data else 0
        pdo = hlen + hdl if data else 0
        plen = hlen + hdl + len(data) + ddl
        flags = (1 if self.hd else 0) | (2 if ddl else 0)
        if ptype == 0x06:
            flags |= 4  # the last H2CData of its R2T
        h = struct.pack("<BBBBI", ptype, flags, hlen, pdo, plen) + hdr
        self.out += h + (crc32c(h) if self.hd else b"")
        self.out += data + (crc32c(data) if ddl else b"")
        return self

    def cmd(self, opcode, nsid=0, cdw=(), sgl=(TRANSPORT, 0), data=b"",
            fctype=None):
        b = bytearray(64)
        b[0], b[1] = opcode, 0x40
        self.cid += 1
        struct.pack_into("<H", b, 2, self.cid)
        struct.pack_into("<I", b, 4, nsid)
        if fctype is not None:
            b[4] = fctype
        kind, length = sgl
        struct.pack_into("<I", b, 32, length)
        b[39] = kind
        for i, v in enumerate(cdw):
            struct.pack_into("<I", b, 40 + 4 * i, v & 0xFFFFFFFF)
        return self.pdu(0x04, bytes(b), data)

    def h2c(self, ttag, off, data):
        hdr = struct.pack("<HHIII", self.cid, ttag, off, len(data), 0)
        return self.pdu(0x06, hdr, data)

    def connect(self, qid, cntlid):
        d = bytearray(1024)
        d[0:16] = bytes(range(16))
        struct.pack_into("<H", d, 16, cntlid)
        d[256:256 + len(FZ_OPEN)] = FZ_OPEN
        d[512:512 + len(FZ_HOST)] = FZ_HOST
        sqsize = 127 if qid else 31
        # opcode 0x7f, fctype 0x01; recfmt 0, qid; sqsize, cattr; kato
        return self.cmd(0x7F, fctype=0x01, sgl=(INLINE, 1024), data=bytes(d),
                        cdw=(qid << 16, sqsize, 0 if qid else 5000))

    def admin(self):
        self.connect(0, 0xFFFF)
        # Property Set CC (offset 0x14) = EN, IOSQES 6, IOCQES 4
        self.cmd(0x7F, fctype=0x00, cdw=(0, 0x14, 0x460001, 0))
        self.cmd(0x06, cdw=(1,), sgl=(TRANSPORT, 4096))  # Identify
        self.cmd(0x06, nsid=1, cdw=(0,), sgl=(TRANSPORT, 4096))
        self.cmd(0x02, nsid=0xFFFFFFFF, cdw=(0x02 | 127 << 16,),
                 sgl=(TRANSPORT, 512))  # SMART log
        self.cmd(0x18)  # Keep Alive
        self.cmd(0x09, cdw=(0x07,))  # Set Features: queues
        return self

    def io(self):
        self.connect(1, 1)
        blk = bytes(range(256)) * 16
        self.cmd(0x01, nsid=1, cdw=(0, 0, 0), sgl=(INLINE, 4096), data=blk)
        self.cmd(0x02, nsid=1, cdw=(0, 0, 0), sgl=(TRANSPORT, 4096))
        self.cmd(0x01, nsid=1, cdw=(8, 0, 1), sgl=(TRANSPORT, 8192))
        self.h2c(TTAG, 0, blk)  # ttag: the context the write got
        self.h2c(TTAG, 4096, blk)
        self.cmd(0x00, nsid=1)  # Flush
        self.cmd(0x08, nsid=1, cdw=(0, 0, 7))  # Write Zeroes
        self.cmd(0x09, nsid=1, cdw=(0, 4), sgl=(INLINE, 16),
                 data=struct.pack("<IIQ", 0, 8, 0))  # DSM
        return self


def main():
    d = os.path.join(HERE, "corpus", "fuzz_tcp")
    os.makedirs(d, exist_ok=True)
    seeds = {
        # in pieces: a host waits for each answer, the loop runs between
        "admin": bytes([2 * 5]) + Stream().icreq().admin().out,
        "admin-at-once": bytes([0]) + Stream().icreq().admin().out,
        "admin-digests": bytes([2 * 5]) + Stream(True, True).icreq().admin().out,
        "io": bytes([1 | 2 * 1]) + Stream().icreq().io().out,
        "io-digests": bytes([1 | 2 * 1]) + Stream(True, True).icreq().io().out,
        "no-icreq": bytes([0]) + Stream().cmd(0x18).out,
        "bad-hlen": bytes([0]) + Stream().icreq().out + struct.pack(
            "<BBBBI", 4, 0, 80, 0, 80) + bytes(72),
        "huge-plen": bytes([0]) + Stream().icreq().out + struct.pack(
            "<BBBBI", 4, 0, 72, 72, 0xFFFFFFF0) + bytes(64) + bytes(512),
        "h2c-no-r2t": bytes([0]) + Stream().icreq().h2c(7, 0, b"x" * 64).out,
        "term": bytes([0]) + Stream().icreq().out + struct.pack(
            "<BBBBIHI", 2, 0, 24, 0, 24, 1, 0) + bytes(10),
    }
    for key, data in seeds.items():
        with open(os.path.join(d, "seed-" + key), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
