"""Activation transitions (pure), state-file variables, shell init files, and ``naja run`` through the
real executable: exit codes, stdin, signals, activate.d, --cwd/--env/--clean-env/-a."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from naja.errors import PrefixError
from naja.shell import (
    INIT_BEGIN,
    UNSET_MARKER,
    ActivationError,
    Settings,
    build_activate,
    build_deactivate,
    build_reactivate,
    environment_env_vars,
    hook,
    list_env_vars,
    path_dirs,
    render,
    set_env_vars,
    shell_deinit,
    shell_init,
    unset_env_vars,
)
from tests.support.activation import make_prefix, naja_command, shell_env


@pytest.fixture
def envs(tmp_path):
    root = tmp_path / "root"
    (root / "conda-meta").mkdir(parents=True)
    alpha = make_prefix(root / "envs" / "alpha", "ALPHA", {"FOO": "foo", "SHARED": "from alpha"})
    beta = make_prefix(root / "envs" / "beta", "BETA", {"BAR": "bar", "SHARED": "from beta"})
    plain = tmp_path / "plain env"
    (plain / "bin").mkdir(parents=True)
    (plain / "conda-meta").mkdir()
    return Settings(root_prefix=root, envs_dirs=(root / "envs",)), alpha, beta, plain


def roundtrip(environ, steps, settings):
    """Apply a list of ("activate", prefix, stack) / ("deactivate",) steps; return the environments."""
    seen = [dict(environ)]
    for step in steps:
        if step[0] == "activate":
            t = build_activate(environ, step[1], settings, stack=step[2])
        else:
            t = build_deactivate(environ, settings)
        environ = t.apply(environ)
        seen.append(environ)
    return seen


# --- pure transitions ----------------------------------------------------------------------------


def test_activate_then_deactivate_is_exact_including_clobbered_vars(envs):
    settings, alpha, beta, _ = envs
    start = {"PATH": "/usr/bin:/bin", "SHARED": "user", "CONDA_SHLVL": "0", "HOME": "/h"}
    steps = [("activate", alpha, False), ("activate", beta, False), ("deactivate",),
             ("activate", beta, True), ("deactivate",), ("deactivate",)]
    _, a, ab, a2, stacked, a3, end = roundtrip(start, steps, settings)
    assert a["PATH"] == f"{alpha}/bin:/usr/bin:/bin" and a["SHARED"] == "from alpha"
    assert a["__CONDA_SHLVL_0_SHARED"] == "user"
    assert ab["PATH"] == f"{beta}/bin:/usr/bin:/bin" and ab["__CONDA_SHLVL_1_SHARED"] == "from alpha"
    assert ab["CONDA_PREFIX_1"] == str(alpha)
    assert a2 == a and a3 == a and end == start
    assert stacked["PATH"] == f"{beta}/bin:{alpha}/bin:/usr/bin:/bin"
    assert stacked["CONDA_STACKED_2"] == "true"


def test_activation_keeps_user_path_entries_and_windows_layout(tmp_path):
    settings = Settings(root_prefix=Path("C:\\root"), windows=True)
    start = {"PATH": "C:\\Windows;C:\\tools", "CONDA_SHLVL": "0"}
    t = build_activate(start, "C:\\envs\\x", settings)
    dirs = path_dirs("C:\\envs\\x", windows=True)
    assert dirs == ["C:\\envs\\x", "C:\\envs\\x\\Library\\mingw-w64\\bin", "C:\\envs\\x\\Library\\usr\\bin",
                    "C:\\envs\\x\\Library\\bin", "C:\\envs\\x\\Scripts", "C:\\envs\\x\\bin"]
    active = t.apply(start)
    assert active["PATH"] == ";".join([*dirs, "C:\\Windows", "C:\\tools"])
    assert build_deactivate(active, settings).apply(active) == start
    # unix layouts put only bin/ on PATH
    assert path_dirs("/opt/env") == ["/opt/env/bin"]


def test_prompt_modifier_and_ps1(envs):
    settings, alpha, beta, plain = envs
    start = {"PATH": "/bin", "PS1": "$ "}
    t = build_activate(start, alpha, settings)
    assert t.prompt == "(alpha) $ " and t.export["CONDA_PROMPT_MODIFIER"] == "(alpha) "
    assert t.export["CONDA_DEFAULT_ENV"] == "alpha"
    a = {**t.apply(start), "PS1": t.prompt}
    t2 = build_activate(a, plain, settings, stack=True)
    assert t2.prompt == f"({plain}) $ "
    stacked_settings = Settings(root_prefix=settings.root_prefix, env_prompt="[{stacked_env}] ")
    t3 = build_activate(a, beta, stacked_settings, stack=True)
    assert t3.export["CONDA_PROMPT_MODIFIER"] == "[beta,alpha] "
    base = build_activate(start, settings.root_prefix, settings)
    assert base.export["CONDA_DEFAULT_ENV"] == "base" and base.prompt == "(base) $ "
    quiet = Settings(root_prefix=settings.root_prefix, changeps1=False)
    t4 = build_activate(start, alpha, quiet)
    assert t4.prompt is None and t4.export["CONDA_PROMPT_MODIFIER"] == ""
    d = build_deactivate({**a, "PS1": "(alpha) $ "}, settings)
    assert d.prompt == "$ "


def test_activate_d_scripts_sorted_and_shell_specific(envs):
    settings, alpha, beta, _ = envs
    t = build_activate({"PATH": "/bin"}, alpha, settings, shell="fish")
    assert [p.name for p in t.activate_scripts] == ["a-first.fish", "b-second.fish"]
    t = build_activate({"PATH": "/bin"}, alpha, settings)
    assert [p.name for p in t.activate_scripts] == ["a-first.sh", "b-second.sh"]
    a = t.apply({"PATH": "/bin"})
    replace = build_activate(a, beta, settings)
    assert [p.parent.parent.parent.parent for p in replace.deactivate_scripts] == [alpha]
    assert build_activate(a, beta, settings, stack=True).deactivate_scripts == []


def test_deactivate_with_nothing_active_and_reactivate(envs):
    settings, alpha, _, _ = envs
    assert render(build_deactivate({"PATH": "/bin", "CONDA_SHLVL": "0"}, settings), "bash") == ""
    a = build_activate({"PATH": "/bin"}, alpha, settings).apply({"PATH": "/bin"})
    # activating the active env again is a reactivation: PATH stays, variables are re-read
    unset_env_vars(alpha, ["FOO"])
    set_env_vars(alpha, {"NEW": "1"})
    t = build_activate(a, alpha, settings)
    assert t == build_reactivate(a, settings)
    after = t.apply(a)
    assert after["PATH"] == a["PATH"] and after["CONDA_SHLVL"] == "1"
    assert "FOO" not in after and after["NEW"] == "1"


# --- conda-meta/state and env_vars.d -------------------------------------------------------------


def test_state_file_set_list_unset_keep_other_keys(tmp_path):
    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    state = prefix / "conda-meta" / "state"
    state.write_text(json.dumps({"env_vars": {"A": "1"}, "other": {"keep": True}}))
    set_env_vars(prefix, {"B": "two words", "A": "one"})
    assert list_env_vars(prefix) == {"A": "one", "B": "two words"}
    assert unset_env_vars(prefix, ["A", "MISSING"]) == ["A"]
    data = json.loads(state.read_text())
    assert data["other"] == {"keep": True}
    assert data["env_vars"] == {"A": UNSET_MARKER, "B": "two words"}  # conda's marker
    assert list_env_vars(prefix) == {"B": "two words"}
    with pytest.raises(ActivationError, match="invalid environment variable name"):
        set_env_vars(prefix, {"1BAD": "x"})
    d = prefix / "etc" / "conda" / "env_vars.d"
    d.mkdir(parents=True)
    (d / "b.json").write_text(json.dumps({"PKG": "b", "B": "from pkg"}))
    (d / "a.json").write_text(json.dumps({"PKG": "a", "ONLY_A": "a"}))
    assert environment_env_vars(prefix) == {"PKG": "b", "ONLY_A": "a", "B": "two words", "A": UNSET_MARKER}


def test_bad_state_file_is_a_one_line_error(tmp_path):
    from naja.errors import ConfigError

    prefix = tmp_path / "env"
    (prefix / "conda-meta").mkdir(parents=True)
    (prefix / "conda-meta" / "state").write_text("{not json")
    with pytest.raises(ConfigError, match="state is not valid JSON"):
        environment_env_vars(prefix)


def test_env_config_vars_cli(tmp_path, envs):
    settings, alpha, _, _ = envs
    env = shell_env(tmp_path, settings.root_prefix)
    cmd = [*naja_command(), "env", "config", "vars"]
    run = lambda *a: subprocess.run([*cmd, *a], env=env, capture_output=True, text=True, timeout=60)  # noqa: E731
    assert run("set", "X=1", "Y=a b", "-n", "alpha").returncode == 0
    out = run("list", "-n", "alpha", "--json")
    assert json.loads(out.stdout) == {"FOO": "foo", "SHARED": "from alpha", "X": "1", "Y": "a b"}
    assert run("unset", "X", "-p", str(alpha)).returncode == 0
    assert run("list", "-p", str(alpha)).stdout.splitlines() == ["FOO = foo", "SHARED = from alpha", "Y = a b"]
    # env export shows the variables that are set, never the unset marker
    exported = subprocess.run([*naja_command(), "env", "export", "-p", str(alpha), "--json"], env=env,
                              capture_output=True, text=True, timeout=60)
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["variables"] == {"FOO": "foo", "SHARED": "from alpha", "Y": "a b"}
    bad = run("set", "NOEQUALS", "-n", "alpha")
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1
    missing = run("list", "-n", "nope")
    assert missing.returncode != 0 and "nope" in missing.stderr and missing.stderr.count("\n") == 1


def test_env_config_vars_through_the_naja_executable(tmp_path, envs):
    settings, alpha, _, _ = envs
    env = shell_env(tmp_path, settings.root_prefix)
    out = subprocess.run([*naja_command(), "env", "config", "vars", "set", "Z=9", "-p", str(alpha)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert list_env_vars(alpha)["Z"] == "9"


# --- rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["plain", "it's", "a \\ b", "$HOME `x` \"q\"", "x\ny", ""])
def test_quoting_survives_bash_and_fish(value, tmp_path):
    import shutil

    from naja.shell import Transition

    t = Transition(export={"NAJA_T": value})
    for shell, argv in [("bash", ["bash", "-c"]), ("fish", ["fish", "-N", "-c"])]:
        if shutil.which(argv[0]) is None:
            continue
        script = render(t, shell) + ("printf %s \"$NAJA_T\"" if shell == "bash" else "printf %s $NAJA_T")
        out = subprocess.run([*argv, script], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout == value, shell


def test_powershell_rendering(envs):
    settings, alpha, _, _ = envs
    t = build_activate({"PATH": "/bin", "X": "1"}, alpha, settings, shell="powershell")
    text = render(t, "powershell")
    assert f"$Env:CONDA_PREFIX = '{alpha}'" in text
    assert "$Env:FOO = 'foo'" in text
    d = build_deactivate(t.apply({"PATH": "/bin", "X": "1"}), settings, shell="powershell")
    assert "Remove-Item -ErrorAction SilentlyContinue Env:\\CONDA_PREFIX" in render(d, "powershell")
    h = hook("powershell", exe=["C:\\naja's\\naja.exe"])
    assert "function global:naja" in h and "'C:\\naja''s\\naja.exe'" in h


# --- shell init ----------------------------------------------------------------------------------


def test_shell_init_in_place_and_deinit(tmp_path):
    rc = tmp_path / ".bashrc"
    rc.write_text("one\n")
    root = tmp_path / "root"
    result = shell_init("bash", root, path=rc, exe=["/x/naja"])
    assert result.rc_changed and result.rc_file == rc
    # what micromamba writes under the root prefix for bash: the hook as etc/profile.d/mamba.sh
    assert result.root_files == (root / "etc" / "profile.d" / "mamba.sh",)
    assert "/x/naja" in (root / "etc" / "profile.d" / "mamba.sh").read_text()
    rc.write_text(rc.read_text() + "two\n")
    assert not shell_init("bash", root, path=rc, exe=["/x/naja"]).rc_changed
    assert shell_init("bash", tmp_path / "other root", path=rc, exe=["/x/naja"]).rc_changed
    text = rc.read_text()
    assert text.count(INIT_BEGIN) == 1 and "other root" in text
    assert text.startswith("one\n" + INIT_BEGIN) and text.endswith("two\n")  # replaced where it was
    result = shell_deinit("bash", root, path=rc)
    assert result.rc_changed and result.root_files == (root / "etc" / "profile.d" / "mamba.sh",)
    assert rc.read_text() == "one\ntwo\n"
    assert not (root / "etc").exists()  # directories left empty go too
    assert not shell_deinit("bash", root, path=rc).rc_changed
    rc.write_text(INIT_BEGIN + "\nno end\n")
    with pytest.raises(ActivationError, match="without"):
        shell_init("bash", root, path=rc)


# --- naja run ------------------------------------------------------------------------------------


def naja_run(envs_tuple, tmp_path, *args, **kwargs):
    settings = envs_tuple[0]
    env = kwargs.pop("env", None) or shell_env(tmp_path, settings.root_prefix)
    return subprocess.run([*naja_command(), "run", *args], env=env, capture_output=True, text=True,
                          timeout=60, **kwargs)


def test_run_exit_codes_and_activation(tmp_path, envs):
    _, alpha, _, plain = envs
    for prefix in (alpha, plain):  # through the bash wrapper (activate.d) and directly
        assert naja_run(envs, tmp_path, "-p", str(prefix), "sh", "-c", "exit 3").returncode == 3
        assert naja_run(envs, tmp_path, "-p", str(prefix), "sh", "-c", "kill -USR1 $$").returncode == 128 + 10
    out = naja_run(envs, tmp_path, "-n", "alpha", "sh", "-c",
                   'echo "$ALPHA_ACTIVATED|$FOO|$CONDA_PREFIX|$CONDA_SHLVL"; ALPHA_tool')
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"1:first 2:second|foo|{alpha}|1", "ALPHA tool ran"]
    # the arguments reach the command untouched (spaces, quotes, options that look like naja's)
    args = ["a b", "it's", "-n", "--cwd", "$HOME"]
    out = naja_run(envs, tmp_path, "-p", str(alpha), sys.executable, "-c",
                   "import sys, json; print(json.dumps(sys.argv[1:]))", *args)
    assert json.loads(out.stdout) == args


def test_run_stdin_passthrough(tmp_path, envs):
    _, alpha, _, plain = envs
    data = "line one\nline two\n" * 1000
    for prefix in (alpha, plain):
        out = naja_run(envs, tmp_path, "-p", str(prefix), "cat", input=data)
        assert out.returncode == 0 and out.stdout == data


def test_run_options(tmp_path, envs):
    settings, alpha, _, plain = envs
    work = tmp_path / "work dir"
    work.mkdir()
    out = naja_run(envs, tmp_path, "-p", str(plain), "--cwd", str(work), "pwd")
    assert out.stdout.strip() == str(work)
    out = naja_run(envs, tmp_path, "-p", str(alpha), "-e", "FOO=mine", "-e", "NEW=1", "sh", "-c", 'echo "$FOO $NEW"')
    assert out.stdout.strip() == "mine 1"  # --env wins over the environment's own variables
    env = shell_env(tmp_path, settings.root_prefix)
    env["SECRET"] = "leak"
    out = naja_run(envs, tmp_path, "--clean-env", "-p", str(alpha), "-e", "KEEP=k", "sh", "-c",
                   'echo "${SECRET:-none} $KEEP $FOO $PATH"', env=env)
    secret, keep, foo, path = out.stdout.split()
    assert (secret, keep, foo) == ("none", "k", "foo") and path.startswith(f"{alpha}/bin")
    out = naja_run(envs, tmp_path, "-a", "", "-p", str(plain), "echo", "hidden")
    assert out.returncode == 0 and out.stdout == ""
    out = naja_run(envs, tmp_path, "-a", "stderr", "-p", str(plain), "sh", "-c", "echo out; echo err >&2")
    assert out.stdout == "" and out.stderr == "err\n"
    env = shell_env(tmp_path, settings.root_prefix)
    env["CONDA_PREFIX"] = str(alpha)  # no -n/-p: the active environment
    out = naja_run(envs, tmp_path, "sh", "-c", 'echo "$FOO"', env=env)
    assert out.stdout.strip() == "foo"


@pytest.mark.parametrize("args,code,text", [
    (["-n", "nope", "true"], 1, "nope"),
    (["-p", "/does/not/exist", "true"], 1, "/does/not/exist"),
    (["-n", "alpha", "no-such-command-x"], 127, "no-such-command-x"),
    (["-n", "alpha", "--cwd", "/does/not/exist", "true"], 1, "--cwd"),
])
def test_run_errors_are_one_line(tmp_path, envs, args, code, text):
    out = naja_run(envs, tmp_path, *args)
    assert out.returncode == code
    assert text in out.stderr
    if code != 127 or "plain" in args:
        assert out.stderr.count("\n") == 1, out.stderr


@pytest.mark.parametrize("which", ["alpha", "plain"])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_forwards_signals(tmp_path, envs, which, sig):
    settings, alpha, _, plain = envs
    prefix = alpha if which == "alpha" else plain
    code = ("import signal, sys, time\n"
            "def handler(signum, frame):\n"
            "    print('child got', signum, flush=True)\n"
            "    sys.exit(7)\n"
            f"signal.signal({int(sig)}, handler)\n"
            "print('ready', flush=True)\n"
            "time.sleep(30)\n")
    proc = subprocess.Popen([*naja_command(), "run", "-p", str(prefix), sys.executable, "-c", code],
                            env=shell_env(tmp_path, settings.root_prefix), stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(sig)
        rest = proc.stdout.read()
        assert proc.wait(timeout=30) == 7
    finally:
        proc.kill()
        proc.wait()
    assert rest.strip() == f"child got {int(sig)}"


def test_run_child_killed_by_forwarded_signal(tmp_path, envs):
    settings, alpha, _, _ = envs
    proc = subprocess.Popen([*naja_command(), "run", "-p", str(alpha), "sh", "-c", "echo ready; exec sleep 30"],
                            env=shell_env(tmp_path, settings.root_prefix), stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    finally:
        proc.kill()
        proc.wait()


def test_resolve_prefix_errors(envs):
    from naja.shell import resolve_prefix

    settings, alpha, _, plain = envs
    assert resolve_prefix(settings, "alpha") == alpha
    assert resolve_prefix(settings, str(plain)) == plain
    assert resolve_prefix(settings, None) == settings.root_prefix
    assert resolve_prefix(settings, None, fallback_active=True, environ={"CONDA_PREFIX": str(plain)}) == plain
    with pytest.raises(PrefixError, match="'nope' does not exist"):
        resolve_prefix(settings, "nope")
    with pytest.raises(ActivationError):
        resolve_prefix(settings, None, name="a", prefix="/b")
    assert os.fspath(resolve_prefix(settings, None, name="alpha")) == os.fspath(alpha)


@pytest.mark.parametrize("which", ["alpha", "plain"])
def test_run_ctrl_c_in_a_terminal(tmp_path, envs, which):
    """Ctrl-C in a terminal reaches the child (once), and naja survives it to return the child's
    exit code (naja does not forward a SIGINT the terminal already sent to the whole group)."""
    import fcntl
    import pty
    import select
    import termios

    settings, alpha, _, plain = envs
    prefix = alpha if which == "alpha" else plain
    code = ("import signal, time\n"
            "n = 0\n"
            "def handler(signum, frame):\n"
            "    global n\n"
            "    n += 1\n"
            "signal.signal(signal.SIGINT, handler)\n"
            "print('ready', flush=True)\n"
            "time.sleep(1.5)\n"
            "print('count', n, flush=True)\n")
    master, slave = pty.openpty()

    def controlling_tty() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([*naja_command(), "run", "-p", str(prefix), sys.executable, "-c", code],
                            env=shell_env(tmp_path, settings.root_prefix), stdin=slave, stdout=slave,
                            stderr=slave, preexec_fn=controlling_tty)
    os.close(slave)
    output = b""
    try:
        while b"ready" not in output:
            assert select.select([master], [], [], 30)[0], output
            output += os.read(master, 1024)
        os.write(master, b"\x03")
        while b"count" not in output or not output.rstrip().endswith((b"0", b"1", b"2")):
            assert select.select([master], [], [], 30)[0], output
            try:
                output += os.read(master, 1024)
            except OSError:
                break
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert b"count 1" in output, output


def test_transitions_are_pure_given_a_reader():
    """With the prefix contents passed in, activate/stack/deactivate touch no file (the prefixes do
    not exist) and undo each other exactly, CONDA_PREFIX_<n>/CONDA_STACKED_<n> included."""
    from pathlib import PurePosixPath

    from naja.shell.settings import PrefixFiles

    files = {
        "/nowhere/a": PrefixFiles({"V": "a", "ONLY_A": "1"}, (Path("/nowhere/a/act.sh"),), (Path("/nowhere/a/de.sh"),)),
        "/nowhere/b": PrefixFiles({"V": "b"}, (), ()),
    }
    settings = Settings(root_prefix=Path(PurePosixPath("/nowhere/root")), windows=False)
    start = {"PATH": "/usr/bin", "V": "mine", "CONDA_SHLVL": "0"}
    t1 = build_activate(start, "/nowhere/a", settings, read=files.__getitem__)
    one = t1.apply(start)
    assert one["V"] == "a" and one["__CONDA_SHLVL_0_V"] == "mine" and t1.activate_scripts == [Path("/nowhere/a/act.sh")]
    t2 = build_activate(one, "/nowhere/b", settings, stack=True, read=files.__getitem__)
    two = t2.apply(one)
    assert two["PATH"] == "/nowhere/b/bin:/nowhere/a/bin:/usr/bin" and two["CONDA_STACKED_2"] == "true"
    assert two["CONDA_PREFIX_1"] == "/nowhere/a" and two["CONDA_SHLVL"] == "2" and t2.deactivate_scripts == []
    back = build_deactivate(two, settings, read=files.__getitem__).apply(two)
    assert back == one
    t3 = build_deactivate(back, settings, read=files.__getitem__)
    assert t3.apply(back) == start and t3.deactivate_scripts == [Path("/nowhere/a/de.sh")]
