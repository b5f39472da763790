"""Run the repository's own modules through Ansible on the controller, as a play would.

Unit tests call the modules' functions directly; these helpers also push arguments
through Ansible itself, so argument_spec, no_log, check mode and diff mode are exercised
for real. Everything runs on localhost with a local connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args

from tests.helpers.check_mode import json_report
from tests.helpers.playbooks import ROOT, ansible_playbook

JSON_CALLBACK = {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1"}


def run_in_process(main: Callable[[], object], capsys, args: dict, check: bool = False, diff: bool = False) -> dict:
    """Run a module's ``main`` in this process with ``args`` (check and diff mode as asked); its JSON result."""
    with patch_module_args({**args, "_ansible_check_mode": check, "_ansible_diff": diff}), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out)


def run_module_adhoc(module_name: str, args: dict, *flags: str) -> dict:
    """``ansible localhost -m module_name -a args`` with ``flags`` (--check, --diff); the host's result."""
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), **JSON_CALLBACK}
    command = [
        str(Path(sys.executable).parent / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
        "-e", f"ansible_python_interpreter={sys.executable}", "-m", module_name, "-a", json.dumps(args), *flags,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    return json_report(done.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def run_local_play(
    workdir: Path, tasks: list[dict], play_vars: dict | None = None, extra_env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    """Run ``tasks`` in one play on localhost; the run and each task's result, in order."""
    play = [
        {"name": "Run the module", "hosts": "localhost", "connection": "local", "gather_facts": False,
         "vars": play_vars or {}, "tasks": tasks},
    ]  # fmt: skip
    (workdir / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    (workdir / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n")
    run = ansible_playbook(
        "-i", "hosts.yml", "-e", f"ansible_python_interpreter={sys.executable}", "play.yml",
        cwd=workdir, extra_env={**JSON_CALLBACK, **(extra_env or {})}, timeout=300,
    )  # fmt: skip
    report = json_report(run.stdout)
    return run, [task["hosts"]["localhost"] for task in report["plays"][0]["tasks"]]
