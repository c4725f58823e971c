"""Environment description files: environment.yml, ``@EXPLICIT`` and plain spec lists, conda-lock
lockfiles; reading them for ``-f/--file`` and writing them for ``env export`` and ``lock``."""
