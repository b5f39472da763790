"""The audit log: one JSON object per line, only ever appended to.

Each command the bot receives leaves a record when it is refused, when its job starts
and when the job ends: who, the command and its arguments, the approver, the job id,
start, end and result. Values pass the redactor first, so no secret lands here.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chatops.redact import Redactor


def now_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class AuditLog:
    def __init__(self, path: Path, redactor: Redactor | None = None) -> None:
        self.path = Path(path)
        self._redactor = redactor or Redactor(())
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def write(self, **record: object) -> dict[str, Any]:
        """Append one record; O_APPEND keeps each line whole even with other writers."""
        clean = self._redactor.redact_value(record)
        line = (json.dumps(clean, sort_keys=True, ensure_ascii=False) + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
        assert isinstance(clean, dict)
        return clean

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]
