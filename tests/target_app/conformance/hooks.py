"""schemathesis hooks for the conformance run: the one string format the schema names itself.

A list cursor is opaque (``format: taskapi-cursor``): only a ``next_cursor`` the API returned is
one, so arbitrary strings would be refused as they should. Real cursors are made here, for any
position a page can end at.
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

from target_app.routers.tasks import CURSOR_FORMAT, LAST_MS, encode_cursor
from target_app.store.base import from_ms

_positions = st.tuples(st.integers(0, LAST_MS), st.from_regex(r"\A[0-9a-f]{24}\Z"))
schemathesis.openapi.format(
    CURSOR_FORMAT, _positions.map(lambda p: encode_cursor({"createdAt": from_ms(p[0]), "id": p[1]})))
