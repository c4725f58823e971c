"""Tests of the tools that drive micromamba (conda-lock, nox, pre-commit, hatch-conda, metaflow, conda-pack...) run against naja offline."""
