"""The inventories and site.yml: what an operator relies on before any host is touched."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleError
from ansible.parsing.vault import VaultLib, VaultSecret

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
def test_every_host_belongs_to_a_group(env):
    # A stray file in the inventory directory becomes a host of no group: caught here.
    data = inventory(env)
    assert not data.get("ungrouped", {}).get("hosts"), f"{env}: hosts in no group: {data['ungrouped']['hosts']}"


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


def vault_file(env: str) -> dict[str, str]:
    """The vault file of ``env``: each name with its encrypted text, refusing any plain value."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_constructor("!vault", lambda loader, node: ("vault", loader.construct_scalar(node)))
    data = yaml.load((ROOT / "inventories" / env / "group_vars" / "all" / "vault.yml").read_text(), Loader=Loader)  # noqa: S506 - SafeLoader plus the !vault tag
    plain = sorted(name for name, value in data.items() if not (isinstance(value, tuple) and value[0] == "vault"))
    assert not plain, f"{env}: vault.yml holds values that are not encrypted: {plain}"
    return {name: value[1] for name, value in data.items()}


def referenced_vault_names(env: str) -> set[str]:
    return set(
        re.findall(r"\bvault_\w+", (ROOT / "inventories" / env / "group_vars" / "all" / "secrets.yml").read_text())
    )


def decrypt(text: str, password: bytes) -> str:
    secret = VaultSecret(password)
    return VaultLib([("default", secret)]).decrypt(text.encode()).decode()


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_every_secret_is_encrypted_in_the_vault_under_its_environment_id(env):
    values = vault_file(env)
    missing = referenced_vault_names(env) - set(values)
    assert referenced_vault_names(env), f"{env}: secrets.yml names no vault variable"
    assert not missing, f"{env}: secrets.yml uses {sorted(missing)}, which vault.yml does not define"
    headers = {name: text.splitlines()[0] for name, text in values.items()}
    wrong = {name: h for name, h in headers.items() if h != f"$ANSIBLE_VAULT;1.2;AES256;{env}"}
    assert not wrong, f"{env}: values not encrypted under the vault id {env}: {wrong}"


def test_the_local_vault_opens_with_its_committed_throwaway_password():
    password = (ROOT / "inventories" / "local-vault-password").read_bytes().strip()
    assert not os.access(ROOT / "inventories" / "local-vault-password", os.X_OK), (
        "an executable password file is run as a script by Ansible"
    )
    values = {name: decrypt(text, password) for name, text in vault_file("local").items()}
    key = values.pop("vault_app_key")
    assert key.startswith("base64:"), "APP_KEY does not start with base64:"
    assert len(base64.b64decode(key[7:])) == 32, "APP_KEY is not 32 bytes"
    assert all(len(v) >= 24 for v in values.values()), "a local password is shorter than 24 characters"
    assert len(set(values.values())) == len(values), "two local secrets share a value"


@pytest.mark.parametrize("env", ["staging", "production"])
def test_the_local_password_opens_no_other_environment(env):
    password = (ROOT / "inventories" / "local-vault-password").read_bytes().strip()
    for name, text in vault_file(env).items():
        with pytest.raises(AnsibleError):
            decrypt(text, password)
        assert name.startswith("vault_")
