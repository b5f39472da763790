"""The deploy_controller lookup: which process runs the play, and whether a lock's holder still runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import deploy_controller
import pytest
from ansible.errors import AnsibleLookupError
from ansible.plugins.loader import lookup_loader

REPO = Path(__file__).resolve().parents[2]

# What the lookup sees from a grandchild of the play: a worker forked from the main
# process (same command line, as ansible's workers are), which starts a Python of its own.
FAKE_ANSIBLE = """#!{python}
import json, os, subprocess, sys
probe = "import json, sys; sys.path.insert(0, {plugins!r}); import deploy_controller; "
probe += "print(json.dumps(deploy_controller.controller_info(warn=sys.exit)))"
read, write = os.pipe()
worker = os.fork()
if worker == 0:
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True).stdout
    os.write(write, out.encode())
    os._exit(0)
os.waitpid(worker, 0)
os.close(write)
print(json.dumps({{"pid": os.getpid(), "worker": worker, "seen": json.loads(os.read(read, 65536))}}))
"""


def started_as(pid: int, argv: list[str]) -> None:
    """Wait until ``pid`` runs ``argv``: right after a fork it still shows its parent's command line."""
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:-1] != [a.encode() for a in argv]:
        assert time.monotonic() < deadline, f"{pid} did not start {argv}"
        time.sleep(0.01)


def start_time(pid: int) -> str:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()[19]


@pytest.mark.parametrize(
    ("program", "args", "playbook"),
    [
        ("ansible-playbook", ["-i", "inventories/production/hosts.yml", "playbooks/deploy.yml", "-e", "x=1"], None),
        ("ansible-runner", ["run", "/srv/chatops/runner", "-p", "deploy.yml"], "deploy.yml"),
    ],
)
def test_the_walk_finds_the_process_that_runs_the_play(tmp_path, program, args, playbook):
    script = tmp_path / program
    script.write_text(FAKE_ANSIBLE.format(python=sys.executable, plugins=str(REPO / "lookup_plugins")))
    script.chmod(0o755)

    done = subprocess.run([str(script), *args], capture_output=True, text=True, timeout=60, check=True)

    report = json.loads(done.stdout)
    seen = report["seen"]
    assert seen["pid"] == report["pid"], f"found {seen['pid']}, not the main process {report['pid']} ({report})"
    assert seen["pid"] != report["worker"]
    assert seen["started"].isdigit()
    assert seen["playbook"] == (playbook or "playbooks/deploy.yml")
    assert seen["controller"] == socket.gethostname()
    assert seen["user"]


def test_without_an_ansible_process_the_parent_is_named_with_a_warning(monkeypatch):
    monkeypatch.setattr(deploy_controller, "find_ansible_process", lambda start=None: None)
    warnings = []
    info = deploy_controller.controller_info(warn=warnings.append)
    assert info["pid"] == os.getppid()
    assert info["started"] == start_time(os.getppid())
    assert len(warnings) == 1
    assert f"the parent process {os.getppid()}" in warnings[0]


def test_the_start_time_is_field_22_even_when_the_command_name_has_spaces(tmp_path):
    oddly_named = tmp_path / "a (b) c"
    oddly_named.symlink_to("/bin/sleep")
    sleeper = subprocess.Popen([str(oddly_named), "30"])
    try:
        started_as(sleeper.pid, [str(oddly_named), "30"])
        process = deploy_controller.read_process(sleeper.pid)
        assert (process.ppid, process.started) == (os.getpid(), start_time(sleeper.pid))
        assert process.argv == [str(oddly_named), "30"]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_ps_reads_the_same_process_as_proc():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        started_as(sleeper.pid, ["sleep", "30"])
        process = deploy_controller._read_ps(sleeper.pid)
        assert (process.pid, process.ppid, process.argv) == (sleeper.pid, os.getpid(), ["sleep", "30"])
        assert process.started
    finally:
        sleeper.kill()
        sleeper.wait()
    assert deploy_controller._read_ps(sleeper.pid) is None


@pytest.mark.parametrize(
    ("argv", "runs"),
    [
        (["/srv/ops/.venv/bin/python3", "/srv/ops/.venv/bin/ansible-playbook", "site.yml"], True),
        (["/usr/bin/python3.11", "-E", "/usr/bin/ansible-runner", "run", "."], True),
        (["ansible", "web", "-m", "ping"], True),
        (["/usr/bin/python3", "-m", "chatops.bot"], False),
        (["/usr/bin/ansible-doc", "app_release"], False),
        (["bash", "-c", "ansible-playbook site.yml"], False),
        ([], False),
    ],
)
def test_which_command_lines_run_ansible(argv, runs):
    assert deploy_controller.runs_ansible(argv) is runs


@pytest.mark.parametrize(
    ("argv", "playbooks"),
    [
        (["ansible-playbook", "-i", "inventories/staging/hosts.yml", "playbooks/deploy.yml"], "playbooks/deploy.yml"),
        (["ansible-playbook", "-e", "@vars.yml", "-e", "extra.yml", "a.yml", "b.yaml"], "a.yml b.yaml"),
        (["ansible-runner", "run", "/runner", "--playbook=rollback.yml"], "rollback.yml"),
        (["ansible", "localhost", "-m", "ping"], ""),
    ],
)
def test_the_playbooks_are_read_from_the_command_line(argv, playbooks):
    assert deploy_controller.playbooks(argv) == playbooks


@pytest.fixture
def sleeper():
    process = subprocess.Popen(["sleep", "60"])
    yield process
    process.kill()
    process.wait()


def holder_of(pid: int, started: str, controller: str | None = None) -> dict:
    return {"controller": controller or socket.gethostname(), "user": "amina", "pid": pid, "started": started}


def test_a_running_holder_is_alive(sleeper):
    assert deploy_controller.holder_alive(holder_of(sleeper.pid, start_time(sleeper.pid))) is True
    assert deploy_controller.holder_alive(holder_of(str(sleeper.pid), start_time(sleeper.pid))) is True


def test_a_holder_whose_process_ended_is_gone():
    ended = subprocess.Popen(["true"])
    started = start_time(ended.pid)
    ended.wait()
    assert deploy_controller.holder_alive(holder_of(ended.pid, started)) is False


def test_a_holder_that_exited_but_was_not_reaped_is_gone():
    zombie = subprocess.Popen(["true"])
    started = start_time(zombie.pid)
    try:
        deadline = time.monotonic() + 10
        while deploy_controller.read_process(zombie.pid).state != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert deploy_controller.holder_alive(holder_of(zombie.pid, started)) is False
    finally:
        zombie.wait()


def test_a_reused_pid_with_another_start_time_is_not_the_holder(sleeper):
    other_start = str(int(start_time(sleeper.pid)) - 1)
    assert deploy_controller.holder_alive(holder_of(sleeper.pid, other_start)) is False


def test_a_holder_on_another_controller_cannot_be_judged_here(sleeper):
    assert deploy_controller.holder_alive(holder_of(sleeper.pid, start_time(sleeper.pid), "ops-laptop")) is None


# The test's own pid is filled in at run time: parameters must be the same in every
# pytest-xdist worker.
@pytest.mark.parametrize(
    ("pid", "started"), [(None, "1"), ("x", "1"), (0, "1"), ("self", "")], ids=["none", "text", "zero", "no-start"]
)
def test_a_holder_without_pid_or_start_time_cannot_be_judged(pid, started):
    pid = os.getpid() if pid == "self" else pid
    assert deploy_controller.holder_alive(holder_of(pid, started)) is None


def test_the_lookup_answers_both_questions():
    lookup_loader.add_directory(str(REPO / "lookup_plugins"))
    lookup = lookup_loader.get("deploy_controller")
    (info,) = lookup.run([], variables={})
    assert set(info) == {"controller", "user", "pid", "started", "playbook"}
    stranger = holder_of(1, "1", "elsewhere.example")
    assert lookup.run(["alive"], variables={}, holder=stranger) == [None]
    with pytest.raises(AnsibleLookupError, match="'alive' needs holder="):
        lookup.run(["alive"], variables={}, holder=None)
    with pytest.raises(AnsibleLookupError, match=r"unknown terms \['dead'\]"):
        lookup.run(["dead"], variables={})


def test_the_lookup_names_the_ansible_process_of_a_real_run():
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    expression = (
        "{{ {'info': lookup('deploy_controller'), 'alive': "
        "lookup('deploy_controller', 'alive', holder=lookup('deploy_controller'))} | to_json }}"
    )
    command = [str(Path(sys.executable).parent / "ansible"), "localhost", "-m", "debug", "-a", f"msg={expression}"]
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    stdout, stderr = run.communicate(timeout=120)
    assert run.returncode == 0, stdout + stderr
    result, _ = json.JSONDecoder().raw_decode(stdout[stdout.index("=> ") + 3 :])
    message = result["msg"]
    answer = json.loads(message) if isinstance(message, str) else message
    assert answer["info"]["pid"] == run.pid, answer
    assert answer["alive"] is True, answer
