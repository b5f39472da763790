"""Drift detection: on a converged host, ``--check --diff`` must report no change.

Molecule adds this file to the verify step of every scenario (see
.config/molecule/config.yml). It replays the scenario's converge playbook in check mode
against the scenario's instances and fails with the tasks, hosts and diffs that would
have changed: a role whose check mode lies would hide drift from operators.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _changed_tasks(report: dict) -> list[str]:
    lines = []
    for play in report.get("plays", []):
        for task in play.get("tasks", []):
            for host, result in task.get("hosts", {}).items():
                if result.get("changed"):
                    diff = json.dumps(result.get("diff", ""), indent=1)[:1500]
                    lines.append(f"{host}: {task['task']['name']}\n  diff: {diff}")
    return lines


def _json_report(stdout: str) -> dict:
    # Other callbacks (profile_tasks) print around the report; it starts on a line of its own.
    newline_brace = stdout.find("\n{\n")
    assert stdout.startswith("{\n") or newline_brace >= 0, f"no JSON report in the output:\n{stdout[-3000:]}"
    start = 0 if stdout.startswith("{\n") else newline_brace + 1
    report, _ = json.JSONDecoder().raw_decode(stdout[start:])
    return report


def test_check_mode_reports_no_change_on_converged_hosts() -> None:
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    playbook = scenario / "converge.yml"
    assert playbook.is_file(), f"no converge playbook at {playbook}"

    env = dict(os.environ)
    env.update(
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_NOCOLOR="1",
    )
    ansible_playbook = Path(sys.executable).with_name("ansible-playbook")
    proc = subprocess.run(
        [str(ansible_playbook), "-i", inventory, "--check", "--diff", str(playbook)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert proc.returncode == 0, (
        f"check run failed (rc={proc.returncode})\nstdout (end):\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    report = _json_report(proc.stdout)
    stats = report["stats"]
    assert stats, "the check run reached no host"
    changed = {host: s["changed"] for host, s in stats.items() if s.get("changed")}
    assert not changed, "check mode would change a converged host:\n" + "\n".join(_changed_tasks(report))
