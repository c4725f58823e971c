"""A fast path for parsing tar headers, the hot loop of extracting conda packages.

Every member of every package passes through ``TarInfo.frombuf``; ``tarfile``'s generic parser spends
a third of extraction time there. The usual header (ustar, a file, directory or link, plain octal
numbers) is parsed here directly; anything else is left to ``tarfile``, which decides and raises.
"""

from __future__ import annotations

import tarfile


def _octal(field: bytes) -> int:
    """A NUL-terminated octal number field of a tar header (``tarfile.nti`` for the usual form)."""
    end = field.find(b"\0")
    if end != -1:
        field = field[:end]
    field = field.strip()
    return int(field, 8) if field else 0


class FastTarInfo(tarfile.TarInfo):
    """``TarInfo`` whose header parsing takes a short path for the usual ustar header of a file,
    directory or link (a third of extraction time otherwise goes to ``tarfile``'s generic parser).
    Anything else (pax/GNU headers, base-256 numbers, a checksum that only matches signed, empty or
    end blocks, any parse error) goes to ``tarfile``'s own ``frombuf``, which decides and raises."""

    __slots__ = ()

    # ``tarfile`` passes the ``bytes`` it read; the fast path hashes a slice of ``buf``, which a
    # ``bytearray`` (allowed by the base signature) would not support: the narrower type says so.
    @classmethod
    def frombuf(cls, buf: bytes, encoding: str, errors: str) -> FastTarInfo:  # type: ignore[override]
        kind = buf[156:157]
        if len(buf) != tarfile.BLOCKSIZE or kind not in _FAST_TYPES or any(
            buf[i] >= 0o200 for i in _NUMBER_STARTS
        ):
            return super().frombuf(buf, encoding, errors)
        try:
            chksum = _octal(buf[148:156])
            if chksum != 256 + sum(buf[:148]) + sum(buf[156:]):
                return super().frombuf(buf, encoding, errors)
            obj = cls()
            obj.name = _nts(buf[0:100], encoding, errors)
            obj.mode = _octal(buf[100:108])
            obj.uid = _octal(buf[108:116])
            obj.gid = _octal(buf[116:124])
            obj.size = _octal(buf[124:136])
            obj.mtime = _octal(buf[136:148])
            obj.chksum = chksum
            obj.type = kind
            obj.linkname = _nts(buf[157:257], encoding, errors)
            obj.uname = _nts(buf[265:297], encoding, errors)
            obj.gname = _nts(buf[297:329], encoding, errors)
            obj.devmajor = _octal(buf[329:337])
            obj.devminor = _octal(buf[337:345])
            prefix = _nts(buf[345:500], encoding, errors)
        except ValueError:  # UnicodeDecodeError included
            return super().frombuf(buf, encoding, errors)
        if kind == tarfile.DIRTYPE:
            obj.name = obj.name.rstrip("/")
        if prefix:
            obj.name = prefix + "/" + obj.name
        return obj


def _nts(field: bytes, encoding: str, errors: str) -> str:
    end = field.find(b"\0")
    return (field if end == -1 else field[:end]).decode(encoding, errors)


_FAST_TYPES = frozenset((tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE))
_NUMBER_STARTS = (100, 108, 116, 124, 136, 148, 329, 337)  # base-256 numbers start with 0o200/0o377
