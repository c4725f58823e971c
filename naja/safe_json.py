"""JSON from files naja did not write (records in ``conda-meta`` and package caches, a package's
``info/*.json``, the journal, ``conda-meta/state``): ``loads`` fails as ``json.loads`` does on bad
input, with a ``ValueError``, also for what ``json.loads`` lets through or crashes on. Nesting deeper
than the interpreter's recursion limit raises ``RecursionError`` there, and a ``"\\ud800"`` escape
decodes to a string that cannot be written or printed; both are a ``ValueError`` naming the problem
here, so every caller's ``except ValueError`` reports the file.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def loads(data: bytes | str) -> Any:
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    if _SURROGATE_ESCAPE.search(text):  # rare: only then check every string can be encoded
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("a string holds a lone UTF-16 surrogate") from None
    return value
