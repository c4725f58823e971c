"""``naja repoquery search|depends|whoneeds``: questions about packages and their dependencies."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from naja.cli.common import add_channels, add_general, add_prefix, options_from_args

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers


def add_query_options(p: argparse.ArgumentParser, *, search: bool = False) -> None:
    add_general(p)
    add_prefix(p)
    add_channels(p)
    p.add_argument("specs", nargs="+", metavar="SPEC", help="package specs (wildcards allowed in search)")
    p.add_argument("-t", "--tree", action="store_true", help="show the dependency tree")
    p.add_argument("--recursive", action="store_true", help="all dependencies, not just direct ones")
    p.add_argument("--pretty", action="store_true", help="detailed view of each package")
    p.add_argument("--local", action="store_true", help="query the installed environment")
    p.add_argument("--remote", action="store_true", help="query the channels")


def register(subparsers: Subparsers) -> None:
    p = subparsers.add_parser("repoquery", help="find packages and analyse their dependencies",
                              description="Query channels or the installed environment.")
    sub = p.add_subparsers(dest="query", metavar="QUERY", required=True,
                           parser_class=type(p))
    for name, helptext in (("search", "find packages matching specs"),
                           ("depends", "what a package depends on"),
                           ("whoneeds", "which packages depend on a package")):
        q = sub.add_parser(name, help=helptext, description=helptext)
        add_query_options(q, search=name == "search")
        q.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from naja import api
    from naja.cli import output
    from naja.errors import NajaError

    options = options_from_args(args)
    if args.query == "search":
        records = api.search(args.specs, options, local=args.local)
        if args.json:
            output.print_json({"query": {"query": " ".join(args.specs), "type": "search"},
                               "result": {"msg": "", "pkgs": [api.record_json(r) for r in records],
                                          "status": "OK"}})
            return 0
        if not records:
            output.info("No packages found.")
            return 1
        if args.pretty:
            for r in records:
                output.print_lines([f"{r.name} {r.version} {r.build}", f"  channel: {api.channel_label(r.channel)}",
                                    f"  url: {r.url}", f"  md5: {r.md5 or ''}", f"  size: {r.size or ''}",
                                    "  depends:", *(f"    - {d}" for d in r.depends), ""])
            return 0
        output.table(["Name", "Version", "Build", "Channel", "Subdir"],
                     [(r.name, r.version, r.build, api.channel_label(r.channel), r.subdir) for r in records])
        return 0
    if len(args.specs) != 1:
        raise NajaError(f"repoquery {args.query} takes exactly one spec")
    if args.query == "depends":
        node = api.depends(args.specs[0], options, remote=args.remote, recursive=args.recursive,
                           tree=args.tree)
    else:
        node = api.whoneeds(args.specs[0], options, remote=args.remote, tree=args.tree)
    flat = api.flatten(node)
    if args.json:
        result: dict[str, object] = {"msg": "", "pkgs": [api.record_json(r) for r in flat], "status": "OK",
                                     "root": api.record_json(node.record) if node.record.version else None}
        if flat:  # libmamba core/query.cpp: the root record when it has edges, else the query string
            result["graph_roots"] = [api.record_json(node.record) if node.children and node.record.version
                                     else args.specs[0]]
        output.print_json({"query": {"query": args.specs[0], "type": args.query}, "result": result})
        return 0
    if args.tree:
        def label(n: api.DepNode, seen: bool = False) -> str:
            r = n.record
            text = f"{r.name}[{r.version}]" if r.version else r.name
            return text + (" (already visited)" if seen else "")

        lines = [label(node)]

        def add(n: api.DepNode, indent: str) -> None:
            for i, c in enumerate(n.children):
                last = i == len(n.children) - 1
                lines.append(f"{indent}{'└── ' if last else '├── '}{label(c, c.seen)}")
                add(c, indent + ("    " if last else "│   "))

        add(node, "")
        output.print_lines(lines)
        return 0
    if not flat:
        what = "depends on" if args.query == "whoneeds" else "is needed by"
        output.info(f"No package {what} {args.specs[0]}.")
        return 0
    output.table(["Name", "Version", "Build", "Channel"],
                 [(r.name, r.version, r.build, api.channel_label(r.channel)) for r in flat])
    return 0
