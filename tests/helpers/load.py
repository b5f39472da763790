"""A bounded load generator: steady requests to one test instance, every answer recorded.

It runs in a thread beside a deploy or a rollback and records, for each request, when it
was sent, the status (or the connection error) and the release that answered
(X-Deenify-Release). It only ever talks to the address it is given, which the tests take
from their own instances, and it stops by itself after ``max_requests`` or ``max_seconds``.
"""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

RELEASE_HEADER = "X-Deenify-Release"


@dataclass(frozen=True)
class Answer:
    sent: float
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    release: str
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class Load:
    address: str
    host: str
    path: str = "/"
    port: int = 80
    rate: float = 25.0
    max_requests: int = 6000
    max_seconds: float = 300.0
    answers: list[Answer] = field(default_factory=list)
    workers: int = 8
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None

    def __repr__(self) -> str:
        return f"Load({self.address}{self.path}: {self.summary()})"

    def __enter__(self) -> Load:
        self._thread = threading.Thread(target=self._run, name="load", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self) -> None:
        # Requests leave on a fixed schedule, each in a worker of its own, so a slow answer
        # (a host busy building a release) does not lower the rate the server sees.
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="load") as pool:
            for n in range(self.max_requests):
                due = started + n / self.rate
                if due - started > self.max_seconds or self._stop.wait(max(0.0, due - time.monotonic())):
                    break
                pool.submit(self._record)

    def _record(self) -> None:
        answer = self._one(time.monotonic())
        with self._lock:
            self.answers.append(answer)

    def _one(self, sent: float) -> Answer:
        connection = http.client.HTTPConnection(self.address, self.port, timeout=10)
        try:
            connection.request("GET", self.path, headers={"Host": self.host})
            reply = connection.getresponse()
            reply.read()
            return Answer(sent, reply.status, reply.getheader(RELEASE_HEADER) or "")
        except (OSError, http.client.HTTPException) as error:
            return Answer(sent, 0, "", f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    # What the tests assert on.

    def in_order(self) -> list[Answer]:
        """The answers by the time their request left (they may arrive out of order)."""
        with self._lock:
            return sorted(self.answers, key=lambda answer: answer.sent)

    def failures(self) -> list[Answer]:
        return [a for a in self.in_order() if not a.ok]

    def rate_seen(self) -> float:
        answers = self.in_order()
        if len(answers) < 2:
            return 0.0
        return (len(answers) - 1) / (answers[-1].sent - answers[0].sent)

    def releases_in_order(self) -> list[str]:
        """The releases that answered, each run of equal answers folded into one entry."""
        runs: list[str] = []
        for answer in self.in_order():
            if answer.ok and (not runs or runs[-1] != answer.release):
                runs.append(answer.release)
        return runs

    def summary(self) -> str:
        failed = self.failures()
        head = f"{len(self.in_order())} requests at {self.rate_seen():.1f}/s, {len(failed)} failed"
        sample = "; ".join(f"{a.status} {a.error}".strip() for a in failed[:5])
        return f"{head}; releases in order: {self.releases_in_order()}" + (f"; failures: {sample}" if failed else "")
