"""Child processes that die with their parent, so a killed run leaves no API or worker behind.

    subprocess.Popen(args, start_new_session=True, preexec_fn=die_with_parent)

A child in its own session (so a terminal's Ctrl-C reaches only the parent, which stops it in
order) would otherwise outlive a parent killed with SIGKILL. Linux's parent-death signal sends it
SIGTERM instead, which it handles as a clean stop. Elsewhere this is a no-op.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """In a forked child before exec: ask the kernel to send ``sig`` when the parent dies.

    If the parent died already (between the fork and this call), stop now.
    """
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), sig)
