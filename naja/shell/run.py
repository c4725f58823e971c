"""``naja run`` and ``naja ps``: run a command with an environment activated, optionally detached
and labelled, as micromamba's ``run.cpp`` does.

Every run registers itself in ``<user cache>/naja/proc/<pid>.json`` (``name``, ``command``,
``prefix``: micromamba's format) while its command runs, so ``naja ps list`` can show it and
``naja ps stop PID|NAME`` can send it SIGTERM (which naja forwards to the command).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from naja.errors import ActivationError, CommandNotExecutableError, CommandNotFoundError
from naja.shell.settings import Settings, check_var_name, load_settings
from naja.shell.shells import quote, render
from naja.shell.transitions import build_activate

_FORWARDED_SIGNALS = ("SIGTERM", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2")
_STREAMS = ("stdin", "stdout", "stderr")


def parse_attach(text: str | None) -> tuple[str, ...]:
    """``-a stdin,stdout,stderr`` → the streams the child shares with naja (``""``: none)."""
    if text is None:
        return _STREAMS
    streams = tuple(s.strip() for s in text.split(",") if s.strip())
    for s in streams:
        if s not in _STREAMS:
            raise ActivationError(f"--attach: unknown stream '{s}' (use stdin, stdout, stderr or \"\")")
    return streams


def parse_env_assignments(items: Iterable[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``--env VAR=VALUE`` (or ``--env VAR`` to pass the current value through)."""
    environ = os.environ if environ is None else environ
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        check_var_name(name)
        if sep:
            out[name] = value
        elif name in environ:
            out[name] = environ[name]
    return out


def _terminal_sent_sigint() -> bool:
    """Whether a SIGINT most likely came from the terminal (which delivers it to the child too)."""
    for fd in (0, 1, 2):
        try:
            if os.isatty(fd):
                return os.tcgetpgrp(fd) == os.getpgrp()
        except OSError:
            continue
    return False


# --------------------------------------------------------------------------------------------------
# the process registry (ps list / ps stop)

_ADJECTIVES = ("curious", "gentle", "happy", "stubborn", "boring", "interesting", "funny", "weird",
               "surprising", "serious", "tender", "obvious", "great", "proud", "silent", "loud",
               "focused", "pretty", "slick", "daring", "tenacious", "resilient", "rigorous", "friendly",
               "creative", "polite", "frank", "honest", "warm", "smart", "intriguing")


@dataclass(frozen=True)
class ProcessInfo:
    """One running ``naja run``: its pid (naja's own), label, command and prefix."""

    pid: int
    name: str
    command: tuple[str, ...]
    prefix: str


def proc_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("naja")) / "proc"


@contextmanager
def _locked_proc_dir() -> Iterator[Path]:
    import fcntl

    directory = proc_dir()
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield directory
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _read_processes(directory: Path) -> list[ProcessInfo]:
    """The registered runs still alive (files of dead ones are removed: a killed naja left them)."""
    import json

    out = []
    for path in sorted(directory.glob("*.json")):
        try:
            pid = int(path.stem)
            doc = json.loads(path.read_text(encoding="utf-8"))
            info = ProcessInfo(pid, str(doc["name"]), tuple(str(w) for w in doc["command"]), str(doc.get("prefix", "")))
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if _alive(pid):
            out.append(info)
        else:
            path.unlink(missing_ok=True)
    return out


def list_processes() -> list[ProcessInfo]:
    if os.name == "nt" or not proc_dir().is_dir():
        return []
    try:
        with _locked_proc_dir() as directory:
            return _read_processes(directory)
    except OSError:  # an unwritable cache: nothing naja could have registered there
        return []


def stop_processes(pid_or_name: str) -> list[ProcessInfo]:
    """SIGTERM every registered run whose pid or label is ``pid_or_name``; returns them."""
    import signal

    matched = [p for p in list_processes() if p.name == pid_or_name or str(p.pid) == pid_or_name]
    for p in matched:
        try:
            os.kill(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    return matched


def _unique_name(program: str, taken: set[str]) -> str:
    base = os.path.basename(program) or "program"
    for adjective in random.sample(_ADJECTIVES, len(_ADJECTIVES)):
        if f"{adjective}_{base}" not in taken:
            return f"{adjective}_{base}"
    return f"{os.urandom(4).hex()}_{base}"


@contextmanager
def _registered(argv: Sequence[str], prefix: str, label: str | None) -> Iterator[str]:
    """Register this process for ``ps`` while the command runs (not on Windows, as micromamba)."""
    import json

    if os.name == "nt":
        yield label or ""
        return
    try:
        with _locked_proc_dir() as directory:
            taken = {p.name for p in _read_processes(directory)}
            if label is not None and label in taken:
                raise ActivationError(f"another process with name '{label}' is currently running")
            name = label if label is not None else _unique_name(argv[0], taken)
            path = directory / f"{os.getpid()}.json"
            path.write_text(json.dumps({"name": name, "command": list(argv), "prefix": prefix}), encoding="utf-8")
    except OSError as exc:
        # as micromamba: a cache naja cannot write only means `ps` will not show this run
        if label is not None:
            raise ActivationError(f"--label: cannot register the process in {proc_dir()}: {exc.strerror}") from None
        yield ""
        return
    try:
        yield name
    finally:
        path.unlink(missing_ok=True)


def _daemonize() -> bool:
    """Fork; the parent returns True (and exits 0), the child leaves the terminal's session with
    its standard streams on /dev/null, as micromamba's ``--detach`` does."""
    if os.fork() > 0:
        return True
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
    return False


# --------------------------------------------------------------------------------------------------
# run


def _prepare(prefix: str | os.PathLike[str], argv: Sequence[str], env: Mapping[str, str] | None,
             clean_env: bool, settings: Settings) -> tuple[list[str], dict[str, str]]:
    """The command line (through a bash wrapper when activate.d scripts must run, which then
    ``exec``s the command, as micromamba's wrapper does) and its environment."""
    import shutil

    overrides = dict(env or {})
    base = {} if clean_env else dict(os.environ)
    base.pop("PS1", None)
    base.update(overrides)
    t = build_activate(base, prefix, settings)
    t.prompt = None
    final = t.apply(base)
    final.update(overrides)
    bash = shutil.which("bash", path=final.get("PATH")) or shutil.which("bash")
    if (t.activate_scripts or t.deactivate_scripts) and bash and not settings.windows:
        script = render(t, "bash")
        script += "".join(f"\\export {k}={quote('bash', v)}\n" for k, v in overrides.items())
        script += 'exec "$@"\n'
        return [bash, "-c", script, "naja-run", *argv], dict(base)
    exe = shutil.which(argv[0], path=final.get("PATH", os.defpath))
    if exe is None:
        raise CommandNotFoundError(f"command not found: {argv[0]}")
    return [exe, *argv[1:]], final


def run_in_env(prefix: str | os.PathLike[str], argv: Sequence[str], cwd: str | os.PathLike[str] | None = None,
               env: Mapping[str, str] | None = None, *, clean_env: bool = False,
               attach: Sequence[str] = _STREAMS, settings: Settings | None = None,
               detach: bool = False, label: str | None = None) -> int:
    """Run ``argv`` with ``prefix`` activated and return its exit code (128+n when killed by signal n).

    naja forwards SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1/2 to the command. With ``detach`` naja
    forks into the background first (the foreground part returns 0 at once).
    """
    if not argv:
        raise ActivationError("no command given to run")
    settings = settings or load_settings()
    if cwd is not None and not os.path.isdir(cwd):
        raise ActivationError(f"--cwd: no such directory: {cwd}")
    if (detach or label is not None) and os.name == "nt":
        raise ActivationError("--detach and --label are not available on Windows")
    command, popen_env = _prepare(prefix, argv, env, clean_env, settings)
    if label is not None and any(p.name == label for p in list_processes()):
        raise ActivationError(f"another process with name '{label}' is currently running")
    if detach:
        import sys

        print(f"Running {' '.join(argv)} in the background", file=sys.stderr, flush=True)
        if _daemonize():
            return 0
    with _registered(argv, os.fspath(prefix), label):
        return _spawn(command, popen_env, cwd, attach, argv[0])


def _spawn(command: list[str], popen_env: dict[str, str], cwd: str | os.PathLike[str] | None,
           attach: Sequence[str], program: str) -> int:
    """Start the command, forward signals to it, wait, and return its status."""
    import signal
    import subprocess

    devnull = subprocess.DEVNULL
    streams = {s: (None if s in attach else devnull) for s in _STREAMS}
    pending: list[int] = []
    child: list[subprocess.Popen[bytes]] = []

    def forward(signum: int, _frame: object) -> None:
        if signum == signal.SIGINT and _terminal_sent_sigint():
            return
        if child:
            try:
                child[0].send_signal(signum)
            except ProcessLookupError:
                pass
        else:
            pending.append(signum)

    previous = {}
    for name in _FORWARDED_SIGNALS:
        sig = getattr(signal, name, None)
        if sig is not None:
            previous[sig] = signal.signal(sig, forward)
    try:
        try:
            proc = subprocess.Popen(command, cwd=cwd, env=popen_env, stdin=streams["stdin"],
                                    stdout=streams["stdout"], stderr=streams["stderr"])
        except FileNotFoundError:
            raise CommandNotFoundError(f"command not found: {program}") from None
        except PermissionError:
            raise CommandNotExecutableError(f"permission denied: {program}") from None
        child.append(proc)
        for signum in pending:
            proc.send_signal(signum)
        code = proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
