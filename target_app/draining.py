"""A replica told to stop keeps serving for a while first, so a rolling restart fails no request.

On SIGTERM with ``SHUTDOWN_DRAIN_SECONDS`` > 0 (target_app.server), the process goes on accepting
and answering for that long while ``/ready`` answers 503 (Kubernetes and balancers take it out of
service) and every response carries ``Connection: close`` (nginx and clients open their next
request elsewhere instead of reusing a connection this process is about to close). Only then
does uvicorn's own graceful shutdown close the socket. Without the drain, a balancer can send a
POST down a kept-alive connection in the instant the server closes it, and nginx does not resend a
POST that reached a replica: the client gets a 502.

Process-wide state: one process is one server (the API runs one uvicorn worker per replica).
"""

from __future__ import annotations

_draining = False


def begin() -> None:
    """From now on this process is stopping: unready, and closes each connection after its answer."""
    global _draining
    _draining = True


def active() -> bool:
    """Whether this process is draining."""
    return _draining
