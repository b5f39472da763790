"""Make the repository's plugins importable by the unit tests."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for sub in ("filter_plugins", "library", "lookup_plugins", "module_utils"):
    path = str(ROOT / sub)
    if path not in sys.path:
        sys.path.insert(0, path)
