"""Shared test helpers: building packages and channels, a loopback HTTP server, running the CLI, faults, shells."""
