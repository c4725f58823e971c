"""The naja command line: argument parsing (``parser``, global options anywhere in ``argv``), output
(aligned tables, ``--json``, progress bars) and one module per command with ``register(subparsers)``
and ``run(args)``. It is a thin layer over ``naja.api`` and imports nothing else of naja but
``naja.errors`` (an import-linter contract); every command loads its modules only when it runs, so
that ``naja --version`` costs no more than a bare interpreter.
"""
