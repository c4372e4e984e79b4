"""Mute output written by native (C/C++) code to file descriptor 2."""

import contextlib
import os
import sys


@contextlib.contextmanager
def quiet_native_stderr():
    """Point fd 2 at /dev/null for the duration of the block, then restore it.

    Python-level errors still raise normally; only text that native libraries print directly to
    the process's stderr inside the block is dropped. Does nothing where fd 2 cannot be
    duplicated (for example some embedded interpreters).
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
