"""Configuration, one module per concern: ``schema`` holds every key naja reads (type, default,
description), value coercion and the typed ``Config``; ``locations`` says where things live on disk
(home, root prefix, the rc-file search path, the user's ``.condarc``) and expands configured paths;
``load`` reads rc files, ``CONDA_*``/``MAMBA_*`` variables and CLI overrides and merges them by
micromamba's precedence into a ``Config`` (``load_config``); ``edit`` changes one rc file for
``naja config set/append/prepend/remove/remove-key`` while keeping its comments and key order.
Import from those modules; this package imports nothing, and ruamel.yaml is loaded only when an rc
file is read or edited.
"""
