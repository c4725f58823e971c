"""Activation for every shell naja supports, as micromamba does it.

* :mod:`naja.shell.transitions`: the pure core, activate/deactivate/reactivate as a ``Transition``;
* :mod:`naja.shell.shells`: one class per shell family (quoting, export/unset, source, hook text,
  rc-file block, root-prefix files) on the small ``Shell`` protocol;
* :mod:`naja.shell.scripts`: what ``naja shell hook|activate|deactivate|reactivate`` print;
* :mod:`naja.shell.init`: ``shell init|deinit`` (rc files and the files under the root prefix);
* :mod:`naja.shell.run`: ``naja run`` and the ``naja ps`` process registry;
* :mod:`naja.shell.portable`: activation scripts written into a prefix, for images without naja;
* :mod:`naja.shell.settings`: settings, prefix resolution and a prefix's own variables.

The command line reaches these through :mod:`naja.api.shell`.
"""

from __future__ import annotations

from naja.errors import (
    ActivationError,
    CommandNotExecutableError,
    CommandNotFoundError,
    ConfigError,
    PrefixError,
)
from naja.shell.init import init_block, rc_file, shell_deinit, shell_init
from naja.shell.run import parse_attach, parse_env_assignments, run_in_env
from naja.shell.scripts import activate, deactivate, hook, reactivate, self_command
from naja.shell.settings import (
    DEFAULT_ENV_PROMPT,
    UNSET_MARKER,
    Settings,
    environment_env_vars,
    list_env_vars,
    load_settings,
    resolve_prefix,
    set_env_vars,
    unset_env_vars,
)
from naja.shell.shells import (
    INIT_BEGIN,
    INIT_END,
    SHELLS,
    Shell,
    get_shell,
    guess_shell,
    normalize_shell,
    quote,
    render,
)
from naja.shell.transitions import Transition, build_activate, build_deactivate, build_reactivate, path_dirs

__all__ = [
    "DEFAULT_ENV_PROMPT", "INIT_BEGIN", "INIT_END", "SHELLS", "UNSET_MARKER", "ActivationError",
    "CommandNotExecutableError", "CommandNotFoundError", "ConfigError", "PrefixError", "Settings", "Shell",
    "Transition", "activate", "build_activate", "build_deactivate", "build_reactivate", "deactivate",
    "environment_env_vars", "get_shell", "guess_shell", "hook", "init_block", "list_env_vars", "load_settings",
    "normalize_shell", "parse_attach", "parse_env_assignments", "path_dirs", "quote", "rc_file", "reactivate",
    "render", "resolve_prefix", "run_in_env", "self_command", "set_env_vars", "shell_deinit", "shell_init",
    "unset_env_vars",
]
