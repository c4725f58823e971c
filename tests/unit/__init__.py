"""In-process tests, one folder per naja package (tests/unit/<package> mirrors naja/<package>)."""
