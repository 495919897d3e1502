"""Real threads racing on the real database, for the concurrency tests.

Each action runs in its own thread, on its own database connection (Django keeps one per
thread), opened before a barrier so that every action starts at the same moment rather than
one after another; the connection is closed when the thread ends. Use with `committed_db`:
the threads only see rows the test has committed.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection

TIMEOUT = 60


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class Race:
    """Threads started at once (behind a barrier); `outcomes()` waits for them all."""

    def __init__(self, *actions: Callable[[], Any]):
        self._barrier = threading.Barrier(len(actions))
        self._outcomes: list[Outcome | None] = [None] * len(actions)
        self._threads = [
            threading.Thread(target=self._run, args=(i, a), daemon=True) for i, a in enumerate(actions)
        ]
        for t in self._threads:
            t.start()

    def _run(self, i: int, action: Callable[[], Any]) -> None:
        try:
            connection.ensure_connection()
            self._barrier.wait(timeout=TIMEOUT)
            self._outcomes[i] = Outcome(value=action())
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            self._outcomes[i] = Outcome(error=error)
        finally:
            connection.close()

    def done(self) -> bool:
        return not any(t.is_alive() for t in self._threads)

    def outcomes(self) -> list[Outcome]:
        for t in self._threads:
            t.join(TIMEOUT)
        assert self.done(), "a racing thread never finished (deadlock?)"
        return self._outcomes  # type: ignore[return-value]


def race(*actions: Callable[[], Any]) -> list[Outcome]:
    """Run every action at once, one thread each; returns their outcomes in order."""
    return Race(*actions).outcomes()


def errors_of(outcomes: list[Outcome]) -> list[BaseException]:
    return [o.error for o in outcomes if o.error is not None]
