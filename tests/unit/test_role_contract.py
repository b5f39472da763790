"""What every role must provide to plug into the harness (see README, "Adding a role")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if p.is_dir())


def test_there_are_roles():
    assert ROLES, "no roles found under roles/"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_role_has_specs_readme_and_a_molecule_scenario(role):
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    assert specs["argument_specs"]["main"]["options"], f"{role.name}: argument_specs lists no options"
    assert (role / "README.md").is_file(), f"{role.name}: no README.md"
    scenario = role / "molecule" / "default"
    for name in ("molecule.yml", "converge.yml"):
        assert (scenario / name).is_file(), f"{role.name}: no molecule/default/{name}"
    tests = list((scenario / "tests").glob("test_*.py"))
    assert tests, f"{role.name}: molecule/default/tests has no testinfra test"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_default_is_declared_in_argument_specs(role):
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    options = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert sorted(set(defaults) - set(options)) == [], f"{role.name}: defaults missing from argument_specs"
    # A required option (a secret such as a password) has no default: the inventory must give it.
    optional = {name for name, spec in options.items() if not spec.get("required")}
    assert sorted(optional - set(defaults)) == [], f"{role.name}: argument_specs options without a default"
    required_with_default = sorted(name for name, spec in options.items() if spec.get("required") and name in defaults)
    assert required_with_default == [], f"{role.name}: required options must not have a default"
    for name, value in defaults.items():
        assert options[name].get("default") == value, f"{role.name}: {name} default differs from argument_specs"
        assert name.startswith(role.name + "_"), f"{role.name}: {name} lacks the role prefix"


def test_role_readme_tables_match_argument_specs():
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "role-docs"), "--check"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
