"""Package files: reading and safely extracting ``.conda``/``.tar.bz2`` archives, creating and transmuting
them, downloading them with checksum verification, and the shared package cache that holds them."""
