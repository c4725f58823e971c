"""``Options``: everything a command line (or a Python caller) can say about how to run a command.

Field names match the CLI's argparse destinations, so the CLI maps its namespace onto this directly.
Every field has a default, so ``Options(prefix="./env", channels=("conda-forge",))`` is enough. A frozen
``msgspec.Struct`` rather than a dataclass: its 40-odd fields cost no generated code at start-up.
"""

from __future__ import annotations

import msgspec


class Options(msgspec.Struct, frozen=True, kw_only=True):
    # configuration sources
    rc_files: tuple[str, ...] = ()
    no_rc: bool = False
    no_env: bool = False
    root_prefix: str | None = None
    # target environment
    prefix: str | None = None
    name: str | None = None
    # channels
    channels: tuple[str, ...] = ()
    override_channels: bool = False
    channel_priority: str | None = None
    channel_alias: str | None = None
    platform: str | None = None
    repodata_ttl: int | None = None
    ssl_verify: str | None = None
    cacert_path: str | None = None
    offline: bool = False
    # what to do
    files: tuple[str, ...] = ()
    category: tuple[str, ...] | list[str] = ()
    dry_run: bool = False
    download_only: bool = False
    no_pin: bool = False
    no_py_pin: bool = False
    no_deps: bool = False
    only_deps: bool = False
    freeze_installed: bool = False
    force_reinstall: bool = False
    prune_deps: bool = True
    always_copy: bool = False
    always_softlink: bool = False
    allow_softlinks: bool = False
    lock_timeout: int | None = None
    relocate_prefix: str | None = None  # micromamba's --relocate-prefix: the prefix written into files
    skip_run_link_scripts: bool = False  # micromamba's --skip-run-link-scripts (post-link/pre-unlink)
    # None: as configured (rc files, MAMBA_* variables)
    compile_pyc: bool | None = None
    allow_downgrade: bool | None = None
    allow_uninstall: bool | None = None
    safety_checks: str | None = None
    extra_safety_checks: bool | None = None
    # output
    yes: bool = False
    json: bool = False
    quiet: bool = False
    verbose: int = 0

    def with_(self, **changes: object) -> Options:
        return msgspec.structs.replace(self, **changes)
