"""Sizes of memory and files as operators write them (512M, 2G, 1.5GiB), read into bytes.

Each program wants its own spelling (PHP ``256M``, Redis ``512mb``, MariaDB ``1G``), so
roles read an inventory value into bytes once, refuse what is not a size with the
variable's name in the message, and write it back in the unit the program expects.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: sizes
short_description: Read sizes such as 512M or 2G into bytes or mebibytes
description:
  - C(size_bytes) reads a size into bytes; C(size_mb) into whole mebibytes, rounded down.
  - Multiples are binary (K = 1024). Units K, M, G, T, optionally followed by B or iB, in
    any case. A plain integer, or a string of digits, is a number of bytes.
  - The optional argument names the variable the size came from; the error names it.
author: deenify-ops
"""

EXAMPLES = r"""
# 536870912
redis_maxmemory_bytes: "{{ '512mb' | size_bytes('redis_maxmemory') }}"
# 256 (MiB, rounded down)
php_memory_limit_mb: "{{ '256M' | size_mb('php_memory_limit') }}"
"""

RETURN = r"""
_value:
  description: The size in bytes (size_bytes) or whole mebibytes, rounded down (size_mb).
  type: int
"""

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def size_bytes(value: object, name: str = "size") -> int:
    """``value`` in bytes; AnsibleFilterError naming ``name`` when it is not a size."""
    if isinstance(value, bool):
        raise AnsibleFilterError(f"{name}: {value!r} is not a size such as 512M or 2G")
    if isinstance(value, int):
        if value < 0:
            raise AnsibleFilterError(f"{name}: {value} is negative; a size such as 512M or 2G is expected")
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if not match:
        raise AnsibleFilterError(f"{name}: {value!r} is not a size such as 512M or 2G")
    number, unit = match.groups()
    if unit == "" and "." in number:
        raise AnsibleFilterError(f"{name}: {value!r} is a fraction of a byte; write a unit such as 512M")
    return int(float(number) * 1024 ** _POWERS[unit.lower()])


def size_mb(value: object, name: str = "size") -> int:
    """``value`` in whole mebibytes, rounded down."""
    return size_bytes(value, name) // 1024**2


class FilterModule:
    """Sizes of memory and files."""

    def filters(self) -> dict:
        return {"size_bytes": size_bytes, "size_mb": size_mb}
