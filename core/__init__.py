"""The core every layer may import: the event schema, the errors, the clock, time helpers.

It imports nothing else of timeaudit (tests/test_layers.py checks it). The version is
written here once; setuptools reads it (pyproject ``[tool.setuptools.dynamic]``).
"""

__version__ = "0.1.0"
