"""``mirrored_channels``: a channel served from several places. Requests for a mirrored channel go
to its mirrors in order; a mirror that fails (connection error or 5xx) is remembered for the rest of
the run and tried last from then on."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Mirrors:
    """(channel base URL, mirror base URLs) pairs; the health record is shared by every request."""

    channels: tuple[tuple[str, tuple[str, ...]], ...] = ()
    _failed: set[str] = field(default_factory=set, compare=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def candidates(self, url: str) -> list[tuple[str, str]]:
        """``(url to request, mirror base or "")`` in the order to try them."""
        for base, mirrors in self.channels:
            if url == base or url.startswith(base + "/"):
                rest = url[len(base):]
                with self._lock:
                    healthy = [m for m in mirrors if m not in self._failed]
                    failing = [m for m in mirrors if m in self._failed]
                return [(m + rest, m) for m in (*healthy, *failing)]
        return [(url, "")]

    def failed(self, mirror: str) -> None:
        if mirror:
            with self._lock:
                self._failed.add(mirror)

    def has_failed(self, mirror: str) -> bool:
        with self._lock:
            return mirror in self._failed
