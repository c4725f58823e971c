"""A spec's text forms: conda's canonical string (``str(MatchSpec)``, which reads back to an equal
spec), each constraint as conda prints it, and conda-build's ``name version build``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from naja.types.match_spec.match import is_pattern
from naja.types.match_spec.parse import FIELD_NAMES, LIST_FIELDS

if TYPE_CHECKING:
    from naja.types.match_spec.parse import Component


def _plain_glob(v: str) -> bool:
    """Whether ``=<v without its trailing *>`` reads back as ``v`` (not for e.g. ``.*.*`` or ``1.*.*``)."""
    inner = v[:-2] if v.endswith(".*") else v[:-1] if v.endswith("*") else v
    if inner == "*":  # '*.*': conda writes '=*', which reads back as any version, as it means
        return True
    return bool(inner) and "*" not in inner and not inner.startswith(".")


def _quote(text: str) -> str:
    """A bracket value quoted so that it reads back (double quotes when it holds a single quote)."""
    return f'"{text}"' if "'" in text else f"'{text}'"


def canonical_str(comps: Mapping[str, Component]) -> str:
    """conda's canonical string of a spec's components: ``channel/subdir::name==version=build`` with
    whatever does not read back inline (operators, globs in builds, other fields) in brackets."""
    out: list[str] = []
    brackets: list[str] = []
    channel = _text(comps, "channel")
    channel_exact = channel is not None and not is_pattern(channel)
    if channel is not None and channel_exact:
        out.append(channel)
    elif channel is not None and channel != "*":
        brackets.append(f"channel={channel}")
    subdir = comps.get("subdir")
    if subdir is not None:
        if channel_exact:
            out.append(f"/{subdir}")
        else:
            brackets.append(f"subdir={subdir}")
    name = _text(comps, "name") or "*"
    out.append(f"::{name}" if out else name)
    build = _text(comps, "build")
    version_exact = _version_part(comps.get("version"), build, out, brackets)
    if build is not None:
        if any(c in build for c in "><$^|,'\"[]# "):
            brackets.append(f"build={_quote(build)}")
        elif "*" in build or not version_exact:
            brackets.append(f"build={build}")
        else:
            out.append("=" + build)
    brackets += _other_fields(comps, channel)
    if brackets:
        out.append("[" + ",".join(brackets) + "]")
    return "".join(out)


def _text(comps: Mapping[str, Component], key: str) -> str | None:
    """A text component (``channel``, ``name``, ``build``): a string when set."""
    value = comps.get(key)
    return None if value is None else str(value)


def _items(value: Component) -> tuple[str, ...]:
    """A feature or list component: its sorted items."""
    return value if isinstance(value, tuple) else (str(value),)


def _version_part(version: object, build: str | None, out: list[str], brackets: list[str]) -> bool:
    """Write the version inline (``=1.2``, ``==1.2``, ``!=1.2``) or in brackets; True when it is
    exact (``==``), so that a plain build can follow it inline as ``=build``."""
    if version is None:
        return False
    v = str(version)
    if v == "*":
        pass
    elif any(c in v for c in "><$^|,@'\"[]# ") or not _plain_glob(v):  # inline, would not read back
        brackets.append(f"version={_quote(v)}")
    elif v[:2] in ("!=", "~="):
        if build is not None:
            brackets.append(f"version={_quote(v)}")
        else:
            out.append(v)
    elif v.endswith(".*"):
        out.append("=" + v[:-2])
    elif v.endswith("*"):
        out.append("=" + v[:-1])
    elif v.startswith("=="):
        out.append(v)
        return True
    else:
        out.append("==" + v)
        return True
    return False


def _other_fields(comps: Mapping[str, Component], channel: str | None) -> list[str]:
    """``key=value`` for the fields after the build, in conda's field order (``url`` is left out when
    a channel is given, ``fn`` when ``url`` is)."""
    skip = {"channel", "subdir", "name", "version", "build"}
    if "url" in comps and "fn" in comps:
        skip.add("fn")
    brackets: list[str] = []
    for key in FIELD_NAMES:
        if key in skip or key not in comps:
            continue
        if key == "url" and channel is not None:
            continue
        value = comps[key]
        if key in LIST_FIELDS:
            brackets.append(f"{key}={list(_items(value))!r}")
            continue
        text = " ".join(_items(value)) if key in ("track_features", "features") else str(value)
        if any(c in text for c in ", ="):
            brackets.append(f"{key}='{text}'")
        else:
            brackets.append(f"{key}={text}")
    return brackets


def components_text(comps: Mapping[str, Component]) -> dict[str, str]:
    """Each constraint as conda prints its matcher (for display and comparison)."""
    out: dict[str, str] = {}
    for key, value in comps.items():
        if key in ("track_features", "features"):
            out[key] = " ".join(_items(value))
        elif key in LIST_FIELDS:
            out[key] = repr(list(_items(value)))
        else:
            out[key] = str(value)
    return out


def conda_build_form(name: str, version: object, build: str | None) -> str:
    """``name version build`` as conda-build writes requirements (``*`` for a missing version before
    a build)."""
    parts = [name]
    if build is not None:
        parts += [str(version) if version is not None else "*", build]
    elif version is not None:
        parts.append(str(version))
    return " ".join(parts)
