"""Installing into a prefix: the transaction (plan, journal, rollback), linking files with prefix
replacement and ``noarch: python``, and the prefix's ``conda-meta`` records and pip-installed packages."""
