"""Which environment a command changes, resolved once: ``-p``/``-n``, an environment file's
``name:``/``prefix:``, or the defaults; the one ``Prefix`` object the whole command reads and
writes through (so an interrupted transaction is rolled back once, before anything is read).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from naja.api.context import Context, is_environment
from naja.errors import PrefixError

if TYPE_CHECKING:
    from naja.api.options import Options
    from naja.environment.files import EnvSpec
    from naja.install.prefix import Prefix, PrefixRecord


class PlanTarget(msgspec.Struct):
    """The environment one command plans against.

    ``context`` was built with the target prefix (its ``.condarc``/``.mambarc`` count); ``env`` is
    the command's one ``Prefix``; ``envfile`` the merged ``-f`` files (None without any);
    ``creates`` is true when the command makes the environment (``create``, or ``install -n base``
    on a root prefix that is not an environment yet)."""

    context: Context
    prefix: Path
    env: Prefix
    envfile: EnvSpec | None = None
    creates: bool = False
    _installed: list[PrefixRecord] | None = msgspec.field(default=None)

    @property
    def exists(self) -> bool:
        return is_environment(self.prefix)

    def installed(self) -> list[PrefixRecord]:
        """The environment's records, read once per command (none when it is not one yet)."""
        if self._installed is None:
            self._installed = self.env.installed() if self.exists else []
        return self._installed


def prefix_object(prefix: Path) -> Prefix:
    """The environment at ``prefix``, read only once a transaction a killed process left in it is
    rolled back (export, clone, list and solves never see half an environment); a prefix naja
    cannot write to is refused clearly instead."""
    from naja.install.journal import recover
    from naja.install.prefix import Prefix

    obj = Prefix(prefix)
    try:
        recover(obj)
    except OSError as exc:
        raise PrefixError(f"{prefix} holds an interrupted transaction that cannot be rolled back here "
                          f"({exc.strerror}); run the command with write access to it first") from None
    return obj


def resolve_target(options: Options, *, create: bool = False, new_base: bool = False,
                   read_files: bool = True, pre_context: Context | None = None) -> PlanTarget:
    """The target of a command: ``create`` makes a new environment (refusing a non-empty directory
    or, without ``-y``, an existing environment); else the environment must exist, except the root
    prefix when ``new_base`` (micromamba's ``install -n base`` into a fresh root). An environment
    file's ``name:`` applies unless ``-n``/``-p`` is given, for install too; its ``prefix:`` only
    for create. ``pre_context``: the context already built without the target, if any."""
    pre_context = pre_context or Context.from_options(options)
    envfile = _read_files(pre_context) if read_files else None
    explicit = bool(options.prefix) or options.name is not None
    if envfile is not None and envfile.name is not None and not explicit:
        prefix = pre_context.prefix_for_name(envfile.name, must_exist=False)
        if not create and not is_environment(prefix):
            raise PrefixError(f"no environment at {prefix} (named '{envfile.name}' in the environment file)")
    elif create and envfile is not None and envfile.prefix and not explicit:
        prefix = Path(os.path.abspath(os.path.expanduser(envfile.prefix)))
    elif create:
        prefix = pre_context.target_prefix(must_exist=False, allow_default=False)
    else:
        prefix = pre_context.target_prefix(must_exist=False)
        if not (new_base and prefix == pre_context.root_prefix and not is_environment(prefix)):
            prefix = pre_context.target_prefix(must_exist=True)
    # the rc files are read again only when the target was not known before (-n, an environment file)
    context = (pre_context if pre_context.config_prefix == prefix
               else Context.from_options(options, target_prefix=prefix))
    if create:
        check_create_target(prefix, context)
    return PlanTarget(context=context, prefix=prefix, env=prefix_object(prefix), envfile=envfile,
                      creates=create or not is_environment(prefix))


def _read_files(context: Context) -> EnvSpec | None:
    """The ``-f`` files, merged (a remote one fetched first); lock files give the ``--category``
    ones, or ``main`` without any (micromamba)."""
    if not context.options.files:  # the common case loads neither the file readers nor the network
        return None
    from naja.environment import files as env_files
    from naja.net.remote import localize

    files = localize(list(context.options.files), context.http_options)
    return env_files.read_env_files(files, platform=context.platform,
                                    categories=list(context.options.category) or ["main"])


def check_create_target(prefix: Path, context: Context) -> None:
    """A new environment goes into a writable directory that is empty, missing, or (with ``-y``)
    an environment to replace; never the root prefix."""
    ancestor = prefix
    while not ancestor.exists() and ancestor.parent != ancestor:
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise PrefixError(f"cannot create an environment at {prefix}: {ancestor} is not a writable directory")
    if prefix == context.root_prefix:
        raise PrefixError(f"cannot create an environment at the root prefix {prefix}")
    if prefix.exists():
        if not prefix.is_dir():
            raise PrefixError(f"{prefix} exists and is not a directory")
        if is_environment(prefix):
            if not context.options.yes:
                raise PrefixError(f"an environment already exists at {prefix} (pass -y to overwrite it)")
            return
        if any(prefix.iterdir()):
            raise PrefixError(f"{prefix} exists, is not empty and is not a conda environment")
