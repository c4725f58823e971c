"""Entry point of the ``naja`` executable. Kept tiny: ``--version`` must not import anything heavy."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args in (["--version"], ["-V"]):
        from naja import __version__

        print(__version__)
        return 0
    print("naja: no command given (try --version)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
