"""The naja command line: a thin layer over ``naja.api``."""
