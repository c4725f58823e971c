"""micromamba compatibility of ``naja shell`` (issue 19): unquoted hooks, ``hook --json``, options
on either side of the subcommand, the files ``shell init -r R`` writes under the root prefix, every
shell's activation (real shells where installed; nu, PowerShell and cmd.exe by the variables and
paths their code sets), tab completion, and scripts that activate a prefix without naja."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.activation import make_prefix, naja_command, shell_env, shell_program


def naja(env: dict[str, str], *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    out = subprocess.run([*naja_command(), *args], env=env, capture_output=True, text=True, timeout=60)
    if ok:
        assert out.returncode == 0, out.stderr
    return out


@pytest.fixture
def world(tmp_path):
    """A root prefix with env ``alpha``, a HOME, and an environment for naja pointing at both."""
    root = tmp_path / "root"
    (root / "conda-meta").mkdir(parents=True)
    alpha = make_prefix(root / "envs" / "alpha", "ALPHA", {"FOO": "foo from alpha"})
    home = tmp_path / "home"
    home.mkdir()
    env = shell_env(tmp_path, root)
    env["HOME"] = str(home)
    for name in ("XDG_CONFIG_HOME", "ZDOTDIR"):
        env.pop(name, None)
    return root, alpha, home, env


# --- hooks --------------------------------------------------------------------------------------


@pytest.mark.parametrize("program,flag", [("dash", "dash"), ("dash", "posix"), ("bash", "bash"), ("zsh", "zsh")])
def test_hook_survives_unquoted_eval(program, flag, world, tmp_path):
    """``eval $(naja shell hook -s dash)``: word splitting joins the hook's lines and globs its words."""
    _, alpha, _, env = world
    shell_program({"dash": "posix"}.get(program, program))
    (tmp_path / "cwd").mkdir()
    for name in ("a", "ab", "[x]"):  # files a stray glob in the hook would match
        (tmp_path / "cwd" / name).touch()
    words = " ".join(f"'{w}'" for w in naja_command())
    script = (f"eval $({words} shell hook -s {flag})\n"
              'echo "level=$CONDA_SHLVL"\n'
              "naja activate alpha\n"
              'echo "prefix=$CONDA_PREFIX level=$CONDA_SHLVL act=$ALPHA_ACTIVATED foo=$FOO"\n'
              "ALPHA_tool\n"
              "naja deactivate\n"
              'echo "after=${CONDA_PREFIX:-none} level=$CONDA_SHLVL"\n')
    argv = [program, "-f", "-c", script] if program == "zsh" else [program, "-c", script]
    out = subprocess.run(argv, env=env, cwd=tmp_path / "cwd", capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "level=0", f"prefix={alpha} level=1 act=1:first 2:second foo=foo from alpha", "ALPHA tool ran",
        "after=none level=0"]


def test_hook_json_and_options_before_or_after_the_subcommand(world):
    _, _, home, env = world
    doc = json.loads(naja(env, "shell", "hook", "-s", "bash", "--json").stdout)
    assert doc["operation"] == "shell_hook" and doc["context"] == {"shell_type": "bash"}
    assert "naja()" in doc["actions"]["print"]
    assert json.loads(naja(env, "shell", "--json", "-s", "zsh", "hook").stdout)["context"]["shell_type"] == "zsh"
    r1, r2 = home / "r1", home / "r2"
    naja(env, "shell", "-y", "init", "-s", "bash", "-r", str(r1))
    assert (r1 / "etc" / "profile.d" / "mamba.sh").is_file()
    assert f"NAJA_ROOT_PREFIX='{r1}'" in (home / ".bashrc").read_text()
    naja(env, "shell", "init", "-s", "bash", "-r", str(r2), "-y")
    assert (r2 / "etc" / "profile.d" / "mamba.sh").is_file()
    assert f"NAJA_ROOT_PREFIX='{r2}'" in (home / ".bashrc").read_text()
    naja(env, "shell", "-s", "bash", "-r", str(r2), "deinit")
    assert not (r2 / "etc").exists() and "naja initialize" not in (home / ".bashrc").read_text()


# --- shell init -r R: what micromamba writes -------------------------------------------------------


@pytest.mark.parametrize("shell,rc,files", [
    ("bash", ".bashrc", ["etc/profile.d/mamba.sh"]),
    ("zsh", ".zshrc", ["etc/profile.d/mamba.sh"]),
    ("posix", ".profile", ["etc/profile.d/mamba.sh"]),
    ("csh", ".tcshrc", ["etc/profile.d/mamba.csh"]),
    ("xonsh", ".xonshrc", ["etc/profile.d/mamba.xsh"]),
    ("fish", ".config/fish/config.fish", ["etc/fish/conf.d/mamba.fish"]),
    ("powershell", ".config/powershell/Microsoft.PowerShell_profile.ps1",
     ["condabin/mamba_hook.ps1", "condabin/Mamba.psm1"]),
    ("nu", ".config/nushell/config.nu", []),
])
def test_init_writes_rc_block_and_root_prefix_files(shell, rc, files, world, tmp_path):
    _, _, home, env = world
    root = tmp_path / "new root"
    naja(env, "shell", "init", "-s", shell, "-r", str(root))
    assert (root / "conda-meta").is_dir()  # a new root prefix, as micromamba creates it
    written = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert written == sorted(files)
    for rel in files:
        assert "naja" in (root / rel).read_text()
    text = (home / rc).read_text()
    assert "# >>> naja initialize >>>" in text and str(root) in text
    naja(env, "shell", "deinit", "-s", shell, "-r", str(root))
    assert not any(p.is_file() for p in root.rglob("*"))
    assert "naja initialize" not in (home / rc).read_text()


def test_tcsh_rc_block_sources_mamba_csh(world, tmp_path):
    """``.tcshrc`` sources ``$NAJA_ROOT_PREFIX/etc/profile.d/mamba.csh`` (as micromamba's block does)."""
    root, alpha, home, env = world
    shell_program("csh")
    naja(env, "shell", "init", "-s", "tcsh", "-r", str(root))
    assert 'source "$NAJA_ROOT_PREFIX/etc/profile.d/mamba.csh"' in (home / ".tcshrc").read_text()
    script = tmp_path / "s.csh"
    script.write_text(f"source {home}/.tcshrc\nnaja activate alpha\nprintenv CONDA_PREFIX\nprintenv FOO\n"
                      "naja activate nope\necho status=$status\n")
    out = subprocess.run(["tcsh", "-f", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines() == [str(alpha), "foo from alpha", "status=1"], out.stderr


def test_cmd_exe_files_and_activation(world, tmp_path):
    root, alpha, _, env = world
    (alpha / "etc" / "conda" / "activate.d" / "z.bat").write_text("@SET ZED=1\n")
    out = naja(env, "shell", "init", "-s", "cmd.exe", "-r", str(root), ok=False)
    assert out.returncode == 1 and "Windows" in out.stderr  # no AutoRun registry here: as micromamba
    condabin = root / "condabin"
    assert sorted(p.name for p in condabin.iterdir()) == ["_naja_activate.bat", "activate.bat",
                                                          "mamba_hook.bat", "naja.bat"]
    assert (root / "Scripts" / "activate.bat").is_file()
    exe = naja_command()[0]
    assert exe in (condabin / "naja.bat").read_text()
    assert "--shell cmd.exe" in (condabin / "_naja_activate.bat").read_text()
    assert 'DOSKEY naja="%__naja_condabin%\\naja.bat"' in (condabin / "mamba_hook.bat").read_text()
    assert naja(env, "shell", "hook", "-s", "cmd.exe").stdout == ""  # micromamba prints nothing either
    # `shell activate -s cmd.exe` prints the path of a .bat file holding the activation
    path = Path(naja(env, "shell", "activate", "-s", "cmd.exe", "alpha").stdout.strip())
    try:
        lines = path.read_text().splitlines()
    finally:
        path.unlink()
    assert path.suffix == ".bat"
    sets = dict(line[len('@SET "'):-1].split("=", 1) for line in lines if line.startswith('@SET "'))
    assert sets["CONDA_PREFIX"] == str(alpha) and sets["CONDA_SHLVL"] == "1" and sets["FOO"] == "foo from alpha"
    assert sets["PATH"].split(":")[0] == f"{alpha}/bin"
    assert lines[-1] == f'@CALL "{alpha}/etc/conda/activate.d/z.bat"'


def test_nu_activation_is_a_record_and_config_defines_commands(world):
    root, alpha, home, env = world
    env["PATH"] = f"/usr/bin:{env['PATH']}"
    record = json.loads(naja(env, "shell", "activate", "-s", "nu", "alpha").stdout)
    assert record["PATH"][0] == f"{alpha}/bin" and record["PATH"][1:] == env["PATH"].split(":")
    assert record["CONDA_PREFIX"] == str(alpha) and record["CONDA_SHLVL"] == "1"
    assert record["FOO"] == "foo from alpha"
    active = dict(env, CONDA_PREFIX=str(alpha), CONDA_SHLVL="1", FOO="foo from alpha",
                  PATH=os.pathsep.join(record["PATH"]))
    record = json.loads(naja(active, "shell", "deactivate", "-s", "nu").stdout)
    assert record["CONDA_PREFIX"] is None and record["FOO"] is None and record["CONDA_SHLVL"] == "0"
    assert record["PATH"] == env["PATH"].split(":")
    naja(env, "shell", "init", "-s", "nu", "-r", str(root))
    config = (home / ".config" / "nushell" / "config.nu").read_text()
    assert 'def --env "naja activate"' in config and 'def --env "naja deactivate"' in config
    assert "shell activate --shell nu" in config and f'$env.NAJA_ROOT_PREFIX = "{root}"' in config


def test_powershell_activation_sets_variables_and_paths(world):
    _, alpha, _, env = world
    (alpha / "etc" / "conda" / "activate.d" / "p.ps1").write_text("$Env:PS_ACT = '1'\n")
    out = naja(env, "shell", "activate", "-s", "pwsh", "alpha").stdout.splitlines()
    sets = {}
    for line in out:
        if line.startswith("$Env:"):
            name, value = line[len("$Env:"):].split(" = ", 1)
            assert value.startswith("'") and value.endswith("'")
            sets[name] = value[1:-1].replace("''", "'")
    assert sets["CONDA_PREFIX"] == str(alpha) and sets["FOO"] == "foo from alpha"
    assert sets["PATH"] == f"{alpha}/bin:{env['PATH']}"
    assert out[-1] == f". '{alpha}/etc/conda/activate.d/p.ps1'"
    hook = naja(env, "shell", "hook", "-s", "powershell").stdout
    assert "function global:naja" in hook and "Register-ArgumentCompleter" in hook
    assert hook.count("{") == hook.count("}")


# --- activation state ---------------------------------------------------------------------------


def test_conda_prefix_exported_even_when_unchanged(world):
    """A shell whose CONDA_PREFIX already names the env (set by hand, CONDA_SHLVL 0) still gets it."""
    _, alpha, _, env = world
    env.update(CONDA_PREFIX=str(alpha), CONDA_SHLVL="0")
    out = naja(env, "shell", "activate", "-s", "bash", "alpha").stdout
    assert f"\\export CONDA_PREFIX='{alpha}'" in out.splitlines()
    env.update(CONDA_SHLVL="1", PATH=f"{alpha}/bin:{env['PATH']}")  # active: a reactivation
    out = naja(env, "shell", "activate", "-s", "bash", "alpha").stdout.splitlines()
    assert f"\\export CONDA_PREFIX='{alpha}'" in out and "\\export CONDA_SHLVL='1'" in out


# --- completion ---------------------------------------------------------------------------------


def test_completer_answers_like_micromamba(world):
    root, _, _, env = world
    (root / "envs" / "alphabet" / "conda-meta").mkdir(parents=True)

    def complete(*words: str) -> list[str]:
        return naja(env, "completer", *words).stdout.split()

    assert complete("cr") == ["create"]
    assert "shell" in complete("s") and "search" in complete("s")
    assert complete("shell", "in") == ["init"]
    assert complete("create", "--dry") == ["--dry-run"]
    assert complete("run", "-d") == ["-d"]
    assert complete("activate", "-n", "alp") == ["alpha", "alphabet"]
    assert complete("-") == []


def test_bash_zsh_and_fish_completion_through_the_hook(world):
    _, _, _, env = world
    words = " ".join(f"'{w}'" for w in naja_command())
    script = (f'eval "$({words} shell hook -s bash)"\n'
              "COMP_WORDS=(naja she); COMP_CWORD=1; _naja_bash_completions; echo \"${COMPREPLY[@]}\"\n"
              "COMP_WORDS=(naja shell ho); COMP_CWORD=2; _naja_bash_completions; echo \"${COMPREPLY[@]}\"\n")
    out = subprocess.run(["bash", "--norc", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines() == ["shell", "hook"], out.stderr
    shell_program("zsh")
    script = (f'eval "$({words} shell hook -s zsh)"; COMP_LINE="naja shell ho"; _naja_zsh_completions; '
              'echo "$COMPREPLY"')
    out = subprocess.run(["zsh", "-f", "-i", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.splitlines()[-1] == "hook", out.stderr
    shell_program("fish")
    script = f"{words} shell hook -s fish | source; complete -C 'naja she'; complete -C 'naja shell ho'"
    out = subprocess.run(["fish", "-N", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["shell", "hook"], out.stderr


# --- environments that run without naja (issue 20) -------------------------------------------------


@pytest.mark.parametrize("shell", ["posix", "fish", "csh"])
def test_activate_write_runs_without_naja(shell, world, tmp_path):
    """``naja shell activate -p P -s posix --write`` leaves ``P/activate``; in a clean ``env -i``
    shell where naja is nowhere on PATH, sourcing it runs the environment's programs with its
    variables and activate.d scripts."""
    _, alpha, _, env = world
    program = shell_program(shell)[0]
    os.symlink(sys.executable, alpha / "bin" / "python")
    out = naja(env, "shell", "activate", "-p", str(alpha), "-s", shell, "--write")
    name = {"posix": "activate", "fish": "activate.fish", "csh": "activate.csh"}[shell]
    assert (alpha / name).is_file() and str(alpha / name) in out.stdout
    shell_path = shutil.which(program)
    code = "import os, sys; print(os.environ['CONDA_PREFIX'], os.environ['FOO'], os.environ['ALPHA_ACTIVATED'])"
    if shell == "posix":
        line = f". '{alpha}/activate' && python -c \"{code}\" && command -v naja || echo no-naja"
    elif shell == "fish":
        line = (f"source '{alpha}/activate.fish'; and python -c \"{code}\"; and echo $CONDA_SHLVL; "
                "command -q naja; or echo no-naja")
    else:
        line = (f"source '{alpha}/activate.csh' && python -c \"{code}\" && "
                "sh -c 'command -v naja || echo no-naja'")
    clean = subprocess.run(["env", "-i", f"HOME={tmp_path}", "PATH=/usr/bin:/bin", shell_path, "-c", line],
                           capture_output=True, text=True, timeout=60)
    assert clean.returncode == 0, clean.stderr
    lines = clean.stdout.splitlines()
    assert lines[0] == f"{alpha} foo from alpha 1:first 2:second"
    assert lines[-1] == "no-naja"
    assert shutil.which("naja", path="/usr/bin:/bin") is None  # the premise: naja unreachable


# --- run --detach, --label, ps ------------------------------------------------------------------


def _wait_for(predicate, timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_run_detach_label_ps_list_and_stop(world, tmp_path):
    _, alpha, _, env = world
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # the process registry lives there
    assert naja(env, "ps", "list").stdout.strip() == "No running processes"
    pidfile = tmp_path / "child.pid"
    out = naja(env, "run", "-d", "--label", "sleeper", "-n", "alpha", "sh", "-c",
               f'echo "$$ $FOO" > "{pidfile}"; exec sleep 60')
    assert out.stdout == ""  # detached at once; the command's streams are /dev/null
    _wait_for(lambda: pidfile.is_file() and pidfile.read_text().endswith("\n"))
    child_pid, foo = pidfile.read_text().split(" ", 1)
    assert foo.strip() == "foo from alpha"  # the environment was activated for it
    naja(env, "run", "--detach", "-n", "alpha", "sleep", "60")  # no label: one is made up
    _wait_for(lambda: len(json.loads(naja(env, "ps", "list", "--json").stdout)) == 2)
    procs = {p["name"]: p for p in json.loads(naja(env, "ps", "--json").stdout)}
    assert procs["sleeper"]["prefix"] == str(alpha) and procs["sleeper"]["command"][:2] == ["sh", "-c"]
    (generated,) = [name for name in procs if name != "sleeper"]
    assert generated.endswith("_sleep") and procs[generated]["command"] == ["sleep", "60"]
    table = naja(env, "ps", "list").stdout.splitlines()
    assert table[0].split() == ["PID", "Name", "Prefix", "Command"]
    assert any("sleeper" in row and str(alpha) in row for row in table[1:])
    taken = naja(env, "run", "--label", "sleeper", "-n", "alpha", "true", ok=False)
    assert taken.returncode == 1 and "sleeper" in taken.stderr and taken.stderr.count("\n") == 1
    stopped = naja(env, "ps", "stop", "sleeper")
    assert stopped.stdout.strip() == f"Stopping sleeper [{procs['sleeper']['pid']}]"
    _wait_for(lambda: not _alive(int(child_pid)))  # naja forwarded SIGTERM to the command
    naja(env, "ps", "stop", procs[generated]["pid"])
    _wait_for(lambda: naja(env, "ps", "list").stdout.strip() == "No running processes")
    missing = naja(env, "ps", "stop", "sleeper", ok=False)
    assert missing.returncode == 1 and "Did not find" in missing.stdout


def test_auto_activate_base_in_the_hook(world, tmp_path):
    """``auto_activate_base: true`` makes the hook activate base, unless an env is active already."""
    root, _, _, env = world
    rc = tmp_path / "auto.yml"
    rc.write_text("auto_activate_base: true\n")
    env["MAMBARC"] = env["CONDARC"] = str(rc)
    words = " ".join(f"'{w}'" for w in naja_command())
    script = f'eval $({words} shell hook -s dash); echo "$CONDA_SHLVL $CONDA_DEFAULT_ENV $CONDA_PREFIX"'
    out = subprocess.run(["dash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == f"1 base {root}", out.stderr
    env["CONDA_PREFIX"] = str(root)
    assert "naja activate base" not in naja(env, "shell", "hook", "-s", "bash").stdout


# --- PowerShell and cmd.exe through their parsers (tree-sitter grammars) ---------------------------


def _parser(grammar: str):
    from tree_sitter import Language, Parser

    module = pytest.importorskip(f"tree_sitter_{grammar}")
    return Parser(Language(module.language()))


def _nodes(node, kind: str):
    if node.type == kind:
        yield node
    for child in node.children:
        yield from _nodes(child, kind)


def _ps_env_assignments(tree) -> dict[str, str]:
    """``$Env:NAME = 'value'`` assignments found by the PowerShell parser (verbatim strings)."""
    out = {}
    for node in _nodes(tree.root_node, "assignment_expression"):
        target = node.children[0].text.decode()
        value = node.children[-1].text.decode().strip()
        if target.startswith("$Env:") and value.startswith("'"):
            out[target[len("$Env:"):]] = value[1:-1].replace("''", "'")
    return out


def test_powershell_code_parses_and_sets_the_variables(world, tmp_path):
    root, alpha, home, env = world
    ps = _parser("powershell")
    (alpha / "etc" / "conda" / "activate.d" / "p.ps1").write_text("$Env:PS_ACT = '1'\n")
    env["CLOBBER"] = "it's mine"
    naja(env, "env", "config", "vars", "set", "-p", str(alpha), "QUOTE=a'b c", "CLOBBER=alpha's")
    texts = {
        "hook": naja(env, "shell", "hook", "-s", "powershell").stdout,
        "activate": naja(env, "shell", "activate", "-s", "powershell", "alpha").stdout,
    }
    naja(env, "shell", "init", "-s", "powershell", "-r", str(root))
    texts["profile"] = (home / ".config" / "powershell" / "Microsoft.PowerShell_profile.ps1").read_text()
    texts["mamba_hook.ps1"] = (root / "condabin" / "mamba_hook.ps1").read_text()
    texts["Mamba.psm1"] = (root / "condabin" / "Mamba.psm1").read_text()
    naja(env, "shell", "activate", "-p", str(alpha), "-s", "powershell", "--write")
    texts["activate.ps1"] = (alpha / "activate.ps1").read_text()
    trees = {name: ps.parse(text.encode()) for name, text in texts.items()}
    assert not [name for name, tree in trees.items() if tree.root_node.has_error]
    sets = _ps_env_assignments(trees["activate"])
    assert sets["CONDA_PREFIX"] == str(alpha) and sets["CONDA_SHLVL"] == "1"
    assert sets["QUOTE"] == "a'b c" and sets["__CONDA_SHLVL_0_CLOBBER"] == "it's mine"
    assert sets["PATH"].split(os.pathsep)[0] == f"{alpha}/bin"
    standalone = _ps_env_assignments(trees["activate.ps1"])
    assert standalone["CONDA_PREFIX"] == str(alpha) and standalone["QUOTE"] == "a'b c"
    functions = {n.text.decode() for t in trees.values() for n in _nodes(t.root_node, "function_name")}
    assert {"global:naja", "global:__naja_xctivate", "global:prompt"} <= functions
    assert "Env:NAJA_ROOT_PREFIX" in texts["profile"] and str(root) in texts["profile"]


def test_cmd_exe_files_parse_and_set_the_variables(world):
    root, alpha, _, env = world
    bat = _parser("batch")
    (alpha / "etc" / "conda" / "activate.d" / "z.bat").write_text("@SET ZED=1\n")
    naja(env, "shell", "init", "-s", "cmd.exe", "-r", str(root), ok=False)
    files = [*sorted((root / "condabin").glob("*.bat")), root / "Scripts" / "activate.bat"]
    path = Path(naja(env, "shell", "activate", "-s", "cmd.exe", "alpha").stdout.strip())
    naja(env, "shell", "activate", "-p", str(alpha), "-s", "cmd.exe", "--write")
    try:
        trees = {p.name if p != path else "activation": bat.parse(p.read_bytes()) for p in [*files, path]}
    finally:
        path.unlink()
    trees["activate.bat (standalone)"] = bat.parse((alpha / "activate.bat").read_bytes())
    assert not [name for name, tree in trees.items() if tree.root_node.has_error]

    def sets(tree) -> dict[str, str]:
        out = {}
        for node in _nodes(tree.root_node, "variable_assignment"):
            name = next(c for c in node.children if c.type == "variable_name").text.decode()
            value = [c for c in node.children if c.type.endswith("assignment_value")]
            out[name] = value[0].text.decode().strip('"') if value else ""
        return out

    activation = sets(trees["activation"])
    assert activation["CONDA_PREFIX"] == str(alpha) and activation["FOO"] == "foo from alpha"
    assert activation["CONDA_SHLVL"] == "1" and activation["PATH"].startswith(f"{alpha}/bin")
    hook = sets(trees["mamba_hook.bat"])
    assert hook["CONDA_SHLVL"] == "0" and hook["NAJA_ROOT_PREFIX"] == str(root)
    calls = [n.text.decode() for t in trees.values() for n in _nodes(t.root_node, "call_stmt")]
    assert any("_naja_activate.bat" in c for c in calls) and any("mamba_hook.bat" in c for c in calls)
    labels = {n.text.decode() for n in _nodes(trees["naja.bat"].root_node, "label")}
    assert {":xctivate", ":reactivate"} <= labels  # every GOTO target exists


def test_run_with_an_unusable_process_registry(world, tmp_path):
    """A cache directory naja cannot create only hides the run from ``ps`` (a label needs it)."""
    _, _, _, env = world
    blocker = tmp_path / "not a dir"
    blocker.write_text("")
    env["XDG_CACHE_HOME"] = str(blocker)
    assert naja(env, "run", "-n", "alpha", "sh", "-c", "exit 5", ok=False).returncode == 5
    out = naja(env, "run", "--label", "x", "-n", "alpha", "true", ok=False)
    assert out.returncode == 1 and out.stderr.startswith("error: --label") and out.stderr.count("\n") == 1
    assert naja(env, "ps", "list").stdout.strip() == "No running processes"
