"""Make the repository's plugins importable by the unit tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for sub in ("filter_plugins", "library", "lookup_plugins", "module_utils"):
    path = str(ROOT / sub)
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="module")
def bad_input_runs(request, tmp_path_factory):
    """Every case of the test module's BAD_INPUT table against its ROLE, in one run.

    The module names the role in ``ROLE`` and may give ``BASE_VARS``, the good values
    every case starts from. Each case becomes a host of its own (see
    ``run_cases_against_nothing``); a test looks its outcome up by the case's variables.
    """
    from tests.helpers.playbooks import run_cases_against_nothing

    module = request.module
    base = getattr(module, "BASE_VARS", {})
    cases = [case.values[0] for case in module.BAD_INPUT]
    return run_cases_against_nothing(tmp_path_factory.mktemp("bad-input"), module.ROLE, cases, base=base)
