"""Drift detection: on a converged host, ``--check --diff`` must report no change.

Molecule adds this file to the verify step of every scenario (see
.config/molecule/config.yml). It replays the scenario's converge playbook in check mode
against the scenario's instances and fails with the tasks, hosts and diffs that would
have changed: a role whose check mode lies would hide drift from operators.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.helpers.check_mode import changed_hosts, changed_tasks, json_report
from tests.helpers.playbooks import ansible_playbook


def test_check_mode_reports_no_change_on_converged_hosts() -> None:
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    playbook = scenario / "converge.yml"
    assert playbook.is_file(), f"no converge playbook at {playbook}"

    proc = ansible_playbook(
        "-i", inventory, "--check", "--diff", str(playbook),
        cwd=scenario, timeout=1200, extra_env={"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"},
    )  # fmt: skip
    assert proc.returncode == 0, (
        f"check run failed (rc={proc.returncode})\nstdout (end):\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )
    report = json_report(proc.stdout)
    assert report["stats"], "the check run reached no host"
    assert not changed_hosts(report), "check mode would change a converged host:\n" + "\n".join(changed_tasks(report))
