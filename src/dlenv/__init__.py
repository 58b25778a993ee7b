"""dlenv: set up and diagnose deep-learning environments.

Importing this package is cheap on purpose: it pulls in no probe and no framework.
"""

__version__ = "0.1.0"
