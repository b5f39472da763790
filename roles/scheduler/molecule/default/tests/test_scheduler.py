"""Laravel's scheduler on the one scheduler host, as the application and an operator see it.

prepare.yml deployed v1 of the sample app; converge wrote the runbook's cron line. Its
Kernel runs `deenify:heartbeat` every minute, which appends `<time> heartbeat
release=<id>` to storage/logs/scheduler.log: a line newer than the crontab proves that
cron ran schedule:run in the live release. The tests then switch to the systemd timer,
take the scheduler away from the host as if it had moved to another, and put the cron
line back, as converge left it, for the check-mode test that follows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path

import pytest
import testinfra
import yaml

from tests.helpers.app_host import ROOT_DIR, live, wait_for
from tests.helpers.deploys import scenario_dir
from tests.helpers.fresh import assert_check_would_change, fresh_host
from tests.helpers.playbooks import ansible_playbook

LOG = f"{ROOT_DIR}/shared/storage/logs/scheduler.log"
# Runbook 4.1, with the umask that keeps the files it creates writable for the application.
CRON_LINE = "* * * * * cd /srv/deenify/current && umask 002 && php artisan schedule:run >> /dev/null 2>&1"
SCENARIO_VARS = yaml.safe_load((scenario_dir() / "group_vars" / "all.yml").read_text())
TIMER = "deenify-scheduler.timer"
# A minute boundary, then schedule:run and PHP's start.
BEAT_WAIT = 75


@pytest.fixture(scope="module")
def container(host) -> str:
    return host.backend.get_hostname()


def crontab(host) -> list[str]:
    return host.run("crontab -l -u deploy").stdout.splitlines()


def stamp(line: str) -> float:
    return datetime.fromisoformat(line.split(" ", 1)[0]).timestamp()


def beats_since(host, since: float) -> list[str]:
    """Heartbeat lines of scheduler.log written at or after ``since`` (epoch seconds)."""
    log = host.file(LOG)
    lines = log.content_string.splitlines() if log.exists else []
    return [line for line in lines if " heartbeat " in line and stamp(line) >= since]


def wait_for_beat(host, since: float) -> list[str]:
    return wait_for(lambda: beats_since(host, since), BEAT_WAIT, interval=2)


def now(host) -> float:
    return float(host.check_output("date +%s"))


def apply_role(workdir: Path, inventory: str, *args: str) -> str:
    """Apply the scheduler role to the scenario's host; returns the output, asserting success."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "vars.yml").write_text(yaml.safe_dump(SCENARIO_VARS))
    (workdir / "play.yml").write_text(
        "- name: Apply scheduler\n  hosts: all\n  become: true\n  gather_facts: false\n"
        "  vars_files: [vars.yml]\n  roles: [scheduler]\n"
    )
    run = ansible_playbook("-i", inventory, "play.yml", *args, cwd=workdir)
    assert run.returncode == 0, run.stdout[-4000:]
    return run.stdout


@pytest.fixture(scope="module")
def back_to_cron(tmp_path_factory):
    """Whatever the tests below change, converge's cron line is back after them."""
    yield
    apply_role(tmp_path_factory.mktemp("restore"), os.environ["MOLECULE_INVENTORY_FILE"])


def test_the_deploy_account_has_the_runbooks_line_and_cron_runs(host):
    assert crontab(host).count(CRON_LINE) == 1, crontab(host)
    assert host.service("cron").is_running
    assert host.service("cron").is_enabled
    assert not host.file(f"/etc/systemd/system/{TIMER}").exists


def test_cron_runs_schedule_run_in_the_live_release(host):
    written = float(host.check_output("stat -c %Y /var/spool/cron/crontabs/deploy"))
    beats = wait_for_beat(host, written)
    assert beats, f"no heartbeat in {LOG} since the crontab was written, after {BEAT_WAIT} s"
    assert beats[-1].endswith(f" heartbeat release={live(host)}"), beats
    ran = host.check_output("journalctl -u cron --no-pager -o cat")
    assert "(deploy) CMD (cd /srv/deenify/current && umask 002 && php artisan schedule:run" in ran, ran[-2000:]


def test_files_the_scheduler_creates_stay_writable_for_the_application(host):
    log = host.file(LOG)
    assert (log.user, log.group) == ("deploy", "deenify"), (log.user, log.group)
    assert log.mode & 0o660 == 0o660, oct(log.mode)
    # php-fpm and the workers run as deenify and append to the same logs.
    probe = host.run(f"runuser -u deenify -- sh -c 'test -w {LOG} && test -w {ROOT_DIR}/shared/storage/logs'")
    assert probe.rc == 0, probe.stderr


def test_the_timer_replaces_the_cron_line_and_runs_the_same_command(host, tmp_path, back_to_cron):
    apply_role(tmp_path, os.environ["MOLECULE_INVENTORY_FILE"], "-e", "scheduler_method=timer")
    # Cron may still have started a run while the role was at work: only what comes after counts.
    switched = now(host)
    assert CRON_LINE not in crontab(host), crontab(host)
    assert host.service(TIMER).is_enabled
    assert host.service(TIMER).is_running

    def timer_runs() -> str:
        since = str(int(switched))
        out = host.check_output("journalctl -u deenify-scheduler.service --no-pager -o cat --since @%s", since)
        return out if "deenify:heartbeat" in out else ""

    journal = wait_for(timer_runs, BEAT_WAIT, interval=2)
    assert journal, f"the timer's service ran no schedule:run within {BEAT_WAIT} s of the switch"
    beats = beats_since(host, switched)
    assert beats, "the timer's schedule:run wrote no heartbeat"
    assert beats[-1].endswith(f" heartbeat release={live(host)}"), beats
    cron = host.check_output("journalctl -u cron --no-pager -o cat --since @%s", str(int(switched) + 1))
    assert "schedule:run" not in cron, f"cron still ran the scheduler after the switch:\n{cron[-2000:]}"


def test_a_host_that_left_the_scheduler_group_loses_its_scheduler(host, container, tmp_path, back_to_cron):
    # The scheduler moved to another host: this one is only a web host now.
    inventory = {
        "all": {
            "hosts": {container: {"ansible_connection": "docker"}},
            "children": {
                "web": {"hosts": {container: None}},
                "scheduler": {"hosts": {"scheduler-elsewhere": {"ansible_host": "127.0.0.1", "ansible_port": 1}}},
            },
        }
    }
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    output = apply_role(tmp_path, str(tmp_path / "inventory.yml"), "--limit", container)
    assert "(scheduler-elsewhere runs the scheduler)" in " ".join(output.split()), output[-3000:]
    assert CRON_LINE not in crontab(host), crontab(host)
    assert not host.file(f"/etc/systemd/system/{TIMER}").exists
    assert not host.file("/etc/systemd/system/deenify-scheduler.service").exists
    assert host.run(f"systemctl is-active {TIMER}").stdout.strip() != "active"


@contextmanager
def new_host(name: str, workdir: Path) -> Iterator[str]:
    """fresh_host, tried twice: a new container's systemd sometimes answers before its bus is
    up ("Failed to connect to system scope bus"), which fails the first try."""
    for attempt in (1, 2):
        stack = ExitStack()
        try:
            fresh = stack.enter_context(fresh_host(name, workdir / f"attempt-{attempt}"))
        except AssertionError:
            stack.close()
            if attempt == 2:
                raise
            continue
        with stack:
            yield fresh
        return


def test_check_on_a_new_host_reports_the_changes_and_makes_none(tmp_path):
    # An operator's first --check --diff of a worker and scheduler host: nothing is
    # installed and neither the deploy nor the application's account exists yet.
    name = f"{os.environ['DEENIFY_TEST_NETWORK']}-fresh"
    with new_host(name, tmp_path / "fresh") as fresh:
        inventory = {
            "all": {
                "hosts": {fresh: {"ansible_connection": "docker"}},
                "children": {"worker": {"hosts": {fresh: None}}, "scheduler": {"hosts": {fresh: None}}},
            }
        }
        (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
        (tmp_path / "play.yml").write_text(
            "- name: Check a new worker and scheduler host\n  hosts: all\n  become: true\n"
            "  roles: [queue_workers, scheduler]\n"
        )
        run = ansible_playbook("-i", "inventory.yml", "--check", "--diff", "play.yml", cwd=tmp_path)
        assert_check_would_change(run, fresh, at_least=4)
        for words in ("Check mode on a host without supervisor", "Check mode on a host without cron"):
            assert words in " ".join(run.stdout.split()), run.stdout[-3000:]
        untouched = testinfra.get_host(f"docker://{fresh}")
        assert not untouched.package("supervisor").is_installed, "check mode installed supervisor"
        assert not untouched.package("cron").is_installed, "check mode installed cron"
        assert not untouched.file("/usr/local/bin/deenify-queue-worker").exists, "check mode wrote the launcher"
