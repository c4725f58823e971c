"""naja benchmarks: ``python -m benchmarks <name>`` runs ``benchmarks/<name>.py:main(argv)``.

Each benchmark measures naja against py-rattler in the same run and prints the ratio. Generated
inputs (the conda-forge-sized scale channel) live in ``.naja-bench/`` (gitignored), see ``scale.py``.
"""
