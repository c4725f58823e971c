"""``Plan``: what a command will do to one prefix, shown before anything changes, then executed.

A front end gets a plan from a planner (``naja.api.transact``, ``naja.api.explicit``), shows
``summary_rows()`` or ``to_json()``, asks, and calls ``execute``: download and extract into the
package cache, then the transaction links (and rolls back on failure), then the environment's
variables and pip requirements.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from naja.api.context import Context, register_env
from naja.api.views import Change, TransactionJson, change_rows, transaction_json
from naja.errors import EnvironmentFileError, NajaError

if TYPE_CHECKING:
    from naja.install.prefix import PrefixRecord
    from naja.install.transaction import Transaction, TransactionResult
    from naja.package.cache import PackageCache
    from naja.package.pkgs_dirs import CacheUseLock
    from naja.solver.request import Request
    from naja.solver.solution import Solution
    from naja.types.channel import Channel
    from naja.types.records import PackageRecord

Progress = Callable[[str, int, "int | None"], None]


class Plan(msgspec.Struct):
    """What a command will do to one prefix; nothing on disk has changed yet."""

    context: Context
    prefix: Path
    command: str
    to_link: list[PackageRecord] = msgspec.field(default_factory=list)
    to_unlink: list[PrefixRecord] = msgspec.field(default_factory=list)
    requested: list[str] = msgspec.field(default_factory=list)
    remove_specs: list[str] = msgspec.field(default_factory=list)
    transaction: Transaction | None = None
    create_prefix: bool = False
    pip: list[str] = msgspec.field(default_factory=list)
    variables: dict[str, str] = msgspec.field(default_factory=dict)
    fetch: list[PackageRecord] = msgspec.field(default_factory=list)
    channels: list[Channel] | None = None  # the resolved channels (their credentials are needed to download)
    request: Request | None = None  # the solver request (None: exact records, no solve)
    executed: bool = False
    result: TransactionResult | None = None  # after execute()
    hold: CacheUseLock | None = msgspec.field(default=None)  # the package caches, held until executed

    def __post_init__(self) -> None:
        if self.command != "remove":  # repodata caches and packages are read from here on: 'clean' waits
            self.hold = _hold_caches(self.context)

    @property
    def dry_run(self) -> bool:
        return self.context.options.dry_run

    @property
    def empty(self) -> bool:
        return not self.to_link and not self.to_unlink

    @property
    def changes(self) -> Solution:
        """The actions (install, upgrade, change, remove, ...) the transaction will carry out."""
        if self.transaction is not None:
            return self.transaction.changes
        from naja.solver.solution import Solution

        return Solution()

    def use(self, tx: Transaction) -> Plan:
        """Carry out ``tx``: its records to link and unlink, and the archives not cached yet."""
        self.transaction = tx
        self.to_link, self.to_unlink = list(tx.to_link), list(tx.to_unlink)
        self.fetch = fetch_list(self.context, self.to_link)
        return self

    def summary_rows(self) -> list[Change]:
        return change_rows(self.changes, self.fetch, self.context.channel_config)

    def to_json(self, *, success: bool = True) -> TransactionJson:
        """micromamba's transaction JSON (see ``naja.api.views.transaction_json``)."""
        download_only = self.context.options.download_only
        return transaction_json(self.prefix, fetch=self.fetch, link=() if download_only else self.to_link,
                                unlink=() if download_only else self.to_unlink,
                                create_prefix=self.create_prefix, dry_run=self.dry_run, success=success)

    def execute(self, progress: Progress | None = None,
                on_extracted: Callable[[PackageRecord, Path], None] | None = None) -> Plan:
        """Download and extract (into the package cache), then link; on failure the transaction
        layer rolls back and a new environment is not left behind. ``progress(name, done, total)``
        follows downloads, ``on_extracted(record, path)`` each package ready in the cache."""
        if self.dry_run:
            return self
        cache = package_cache(self.context, self.channels)
        existed = os.path.lexists(self.prefix)
        try:  # the cache is held (shared; 'clean' waits) from the first lookup to the last link
            with cache.in_use() if self.to_link else contextlib.nullcontext():
                self._execute(cache, progress, on_extracted)
        except BaseException:
            if self.create_prefix and not existed:  # nothing half-made: no history, lock or records
                from naja.confine import rmtree

                with contextlib.suppress(OSError):
                    rmtree(self.prefix)
            raise
        finally:
            if self.hold is not None:
                self.hold.release()
                self.hold = None
        return self

    def _execute(self, cache: PackageCache, progress: Progress | None,
                 on_extracted: Callable[[PackageRecord, Path], None] | None) -> None:
        options = self.context.options
        if self.to_link:
            cache.fetch_and_extract(self.to_link, progress=progress, on_extracted=on_extracted)
        if options.download_only:
            self.executed = True
            return
        if self.create_prefix:
            _make_empty_env(self.prefix, self.context)
        if self.transaction is not None and not self.empty:
            from naja.install.prefix import DEFAULT_LOCK_TIMEOUT

            self.result = self.transaction.execute(
                cache, link_options=self.context.link_options, progress=progress, cmd=command_line(),
                root_prefix=str(self.context.root_prefix),
                execute_link_scripts=not options.skip_run_link_scripts,
                lock_timeout=self.context.lock_timeout or DEFAULT_LOCK_TIMEOUT)
        if self.variables:
            from naja.shell.settings import set_env_vars

            set_env_vars(self.prefix, self.variables)
        if self.pip and not options.dry_run:
            _pip_install(self.prefix, self.pip, cwd=_files_dir(options.files))
        if self.create_prefix or self.to_link:
            register_env(self.prefix)
        self.executed = True


def _hold_caches(context: Context) -> CacheUseLock:
    """A shared hold on the existing writable package caches (a dry run creates none)."""
    from naja.package.pkgs_dirs import CacheUseLock

    dirs = [d for d in context.pkgs_dirs if d.is_dir() and os.access(d, os.W_OK | os.X_OK)]
    lock = CacheUseLock(dirs, exclusive=False, timeout=context.lock_timeout)
    lock.acquire()
    return lock


def command_line() -> str:
    """The command as history records it (``naja`` for ``python -m naja``), credentials redacted."""
    argv = [os.path.basename(sys.argv[0]) or "naja", *sys.argv[1:]]
    if argv[0] in ("__main__.py", "-m"):
        argv[0] = "naja"
    from naja.types.url import redact_url as redact  # history must not keep a channel's token or password

    return " ".join(redact(a) if "://" in a or "/t/" in a else a for a in argv)


def fetch_list(context: Context, to_link: Sequence[PackageRecord]) -> list[PackageRecord]:
    """Records whose archive is not in the package cache yet (micromamba's FETCH)."""
    if not to_link:
        return []
    cache = package_cache(context)
    return [r for r in to_link if cache.find_extracted(r) is None and cache.find_tarball(r) is None]


def package_cache(context: Context, channels: Sequence[Channel] | None = None) -> PackageCache:
    """The package cache of the context, able to download from its channels with their credentials."""
    from naja.package.cache import PackageCache

    cache = PackageCache.from_options(context.cache_options)
    cache.authenticate = _authenticator(context, channels)
    return cache


def _authenticator(context: Context, channels: Sequence[Channel] | None) -> Callable[[str], str] | None:
    """Records hold package URLs without the channel's token or password (so they never reach
    conda-meta or output); downloads need them back: clean channel prefix -> prefix with credentials."""
    if channels is None:
        try:
            channels = context.channels()
        except NajaError:
            return None
    pairs = [(c.base_url.rstrip("/") + "/", c.url.rstrip("/") + "/") for c in channels
             if getattr(c, "url", c.base_url) != c.base_url]
    if not pairs:
        return None

    def authenticate(url: str) -> str:
        for clean, real in pairs:
            if url.startswith(clean):
                return real + url[len(clean):]
        return url

    return authenticate


def _make_empty_env(prefix: Path, context: Context) -> None:
    (prefix / "conda-meta").mkdir(parents=True, exist_ok=True)
    history = prefix / "conda-meta" / "history"
    if not history.exists():
        history.touch()
    if context.options.platform:
        rc = prefix / ".mambarc"
        rc.write_text(f"platform: {context.options.platform}\n", encoding="utf-8")


def _files_dir(files: Sequence[str]) -> str | None:
    """pip runs from the environment file's directory (relative paths in ``pip:``), as micromamba."""
    if not files or files[0].lower().startswith(("http://", "https://")):
        return None
    return os.path.dirname(os.path.abspath(files[0]))


def _pip_install(prefix: Path, requirements: list[str], cwd: str | None = None) -> None:
    import subprocess

    from naja.api.reproduce import pip_missing_message, requirements_file

    python = prefix / ("python.exe" if os.name == "nt" else "bin/python")
    problem = pip_missing_message(prefix)
    if problem:
        raise EnvironmentFileError(problem)
    # as micromamba: a requirements file next to the environment file (so ``-e ./src`` and ``-r x.txt``
    # lines work), pip's output on stderr (stdout may carry the --json document)
    with requirements_file(requirements, cwd) as req:
        result = subprocess.run([str(python), "-m", "pip", "install", "-U", "-r", req, "--no-input"],
                                cwd=cwd, stdout=2)
    if result.returncode != 0:
        raise NajaError(f"pip install failed with exit code {result.returncode}")
