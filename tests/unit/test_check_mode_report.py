"""The drift check of every scenario reads ansible's JSON report correctly."""

from __future__ import annotations

import json

import pytest

from tests.helpers.check_mode import changed_hosts, changed_tasks, json_report


def report(changed: bool) -> dict:
    result = {"changed": changed, "diff": {"before": "SystemMaxUse=1G\n", "after": "SystemMaxUse=64M\n"}}
    return {
        "plays": [
            {"tasks": [{"task": {"name": "common : Cap the journal's size and age"}, "hosts": {"web1": result}}]}
        ],
        "stats": {"web1": {"ok": 30, "changed": int(changed)}, "db1": {"ok": 30, "changed": 0}},
    }


def test_report_is_found_between_other_callbacks_output():
    stdout = "Thursday 03 December 2026 (0:00:01) *****\n" + json.dumps(report(True), indent=4) + "\nPlaybook took 3s\n"
    assert json_report(stdout) == report(True)


def test_a_drifted_host_is_named_with_its_task_and_diff():
    drifted = report(True)
    assert changed_hosts(drifted) == {"web1": 1}
    (line,) = changed_tasks(drifted)
    assert line.startswith("web1: common : Cap the journal's size and age")
    assert "SystemMaxUse=1G" in line


def test_a_clean_run_reports_nothing():
    clean = report(False)
    assert changed_hosts(clean) == {}
    assert changed_tasks(clean) == []


def test_output_without_a_report_is_an_error_not_a_pass():
    with pytest.raises(ValueError, match="no JSON report"):
        json_report("ERROR! the playbook could not be parsed\n")
