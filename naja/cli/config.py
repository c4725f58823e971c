"""``naja config list|sources|get|set|append|prepend|remove|remove-key|describe``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_general, add_prefix, options_from_args

if TYPE_CHECKING:
    from pathlib import Path

    from naja.cli.parser import Subparsers


def _target(q: argparse.ArgumentParser) -> None:
    g = q.add_mutually_exclusive_group()
    g.add_argument("--env", dest="rc_env", action="store_true", help="the target environment's .condarc")
    g.add_argument("--system", dest="rc_system", action="store_true", help="the system-wide .condarc")
    g.add_argument("--file", dest="rc_target_file", metavar="FILE", help="this rc file")


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("config", help="show or edit the configuration",
                              description="Show or edit the configuration (.condarc/.mambarc).")
    sub = p.add_subparsers(dest="config_command", metavar="SUBCOMMAND", parser_class=type(p))
    # bare ``config`` prints its help on stdout and succeeds, as micromamba (micromamba/src/main.cpp)
    p.set_defaults(func=lambda args: _print_help(p))

    def sp(name: str, helptext: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=helptext, description=helptext)
        add_general(q)
        add_prefix(q)
        return q

    q = sp("list", "show the configured values")
    q.add_argument("keys", nargs="*", metavar="KEY")
    q.add_argument("-s", "--sources", action="store_true", help="also show the rc files read")
    q.add_argument("-a", "--all", dest="all_keys", action="store_true", help="every known key")
    q.add_argument("-d", "--descriptions", action="store_true", help="with descriptions")
    q.add_argument("-l", "--long-descriptions", action="store_true", help=argparse.SUPPRESS)
    q.add_argument("-g", "--groups", action="store_true", help=argparse.SUPPRESS)
    q.set_defaults(func=run_list)

    q = sp("sources", "list the rc files that were read")
    q.set_defaults(func=run_sources)

    q = sp("describe", "describe configuration keys")
    q.add_argument("keys", nargs="*", metavar="KEY")
    q.add_argument("-l", "--long-descriptions", action="store_true", help=argparse.SUPPRESS)
    q.add_argument("-g", "--groups", action="store_true", help=argparse.SUPPRESS)
    q.set_defaults(func=run_describe)

    q = sp("get", "print the value of a key (with --file/--env/--system: as written in that file)")
    q.add_argument("key", metavar="KEY")
    _target(q)
    q.set_defaults(func=run_get)

    q = sp("set", "set keys in an rc file: KEY VALUE [KEY VALUE ...]")
    q.add_argument("key", metavar="KEY")
    q.add_argument("value", metavar="VALUE")
    q.add_argument("more", nargs="*", metavar="KEY VALUE", help=argparse.SUPPRESS)
    _target(q)
    q.set_defaults(func=run_set)

    for name, helptext in (("append", "add values to the end of a list key"),
                           ("prepend", "add values to the front of a list key"),
                           ("remove", "remove values from a list key")):
        q = sp(name, helptext)
        q.add_argument("key", metavar="KEY")
        q.add_argument("values", nargs="+", metavar="VALUE")
        _target(q)
        q.set_defaults(func=run_sequence)

    q = sp("remove-key", "remove a key from an rc file")
    q.add_argument("key", metavar="KEY")
    _target(q)
    q.set_defaults(func=run_remove_key)


def _print_help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


NOT_PRESENT = "Key is not present in file"  # micromamba's words (micromamba/src/config.cpp), exit 0


def _pairs(key: str, values: list[str]) -> list[tuple[str, list[str]]]:
    """``KEY VALUE [KEY VALUE ...]`` (micromamba: pairs; a value may be ``a,b``) or naja's
    ``KEY VALUE [VALUE ...]``: pairs when every other token is a list key."""
    from naja import api

    tokens = [key, *values]
    list_keys = {d.name for d in api.config_describe(None) if d.type.startswith("list")}
    if len(tokens) % 2 == 0 and len(tokens) > 2 and all(t in list_keys for t in tokens[::2]):
        raw = list(zip(tokens[::2], tokens[1::2]))
    else:
        raw = [(key, v) for v in values]
    out: dict[str, list[str]] = {}
    for name, value in raw:
        out.setdefault(name, []).extend(v.strip() for v in value.split(",") if v.strip())
    return list(out.items())


def _rc(args: argparse.Namespace) -> Path:
    from naja import api

    return api.rc_target(options_from_args(args), env=args.rc_env, system=args.rc_system,
                         file=args.rc_target_file)


def _yaml_dump(data: object) -> str:
    import io

    from ruamel.yaml import YAML

    y = YAML()
    y.default_flow_style = False
    buf = io.StringIO()
    y.dump(data, buf)
    return buf.getvalue()


def run_list(args: argparse.Namespace) -> int:
    import sys

    from naja import api
    from naja.cli import output

    options = options_from_args(args)
    values = api.config_list(options, args.keys, all_keys=args.all_keys)
    sources = api.config_value_sources(options) if args.sources else {}
    if args.json:
        doc: dict[str, object] = {"values": values}
        if args.sources:
            doc["sources"] = {k: list(sources.get(k, ())) for k in values}
            doc["rc_files"] = api.config_sources(options)
        output.print_json(doc if args.sources else values)
        return 0
    descriptions = {}
    if args.descriptions or args.long_descriptions:
        descriptions = {d.name: d.description for d in api.config_describe(list(values))}
    for key, value in values.items():
        if key in descriptions:
            sys.stdout.write("".join(f"# {line}\n" for line in descriptions[key].splitlines()))
        text = _yaml_dump({key: value}) if value not in (None, [], {}) else f"{key}: {_empty(value)}\n"
        if args.sources and key in sources:
            lines, origins = text.rstrip("\n").split("\n"), list(sources[key])
            if isinstance(value, list) and len(lines) == len(value) + 1 == len(origins) + 1:
                # one line per item: each item names the file it came from (lists merge across files)
                text = "".join(f"{line}  # {o}\n" for line, o in zip(lines[1:], origins))
                text = f"{lines[0]}\n{text}"
            else:
                text = text.rstrip("\n") + f"  # {', '.join(dict.fromkeys(origins))}\n"
        sys.stdout.write(text)
    return 0


def _empty(value: object) -> str:
    return {type(None): "null", list: "[]", dict: "{}"}.get(type(value), str(value))


def run_sources(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output

    sources = api.config_sources(options_from_args(args))
    if args.json:
        output.print_json({"sources": sources})
    else:
        output.print_lines(sources)
    return 0


def run_describe(args: argparse.Namespace) -> int:
    import sys

    from naja import api
    from naja.cli import output

    rows = api.config_describe(args.keys or None)
    if args.json:
        output.print_json({r.name: {"type": r.type, "default": r.default, "description": r.description}
                           for r in rows})
        return 0
    for r in rows:
        sys.stdout.write(f"{r.name}  ({r.type}, default: {r.default!r})\n")
        sys.stdout.write("".join(f"  {line}\n" for line in (r.description or "").splitlines()) + "\n")
    return 0


def run_get(args: argparse.Namespace) -> int:
    import sys

    from naja import api
    from naja.cli import output

    if args.rc_env or args.rc_system or args.rc_target_file:
        return _get_from_file(args)
    value = api.config_get(args.key, options_from_args(args))
    if args.json:
        output.print_json({args.key: value})
    else:
        sys.stdout.write(_yaml_dump({args.key: value}) if value not in (None, [], {})
                         else f"{args.key}: {_empty(value)}\n")
    return 0


def _get_from_file(args: argparse.Namespace) -> int:
    """micromamba's ``config get``: the key as written in the one rc file, else a notice (exit 0)."""
    import sys

    from naja.api.configuration import config_file_values
    from naja.cli import output

    data = config_file_values(_rc(args))
    if args.key not in data:
        if args.json:
            output.print_json({"success": False, "message": NOT_PRESENT})
        else:
            print(NOT_PRESENT)
        return 0
    if args.json:
        output.print_json({args.key: data[args.key]})
    else:
        sys.stdout.write(_yaml_dump({args.key: data[args.key]}))
    return 0


def run_set(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output
    from naja.errors import ConfigError

    tokens = [args.key, args.value, *args.more]
    if len(tokens) % 2:
        raise ConfigError(f"config set takes KEY VALUE pairs; {tokens[-1]!r} has no value")
    target = _rc(args)
    written = {key: api.config_set(key, value, target) for key, value in zip(tokens[::2], tokens[1::2])}
    if args.json:
        output.print_json({"success": True, "file": str(target), **written})
    return 0


def run_sequence(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output
    from naja.errors import KeyNotPresentError

    target = _rc(args)
    doc: dict[str, object] = {"success": True, "file": str(target)}
    for key, values in _pairs(args.key, args.values):
        if args.config_command != "remove":
            doc[key] = api.config_append(key, values, target, prepend=args.config_command == "prepend")
            continue
        try:
            doc[key] = api.config_remove(key, values, target)
        except KeyNotPresentError:
            return _not_present(args)
    if args.json:
        output.print_json(doc)
    return 0


def _not_present(args: argparse.Namespace) -> int:
    from naja.cli import output

    if args.json:
        output.print_json({"success": True, "message": NOT_PRESENT})
    else:
        print(NOT_PRESENT)
    return 0


def run_remove_key(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output
    from naja.errors import KeyNotPresentError

    target = _rc(args)
    try:
        api.config_remove_key(args.key, target)
    except KeyNotPresentError:
        return _not_present(args)
    if args.json:
        output.print_json({"success": True, "file": str(target)})
    return 0
