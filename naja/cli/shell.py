"""``naja shell hook|init|deinit|reinit|activate|deactivate|reactivate`` and the ``activate`` /
``deactivate`` stubs that explain how to set up the shell function (as micromamba's do)."""

from __future__ import annotations

import argparse
import os
import sys

from naja.cli.common import add_prefix

SHELL_HELP = "bash, zsh, fish, posix or powershell (default: guessed from the parent process)"


def _add_shell_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("-s", "--shell", metavar="SHELL", help=SHELL_HELP)


def register(subparsers: argparse._SubParsersAction) -> None:
    shell = subparsers.add_parser(
        "shell", help="shell hook, init and activation scripts",
        description="Generate shell hooks and activation code; with no subcommand, start a shell "
                    "inside the environment.")
    _add_shell_option(shell)
    add_prefix(shell)
    shell.set_defaults(func=_cmd_subshell)
    sub = shell.add_subparsers(dest="shell_command", metavar="SUBCOMMAND")

    p = sub.add_parser("hook", help="print the shell function definitions (eval them in your shell)")
    _add_shell_option(p)
    add_prefix(p, target=False)
    p.set_defaults(func=_cmd_hook)

    p = sub.add_parser("init", help="add the naja hook to the shell's rc file")
    _add_shell_option(p)
    add_prefix(p, target=False)
    p.add_argument("--rc-file", metavar="FILE", help="edit this file instead of the shell's default")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser("deinit", help="remove the naja hook from the shell's rc file")
    _add_shell_option(p)
    add_prefix(p, target=False)
    p.add_argument("--rc-file", metavar="FILE", help="edit this file instead of the shell's default")
    p.set_defaults(func=_cmd_deinit)

    p = sub.add_parser("reinit", help="rewrite the naja block in every rc file that has one")
    add_prefix(p, target=False)
    p.set_defaults(func=_cmd_reinit)

    p = sub.add_parser("activate", help="print the code activating an environment")
    _add_shell_option(p)
    add_prefix(p)
    p.add_argument("prefix_or_name", nargs="?", metavar="ENV", help="environment name or path (default: base)")
    p.add_argument("--stack", action="store_true", help="keep the active environment on PATH underneath")
    p.set_defaults(func=_cmd_activate)

    p = sub.add_parser("deactivate", help="print the code deactivating the active environment")
    _add_shell_option(p)
    add_prefix(p, target=False)
    p.set_defaults(func=_cmd_deactivate)

    p = sub.add_parser("reactivate", help="print the code refreshing the active environment")
    _add_shell_option(p)
    add_prefix(p, target=False)
    p.set_defaults(func=_cmd_reactivate)

    for name in ("activate", "deactivate"):
        stub = subparsers.add_parser(name, help=f"{name} an environment (through the shell function)",
                                     add_help=True)
        stub.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        stub.set_defaults(func=_cmd_not_initialized, stub_name=name)


def _shell(args: argparse.Namespace) -> str:
    from naja.activation import guess_shell, normalize_shell

    return normalize_shell(args.shell) if getattr(args, "shell", None) else guess_shell()


def _settings(args: argparse.Namespace):
    from naja.activation import load_settings

    return load_settings(getattr(args, "root_prefix", None))


def _emit(text: str) -> int:
    sys.stdout.write(text)
    sys.stdout.flush()
    return 0


def _cmd_hook(args: argparse.Namespace) -> int:
    from naja.activation import hook, load_settings

    shell = _shell(args)
    changeps1 = load_settings(args.root_prefix).changeps1
    return _emit(hook(shell, root_prefix=args.root_prefix, changeps1=changeps1))


def _cmd_activate(args: argparse.Namespace) -> int:
    from naja.activation import activate, resolve_prefix

    settings = _settings(args)
    prefix = resolve_prefix(settings, args.prefix_or_name, name=args.name, prefix=args.prefix)
    return _emit(activate(prefix, _shell(args), stack=args.stack, settings=settings))


def _cmd_deactivate(args: argparse.Namespace) -> int:
    from naja.activation import deactivate

    return _emit(deactivate(_shell(args), settings=_settings(args)))


def _cmd_reactivate(args: argparse.Namespace) -> int:
    from naja.activation import reactivate

    return _emit(reactivate(_shell(args), settings=_settings(args)))


def _rc_path(args: argparse.Namespace):
    from pathlib import Path

    return Path(os.path.expanduser(args.rc_file)) if getattr(args, "rc_file", None) else None


def _cmd_init(args: argparse.Namespace) -> int:
    from naja.activation import shell_init

    shell = _shell(args)
    path, changed = shell_init(shell, _settings(args).root_prefix, path=_rc_path(args))
    if changed:
        print(f"Modified {path}: added the naja initialize block for {shell}.")
        print("Start a new shell (or source the file) for 'naja activate' to work.")
    else:
        print(f"{path} is already initialized for {shell}; nothing changed.")
    return 0


def _cmd_deinit(args: argparse.Namespace) -> int:
    from naja.activation import shell_deinit

    shell = _shell(args)
    path, changed = shell_deinit(shell, path=_rc_path(args))
    if changed:
        print(f"Modified {path}: removed the naja initialize block.")
    else:
        print(f"{path} has no naja initialize block; nothing changed.")
    return 0


def _cmd_reinit(args: argparse.Namespace) -> int:
    from naja.activation import INIT_BEGIN, SHELLS, rc_file, shell_init

    root = _settings(args).root_prefix
    done = 0
    for shell in SHELLS:
        path = rc_file(shell)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        if INIT_BEGIN in text:
            _, changed = shell_init(shell, root, path=path)
            print(f"{'Modified' if changed else 'Unchanged'} {path} ({shell})")
            done += 1
    if not done:
        print("no rc file has a naja initialize block; run 'naja shell init' first")
    return 0


def _cmd_subshell(args: argparse.Namespace) -> int:
    """Bare ``naja shell [-n|-p]``: start the user's shell inside the environment."""
    from naja.activation import resolve_prefix, run_in_env

    settings = _settings(args)
    prefix = resolve_prefix(settings, None, name=args.name, prefix=args.prefix, fallback_active=False)
    program = os.environ.get("SHELL") or ("cmd.exe" if os.name == "nt" else "/bin/sh")
    if args.shell:
        program = {"posix": "sh", "powershell": "pwsh"}.get(args.shell, args.shell)
    return run_in_env(prefix, [program], settings=settings)


def _cmd_not_initialized(args: argparse.Namespace) -> int:
    from naja.activation import ActivationError

    raise ActivationError(
        f"'naja {args.stub_name}' needs the naja shell function: run "
        "'eval \"$(naja shell hook -s bash)\"' (or zsh/fish/posix/powershell) in this shell, "
        "or 'naja shell init -s SHELL' once and start a new shell")
