"""Activation in real bash, zsh, fish and dash processes through ``naja shell hook``.

Each test builds fake prefixes (a tool in ``bin/``, ``conda-meta/state`` variables, activate.d and
deactivate.d scripts), runs a script in the shell that evals the hook, activates, dumps the
environment (with Python, so the dump is exact) and deactivates; the dumps are compared here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.activation import dump_cmd, make_prefix, naja_command, shell_env, shell_program

#: shells whose prompt activation leaves alone (fish, xonsh: CONDA_PROMPT_MODIFIER only)
NO_PS1 = ("fish", "csh", "xonsh")


def run_shell(shell: str, script: str, tmp: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    path = tmp / f"script.{shell}"
    path.write_text(script)
    proc = subprocess.run([*shell_program(shell), str(path)], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, f"{shell} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


def load(tmp: Path, label: str) -> dict[str, str]:
    return json.loads((tmp / f"{label}.json").read_text())


def q(shell: str, value: str) -> str:
    from naja.shell import quote

    return quote(shell, value)


def hook_line(shell: str) -> str:
    words = " ".join(q(shell, w) for w in naja_command())
    if shell == "fish":
        return f"{words} shell hook -s fish | source\n"
    if shell == "csh":
        return f'eval "`{words} shell hook -s csh`"\n'
    if shell == "xonsh":
        return f"execx($({words} shell hook -s xonsh), 'exec', __xonsh__.ctx, filename='hook')\n"
    return f'eval "$({words} shell hook -s {shell})"\n'


def dump(shell: str, label: str, tmp: Path) -> str:
    words = " ".join(q(shell, w) for w in dump_cmd(tmp / f"{label}.json"))
    if shell == "xonsh":
        return f"![{words}]\n"
    if shell in NO_PS1:
        return f"{words}\n"
    return f"{words}\nprintf '%s' \"${{PS1:-}}\" > {q(shell, str(tmp / (label + '.prompt')))}\n"


@pytest.fixture
def prefixes(tmp_path):
    root = tmp_path / "root prefix"
    (root / "conda-meta").mkdir(parents=True)
    (root / "conda-meta" / "history").touch()
    a = make_prefix(root / "envs" / "alpha env", "ALPHA", {"FOO": "foo from alpha", "CLOBBER": "alpha value"})
    b = make_prefix(tmp_path / "other place" / "beta", "BETA", {"BAR": "bar from beta", "CLOBBER": "beta"})
    return root, a, b


ALL = ["bash", "zsh", "fish", "posix", "csh", "xonsh"]


@pytest.mark.parametrize("shell", ALL)
def test_activate_deactivate_restores_everything(shell, tmp_path, prefixes):
    root, alpha, _ = prefixes
    env = shell_env(tmp_path, root)
    env["CLOBBER"] = "user value"
    setps1 = "" if shell in NO_PS1 else "PS1='user prompt$ '\n"
    script = (
        hook_line(shell) + setps1 + dump(shell, "before", tmp_path)
        + f"naja activate {q(shell, str(alpha))}\n" + dump(shell, "active", tmp_path)
        + f"ALPHA_tool > {q(shell, str(tmp_path / 'tool.txt'))}\n"
        + "naja deactivate\n" + dump(shell, "after", tmp_path)
    )
    run_shell(shell, script, tmp_path, env)
    before, active, after = load(tmp_path, "before"), load(tmp_path, "active"), load(tmp_path, "after")
    assert active["PATH"] == f"{alpha}/bin:{before['PATH']}"
    assert active["CONDA_PREFIX"] == str(alpha)
    assert active["CONDA_SHLVL"] == "1" and before["CONDA_SHLVL"] == "0"
    assert active["CONDA_DEFAULT_ENV"] == "alpha env"
    assert active["CONDA_PROMPT_MODIFIER"] == "(alpha env) "
    assert active["FOO"] == "foo from alpha"  # conda-meta/state
    assert active["CLOBBER"] == "alpha value"
    assert active["__CONDA_SHLVL_0_CLOBBER"] == "user value"
    assert active["ALPHA_ACTIVATED"] == "1:first 2:second"  # activate.d in sorted order
    assert (tmp_path / "tool.txt").read_text().strip() == "ALPHA tool ran"
    assert after == before  # exactly: PATH, CONDA_*, state variables, activate.d's variable
    assert after["CLOBBER"] == "user value" and "ALPHA_ACTIVATED" not in after
    if shell not in NO_PS1:
        assert (tmp_path / "active.prompt").read_text() == "(alpha env) user prompt$ "
        assert (tmp_path / "after.prompt").read_text() == "user prompt$ "


@pytest.mark.parametrize("shell", ALL)
def test_nested_and_stacked_activation(shell, tmp_path, prefixes):
    root, alpha, beta = prefixes
    env = shell_env(tmp_path, root)
    script = (
        hook_line(shell) + dump(shell, "before", tmp_path)
        + f"naja activate {q(shell, 'alpha env')}\n" + dump(shell, "a", tmp_path)
        + f"naja activate {q(shell, str(beta))}\n" + dump(shell, "ab", tmp_path)
        + "naja deactivate\n" + dump(shell, "a2", tmp_path)
        + f"naja activate --stack {q(shell, str(beta))}\n" + dump(shell, "stacked", tmp_path)
        + "naja deactivate\n" + dump(shell, "a3", tmp_path)
        + "naja deactivate\n" + dump(shell, "after", tmp_path)
    )
    run_shell(shell, script, tmp_path, env)
    before, a, ab = load(tmp_path, "before"), load(tmp_path, "a"), load(tmp_path, "ab")
    # a replacing activation swaps alpha's PATH entry for beta's and runs alpha's deactivate.d
    assert ab["PATH"] == f"{beta}/bin:{before['PATH']}"
    assert ab["CONDA_SHLVL"] == "2" and ab["CONDA_PREFIX_1"] == str(alpha) and ab["CONDA_PREFIX"] == str(beta)
    assert "ALPHA_ACTIVATED" not in ab and ab["BETA_ACTIVATED"] == "1:first 2:second"
    assert ab["CLOBBER"] == "beta" and ab["BAR"] == "bar from beta"
    assert "CONDA_STACKED_2" not in ab
    assert load(tmp_path, "a2") == a
    stacked = load(tmp_path, "stacked")
    assert stacked["PATH"] == f"{beta}/bin:{alpha}/bin:{before['PATH']}"
    assert stacked["CONDA_STACKED_2"] == "true"
    assert stacked["ALPHA_ACTIVATED"] == "1:first 2:second" and stacked["BETA_ACTIVATED"]
    assert load(tmp_path, "a3") == a
    assert load(tmp_path, "after") == before
    if shell not in NO_PS1:
        ps1 = (tmp_path / "before.prompt").read_text()  # the shell's default
        assert (tmp_path / "stacked.prompt").read_text() == f"({beta}) {ps1}"
        assert (tmp_path / "a.prompt").read_text() == f"(alpha env) {ps1}"
        assert (tmp_path / "after.prompt").read_text() == ps1


@pytest.mark.parametrize("shell", ["bash", "fish"])
def test_activate_by_name_base_and_missing_env(shell, tmp_path, prefixes):
    root, _, _ = prefixes
    env = shell_env(tmp_path, root)
    script = (
        hook_line(shell) + dump(shell, "before", tmp_path)
        + "naja activate\n" + dump(shell, "base", tmp_path)
        + "naja activate does-not-exist\n"
        + f"echo {'$status' if shell == 'fish' else '$?'} > {q(shell, str(tmp_path / 'rc.txt'))}\n"
        + dump(shell, "still", tmp_path)
        + "naja deactivate\n" + dump(shell, "after", tmp_path)
    )
    proc = run_shell(shell, script, tmp_path, env)
    base = load(tmp_path, "base")
    assert base["CONDA_PREFIX"] == str(root) and base["CONDA_DEFAULT_ENV"] == "base"
    assert (tmp_path / "rc.txt").read_text().strip() not in ("0", "")
    errors = [line for line in proc.stderr.splitlines() if "does-not-exist" in line]
    assert len(errors) == 1 and errors[0].startswith("error: ")
    assert load(tmp_path, "still") == base  # a failed activation changes nothing
    assert load(tmp_path, "after") == load(tmp_path, "before")


def test_env_config_vars_then_reactivate(tmp_path, prefixes):
    """``env config vars set/unset`` on the active env, then ``naja reactivate`` picks them up."""
    root, alpha, _ = prefixes
    env = shell_env(tmp_path, root)
    script = (
        hook_line("bash") + dump("bash", "before", tmp_path)
        + f"naja activate {q('bash', str(alpha))}\n"
        + "naja env config vars set NEWVAR=fresh\n"
        + "naja env config vars unset FOO\n"
        + "naja reactivate\n" + dump("bash", "re", tmp_path)
        + "naja deactivate\n" + dump("bash", "after", tmp_path)
    )
    run_shell("bash", script, tmp_path, env)
    re = load(tmp_path, "re")
    assert re["NEWVAR"] == "fresh" and "FOO" not in re and re["CONDA_SHLVL"] == "1"
    after = load(tmp_path, "after")
    assert after == load(tmp_path, "before")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish", "csh", "xonsh"])
def test_shell_init_is_idempotent_and_deinit_restores(shell, tmp_path, prefixes):
    from naja.shell import INIT_BEGIN, INIT_END

    root, alpha, _ = prefixes
    home = tmp_path / "home"
    home.mkdir()
    env = shell_env(tmp_path, root)
    env["HOME"] = str(home)
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("ZDOTDIR", None)
    rc = {"bash": home / ".bashrc", "zsh": home / ".zshrc", "fish": home / ".config" / "fish" / "config.fish",
          "csh": home / ".tcshrc", "xonsh": home / ".xonshrc"}[shell]
    rc.parent.mkdir(parents=True, exist_ok=True)
    original = "# my own settings\n" + {"csh": "setenv MY_SETTING 1\n", "xonsh": "$MY_SETTING = '1'\n",
                                          "fish": "set -gx MY_SETTING 1\n"}.get(shell, "export MY_SETTING=1\n")
    rc.write_text(original)
    naja = naja_command()
    for _ in range(2):
        out = subprocess.run([*naja, "shell", "init", "-s", shell, "-r", str(root)], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
    text = rc.read_text()
    assert text.startswith(original)
    assert text.count(INIT_BEGIN) == 1 and text.count(INIT_END) == 1
    # a new interactive-like shell that reads the rc file gets a working `naja activate`
    script_dir = tmp_path / "s"
    script_dir.mkdir()
    script = (f"source {q(shell, str(rc))}\n" + dump(shell, "before", script_dir)
              + f"naja activate {q(shell, str(alpha))}\n" + dump(shell, "active", script_dir))
    run_shell(shell, script, script_dir, env)
    assert load(script_dir, "active")["CONDA_PREFIX"] == str(alpha)
    assert load(script_dir, "before")["NAJA_ROOT_PREFIX"] == str(root)
    for _ in range(2):
        out = subprocess.run([*naja, "shell", "deinit", "-s", shell], env=env, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
    assert rc.read_text() == original


def test_activate_stub_without_hook_explains(tmp_path, prefixes):
    root, _, _ = prefixes
    out = subprocess.run([*naja_command(), "activate", "base"], env=shell_env(tmp_path, root),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "shell hook" in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_shell_activate_prints_script_for_each_shell(tmp_path, prefixes):
    root, alpha, _ = prefixes
    env = shell_env(tmp_path, root)
    for shell, marker in [("bash", "\\export CONDA_PREFIX="), ("fish", "set -gx CONDA_PREFIX "),
                          ("powershell", "$Env:CONDA_PREFIX = "), ("posix", "\\export CONDA_PREFIX=")]:
        out = subprocess.run([*naja_command(), "shell", "activate", "-p", str(alpha), "-s", shell], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert marker in out.stdout
        ext = {"fish": ".fish", "powershell": ".ps1"}.get(shell, ".sh")
        assert all(line.endswith(ext + "'") for line in out.stdout.splitlines() if "activate.d" in line)
    out = subprocess.run([*naja_command(), "shell", "activate", "-n", "nope", "-s", "bash"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "nope" in out.stderr
    out = subprocess.run([*naja_command(), "shell", "hook", "-s", "klingon"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode != 0 and "unsupported shell" in out.stderr


def test_sys_executable_fallback_hook(tmp_path, prefixes):
    """A naja started as ``python -m naja`` writes a hook calling ``python -m naja``."""
    root, alpha, _ = prefixes
    env = shell_env(tmp_path, root)
    out = subprocess.run([sys.executable, "-m", "naja", "shell", "hook", "-s", "bash"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"'{sys.executable}' '-m' 'naja'" in out.stdout
    assert "NAJA_EXE" not in out.stdout
    assert os.path.isdir(alpha)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_hook_guesses_the_calling_shell(shell, tmp_path, prefixes):
    root, _, _ = prefixes
    words = " ".join(q(shell, w) for w in naja_command())
    proc = run_shell(shell, f"{words} shell hook\ntrue\n", tmp_path, shell_env(tmp_path, root))
    marker = "shell $argv --shell fish" if shell == "fish" else f"--shell {shell})"
    assert marker in proc.stdout


def test_bash_nounset_and_prefix_already_on_path(tmp_path, prefixes):
    """``set -u`` scripts can use the hook; a PATH that already holds the env keeps its own entry."""
    root, alpha, _ = prefixes
    env = shell_env(tmp_path, root)
    env["PATH"] = f"/first:{alpha}/bin:{env['PATH']}"
    script = ("set -eu\n" + hook_line("bash") + dump("bash", "before", tmp_path)
              + f"naja activate {q('bash', str(alpha))}\n" + dump("bash", "active", tmp_path)
              + "naja deactivate\n" + dump("bash", "after", tmp_path))
    run_shell("bash", script, tmp_path, env)
    before = load(tmp_path, "before")
    assert load(tmp_path, "active")["PATH"] == f"{alpha}/bin:{before['PATH']}"
    assert load(tmp_path, "after") == before


def test_bare_naja_shell_starts_a_shell_in_the_env(tmp_path, prefixes):
    root, alpha, _ = prefixes
    out = subprocess.run([*naja_command(), "shell", "-n", "alpha env", "-s", "bash"],
                         input='echo "$CONDA_PREFIX|$ALPHA_ACTIVATED|$FOO"; exit 4\n',
                         env=shell_env(tmp_path, root), capture_output=True, text=True, timeout=60)
    assert out.returncode == 4
    assert out.stdout.strip() == f"{alpha}|1:first 2:second|foo from alpha"
