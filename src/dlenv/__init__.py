"""dlenv: set up and diagnose deep-learning environments.

Importing this package is cheap on purpose: it pulls in no probe and no framework.
"""

import os
import sys

__version__ = "0.1.0"


def _leave_pythonpath_to_the_user() -> None:
    """Take the user's `PYTHONPATH` entries off dlenv's own `sys.path`.

    They are the user's, meant for their code: another Python's site-packages (ROS, a system
    PYTHONPATH), a project's own `typing_extensions.py`. Imported by dlenv they break it or, with
    hundreds of entries, slow every import of its own modules. The facts about them are collected
    by the probes in a subprocess that keeps the environment as it is; only the entry that holds
    dlenv itself (a source checkout on PYTHONPATH) stays.
    """
    raw = os.environ.get("PYTHONPATH")
    if not raw or sys.flags.ignore_environment:
        return
    try:
        own = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        foreign = {os.path.abspath(p) for p in raw.split(os.pathsep) if p} - {own}
        if foreign:
            sys.path[1:] = [p for p in sys.path[1:] if not p or os.path.abspath(p) not in foreign]
    except OSError:  # a relative entry and a deleted working directory: leave sys.path alone
        return


_leave_pythonpath_to_the_user()
