"""Node.js and npm as the deploy account uses them to build a release's assets."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from tests.helpers.playbooks import ROOT, ansible_playbook

MIN_MAJOR = 18


def test_node_and_npm_run_for_an_unprivileged_user_at_the_minimum_version(host):
    result = host.run("runuser -u builder -- sh -c 'cd && node --version && npm --version'")
    assert result.rc == 0, result.stdout + result.stderr
    node, npm = result.stdout.split()
    assert int(re.match(r"v(\d+)\.", node).group(1)) >= MIN_MAJOR, f"node {node}"
    assert int(npm.split(".")[0]) >= 9, f"npm {npm}"


def test_npm_run_build_works_for_an_unprivileged_user(host):
    # The shape of a release's build (runbook 2.1): npm runs a package.json script with node.
    files = {
        "package.json": '{"name": "probe", "private": true, "scripts": {"build": "node build.js"}}',
        "build.js": "require('fs').writeFileSync('built.txt', 'built by node ' + process.version)",
    }
    setup = "; ".join(f"printf '%s' {shlex.quote(body)} > {name}" for name, body in files.items())
    script = f'set -e; cd "$(mktemp -d)"; {setup}; npm run build --silent; cat built.txt'
    result = host.run(f"runuser -u builder -- sh -c {shlex.quote(script)}")
    assert result.rc == 0, result.stdout + result.stderr
    assert result.stdout.strip().startswith("built by node v"), result.stdout + result.stderr


def test_a_minimum_above_what_debian_ships_fails_with_both_versions(host, tmp_path):
    play = tmp_path / "play.yml"
    # The minimal facts name the release; the scenario's strategy keeps this run short.
    play.write_text("- name: Ask for a newer Node.js\n  hosts: all\n  gather_subset: [min]\n  roles: [nodejs]\n")
    strategy = {
        "ANSIBLE_STRATEGY": os.environ.get("DEENIFY_STRATEGY", "mitogen_linear"),
        "ANSIBLE_STRATEGY_PLUGINS": str(ROOT / "tests/molecule/strategy_plugins"),
    }
    run = ansible_playbook(
        "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--tags", "nodejs-version",
        "-e", "nodejs_min_major_version=99", str(play), cwd=Path(tmp_path), extra_env=strategy,
    )  # fmt: skip
    assert run.returncode != 0, run.stdout[-3000:]
    text = " ".join(run.stdout.split())
    installed = host.run("node --version").stdout.strip().lstrip("v")
    assert f"Node.js {installed} is installed" in text, run.stdout[-3000:]
    assert "nodejs_min_major_version asks for 99 or newer" in text, run.stdout[-3000:]
    assert "Lower nodejs_min_major_version" in text, run.stdout[-3000:]
