"""The inventories and site.yml: what an operator relies on before any host is touched."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

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


def required_secrets() -> set[str]:
    """Options that roles require without a default: the secrets an inventory must give."""
    names = set()
    for specs in (ROOT / "roles").glob("*/meta/argument_specs.yml"):
        options = yaml.safe_load(specs.read_text())["argument_specs"]["main"]["options"]
        names |= {name for name, spec in options.items() if spec.get("required")}
    return names


def test_roles_require_secrets():
    assert required_secrets(), "no role declares a required secret: the checks below would pass on nothing"


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_secrets_come_only_from_the_vault_variables(env):
    # A literal password committed in group_vars would fail here: every required secret is
    # exactly a reference to its vault_ variable, on every host.
    hostvars = inventory(env)["_meta"]["hostvars"]
    wrong = {
        (host, name): values.get(name)
        for host, values in hostvars.items()
        for name in required_secrets()
        if values.get(name) != "{{ vault_" + name + " }}"
    }
    assert not wrong, f"{env}: secrets not taken from the vault variables: {sorted(wrong)}"


def test_local_secrets_are_made_at_random_and_kept_outside_the_repository():
    hostvars = inventory("local")["_meta"]["hostvars"]
    for host, values in hostvars.items():
        for name in required_secrets():
            value = values.get("vault_" + name, "")
            assert "lookup('ansible.builtin.password', local_secrets_dir" in value, f"{host}: vault_{name} = {value!r}"
    assert ".local/" in (ROOT / ".gitignore").read_text().split()
