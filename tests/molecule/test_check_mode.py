"""Drift detection: on a converged host, ``--check --diff`` must report no change.

Molecule adds this file to the verify step of every scenario (see
.config/molecule/config.yml). It replays the scenario's converge playbook in check mode
against the scenario's instances and fails with the tasks, hosts and diffs that would
have changed: a role whose check mode lies would hide drift from operators.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.check_mode import changed_hosts, changed_tasks, json_report


def test_check_mode_reports_no_change_on_converged_hosts() -> None:
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    playbook = scenario / "converge.yml"
    assert playbook.is_file(), f"no converge playbook at {playbook}"

    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="ansible.posix.json", ANSIBLE_NOCOLOR="1")
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
    report = json_report(proc.stdout)
    assert report["stats"], "the check run reached no host"
    assert not changed_hosts(report), "check mode would change a converged host:\n" + "\n".join(changed_tasks(report))
