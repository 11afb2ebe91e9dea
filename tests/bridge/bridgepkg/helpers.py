import sys

RUNS_ON = sys.implementation.name


def upper(s):
    return s.upper() + "!"
