"""conda's data types, pure: versions and version specs, MatchSpec, package records, platforms and
channels. Nothing here does I/O (an import-linter contract holds it), so every other layer can use them."""
