"""Option groups shared by the commands, spelled as micromamba spells them.

Only argparse is imported here: building the parser must stay cheap. ``options_from_args`` turns the
parsed namespace into the ``naja.api.Options`` the API takes (imported lazily by the commands).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from naja.api import Options, Plan


def add_general(p: argparse.ArgumentParser) -> None:
    """``-v -q -y --json --offline --dry-run`` and the rc-file options (nearly every command)."""
    g = p.add_argument_group("general options")
    g.add_argument("-v", "--verbose", action="count", default=0, help="more output (repeatable: -vv)")
    g.add_argument("-q", "--quiet", action="store_true", help="less output (implies --yes)")
    g.add_argument("-y", "--yes", action="store_true", help="answer yes to the confirmation prompt")
    g.add_argument("--json", action="store_true", help="print one JSON document on stdout (implies --yes)")
    g.add_argument("--offline", action="store_true", help="use cached repodata and packages only")
    g.add_argument("--dry-run", action="store_true", help="show what would be done, change nothing")
    g.add_argument("--log-level", choices=["critical", "error", "warning", "info", "debug", "trace", "off"],
                   help="logging level (overrides -v)")
    # micromamba's remaining general flags: accepted so scripts run; they change nothing in naja
    for flag in ("--experimental", "--debug", "--print-config-only", "--print-context-only", "--use-uv"):
        g.add_argument(flag, action="store_true", dest=f"_noop_{flag[2:].replace('-', '_')}",
                       help=argparse.SUPPRESS)
    r = p.add_argument_group("configuration sources")
    r.add_argument("--rc-file", action="append", default=[], dest="rc_files", metavar="FILE",
                   help="use only these rc files (repeatable)")
    r.add_argument("--no-rc", action="store_true", help="ignore every rc file")
    r.add_argument("--no-env", action="store_true", help="ignore MAMBA_*/CONDA_* environment variables")


def add_prefix(p: argparse.ArgumentParser, *, target: bool = True, relocate: bool = True) -> None:
    """``-r/--root-prefix`` and (with ``target``) ``-p/--prefix`` and ``-n/--name``; with ``relocate``
    also micromamba's ``--relocate-prefix``, which is part of its prefix group (common_options.cpp) but
    only means something to the commands that link packages (``add_install`` declares the real one)."""
    g = p.add_argument_group("prefix options")
    g.add_argument("-r", "--root-prefix", metavar="PATH", help="root prefix (default: $NAJA_ROOT_PREFIX)")
    if target:
        g.add_argument("-p", "--prefix", metavar="PATH", help="path of the target environment")
        g.add_argument("-n", "--name", metavar="NAME", help="name of the target environment (in envs_dirs)")
        if relocate:
            g.add_argument("--relocate-prefix", metavar="PATH", dest="_noop_relocate_prefix",
                           help="accepted, no effect: this command links no package")


def add_link(p: argparse._ActionsContainer) -> None:
    """micromamba's link options (``init_link_options``): whether post-link/pre-unlink scripts run."""
    p.add_argument("--skip-run-link-scripts", action="store_true", dest="skip_run_link_scripts",
                   help="do not run the packages' post-link/pre-unlink scripts")
    p.add_argument("--run-link-scripts", action="store_false", dest="skip_run_link_scripts",
                   help="run them (default)")


def add_channels(p: argparse.ArgumentParser, *, platform: bool = True) -> None:
    g = p.add_argument_group("channel options")
    g.add_argument("-c", "--channel", action="append", default=[], dest="channels", metavar="CHANNEL",
                   help="channel to search (repeatable; ahead of the configured channels)")
    g.add_argument("--override-channels", action="store_true", help="ignore the configured channels")
    g.add_argument("--channel-priority", choices=["strict", "flexible", "disabled"], default=None)
    g.add_argument("--strict-channel-priority", action="store_true", help="same as --channel-priority strict")
    g.add_argument("--no-channel-priority", action="store_true", help="same as --channel-priority disabled")
    g.add_argument("--channel-alias", metavar="URL", help="prefix for channel names")
    g.add_argument("--repodata-ttl", type=int, metavar="N",
                   help="repodata cache lifetime: 0 always revalidate, 1 honour Cache-Control, N seconds")
    g.add_argument("--ssl-verify", metavar="'<false>'|PATH|'<system>'", help="TLS verification")
    g.add_argument("--cacert-path", metavar="PATH", help="CA bundle (file or directory) to trust, before ssl_verify")
    g.add_argument("--ssl-no-revoke", action="store_true", dest="_noop_ssl_no_revoke",
                   help="Windows schannel only: accepted, no effect")
    g.add_argument("--retry-clean-cache", action="store_true",
                   help="if the solve fails, fetch the repodata again and retry once")
    if platform:
        g.add_argument("--platform", metavar="SUBDIR", help="target platform, e.g. linux-64 or osx-arm64")


def add_install(p: argparse.ArgumentParser, *, specs: bool = True) -> None:
    """The install option group of create/install/update/env create|update."""
    add_general(p)
    add_prefix(p, relocate=False)
    add_channels(p)
    if specs:
        p.add_argument("specs", nargs="*", metavar="SPEC", help="match specs, e.g. 'numpy>=1.26'")
    g = p.add_argument_group("install options")
    g.add_argument("-f", "--file", action="append", default=[], dest="files", metavar="FILE",
                   help="environment.yml, @EXPLICIT, spec list or conda-lock file (repeatable)")
    g.add_argument("--download-only", action="store_true", help="fill the package cache, do not link")
    g.add_argument("--no-pin", action="store_true", help="ignore pinned_packages and conda-meta/pinned")
    g.add_argument("--pin", dest="no_pin", action="store_false")
    g.add_argument("--no-py-pin", action="store_true", help="do not pin an installed python's minor version")
    g.add_argument("--py-pin", dest="no_py_pin", action="store_false")
    g.add_argument("--copy", "--always-copy", dest="always_copy", action="store_true",
                   help="copy files instead of hard-linking them")
    g.add_argument("--no-always-copy", dest="always_copy", action="store_false", help="hard-link (default)")
    g.add_argument("--always-softlink", action="store_true", help="symlink files from the package cache")
    g.add_argument("--no-always-softlink", dest="always_softlink", action="store_false")
    g.add_argument("--allow-softlinks", action="store_true")
    g.add_argument("--no-allow-softlinks", dest="allow_softlinks", action="store_false")
    g.add_argument("--no-deps", action="store_true", help="do not install dependencies (may break the env)")
    g.add_argument("--only-deps", action="store_true", help="install only the dependencies of the specs")
    g.add_argument("--lock-timeout", type=int, metavar="SECONDS")
    # micromamba's switches for settings that also have rc keys (None: as configured)
    g.add_argument("--pyc", dest="compile_pyc", action="store_true", default=None,
                   help="compile .pyc files of noarch: python packages (default)")
    g.add_argument("--no-pyc", dest="compile_pyc", action="store_false")
    g.add_argument("--allow-downgrade", dest="allow_downgrade", action="store_true", default=None)
    g.add_argument("--no-allow-downgrade", dest="allow_downgrade", action="store_false")
    g.add_argument("--allow-uninstall", dest="allow_uninstall", action="store_true", default=None)
    g.add_argument("--no-allow-uninstall", dest="allow_uninstall", action="store_false")
    g.add_argument("--safety-checks", choices=["enabled", "warn", "disabled"], default=None)
    g.add_argument("--extra-safety-checks", action="store_true", default=None)
    g.add_argument("--no-extra-safety-checks", dest="extra_safety_checks", action="store_false")
    add_link(g)
    g.add_argument("--relocate-prefix", metavar="PATH", dest="relocate_prefix",
                   help="write PATH into files (prefix placeholders, shebangs) instead of the install location, "
                        "for an environment that will be moved there")
    g.add_argument("--verify-artifacts", action="store_true", dest="_noop_verify_artifacts",
                   help="accepted, no effect: naja reads no package signatures")
    g.add_argument("--trusted-channels", nargs="+", metavar="CHANNEL", dest="_noop_trusted_channels",
                   help="accepted with --verify-artifacts, no effect")
    g.add_argument("--mamba-repodata-parsing", "--no-mamba-repodata-parsing", action="store_true",
                   dest="_noop_repodata_parsing", help=argparse.SUPPRESS)
    g.add_argument("--shortcuts", "--no-shortcuts", dest="_shortcuts", action="store_true",
                   help="Windows menu shortcuts (not supported: accepted and ignored)")
    # micromamba's CLI11 list option: repeatable, several values a flag, and given at all it replaces
    # the default `main` (`--category dev` installs the dev packages alone)
    g.add_argument("--category", action="extend", nargs="+", default=[], metavar="CAT",
                   help="lockfile categories to install (default: main; `--category main dev` for both)")


def no_subcommand(p: argparse.ArgumentParser) -> None:
    """A command group run without its subcommand (``env``, ``env config``, ``package``) succeeds with
    nothing on stdout, as micromamba's (CLI11 requires a subcommand only at the top level, and these
    groups have no callback); the help goes to stderr for the person at the terminal."""
    import sys

    def show_help(args: argparse.Namespace) -> int:
        if not getattr(args, "quiet", False):
            p.print_help(sys.stderr)
        return 0

    p.set_defaults(func=show_help)


def add_prune_deps(p: argparse.ArgumentParser) -> None:
    """remove/update: drop dependencies nothing requested needs any more (micromamba's default)."""
    p.add_argument("--prune-deps", action="store_true", default=True,
                   help="also remove dependencies no requested package needs any more (default)")
    p.add_argument("--no-prune-deps", dest="prune_deps", action="store_false",
                   help="keep dependencies that are no longer needed")


def add_force_reinstall(p: argparse.ArgumentParser) -> None:
    p.add_argument("--freeze-installed", action="store_true", help="keep every installed package as it is")
    p.add_argument("--force-reinstall", action="store_true", help="reinstall the requested packages")


def plan_retrying(args: argparse.Namespace, make_plan: Callable[[Options], Plan], options: Options) -> Plan:
    """``make_plan(options)``; with ``--retry-clean-cache`` a failed solve is tried once more with
    the repodata fetched again (ttl 0: every cached index revalidated), as micromamba does."""
    from naja.errors import UnsatisfiableError

    try:
        return make_plan(options)
    except UnsatisfiableError:
        if not getattr(args, "retry_clean_cache", False):
            raise
    return make_plan(options.with_(repodata_ttl=0))


def options_from_args(args: argparse.Namespace) -> Options:
    """Map the parsed namespace to ``naja.api.Options`` (field names match the argparse dests)."""
    from naja.api import Options

    values: dict[str, Any] = {}  # argparse's values, typed by the parser only
    for name in Options.__struct_fields__:
        if hasattr(args, name):
            values[name] = getattr(args, name)
    if getattr(args, "strict_channel_priority", False) and getattr(args, "no_channel_priority", False):
        from naja.errors import ConfigError

        raise ConfigError("--strict-channel-priority and --no-channel-priority cannot be combined")
    priority = getattr(args, "channel_priority", None)
    if getattr(args, "strict_channel_priority", False):
        if priority not in (None, "strict"):
            from naja.errors import ConfigError

            raise ConfigError(f"--strict-channel-priority conflicts with --channel-priority {priority}")
        values["channel_priority"] = "strict"
    if getattr(args, "no_channel_priority", False):
        if priority not in (None, "disabled"):
            from naja.errors import ConfigError

            raise ConfigError(f"--no-channel-priority conflicts with --channel-priority {priority}")
        values["channel_priority"] = "disabled"
    if getattr(args, "json", False) or getattr(args, "quiet", False):
        values["yes"] = True
    values["channels"] = tuple(values.get("channels") or ())
    values["files"] = tuple(values.get("files") or ())
    values["rc_files"] = tuple(values.get("rc_files") or ())
    return Options(**values)
