"""Containment: paths from data confined, symlinks never followed on removal, bounds on every parse, verified installs, no secrets on disk."""
