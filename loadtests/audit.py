"""The audit's side of a run (``audit: true``): the ledger the journeys keep, and the store read back.

    ledger = Ledger()
    ledger.add(LedgerEntry(t=t0, done=t1, user=email, op="create", outcome="ack", task=task_id, ...))
    writer.append_many("audit/local.jsonl", ledger.drain())       # as the run goes
    for account in snapshot_store(url, emails, password, "after"):  # once the users stopped
        writer.append("audit/store-after.jsonl", account)

The journeys (``loadtests.journeys``) add to the process's :class:`Ledger`; a local run appends it
to the run directory every second, a worker ships it to its master with each report. The store is
read through the API as each seeded account (the journeys' accounts) after seeding and after the
users stopped; ``reports.audit`` compares the three. Plain ``urllib``, like seeding: these reads
are not measured.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator

import gevent.pool
from rich.console import Console

from loadgate import runformat as rf
from loadgate.runformat import LedgerEntry, StoreAccount

PAGE = 100
"""Tasks per list page the audit reads (the API's most)."""
ATTEMPTS = 5
"""Tries per request before an account counts as unread (a sign-in may be shed with 503)."""
READERS = 8
"""Accounts read at once."""
TIMEOUT_S = 30.0


class Ledger:
    """One process's ledger entries not yet persisted or shipped.

        ledger.add(entry); ledger.drain()   # -> [entry], and empty again
    """

    def __init__(self) -> None:
        self.pending: list[LedgerEntry] = []

    def add(self, entry: LedgerEntry) -> None:
        self.pending.append(entry)

    def drain(self) -> list[LedgerEntry]:
        out, self.pending = self.pending, []
        return out


class _Unread(Exception):
    pass


def _request(url: str, body: dict | None = None, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    last = ""
    for attempt in range(ATTEMPTS):
        request = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as resp:
                answer = json.loads(resp.read())
                if isinstance(answer, dict):
                    return answer
                last = "an answer that is not a JSON object"
        except urllib.error.HTTPError as exc:
            last = f"{exc.code}"
            if exc.code < 500 and exc.code != 429:
                break  # refused: asking again gets the same answer
        except (OSError, ValueError) as exc:
            last = str(exc)[:200]
        time.sleep(min(8.0, 0.5 * 2 ** attempt))
    raise _Unread(f"{urllib.parse.urlsplit(url).path}: {last}")


def read_account(base: str, email: str, password: str, nonce: str) -> StoreAccount:
    """Every task of one account, through the API; ``ok=False`` with the reason if it could not.

    The list's pages carry an ``audit`` query parameter the API ignores: a page is cached under
    its query string, so this one is read from the store, not from a page cached before a change
    made behind the API's back.
    """
    t = time.time()
    try:
        token = _request(f"{base}/auth/login", {"email": email, "password": password}).get("access_token")
        if not token:
            raise _Unread("/auth/login: no access_token")
        tasks: list[dict] = []
        cursor: str | None = None
        while True:
            query = {"limit": PAGE, "audit": nonce, **({"cursor": cursor} if cursor else {})}
            page = _request(f"{base}/tasks?{urllib.parse.urlencode(query)}", token=token)
            tasks += [item for item in page.get("items") or [] if isinstance(item, dict)]
            cursor = page.get("next_cursor")
            if not cursor:
                return StoreAccount(t=t, user=email, tasks=tasks)
    except _Unread as exc:
        return StoreAccount(t=t, user=email, ok=False, error=str(exc))


def snapshot_store(base: str, accounts: list[str], password: str, nonce: str,
                   progress: Callable[[int, int], None] = lambda done, total: None) -> Iterator[StoreAccount]:
    """Every seeded account's tasks, read :data:`READERS` accounts at a time, in account order;
    ``progress(done, total)`` after each account."""
    pool = gevent.pool.Pool(READERS)
    for done, account in enumerate(pool.imap(lambda e: read_account(base, e, password, nonce), accounts), 1):
        progress(done, len(accounts))
        yield account


def read_store(writer: rf.RunWriter, name: str, base: str, accounts: list[str], password: str, run_id: str,
               console: Console, interrupted: Callable[[], object]) -> None:
    """Every seeded account's tasks, read through the API into the run file ``name`` (the audit's
    evidence), with a progress line every 5 s."""
    t0 = last = time.monotonic()
    rows: list[StoreAccount] = []
    phase = "after the run" if name == rf.STORE_AFTER else "before the run"

    def progress(done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= 5.0 and done < total:
            last = time.monotonic()
            console.print(f"audit: reading the store {phase}: {done:,}/{total:,} accounts", highlight=False)

    for account in snapshot_store(base, accounts, password, f"{run_id}-{name}", progress):
        rows.append(account)
        if interrupted():
            break
    writer.append_many(name, rows)
    unread = sum(not a.ok for a in rows)
    console.print(
        f"audit: read {len(rows):,} accounts, {sum(len(a.tasks) for a in rows):,} tasks {phase} in "
        f"{time.monotonic() - t0:.1f}s (not measured)"
        + (f"; {unread:,} could not be read" if unread else ""),
        highlight=False)
