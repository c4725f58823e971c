"""Real-world solver requests that the shared real channels can serve (and a few they cannot).

Channel keys (see ``benchmarks.solver.CHANNELS``): ``defaults`` is Anaconda's defaults subset from
mid 2018 (index4: python ≤3.7, numpy ≤1.15, R 3.5), ``defaults-2017`` the 2017 subset (index2),
``defaults-2013`` the 2013 one (index), ``r`` the Anaconda ``r`` channel (on top of ``defaults``),
``pytorch`` the pytorch channel (on top of ``defaults``). ``scale`` runs the same request against the
conda-forge-sized generated channel instead.
"""

from __future__ import annotations

# (id, channel keys in priority order, specs, expected: "sat" or "unsat")
REQUESTS: list[tuple[str, tuple[str, ...], tuple[str, ...], str]] = [
    ("numpy", ("defaults",), ("numpy",), "sat"),
    ("scipy-stack", ("defaults",), ("numpy", "pandas", "scipy"), "sat"),
    ("data-science-36", ("defaults",), ("python=3.6", "numpy", "pandas", "matplotlib", "ipywidgets"), "sat"),
    ("jupyter", ("defaults",), ("jupyter",), "sat"),
    ("notebook", ("defaults",), ("notebook",), "sat"),
    ("dask", ("defaults",), ("dask",), "sat"),
    ("bokeh", ("defaults",), ("bokeh",), "sat"),
    ("dask-distributed-bokeh", ("defaults",), ("dask", "distributed", "bokeh"), "sat"),
    ("jupyter-pandas-seaborn", ("defaults",), ("jupyter", "pandas", "matplotlib", "beautifulsoup4"), "sat"),
    ("pandas-py35", ("defaults",), ("pandas", "python=3.5"), "sat"),
    ("py27-scipy", ("defaults",), ("python=2.7", "numpy", "scipy"), "sat"),
    ("py37-numpy", ("defaults",), ("python=3.7", "numpy"), "sat"),
    ("web", ("defaults",), ("flask", "sqlalchemy", "requests"), "sat"),
    ("ipython-py27", ("defaults",), ("ipython", "python=2.7"), "sat"),
    ("conda", ("defaults",), ("conda",), "sat"),
    ("conda-build", ("defaults",), ("conda-build",), "sat"),
    ("numpy-nomkl", ("defaults",), ("numpy", "nomkl"), "sat"),
    ("numpy-111-py36", ("defaults",), ("numpy=1.11", "python=3.6"), "sat"),
    ("pandas-020", ("defaults",), ("pandas=0.20", "python=3.6"), "sat"),
    ("llvmlite-py36", ("defaults",), ("llvmlite", "python=3.6"), "sat"),
    ("ibis-impyla", ("defaults",), ("ibis-framework", "impyla"), "sat"),
    ("postgres-stack", ("defaults",), ("psycopg2", "sqlalchemy", "pandas"), "sat"),
    ("graphviz", ("defaults",), ("python-graphviz", "graphviz"), "sat"),
    ("gevent-py36", ("defaults",), ("gevent", "python=3.6"), "sat"),
    ("aws", ("defaults",), ("boto3", "pyyaml", "requests"), "sat"),
    ("r-base-defaults", ("defaults",), ("r-base",), "sat"),
    ("r-essentials-defaults", ("defaults",), ("r-essentials",), "sat"),
    ("old-py27-numpy", ("defaults-2017",), ("python=2.7", "numpy<1.12"), "sat"),
    ("old-numpy110-py35", ("defaults-2017",), ("numpy=1.10", "python=3.5"), "sat"),
    ("old-pandas-py35", ("defaults-2017",), ("pandas", "scipy", "python=3.5"), "sat"),
    ("old-dask-bokeh-py27", ("defaults-2017",), ("dask", "bokeh", "python=2.7"), "sat"),
    ("old-ipython-py27", ("defaults-2017",), ("ipython", "python=2.7"), "sat"),
    ("old-conda-py35", ("defaults-2017",), ("conda", "python=3.5"), "sat"),
    ("2013-py26-numpy", ("defaults-2013",), ("python=2.6", "numpy"), "sat"),
    ("2013-py33-scipy", ("defaults-2013",), ("python=3.3", "numpy", "scipy"), "sat"),
    ("2013-anaconda", ("defaults-2013",), ("anaconda",), "sat"),
    ("2013-anaconda-py27", ("defaults-2013",), ("anaconda=1.5", "python=2.7"), "sat"),
    ("r-base", ("r", "defaults"), ("r-base",), "sat"),
    ("r-essentials", ("r", "defaults"), ("r-essentials",), "sat"),
    ("r-ggplot2", ("r", "defaults"), ("r-ggplot2",), "sat"),
    ("r-tidyverse", ("r", "defaults"), ("r-dplyr", "r-tidyr", "r-readr"), "sat"),
    ("r-shiny", ("r", "defaults"), ("r-shiny",), "sat"),
    ("r-34-ggplot2", ("r", "defaults"), ("r-base=3.4", "r-ggplot2"), "sat"),
    ("rpy2", ("r", "defaults"), ("rpy2",), "sat"),
    ("pytorch-cpu", ("pytorch", "defaults"), ("pytorch-cpu",), "sat"),
    ("faiss-cpu", ("pytorch", "defaults"), ("faiss-cpu",), "sat"),
    ("pytorch-cpu-py36", ("pytorch", "defaults"), ("pytorch-cpu", "python=3.6", "numpy"), "sat"),
    ("unsat-numpy115-py26", ("defaults",), ("numpy=1.15", "python=2.6"), "unsat"),
    ("unsat-pandas-py37", ("defaults-2017",), ("pandas", "python=3.7"), "unsat"),
    ("unsat-py37-pandas020", ("defaults",), ("python=3.7", "pandas=0.20"), "unsat"),
    ("unsat-notebook50-py37", ("defaults",), ("ipywidgets", "python=3.7", "notebook=5.0"), "unsat"),
    ("unsat-r34-essentials35", ("r", "defaults"), ("r-base=3.4", "r-essentials=3.5"), "unsat"),
    ("unsat-two-r", ("r", "defaults"), ("r-base=3.5", "r-ggplot2", "r-base=3.4"), "unsat"),
    ("unsat-missing", ("defaults",), ("numpy", "this-package-does-not-exist"), "unsat"),
    ("unsat-old-numpy-py37", ("defaults",), ("numpy<1.9", "python=3.7"), "unsat"),
]

# The subset the pytest suite solves (fast, one of each kind).
TEST_SUBSET = ("scipy-stack", "data-science-36", "dask-distributed-bokeh", "numpy-nomkl", "old-py27-numpy",
               "2013-anaconda", "r-essentials", "pytorch-cpu-py36", "unsat-numpy115-py26", "unsat-two-r",
               "unsat-py37-pandas020", "unsat-r34-essentials35")
