"""The scheduler role refuses a wrong inventory or input before any host is touched.

Laravel runs every due task once per `schedule:run`, so exactly one host may run the
scheduler: a play whose scheduler group holds none or several hosts stops on the
controller, naming the group and its members. The hosts here cannot be reached
(loopback, a closed port): a run that passes the checks gets as far as UNREACHABLE.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.helpers.playbooks import ansible_playbook, run_role_against_nothing

CLOSED = {"ansible_host": "127.0.0.1", "ansible_port": 1, "ansible_user": "nobody",
          "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o ConnectTimeout=3"}  # fmt: skip


def run_with_groups(tmp_path: Path, groups: dict[str, list[str]], role_vars: dict | None = None):
    """Apply the role to every host of an inventory made of ``groups`` (group -> hosts)."""
    hosts = sorted({host for members in groups.values() for host in members})
    inventory = {
        "all": {
            "hosts": dict.fromkeys(hosts, CLOSED),
            "children": {group: {"hosts": dict.fromkeys(members)} for group, members in groups.items()},
        }
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "vars.yml").write_text(yaml.safe_dump(role_vars or {}))
    (tmp_path / "play.yml").write_text(
        "- name: Apply scheduler\n  hosts: all\n  gather_facts: false\n  vars_files: [vars.yml]\n  roles: [scheduler]\n"
    )
    return ansible_playbook("-i", "inventory.yml", "play.yml", cwd=tmp_path, timeout=120)


def text(run: subprocess.CompletedProcess[str]) -> str:
    return " ".join(run.stdout.split())


def test_one_scheduler_host_passes_and_only_then_is_tried(tmp_path):
    run = run_with_groups(tmp_path, {"web": ["web1", "web2"], "scheduler": ["worker1"]})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]


def test_two_scheduler_hosts_are_refused_naming_both(tmp_path):
    run = run_with_groups(tmp_path, {"web": ["web1"], "scheduler": ["worker1", "worker2"]})
    assert run.returncode != 0
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]
    assert (
        "The inventory group 'scheduler' (scheduler_inventory_group) must hold exactly one host, the one that runs "
        "php artisan schedule:run every minute; it holds 2: worker1, worker2."
    ) in text(run), run.stdout[-3000:]
    assert "every scheduled task would run on each of them" in text(run), run.stdout[-3000:]


@pytest.mark.parametrize(
    "groups",
    [
        pytest.param({"web": ["web1"], "scheduler": []}, id="empty-group"),
        pytest.param({"web": ["web1"]}, id="no-group"),
    ],
)
def test_a_scheduler_group_without_hosts_is_refused(tmp_path, groups):
    run = run_with_groups(tmp_path, groups)
    assert run.returncode != 0
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]
    assert "The inventory group 'scheduler' (scheduler_inventory_group) must hold exactly one host" in text(run)
    assert "it holds 0. With two or more" in text(run), run.stdout[-3000:]


def test_the_group_is_the_one_scheduler_inventory_group_names(tmp_path):
    groups = {"scheduler": ["worker1", "worker2"], "cron": ["worker1"]}
    run = run_with_groups(tmp_path, groups, {"scheduler_inventory_group": "cron"})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]


@pytest.mark.parametrize(
    ("role_vars", "expected"),
    [
        pytest.param(
            {"scheduler_method": "systemd"}, "value of scheduler_method must be one of: cron, timer", id="method"
        ),
        pytest.param(
            {"scheduler_user": "root"}, "scheduler_user: 'root' must be a Unix user name and not root", id="root"
        ),
        pytest.param(
            {"scheduler_app_root": "/srv/deenify/"},
            "scheduler_app_root: '/srv/deenify/' must be an absolute path without spaces, '%' or a trailing slash",
            id="trailing-slash",
        ),
    ],
)
def test_bad_input_fails_before_the_host_naming_the_variable(tmp_path, role_vars, expected):
    # run_role_against_nothing's host is in no group: the inventory check would refuse it
    # too, so these runs give the role a scheduler group of their own.
    run = run_with_groups(tmp_path, {"scheduler": ["worker1"]}, role_vars)
    assert run.returncode != 0
    assert "UNREACHABLE" not in run.stdout, f"validation let it through:\n{run.stdout[-3000:]}"
    assert expected in text(run), run.stdout[-3000:]


def test_a_host_outside_any_scheduler_group_is_refused_with_the_reason(tmp_path):
    run = run_role_against_nothing(tmp_path, "scheduler", {})
    assert run.returncode != 0
    assert "must hold exactly one host" in text(run), run.stdout[-3000:]
