"""Prefix replacement: rewriting the build-time placeholder that a package's files carry into the
prefix they are installed to.

Text mode is a plain replacement, after which a shebang that became too long for the kernel (or that
holds a space) is turned into ``#!/usr/bin/env <exe>``. Binary mode rewrites each NUL-terminated
string holding the placeholder and pads it with NULs to its original length, so offsets inside the
binary do not move; that is impossible when the new prefix is longer. On macOS a Mach-O file whose
bytes changed has lost its signature and is re-signed ad hoc.
"""

from __future__ import annotations

import os
import subprocess
import sys

from naja.errors import TransactionError

MAX_SHEBANG_LENGTH = 127 if sys.platform.startswith("linux") else 512


def replace_prefix_text(data: bytes, placeholder: str, new_prefix: str) -> bytes:
    """Text-mode replacement; a too-long shebang becomes ``#!/usr/bin/env <exe>``."""
    data = data.replace(placeholder.encode(), new_prefix.encode())
    return _fix_shebang(data, new_prefix)


def _fix_shebang(data: bytes, new_prefix: str) -> bytes:
    if not data.startswith(b"#!"):
        return data
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    if new_prefix.encode() not in first:
        return data
    if len(first) <= MAX_SHEBANG_LENGTH and b" " not in first[2:].strip().split(b" ", 1)[0]:
        return data
    # split "#!<exe> <args>" where <exe> starts with the prefix (which may contain spaces)
    body = first[2:].strip()
    pre = new_prefix.encode()
    if body.startswith(pre):
        exe_end = body.find(b" ", len(pre))
        exe, args = (body, b"") if exe_end < 0 else (body[:exe_end], body[exe_end:])
    else:
        exe, _, args = body.partition(b" ")
        args = b" " + args if args else b""
    new_first = b"#!/usr/bin/env " + os.path.basename(exe) + args
    return new_first + (b"" if end < 0 else data[end:])


def replace_prefix_binary(data: bytes, placeholder: str, new_prefix: str, what: str = "") -> bytes:
    """Binary-mode replacement: each NUL-terminated string holding the placeholder is rewritten with
    the new prefix and padded with NULs, so offsets inside the binary do not move."""
    old = placeholder.encode()
    new = new_prefix.encode()
    if old not in data:
        return data
    if len(new) > len(old):
        raise TransactionError(
            f"cannot install {what or 'a binary file'}: the prefix {new_prefix!r} ({len(new)} bytes) is "
            f"longer than the package's placeholder ({len(old)} bytes); choose a shorter prefix path"
        )
    out = bytearray()
    pos = 0
    while True:
        start = data.find(old, pos)
        if start < 0:
            break
        end = data.find(b"\0", start)
        if end < 0:
            end = len(data)
        segment = data[start:end]
        replaced = segment.replace(old, new)
        out += data[pos:start]
        out += replaced + b"\0" * (len(segment) - len(replaced))
        pos = end
    out += data[pos:]
    assert len(out) == len(data)
    return bytes(out)


_MACHO_MAGICS = (b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe", b"\xfe\xed\xfa\xcf")


def needs_codesign(data: bytes) -> bool:
    """On macOS a Mach-O whose bytes changed loses its (ad-hoc) signature and arm64 refuses to run it."""
    return sys.platform == "darwin" and data[:4] in _MACHO_MAGICS


def codesign(path: str) -> bytes:
    """Ad-hoc re-sign, as conda and mamba do after binary prefix replacement; returns the new bytes."""
    proc = subprocess.run(
        ["/usr/bin/codesign", "-s", "-", "-f", path], capture_output=True, check=False
    )
    if proc.returncode != 0:
        lines = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        why = lines[-1] if lines else f"exit code {proc.returncode}"
        raise TransactionError(f"cannot re-sign {path} after prefix replacement: {why}")
    with open(path, "rb") as fh:
        return fh.read()
