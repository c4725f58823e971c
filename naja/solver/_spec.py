"""Where the solver gets ``MatchSpec`` and ``Version`` from.

``naja.match_spec`` is the real implementation; until it exists in the tree this module offers a small
stand-in (name, version, build, channel; version matching through py-rattler's VersionSpec) so the
solver can be developed and tested. Everything else in the solver imports from here.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

from naja.version import Version

try:  # pragma: no cover - depends on the state of the tree
    from naja.match_spec import MatchSpec as MatchSpec
except ImportError:  # pragma: no cover
    _BRACKET = re.compile(r"\[(.*)\]\s*$")

    class MatchSpec:  # type: ignore[no-redef]
        """Stand-in for ``naja.match_spec.MatchSpec`` (the subset the solver needs)."""

        def __init__(self, text: str) -> None:
            import rattler

            self._text = text.strip()
            s = self._text
            self.channel: str | None = None
            self.subdir = self.md5 = self.sha256 = self.fn = self.url = None
            self.track_features = self.license = None
            self.build_number = None
            if "::" in s:
                self.channel, s = s.split("::", 1)
            attrs: dict[str, str] = {}
            m = _BRACKET.search(s)
            if m:
                s = s[: m.start()]
                for part in re.findall(r"(\w+)\s*=\s*(['\"]?)([^,'\"]*)\2", m.group(1)):
                    attrs[part[0]] = part[2]
            s = s.strip()
            name_m = re.match(r"^([^\s=<>!~]+)\s*(.*)$", s)
            assert name_m, text
            self.name = name_m.group(1)
            rest = name_m.group(2).strip()
            version = build = None
            if rest:
                if rest.startswith("=") and not rest.startswith("=="):
                    pieces = rest[1:].split("=", 1)
                    version = pieces[0] + ("*" if not pieces[0].endswith("*") and len(pieces) == 1 else "")
                    if len(pieces) == 1:
                        version = pieces[0] + ".*" if not pieces[0].endswith("*") else pieces[0]
                    else:
                        version, build = pieces[0], pieces[1]
                else:
                    parts = rest.split()
                    version = parts[0]
                    if len(parts) > 1:
                        build = parts[1]
            version = attrs.get("version", version)
            build = attrs.get("build", build)
            self._vspec = rattler.VersionSpec(version) if version and version != "*" else None
            self.version = _VS(version, self._vspec) if self._vspec is not None else None
            self.build = build

        def match(self, record: Any) -> bool:
            if record.name != self.name and self.name != "*":
                return False
            if self.version is not None and not self.version.match(record.version):
                return False
            if self.build is not None and not fnmatch.fnmatchcase(record.build, self.build):
                return False
            if self.channel is not None:
                ch = self.channel.rstrip("/")
                rc = record.channel.rstrip("/")
                if not (rc == ch or rc.endswith("/" + ch)):
                    return False
            return True

        def __str__(self) -> str:
            return self._text

    class _VS:
        def __init__(self, text: str, spec: Any) -> None:
            self._text = text
            self._spec = spec

        def match(self, version: Any) -> bool:
            import rattler

            return self._spec.matches(rattler.Version(str(version)))

        def __str__(self) -> str:
            return self._text


__all__ = ["MatchSpec", "Version"]
