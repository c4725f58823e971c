"""The exceptions naja raises. Every user-facing failure is a ``NajaError``: the CLI prints its
message as one line and exits with ``exit_code``; anything else is a bug."""

from __future__ import annotations


class NajaError(Exception):
    """Base of every error the CLI reports as a one-line message."""

    exit_code = 1


def first_line(exc: BaseException, default: str = "") -> str:
    """The first line of ``exc``'s message: YAML and HTTP libraries explain over several lines, and a
    ``NajaError`` message is one line."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else default


def one_line(exc: BaseException) -> str:
    """``exc``'s whole message with its line breaks folded into spaces, for errors whose later lines
    say where the problem is."""
    return " ".join(str(exc).split())


class InvalidSpec(NajaError, ValueError):
    """A version, version spec or match spec that cannot be parsed; the message names the text."""


class InvalidVersion(InvalidSpec):
    """A version string that is not a conda version."""


class InvalidMatchSpec(InvalidSpec):
    """A match spec string that is not a conda match spec."""


class ChannelError(NajaError):
    """A channel that cannot be reached, authenticated or parsed."""


class RepodataError(ChannelError):
    """Malformed or unusable repodata."""


class HTTPStatusError(ChannelError):
    """The server answered with an error status (``status``); the message is already redacted."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class NotFoundError(HTTPStatusError):
    """The server (or directory) has no such file: callers decide whether that is an error."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message, status)


class InsecureRedirectError(ChannelError):
    """A redirect from https to plain http (refused: it would drop TLS, and credentials with it)."""


class ConfigError(NajaError):
    """An unreadable or invalid configuration file or value."""


class KeyNotPresentError(ConfigError):
    """``config remove``/``remove-key`` of something the rc file does not hold (micromamba prints a
    notice and exits 0)."""


class UnknownPlatformError(ConfigError, ValueError):
    """A platform/subdir name that conda does not know."""


class UnsatisfiableError(NajaError):
    """No set of packages satisfies the request; ``explanation`` is a readable tree."""

    def __init__(self, message: str, explanation: str = "", data: object = None) -> None:
        super().__init__(message)
        self.explanation = explanation
        self.data = data


class SolverLimitError(NajaError):
    """The solver gave up: its conflict or time budget ran out before it found an answer."""


class CacheLockTimeout(NajaError):
    """Another process held a package-cache lock for longer than the timeout."""


class PackageError(NajaError):
    """A package archive that is corrupt, unsafe or fails verification."""


class DownloadError(NajaError):
    """A download that failed after retries (names the package and URL, never a token)."""


class TransactionError(NajaError):
    """A transaction that failed and was rolled back."""


class PrefixError(NajaError):
    """A missing, locked or invalid environment prefix."""


class EnvironmentFileError(NajaError):
    """An environment.yml, explicit or lock file that cannot be used."""


class ActivationError(NajaError):
    """An unsupported shell, a bad variable name, a missing working directory, …"""


class CommandNotFoundError(NajaError):
    """``naja run`` was asked to run a command that does not exist (exit 127, as a shell does)."""

    exit_code = 127


class CommandNotExecutableError(NajaError):
    """``naja run`` found the command but may not execute it (exit 126, as a shell does)."""

    exit_code = 126


class LimitError(NajaError):
    """An input larger or more deeply nested than naja accepts (a download, a decompressed body, a
    document); the message names the input and the bound."""
