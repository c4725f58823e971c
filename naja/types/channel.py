"""Channels: turning what a user writes (``conda-forge``, ``defaults``, a URL, a path) into URLs.

The rules follow conda (and micromamba's conda-compatible mode):

* a bare name is appended to ``channel_alias`` unless ``custom_channels`` names it (or a prefix of it);
* ``defaults`` and ``custom_multichannels`` names stand for several channels (``MultiChannel``);
* a ``/t/<token>/`` path segment and ``user:password@`` are credentials: kept for fetching
  (``subdir_url``) but never part of ``base_url``, ``name``, ``str()`` or ``repr()``;
* a trailing subdir (``conda-forge/linux-64``) or ``[linux-64,noarch]`` restricts the platforms;
* ``canonical_name`` is the name relative to the channel alias or a custom channel, the multichannel a
  channel belongs to (``defaults``), or else the base URL.

Splitting, redacting and stripping a URL's credentials is `naja.types.url`.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from naja.errors import ChannelError
from naja.types.archive import PACKAGE_EXTENSIONS
from naja.types.platform import KNOWN_SUBDIRS, Platform
from naja.types.url import SplitUrl, has_scheme, is_path, path_to_url, redact_url, split_url

DEFAULT_CHANNEL_ALIAS = "https://conda.anaconda.org"
DEFAULT_CHANNELS: tuple[str, ...] = (
    "https://repo.anaconda.com/pkgs/main",
    "https://repo.anaconda.com/pkgs/r",
    *(("https://repo.anaconda.com/pkgs/msys2",) if sys.platform == "win32" else ()),
)
# Names conda resolves on repo.anaconda.com rather than through the channel alias.
_IMPLICIT_CUSTOM_CHANNELS = {
    "pkgs/main": "https://repo.anaconda.com",
    "pkgs/r": "https://repo.anaconda.com",
    "pkgs/pro": "https://repo.anaconda.com",
    "pkgs/msys2": "https://repo.anaconda.com",
}
_SUBDIRS = frozenset(KNOWN_SUBDIRS)
_BRACKETS_RE = re.compile(r"^(.*)\[([^\[\]]*)\]$")


# ---------------------------------------------------------------------------------------- config


class ChannelConfig:
    """The configuration channel names are resolved against (``.condarc`` keys of the same names).

    ``custom_channels`` values are locations as in conda: the channel name is appended unless the URL
    already ends with it. Treat instances as immutable: parsed channels are cached per config.
    (Plain classes rather than dataclasses here: importing ``dataclasses`` costs startup time.)
    """

    def __init__(
        self,
        channel_alias: str = DEFAULT_CHANNEL_ALIAS,
        custom_channels: Mapping[str, str] | None = None,
        default_channels: Sequence[str] = DEFAULT_CHANNELS,
        custom_multichannels: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.channel_alias = channel_alias
        self.custom_channels: Mapping[str, str] = dict(custom_channels or {})
        self.default_channels: Sequence[str] = tuple(default_channels)
        self.custom_multichannels: Mapping[str, Sequence[str]] = {
            k: tuple(v) for k, v in (custom_multichannels or {}).items()
        }

    def __repr__(self) -> str:
        return (
            f"ChannelConfig(channel_alias={redact_url(self.channel_alias)!r}, "
            f"custom_channels={ {k: redact_url(v) for k, v in self.custom_channels.items()}!r}, "
            f"default_channels={[redact_url(c) for c in self.default_channels]!r}, "
            f"custom_multichannels={dict(self.custom_multichannels)!r})"
        )

    @functools.cached_property
    def _key(self) -> tuple[object, ...]:
        return (
            self.channel_alias,
            tuple(sorted(self.custom_channels.items())),
            tuple(self.default_channels),
            tuple(sorted((k, tuple(v)) for k, v in self.custom_multichannels.items())),
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChannelConfig) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    @functools.cached_property
    def _alias(self) -> SplitUrl:
        alias = self.channel_alias.strip().rstrip("/")
        return split_url(alias if has_scheme(alias) else f"https://{alias}")

    @functools.cached_property
    def _custom(self) -> dict[str, SplitUrl]:
        """Custom channel name -> its full channel URL (name appended as conda does)."""
        merged = {**_IMPLICIT_CUSTOM_CHANNELS, **dict(self.custom_channels)}
        out: dict[str, SplitUrl] = {}
        for name, location in merged.items():
            name = name.strip("/")
            url = str(location).rstrip("/")
            if not has_scheme(url):
                url = path_to_url(url) if is_path(url) else f"https://{url}"
            if not url.endswith("/" + name):
                url = f"{url}/{name}"
            out[name] = split_url(url)
        return out

    @functools.cached_property
    def _multichannels(self) -> dict[str, tuple[str, ...]]:
        multi = {"defaults": tuple(self.default_channels)}
        multi.update({k: tuple(v) for k, v in self.custom_multichannels.items()})
        return multi

    @functools.cached_property
    def _multi_members(self) -> dict[str, tuple[str, str]]:
        """Location of each multichannel member -> (multichannel name, member name)."""
        out: dict[str, tuple[str, str]] = {}
        for multi_name, members in self._multichannels.items():
            for member in members:
                if member in self._multichannels:
                    continue
                split = self._resolve_name_or_url(member)
                out.setdefault(split.location, (multi_name, self._relative_name(split) or split.location))
        return out

    def is_multichannel(self, name: str) -> bool:
        return name in self._multichannels

    def _resolve_name_or_url(self, text: str) -> SplitUrl:
        if has_scheme(text):
            return split_url(text)
        if is_path(text):
            return split_url(path_to_url(text))
        return self._resolve_name(text)

    def _resolve_name(self, name: str) -> SplitUrl:
        """A bare channel name (maybe with ``/label/...``) -> its URL, via custom channels or the alias."""
        parts = name.split("/")
        for n in range(len(parts), 0, -1):
            custom = self._custom.get("/".join(parts[:n]))
            if custom is not None:
                extra = "/".join(parts[n:])
                if custom.token:  # the token sits before the path: extend what follows it
                    after = "/".join(p for p in (custom.after, extra) if p)
                    return SplitUrl(custom.scheme, custom.auth, custom.token, custom.before, after)
                before = "/".join(p for p in (custom.before, extra) if p)
                return SplitUrl(custom.scheme, custom.auth, None, before, "")
        alias = self._alias
        if alias.token:
            after = "/".join(p for p in (alias.after, name) if p)
            return SplitUrl(alias.scheme, alias.auth, alias.token, alias.before, after)
        return SplitUrl(alias.scheme, alias.auth, None, "/".join(p for p in (alias.before, name) if p), "")

    def _relative_name(self, split: SplitUrl) -> str | None:
        """The name of ``split`` relative to a custom channel or the alias, or None if neither."""
        loc = split.location
        best: tuple[int, str] | None = None
        for name, custom in self._custom.items():
            cloc = custom.location
            matched = loc == cloc or loc.startswith(cloc + "/")
            if matched and (best is None or len(cloc) > best[0]):
                best = (len(cloc), name + loc[len(cloc) :])
        if best is not None:
            return best[1]
        aloc = self._alias.location
        if loc.startswith(aloc + "/"):
            return loc[len(aloc) + 1 :]
        return None

    def _names_for(self, split: SplitUrl) -> tuple[str, str]:
        """(name, canonical_name) for a clean channel URL, as conda computes them."""
        member = self._multi_members.get(split.location)
        relative = self._relative_name(split)
        if member is not None:
            return (relative or member[1]), member[0]
        if relative is not None:
            return relative, relative
        name = split.location.rsplit("/", 1)[-1]
        return name, split.clean


DEFAULT_CONFIG = ChannelConfig()


# --------------------------------------------------------------------------------------- channels


class Channel:
    """One channel. Build with ``Channel.from_string``; equal (and hashed) by ``base_url``.

    * ``name``: conda's name, the path relative to the alias or custom channel (``conda-forge``,
      ``conda-forge/label/dev``, ``pkgs/main``), or the last path component for other URLs;
    * ``base_url``: ``scheme://host/path`` without token, credentials, subdir or trailing slash;
    * ``canonical_name``: ``conda-forge``, ``defaults`` for a defaults member, else ``base_url``;
    * ``platforms``: the subdirs the text named, or None; ``token``/``auth``: credentials (secret).
    """

    __slots__ = (
        "_credentialed_url",
        "auth",
        "base_url",
        "canonical_name",
        "name",
        "package_filename",
        "platforms",
        "token",
    )

    name: str
    base_url: str
    canonical_name: str
    platforms: tuple[str, ...] | None
    token: str | None
    auth: str | None
    package_filename: str | None
    _credentialed_url: str

    def __init__(
        self,
        *,
        name: str,
        base_url: str,
        canonical_name: str,
        platforms: tuple[str, ...] | None = None,
        token: str | None = None,
        auth: str | None = None,
        package_filename: str | None = None,
        credentialed_url: str = "",
    ) -> None:
        set_ = object.__setattr__
        set_(self, "name", name)
        set_(self, "base_url", base_url)
        set_(self, "canonical_name", canonical_name)
        set_(self, "platforms", platforms)
        set_(self, "token", token)
        set_(self, "auth", auth)
        set_(self, "package_filename", package_filename)
        set_(self, "_credentialed_url", credentialed_url)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Channel is immutable")

    def __reduce__(self) -> tuple[object, tuple[dict[str, Any]]]:
        return (_rebuild_channel, (self._state(),))

    def _state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "base_url": self.base_url,
            "canonical_name": self.canonical_name,
            "platforms": self.platforms,
            "token": self.token,
            "auth": self.auth,
            "package_filename": self.package_filename,
            "credentialed_url": self._credentialed_url,
        }

    @classmethod
    def from_string(
        cls, text: str | AnyChannel, config: ChannelConfig | None = None
    ) -> Channel | MultiChannel:
        """Parse a channel as a user writes it. Multichannel names (``defaults``) give a ``MultiChannel``."""
        if isinstance(text, Channel | MultiChannel):
            return text
        config = DEFAULT_CONFIG if config is None else config
        text = str(text).strip()
        if is_path(text) and not has_scheme(text):
            return _parse(text, config)  # relative paths depend on the cwd: not cached
        return _parse_cached(text, config)

    @classmethod
    def from_url(cls, url: str, config: ChannelConfig | None = None) -> Channel:
        """Like ``from_string`` but always a single channel (for URLs found in records)."""
        channel = cls.from_string(url, config)
        if isinstance(channel, MultiChannel):
            raise ChannelError(f"{url!r} is a multichannel, not a single channel")
        return channel

    # --- identity
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Channel) and other.base_url == self.base_url

    def __hash__(self) -> int:
        return hash(self.base_url)

    def __str__(self) -> str:
        return self.base_url

    def __repr__(self) -> str:
        extra = f", platforms={list(self.platforms)!r}" if self.platforms else ""
        return f"Channel({self.canonical_name!r}, base_url={self.base_url!r}{extra})"

    # --- URLs
    @property
    def url(self) -> str:
        """The base URL with credentials (token, user:password) for fetching; never print it."""
        return self._credentialed_url or self.base_url

    @property
    def has_credentials(self) -> bool:
        return bool(self.token or self.auth)

    @property
    def is_local(self) -> bool:
        return self.base_url.startswith("file://")

    def subdir_url(self, subdir: str | Platform) -> str:
        """``<base>/<subdir>`` with credentials, for fetching repodata and packages."""
        return f"{self.url}/{subdir}"

    def subdirs(self, platform: str | Platform | None = None) -> tuple[str, ...]:
        """The subdirs to read: those named in the channel, else ``(platform, "noarch")``."""
        if self.platforms:
            return self.platforms
        subdir = str(platform) if platform is not None else Platform.current().subdir
        return (subdir,) if subdir == "noarch" else (subdir, "noarch")

    def urls(self, platform: str | Platform | None = None, *, with_credentials: bool = False) -> list[str]:
        base = self.url if with_credentials else self.base_url
        return [f"{base}/{s}" for s in self.subdirs(platform)]

    def expand(self) -> list[Channel]:
        return [self]

    def matches(self, channel: str, subdir: str | None = None, config: ChannelConfig | None = None) -> bool:
        """Whether a record's ``channel`` (a base URL, a name or a full URL) is this channel."""
        if not channel:
            return False
        if channel == self.base_url or channel == self.canonical_name:
            ok = True
        else:
            try:
                other = Channel.from_string(channel, config)
            except ChannelError:
                return False
            if isinstance(other, MultiChannel):
                return False
            ok = other.base_url == self.base_url
            if ok and subdir is None and other.platforms:
                subdir = other.platforms[0]
        if ok and self.platforms and subdir is not None:
            return subdir in self.platforms
        return ok


class MultiChannel:
    """A name standing for several channels (``defaults``, a ``custom_multichannels`` entry)."""

    __slots__ = ("channels", "name", "platforms")

    def __init__(
        self, name: str, channels: tuple[Channel, ...], platforms: tuple[str, ...] | None = None
    ) -> None:
        self.name = name
        self.channels = tuple(channels)
        self.platforms = platforms

    @property
    def canonical_name(self) -> str:
        return self.name

    @property
    def base_urls(self) -> tuple[str, ...]:
        return tuple(c.base_url for c in self.channels)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MultiChannel) and (other.name, other.channels) == (self.name, self.channels)

    def __hash__(self) -> int:
        return hash((self.name, self.channels))

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"MultiChannel({self.name!r}, {[c.base_url for c in self.channels]!r})"

    def expand(self) -> list[Channel]:
        return list(self.channels)

    def matches(self, channel: str, subdir: str | None = None, config: ChannelConfig | None = None) -> bool:
        if channel == self.name:
            return True
        return any(c.matches(channel, subdir, config) for c in self.channels)


AnyChannel = Channel | MultiChannel


def resolve_channels(texts: Iterable[str | AnyChannel], config: ChannelConfig | None = None) -> list[Channel]:
    """Parse and expand channels in priority order, multichannels inlined, duplicates dropped."""
    out: list[Channel] = []
    seen: set[str] = set()
    for text in texts:
        parsed = text if isinstance(text, Channel | MultiChannel) else Channel.from_string(text, config)
        for channel in parsed.expand():
            if channel.base_url not in seen:
                seen.add(channel.base_url)
                out.append(channel)
    return out


# ---------------------------------------------------------------------------------------- parsing


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str, config: ChannelConfig) -> AnyChannel:
    return _parse(text, config)


def _parse(text: str, config: ChannelConfig) -> AnyChannel:
    if not text:
        raise ChannelError("empty channel name")
    platforms: tuple[str, ...] | None = None
    bracket = _BRACKETS_RE.match(text)
    if bracket:
        text = bracket.group(1).strip()
        platforms = tuple(p.strip() for p in bracket.group(2).split(",") if p.strip())
        for p in platforms:
            if p not in _SUBDIRS:
                raise ChannelError(f"unknown platform {p!r} in channel {redact_url(bracket.group(0))!r}")
        platforms = platforms or None

    if config.is_multichannel(text):
        return _multichannel(text, platforms, config)

    if has_scheme(text):
        split = split_url(text)
    elif is_path(text):
        split = split_url(path_to_url(text))
    else:
        if any(c.isspace() for c in text) or "://" in text or text.strip("/") != text:
            raise ChannelError(f"invalid channel name {text!r}")
        split = None

    package_filename = None
    if split is not None:
        split, package_filename, url_platform = _strip_tail(split)
        if url_platform and not platforms:
            platforms = (url_platform,)
    else:
        parts = text.split("/")
        if len(parts) > 1 and parts[-1] in _SUBDIRS:
            if not platforms:
                platforms = (parts[-1],)
            text = "/".join(parts[:-1])
            if config.is_multichannel(text):  # defaults/linux-64
                return _multichannel(text, platforms, config)
        split = config._resolve_name(text)

    if not split.location.strip("/"):
        raise ChannelError(f"invalid channel {redact_url(text)!r}")
    clean = SplitUrl(split.scheme, None, None, split.location, "")
    name, canonical = config._names_for(clean)
    return Channel(
        name=name,
        base_url=clean.clean,
        canonical_name=canonical,
        platforms=platforms,
        token=split.token,
        auth=split.auth,
        package_filename=package_filename,
        credentialed_url=split.with_credentials(),
    )


_expanding: set[str] = set()


def _multichannel(name: str, platforms: tuple[str, ...] | None, config: ChannelConfig) -> MultiChannel:
    if name in _expanding:
        raise ChannelError(f"multichannel {name!r} contains itself")
    _expanding.add(name)
    try:
        members = tuple(
            c for m in config._multichannels[name] for c in Channel.from_string(m, config).expand()
        )
    finally:
        _expanding.discard(name)
    if platforms:
        members = tuple(_with_platforms(c, platforms) for c in members)
    return MultiChannel(name, members, platforms)


def _strip_tail(split: SplitUrl) -> tuple[SplitUrl, str | None, str | None]:
    """Take a package filename and then a subdir off the end of a URL."""
    segments = split.location.split("/")
    package_filename = platform = None
    if segments[-1].endswith(PACKAGE_EXTENSIONS):
        package_filename = segments.pop()
    if len(segments) > 1 and segments[-1] in _SUBDIRS:
        platform = segments.pop()
    drop = len(split.location.split("/")) - len(segments)
    if not drop:
        return split, None, None
    after = split.after.split("/") if split.after else []
    before = split.before.split("/")
    if len(after) >= drop:
        after = after[: len(after) - drop]
    else:
        before = before[: len(before) - (drop - len(after))]
        after = []
    return (
        SplitUrl(split.scheme, split.auth, split.token, "/".join(before), "/".join(after)),
        package_filename,
        platform,
    )


def _with_platforms(channel: Channel, platforms: tuple[str, ...]) -> Channel:
    return Channel(**{**channel._state(), "platforms": platforms})


def _rebuild_channel(state: dict[str, Any]) -> Channel:
    return Channel(**state)
