"""Children that must take Ctrl-C the way a user's shell gives it."""

from __future__ import annotations

import signal


def default_sigint() -> None:
    """`preexec_fn` for a child a test interrupts: a test run started in the background (`cmd &` in
    a non-interactive shell) passes SIGINT down ignored, and Python then never raises
    KeyboardInterrupt, so the child waited forever for a signal it could not receive."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
