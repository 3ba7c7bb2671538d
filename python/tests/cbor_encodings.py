"""Writes the same data in any of its valid CBOR encodings, chosen by a random generator:
integer heads of any width, definite or indefinite lengths, text in chunks. A snapshot
reader must give the same answer for every one (design/fleet-snapshot.md)."""
import struct

from cbor2 import CBORTag


def head(major, n, rnd, minimal=False):
    widths = [w for w, limit in ((0, 24), (1, 1 << 8), (2, 1 << 16), (4, 1 << 32), (8, 1 << 64)) if n < limit]
    w = widths[0] if minimal else rnd.choice(widths)
    mt = major << 5
    if w == 0:
        return bytes([mt | n])
    code = {1: 24, 2: 25, 4: 26, 8: 27}[w]
    return bytes([mt | code]) + n.to_bytes(w, "big")


def encode(obj, rnd, indefinite=0.3):
    """Encodes obj (None, bool, int, str, bytes, list, dict, CBORTag, float) with random choices."""
    def enc(o):
        if o is None:
            return b"\xf6"
        if o is True:
            return b"\xf5"
        if o is False:
            return b"\xf4"
        if isinstance(o, int):
            return head(0, o, rnd) if o >= 0 else head(1, -1 - o, rnd)
        if isinstance(o, float):
            return b"\xfb" + struct.pack(">d", o)
        if isinstance(o, CBORTag):
            return head(6, o.tag, rnd) + enc(o.value)
        if isinstance(o, (str, bytes)):
            major = 3 if isinstance(o, str) else 2
            if rnd.random() < indefinite:
                # chunks split at character boundaries: each chunk is valid UTF-8 itself
                pieces, cut = [], 0
                while cut < len(o):
                    step = rnd.randint(0, max(1, len(o) - cut))
                    pieces.append(o[cut:cut + step])
                    cut += step
                if rnd.random() < 0.3:
                    pieces.insert(rnd.randint(0, len(pieces)), o[:0])  # an empty chunk
                body = b"".join(enc_definite(major, p) for p in pieces)
                return bytes([(major << 5) | 31]) + body + b"\xff"
            return enc_definite(major, o)
        if isinstance(o, list):
            body = b"".join(enc(x) for x in o)
            if rnd.random() < indefinite:
                return b"\x9f" + body + b"\xff"
            return head(4, len(o), rnd) + body
        if isinstance(o, dict):
            body = b"".join(enc(k) + enc(v) for k, v in o.items())
            if rnd.random() < indefinite:
                return b"\xbf" + body + b"\xff"
            return head(5, len(o), rnd) + body
        raise TypeError(type(o))

    def enc_definite(major, o):
        data = o.encode() if isinstance(o, str) else o
        return head(major, len(data), rnd) + data

    return enc(obj)
