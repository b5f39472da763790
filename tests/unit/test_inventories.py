"""The inventories and site.yml: what an operator relies on before any host is touched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.playbooks import ROOT, ansible_playbook

ENVIRONMENTS = ["local", "staging", "production"]
GROUPS = {"web", "worker", "scheduler", "db", "cache", "monitoring", "backup"}


def inventory(env: str) -> dict:
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("ansible-inventory")), "-i", str(ROOT / "inventories" / env), "--list"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(proc.stdout)


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_group_has_hosts_and_exactly_one_runs_the_scheduler(env):
    data = inventory(env)
    empty = sorted(g for g in GROUPS if not data.get(g, {}).get("hosts"))
    assert not empty, f"{env}: groups without hosts: {empty}"
    assert len(data["scheduler"]["hosts"]) == 1, f"{env}: scheduler hosts {data['scheduler']['hosts']}"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_inventory_names_its_environment(env):
    hostvars = inventory(env)["_meta"]["hostvars"]
    named = {host: values.get("deenify_environment") for host, values in hostvars.items()}
    assert set(named.values()) == {env}, named


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_site_playbook_parses_with_each_inventory(env):
    run = ansible_playbook("-i", str(ROOT / "inventories" / env), "--syntax-check", "playbooks/site.yml", cwd=ROOT)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]


def test_site_playbook_refuses_to_run_without_an_environment(tmp_path):
    # An inventory of one unreachable host and no deenify_environment: the entry play
    # must stop with the reason before any host is contacted.
    (tmp_path / "hosts.yml").write_text(
        "all:\n  hosts:\n    closed-port:\n      ansible_host: 127.0.0.1\n      ansible_port: 1\n"
    )
    run = ansible_playbook("-i", str(tmp_path / "hosts.yml"), str(ROOT / "playbooks" / "site.yml"), cwd=tmp_path)
    assert run.returncode != 0
    assert "No environment: run with -i inventories/local" in " ".join(run.stdout.split()), run.stdout[-2000:]
    assert "UNREACHABLE" not in run.stdout, run.stdout[-2000:]
