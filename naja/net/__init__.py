"""How naja talks to the network as users have it: proxies (``proxy``), TLS trust (``tls``),
credentials (``credentials``), mirrors (``mirrors``), all gathered per run in ``settings``.

Everything here is pure or lazily loaded: the CLI imports it only when a command goes online.
"""
