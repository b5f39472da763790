"""SSH public key lines for tests: well formed, or broken in the ways people break them."""

from __future__ import annotations

import base64
import struct


def make_key(key_type: str, embedded: str | None = None, comment: str = "ops@laptop", fill: bytes = b"k") -> str:
    """A public key line whose body holds ``embedded`` (default: ``key_type``) as its type."""
    inner = (embedded or key_type).encode()
    blob = struct.pack(">I", len(inner)) + inner + struct.pack(">I", 32) + fill * 32
    return f"{key_type} {base64.b64encode(blob).decode()} {comment}".strip()


def truncate(key: str, chars: int = 5) -> str:
    """The key as it looks when a copy and paste lost its last characters (and comment)."""
    kind, body = key.split()[:2]
    return f"{kind} {body[:-chars]}"
