"""Second-person approvals: a request waits for another person, within a window.

Requests are kept in a JSON file under the bot's state directory (locked while read
and written), so an approval given from another process (a second CLI call, another
adapter) finds the request.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chatops.commands import Command
from chatops.permissions import Policy


class ApprovalError(ValueError):
    """An approval that cannot be given; the text says why."""


@dataclass(frozen=True)
class Pending:
    id: str
    requester: str
    command: Command
    requested: float
    expires: float
    approver_role: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Pending:
        return cls(**{**data, "command": Command(**data["command"])})


class Approvals:
    def __init__(self, policy: Policy, path: Path) -> None:
        self._policy = policy
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Pending]]:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            text = handle.read()
            pending = {k: Pending.from_json(v) for k, v in (json.loads(text) if text.strip() else {}).items()}
            before = dict(pending)
            yield pending
            if pending != before:
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps({k: p.to_json() for k, p in pending.items()}, indent=1))
                handle.flush()
                os.fsync(handle.fileno())

    def request(self, requester: str, command: Command, now: float, approver_role: str = "admin") -> Pending:
        pending = Pending(
            id=secrets.token_hex(4),
            requester=requester,
            command=command,
            requested=now,
            expires=now + self._policy.approval_window,
            approver_role=approver_role,
        )
        with self._locked() as waiting:
            waiting[pending.id] = pending
        return pending

    def approve(self, approval_id: str, approver: str, now: float) -> Pending:
        """The request, taken off the list; ApprovalError when this approver or moment cannot approve it."""
        with self._locked() as waiting:
            pending = waiting.get(approval_id)
            if pending is None:
                raise ApprovalError(f"no request {approval_id} waits for approval (approved, denied or never made)")
            if now > pending.expires:
                del waiting[approval_id]
                raise ApprovalError(
                    f"request {approval_id} ({pending.command.describe()}) expired "
                    f"{self._policy.approval_window} s after it was made; ask again"
                )
            if approver == pending.requester:
                raise ApprovalError(
                    f"{self._policy.name(approver)} asked for {approval_id} ({pending.command.describe()}): "
                    "a second person must approve it"
                )
            environment = pending.command.environment or ""
            if not self._policy.has(approver, environment, pending.approver_role):
                raise ApprovalError(
                    f"approving {pending.command.describe()} needs {pending.approver_role} in {environment}; "
                    f"{self._policy.name(approver)} has {self._policy.role(approver, environment) or 'no role'} there"
                )
            del waiting[approval_id]
            return pending

    def deny(self, approval_id: str, who: str) -> Pending:
        with self._locked() as waiting:
            pending = waiting.pop(approval_id, None)
        if pending is None:
            raise ApprovalError(f"no request {approval_id} waits for approval")
        return pending

    def waiting(self, now: float) -> list[Pending]:
        with self._locked() as waiting:
            for key in [k for k, p in waiting.items() if now > p.expires]:
                del waiting[key]
            return sorted(waiting.values(), key=lambda p: p.requested)
