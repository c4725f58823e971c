"""Tests through the console script (``python -m naja``) against local and loopback-HTTP channels: what a user or a script sees."""
