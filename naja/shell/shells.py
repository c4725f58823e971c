"""One class per shell family on a small protocol (like rattler_shell's ``Shell`` trait): how to quote,
export, unset and source, the hook text, the rc-file block and the files ``shell init`` writes under
the root prefix. Everything here returns text; nothing writes.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Protocol

from naja.errors import ActivationError
from naja.shell import hooks
from naja.shell.transitions import Transition

INIT_BEGIN = "# >>> naja initialize >>>"
INIT_END = "# <<< naja initialize <<<"
_MANAGED = "# !! Contents within this block are managed by 'naja shell init' !!"


class Shell(Protocol):
    """What activation needs to know about a shell. Its attributes are read-only here, so a class
    constant (``prompt_var = "PS1"``) or an instance attribute (``Posix``'s name) both provide them."""

    @property
    def name(self) -> str: ...
    @property
    def extension(self) -> str: ...  # of the activate.d/deactivate.d scripts it sources
    @property
    def prompt_var(self) -> str | None: ...  # the shell variable holding the prompt, when activation edits it

    def quote(self, value: str) -> str: ...
    def export(self, name: str, value: str) -> str: ...
    def unset(self, name: str) -> str: ...
    def source(self, path: str) -> str: ...
    def script(self, t: Transition, *, windows: bool = False) -> str: ...
    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str: ...
    def rc_file(self, home: Path) -> Path | None: ...
    def rc_block(self, exe: Sequence[str], root_prefix: str) -> str: ...
    def root_files(self, exe: Sequence[str], root_prefix: str) -> dict[str, str]: ...
    def prepend_path(self, directories: Sequence[str]) -> str: ...


class _Base:
    """Shared rendering: deactivate.d, unset, prompt, export, activate.d (conda's order)."""

    name: str  # per instance: ``Posix`` serves bash, zsh and posix
    extension: ClassVar[str]
    prompt_var: ClassVar[str | None] = None

    def quote(self, value: str) -> str:
        return "'" + value.replace("'", "'\\''") + "'"

    def export(self, name: str, value: str) -> str:
        raise NotImplementedError

    def unset(self, name: str) -> str:
        raise NotImplementedError

    def source(self, path: str) -> str:
        return f". {self.quote(path)}"

    def set_prompt(self, value: str) -> str | None:
        return None

    def script(self, t: Transition, *, windows: bool = False) -> str:
        lines = [self.source(os.fspath(s)) for s in t.deactivate_scripts]
        lines += [self.unset(name) for name in t.unset]
        prompt = self.set_prompt(t.prompt) if t.prompt is not None else None
        if prompt:
            lines.append(prompt)
        lines += [self.export(name, value) for name, value in t.export.items()]
        lines += [self.source(os.fspath(s)) for s in t.activate_scripts]
        return "".join(line + "\n" for line in lines)

    def exe_text(self, exe: Sequence[str]) -> str:
        return " ".join(self.quote(w) for w in exe)

    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str:
        raise NotImplementedError

    def rc_file(self, home: Path) -> Path | None:
        return None

    def rc_block(self, exe: Sequence[str], root_prefix: str) -> str:
        raise ActivationError(f"'naja shell init' does not support {self.name}")

    def root_files(self, exe: Sequence[str], root_prefix: str) -> dict[str, str]:
        return {}

    def prepend_path(self, directories: Sequence[str]) -> str:
        raise ActivationError(f"no standalone activation script for {self.name}")

    def _block(self, lines: Sequence[str]) -> str:
        return "\n".join([INIT_BEGIN, _MANAGED, *lines, INIT_END]) + "\n"


class Posix(_Base):
    """bash, zsh and POSIX sh (dash, ash, ksh): one class, the name picks the rc file and completion."""

    extension = ".sh"
    prompt_var = "PS1"

    def __init__(self, name: str) -> None:
        self.name = name

    def export(self, name: str, value: str) -> str:
        return f"\\export {name}={self.quote(value)}"

    def unset(self, name: str) -> str:
        return f"\\unset {name}"

    def set_prompt(self, value: str) -> str | None:
        return f"PS1={self.quote(value)}"

    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str:
        head = []
        if len(exe) == 1:
            head.append(f"\\export NAJA_EXE={self.quote(exe[0])} ;")
        if root_prefix is not None:
            head.append(f"\\export NAJA_ROOT_PREFIX={self.quote(root_prefix)} ;")
        body = hooks.POSIX.format(exe=self.exe_text(exe), shell=self.name)
        if self.name == "bash":
            body += hooks.BASH_COMPLETION
        elif self.name == "zsh":
            body += hooks.ZSH_COMPLETION
        return "".join(line + "\n" for line in head) + body

    def rc_file(self, home: Path) -> Path | None:
        if self.name == "bash":
            return home / (".bash_profile" if sys.platform in ("darwin", "win32") else ".bashrc")
        if self.name == "zsh":
            zdotdir = os.environ.get("ZDOTDIR")
            return (Path(zdotdir) if zdotdir else home) / ".zshrc"
        return home / ".profile"

    def rc_block(self, exe: Sequence[str], root_prefix: str) -> str:
        exe_text = self.exe_text(exe)
        lines = [f"export NAJA_EXE={self.quote(exe[0])}"] if len(exe) == 1 else []
        lines += [
            f"export NAJA_ROOT_PREFIX={self.quote(root_prefix)}",
            f'__naja_setup="$({exe_text} shell hook --shell {self.name} --root-prefix "$NAJA_ROOT_PREFIX" 2> /dev/null)"',
            "if [ $? -eq 0 ]; then",
            '    eval "$__naja_setup"',
            "else",
            f"    alias naja={self.quote(exe_text)}  # fall back on the executable (naja activate then explains)",
            "fi",
            "unset __naja_setup",
        ]
        return self._block(lines)

    def root_files(self, exe: Sequence[str], root_prefix: str) -> dict[str, str]:
        text = Posix("posix").hook(exe, root_prefix=root_prefix, changeps1=True)
        return {"etc/profile.d/mamba.sh": text}

    def prepend_path(self, directories: Sequence[str]) -> str:
        joined = self.quote(":".join(directories))
        return f'\\export PATH={joined}"${{PATH:+:${{PATH}}}}"'


class Fish(_Base):
    name = "fish"
    extension = ".fish"

    def quote(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def export(self, name: str, value: str) -> str:
        if name == "PATH":
            return f"set -gx PATH {' '.join(self.quote(p) for p in value.split(':') if p)}".rstrip()
        return f"set -gx {name} {self.quote(value)}"

    def unset(self, name: str) -> str:
        return f"set -e {name}"

    def source(self, path: str) -> str:
        return f"source {self.quote(path)}"

    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str:
        head = [f"set -gx NAJA_EXE {self.quote(exe[0])}"] if len(exe) == 1 else []
        if root_prefix is not None:
            head.append(f"set -gx NAJA_ROOT_PREFIX {self.quote(root_prefix)}")
        body = hooks.FISH.format(exe=self.exe_text(exe)) + (hooks.FISH_PROMPT if changeps1 else "")
        return "".join(line + "\n" for line in head) + "\n" + body

    def rc_file(self, home: Path) -> Path | None:
        xdg = os.environ.get("XDG_CONFIG_HOME")
        return (Path(xdg) if xdg else home / ".config") / "fish" / "config.fish"

    def rc_block(self, exe: Sequence[str], root_prefix: str) -> str:
        return self._block([
            f"set -gx NAJA_ROOT_PREFIX {self.quote(root_prefix)}",
            f"{self.exe_text(exe)} shell hook --shell fish --root-prefix $NAJA_ROOT_PREFIX | source",
        ])

    def root_files(self, exe: Sequence[str], root_prefix: str) -> dict[str, str]:
        return {"etc/fish/conf.d/mamba.fish": self.hook(exe, root_prefix=root_prefix, changeps1=True)}

    def prepend_path(self, directories: Sequence[str]) -> str:
        return f"set -gx PATH {' '.join(self.quote(d) for d in directories)} $PATH"


class PowerShell(_Base):
    name = "powershell"
    extension = ".ps1"

    def quote(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def export(self, name: str, value: str) -> str:
        return f"$Env:{name} = {self.quote(value)}"

    def unset(self, name: str) -> str:
        return f"Remove-Item -ErrorAction SilentlyContinue Env:\\{name}"

    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str:
        head = [f"$Env:NAJA_EXE = {self.quote(exe[0])}"] if len(exe) == 1 else []
        if root_prefix is not None:
            head.append(f"$Env:NAJA_ROOT_PREFIX = {self.quote(root_prefix)}")
        body = hooks.POWERSHELL.format(exe=self.exe_text(exe)) + (hooks.POWERSHELL_PROMPT if changeps1 else "")
        return "".join(line + "\n" for line in head) + "\n" + body

    def rc_file(self, home: Path) -> Path | None:
        if sys.platform == "win32":
            return home / "Documents" / "PowerShell" / "Microsoft.PowerShell_profile.ps1"
        return home / ".config" / "powershell" / "Microsoft.PowerShell_profile.ps1"

    def rc_block(self, exe: Sequence[str], root_prefix: str) -> str:
        return self._block([
            f"$Env:NAJA_ROOT_PREFIX = {self.quote(root_prefix)}",
            f"(& {self.exe_text(exe)} shell hook --shell powershell --root-prefix $Env:NAJA_ROOT_PREFIX) "
            "-join \"`n\" | Out-String | Invoke-Expression",
        ])

    def root_files(self, exe: Sequence[str], root_prefix: str) -> dict[str, str]:
        hook = self.hook(exe, root_prefix=root_prefix, changeps1=True)
        module = hook + "\nExport-ModuleMember -Function 'naja', '__naja_exe', '__naja_xctivate', 'prompt'\n"
        return {"condabin/mamba_hook.ps1": hook, "condabin/Mamba.psm1": module}

    def prepend_path(self, directories: Sequence[str]) -> str:
        joined = " + [IO.Path]::PathSeparator + ".join(self.quote(d) for d in directories)
        return f"$Env:PATH = {joined} + [IO.Path]::PathSeparator + $Env:PATH"


class Csh(_Base):
    """csh and tcsh: statements end in ';' so that ``eval "`naja shell ...`"`` (which joins the lines)
    runs them too; the hook itself sources them from a file."""

    name = "csh"
    extension = ".csh"

    def export(self, name: str, value: str) -> str:
        return f"setenv {name} {self.quote(value)};"

    def unset(self, name: str) -> str:
        return f"unsetenv {name};"

    def source(self, path: str) -> str:
        return f"source {self.quote(path)};"

    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str:
        head = [f"setenv NAJA_EXE {self.quote(exe[0])};"] if len(exe) == 1 else []
        if root_prefix is not None:
            head.append(f"setenv NAJA_ROOT_PREFIX {self.quote(root_prefix)};")
        words = " ".join('"' + w.replace('"', "") + '"' for w in exe)  # inside the alias's single quotes
        return "".join(line + "\n" for line in head) + hooks.CSH.format(exe=words)

    def rc_file(self, home: Path) -> Path | None:
        return home / ".tcshrc"

    def rc_block(self, exe: Sequence[str], root_prefix: str) -> str:
        return self._block([
            *([f"setenv NAJA_EXE {self.quote(exe[0])};"] if len(exe) == 1 else []),
            f"setenv NAJA_ROOT_PREFIX {self.quote(root_prefix)};",
            'source "$NAJA_ROOT_PREFIX/etc/profile.d/mamba.csh";',
        ])

    def root_files(self, exe: Sequence[str], root_prefix: str) -> dict[str, str]:
        return {"etc/profile.d/mamba.csh": self.hook(exe, root_prefix=root_prefix, changeps1=True)}

    def prepend_path(self, directories: Sequence[str]) -> str:
        joined = self.quote(":".join(directories))
        return (f'if ($?PATH) then\n    setenv PATH {joined}":$PATH"\nelse\n    setenv PATH {joined}\nendif')


class Xonsh(_Base):
    """xonsh: Python literals; activate.d scripts are the ``.sh`` ones, run through ``source-bash``."""

    name = "xonsh"
    extension = ".sh"

    def quote(self, value: str) -> str:
        return repr(value)

    def export(self, name: str, value: str) -> str:
        return f"${name} = {self.quote(value)}"

    def unset(self, name: str) -> str:
        return f"del ${name}"

    def source(self, path: str) -> str:
        return f"source-bash --suppress-skip-message {self.quote(path)}"

    def script(self, t: Transition, *, windows: bool = False) -> str:
        text = super().script(t, windows=windows)
        if t.activate_scripts or t.deactivate_scripts:  # source-bash brings back bash's `$_` too
            text += "__xonsh__.env.pop('_', None)\n"
        return text

    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str:
        head = [f"$NAJA_EXE = {self.quote(exe[0])}"] if len(exe) == 1 else []
        if root_prefix is not None:
            head.append(f"$NAJA_ROOT_PREFIX = {self.quote(root_prefix)}")
        body = hooks.XONSH.replace("{exe_words}", repr(list(exe)))
        return "".join(line + "\n" for line in head) + body

    def rc_file(self, home: Path) -> Path | None:
        return home / ".xonshrc"

    def rc_block(self, exe: Sequence[str], root_prefix: str) -> str:
        return self._block([
            f"$NAJA_ROOT_PREFIX = {self.quote(root_prefix)}",
            f"execx($(@({list(exe)!r}) shell hook --shell xonsh --root-prefix $NAJA_ROOT_PREFIX), "
            "'exec', __xonsh__.ctx, filename='naja shell hook')",
        ])

    def root_files(self, exe: Sequence[str], root_prefix: str) -> dict[str, str]:
        return {"etc/profile.d/mamba.xsh": self.hook(exe, root_prefix=root_prefix, changeps1=True)}

    def prepend_path(self, directories: Sequence[str]) -> str:
        return "".join(f"$PATH.insert({i}, {self.quote(d)})\n" for i, d in enumerate(directories)).rstrip("\n")


class Nu(_Base):
    """nushell evaluates no generated code: activation is a JSON record the config.nu commands load."""

    name = "nu"
    extension = ".nu"

    def quote(self, value: str) -> str:
        return json.dumps(value, ensure_ascii=False)

    def script(self, t: Transition, *, windows: bool = False) -> str:
        record: dict[str, object] = {name: None for name in t.unset}
        for name, value in t.export.items():
            record[name] = [p for p in value.split(";" if windows else ":") if p] if name == "PATH" else value
        return json.dumps(record, ensure_ascii=False) + "\n"

    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str:
        head = [f"$env.NAJA_EXE = {self.quote(exe[0])}"] if len(exe) == 1 else []
        if root_prefix is not None:
            head.append(f"$env.NAJA_ROOT_PREFIX = {self.quote(root_prefix)}")
        exe_text = " ".join(self.quote(w) for w in exe)
        return "".join(line + "\n" for line in head) + hooks.NU.format(exe=exe_text)

    def rc_file(self, home: Path) -> Path | None:
        return home / ".config" / "nushell" / "config.nu"

    def rc_block(self, exe: Sequence[str], root_prefix: str) -> str:
        return self._block(self.hook(exe, root_prefix=root_prefix, changeps1=True).rstrip("\n").split("\n"))


class CmdExe(_Base):
    """cmd.exe: the activation is a temporary .bat file whose path ``shell activate`` prints; the
    ``naja`` macro and its helpers are files under ``<root>/condabin`` (``shell hook``/``init``)."""

    name = "cmd.exe"
    extension = ".bat"

    def quote(self, value: str) -> str:
        return '"' + value.replace('"', "") + '"'

    def export(self, name: str, value: str) -> str:
        return f'@SET "{name}={value}"'

    def unset(self, name: str) -> str:
        return f"@SET {name}="

    def source(self, path: str) -> str:
        return f"@CALL {self.quote(path)}"

    def hook(self, exe: Sequence[str], *, root_prefix: str | None, changeps1: bool) -> str:
        return ""  # micromamba prints nothing: the hook is condabin/mamba_hook.bat, written by init

    def prepend_path(self, directories: Sequence[str]) -> str:
        return f'@SET "PATH={";".join(directories)};%PATH%"'

    def root_files(self, exe: Sequence[str], root_prefix: str) -> dict[str, str]:
        words = self.exe_text(exe)
        return {
            "condabin/naja.bat": hooks.CMD_MAIN_BAT.format(exe=words),
            "condabin/_naja_activate.bat": hooks.CMD_ACTIVATE_HELPER_BAT.format(exe=words),
            "condabin/mamba_hook.bat": hooks.CMD_HOOK_BAT.format(root=root_prefix),
            "condabin/activate.bat": hooks.CMD_CONDABIN_ACTIVATE_BAT,
            "Scripts/activate.bat": hooks.CMD_SCRIPTS_ACTIVATE_BAT,
        }


_SHELLS: dict[str, Shell] = {
    "bash": Posix("bash"), "zsh": Posix("zsh"), "posix": Posix("posix"), "fish": Fish(),
    "powershell": PowerShell(), "xonsh": Xonsh(), "csh": Csh(), "nu": Nu(), "cmd.exe": CmdExe(),
}
SHELLS = tuple(_SHELLS)
_ALIASES = {"sh": "posix", "dash": "posix", "ash": "posix", "ksh": "posix", "pwsh": "powershell",
            "tcsh": "csh", "cmd": "cmd.exe", "nushell": "nu"}


def normalize_shell(shell: str) -> str:
    """The canonical name of ``shell`` (a name or a path; ``dash``, ``tcsh``, ``pwsh``... accepted)."""
    name = os.path.basename(shell.strip()).lower()
    if name != "cmd.exe":
        name = name.removesuffix(".exe")
    name = _ALIASES.get(name, name)
    if name not in _SHELLS:
        raise ActivationError(f"unsupported shell '{shell}' (naja supports {', '.join(SHELLS)}, "
                              "and dash, tcsh, pwsh)")
    return name


def get_shell(shell: str) -> Shell:
    return _SHELLS[normalize_shell(shell)]


def guess_shell() -> str:
    """The shell naja was started from: the parent process, else ``$SHELL``."""
    candidates: list[str] = []
    try:
        candidates.append(Path(f"/proc/{os.getppid()}/comm").read_text().strip())
    except OSError:
        pass
    candidates.append(os.environ.get("SHELL", ""))
    for candidate in candidates:
        if not candidate:
            continue
        try:
            return normalize_shell(candidate.lstrip("-"))
        except ActivationError:
            continue
    raise ActivationError(f"cannot tell which shell this is; pass -s/--shell ({', '.join(SHELLS)})")


def quote(shell: str, value: str) -> str:
    """Quote one word for ``shell``."""
    return get_shell(shell).quote(value)


def render(t: Transition, shell: str, *, windows: bool = False) -> str:
    """Shell code performing the transition."""
    return get_shell(shell).script(t, windows=windows)
