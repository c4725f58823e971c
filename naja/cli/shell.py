"""``naja shell hook|init|deinit|reinit|activate|deactivate|reactivate``, the ``activate`` /
``deactivate`` stubs that explain how to set up the shell function (as micromamba's do), and the
``completer`` command the shells' tab completion calls.

Options are accepted before or after the subcommand (``naja shell -y init -s bash`` and
``naja shell init -s bash -y``), as micromamba's parser accepts them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from naja.api.shell import InitResult, Target
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from naja.cli.parser import Subparsers

SHELL_HELP = ("bash, zsh, posix (sh, dash), fish, powershell, xonsh, csh (tcsh), nu or cmd.exe "
              "(default: guessed from the parent process)")


def _add_options(p: argparse.ArgumentParser, *, sub: bool) -> None:
    """The options ``shell`` and each of its subcommands share. On a subcommand their default is
    SUPPRESS, so a value given before the subcommand is not reset by the subcommand's parser."""
    d = argparse.SUPPRESS if sub else None  # None: argparse's own default when none is given
    flag = argparse.SUPPRESS if sub else False
    p.add_argument("-s", "--shell", metavar="SHELL", help=SHELL_HELP, default=d)
    g = p.add_argument_group("prefix options")
    g.add_argument("-r", "--root-prefix", metavar="PATH", help="root prefix (default: $NAJA_ROOT_PREFIX)", default=d)
    g.add_argument("-p", "--prefix", metavar="PATH", help="path of the target environment", default=d)
    g.add_argument("-n", "--name", metavar="NAME", help="name of the target environment", default=d)
    o = p.add_argument_group("general options")
    o.add_argument("-y", "--yes", action="store_true", help="answer yes (nothing to confirm here)", default=flag)
    o.add_argument("-q", "--quiet", action="store_true", help="less output", default=flag)
    o.add_argument("-v", "--verbose", action="count", help="more output", default=argparse.SUPPRESS if sub else 0)
    o.add_argument("--json", action="store_true", help="print one JSON document on stdout", default=flag)
    o.add_argument("--dry-run", action="store_true", help="show what would change, change nothing", default=flag)


def register(subparsers: Subparsers) -> None:
    shell = subparsers.add_parser(
        "shell", help="shell hook, init and activation scripts",
        description="Generate shell hooks and activation code; with no subcommand, start a shell "
                    "inside the environment.")
    _add_options(shell, sub=False)
    shell.set_defaults(func=_cmd_subshell)
    sub = shell.add_subparsers(dest="shell_command", metavar="SUBCOMMAND", parser_class=type(shell))

    def add(name: str, help_text: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        _add_options(p, sub=True)
        p.set_defaults(func=func)
        return p

    add("hook", "print the shell function definitions (eval them in your shell)", _cmd_hook)
    add("init", "add the naja hook to the shell's rc file and the root prefix", _cmd_init)
    add("deinit", "remove the naja hook from the shell's rc file and the root prefix", _cmd_deinit)
    add("reinit", "rewrite the naja block in every rc file that has one", _cmd_reinit)
    p = add("activate", "print the code activating an environment", _cmd_activate)
    p.add_argument("prefix_or_name", nargs="?", metavar="ENV", help="environment name or path (default: base)")
    p.add_argument("--stack", action="store_true", help="keep the active environment on PATH underneath")
    p.add_argument("--write", action="store_true",
                   help="write the script into the environment (<prefix>/activate, activate.fish, ...) "
                        "so that it activates without naja")
    add("deactivate", "print the code deactivating the active environment", _cmd_deactivate)
    add("reactivate", "print the code refreshing the active environment", _cmd_reactivate)
    # micromamba's Windows registry switch (shell.cpp): nothing to enable on the systems naja supports
    add("enable_long_path_support", "Windows only: accepted, nothing to do here", lambda args: 0)

    for name in ("activate", "deactivate"):
        stub = subparsers.add_parser(name, help=f"{name} an environment (through the shell function)",
                                     add_help=True)
        stub.add_argument("--stack", action="store_true", dest="_noop_stack", help=argparse.SUPPRESS)
        stub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        stub.set_defaults(func=_cmd_not_initialized, stub_name=name)

    completer = subparsers.add_parser("completer")  # no help: hidden, called by the shells' completion
    completer.add_argument("words", nargs=argparse.REMAINDER)
    completer.set_defaults(func=_cmd_completer)


def _target(args: argparse.Namespace) -> Target:
    from naja.api import shell as api

    return api.Target(prefix=getattr(args, "prefix", None), name=getattr(args, "name", None),
                         name_or_prefix=getattr(args, "prefix_or_name", None))


def _shell(args: argparse.Namespace) -> str:
    from naja.api import shell as api

    return api.resolve_shell(getattr(args, "shell", None))


def _emit(text: str) -> int:
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def _json(doc: object) -> int:
    import json

    return _emit(json.dumps(doc, indent=2) + "\n")


def _cmd_hook(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    shell = _shell(args)
    text = api.hook_script(shell, getattr(args, "root_prefix", None))
    if args.json:
        return _json({"operation": "shell_hook", "context": {"shell_type": shell}, "actions": {"print": text},
                      "success": True})
    return _emit(text)


def _cmd_activate(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    if args.write:
        path = api.write_activate_script(_shell(args), _target(args), getattr(args, "root_prefix", None))
        if args.json:
            return _json({"success": True, "path": str(path)})
        print(f"Wrote {path}: source it to activate the environment without naja.")
        return 0
    return _emit(api.activate_script(_shell(args), _target(args), stack=args.stack,
                                     root_prefix=getattr(args, "root_prefix", None)))


def _cmd_deactivate(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    return _emit(api.deactivate_script(_shell(args), getattr(args, "root_prefix", None)))


def _cmd_reactivate(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    return _emit(api.reactivate_script(_shell(args), getattr(args, "root_prefix", None)))


def _report_init(result: InitResult, verb: str, args: argparse.Namespace) -> None:
    files = [str(p) for p in result.root_files]
    if args.json:
        _json({"success": True, "shell": result.shell, "rc_file": str(result.rc_file) if result.rc_file else None,
               "rc_file_changed": result.rc_changed, f"root_files_{verb}": files})
        return
    if result.rc_file is not None:
        state = "modified" if result.rc_changed else "unchanged"
        print(f"{result.rc_file}: {state} ({result.shell})")
    for path in files:
        print(f"{verb} {path}")


def _cmd_init(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    shell = _shell(args)
    if args.dry_run:
        rc, block = api.init_preview(shell, getattr(args, "root_prefix", None))
        print(f"Would write the {shell} hook files under {api.settings(getattr(args, 'root_prefix', None)).root_prefix}"
              f" and add to {rc or 'the AutoRun registry value'}:")
        print(block, end="")
        return 0
    result = api.init_shell(shell, getattr(args, "root_prefix", None))
    _report_init(result, "wrote", args)
    if not args.json and not args.quiet:
        print("Start a new shell (or source the rc file) for 'naja activate' to work.")
    return 0


def _cmd_deinit(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    _report_init(api.deinit_shell(_shell(args), getattr(args, "root_prefix", None)), "removed", args)
    return 0


def _cmd_reinit(args: argparse.Namespace) -> int:
    from naja.api import shell as api

    results = api.reinit_shells(getattr(args, "root_prefix", None))
    for result in results:
        _report_init(result, "wrote", args)
    if not results and not args.json:
        print("no rc file has a naja initialize block; run 'naja shell init' first")
    return 0


def _cmd_subshell(args: argparse.Namespace) -> int:
    """Bare ``naja shell [-n|-p]``: start the user's shell inside the environment."""
    from naja.api import shell as api

    program = os.environ.get("SHELL") or ("cmd.exe" if os.name == "nt" else "/bin/sh")
    if args.shell:
        program = {"posix": "sh", "powershell": "pwsh", "csh": "tcsh"}.get(api.resolve_shell(args.shell),
                                                                          args.shell)
    target = api.Target(prefix=args.prefix, name=args.name, name_or_prefix="base" if not (args.prefix or args.name)
                        else None)
    return api.run(target, [program], root_prefix=args.root_prefix)


def _cmd_not_initialized(args: argparse.Namespace) -> int:
    from naja.errors import ActivationError

    raise ActivationError(
        f"'naja {args.stub_name}' needs the naja shell function: run "
        "'eval \"$(naja shell hook -s bash)\"' (or zsh, posix, fish, powershell, xonsh, csh) in this shell, "
        "or 'naja shell init -s SHELL' once and start a new shell")


def _cmd_completer(args: argparse.Namespace) -> int:
    from naja.cli.completer import complete

    words = complete(list(args.words))
    if words:
        print(" ".join(words))
    return 0
