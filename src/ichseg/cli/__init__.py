"""The ``ichseg`` command line: argument parsing only, every job is a Python API call."""
