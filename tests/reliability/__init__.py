"""Failure and stress: broken archives, bad input, concurrent processes, crashes mid-transaction, fuzzing, flaky networks, secrets."""
