"""Queue workers under supervisor, as the application and an operator see them.

prepare.yml deployed v1 of the sample app; converge started the workers. The tests
dispatch real jobs with `php artisan deenify:dispatch`, send queue:restart as a deploy
does, kill a worker and change the programs under supervisord. A job running across a
whole deploy, with workers back on the new release, is proven in the app role's scenario,
where the workers run on the cache host of a multi-host stack.
"""

from __future__ import annotations

import os
import re
import shlex
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers.app_host import ROOT_DIR, live, process, running, status, wait_for
from tests.helpers.deploys import scenario_dir
from tests.helpers.playbooks import ansible_playbook

STORAGE = f"{ROOT_DIR}/shared/storage"
SCENARIO_VARS = yaml.safe_load((scenario_dir() / "group_vars" / "all.yml").read_text())
NUMPROCS = {p["name"]: p.get("numprocs", 2) for p in SCENARIO_VARS["queue_workers_programs"]}


@pytest.fixture(scope="module")
def container(host) -> str:
    return host.backend.get_hostname()


def artisan(host, command: str) -> str:
    """php artisan <command> in the live release, as the application's account."""
    result = host.run(f"cd {ROOT_DIR}/current && runuser -u deenify -- php artisan {command}")
    assert result.rc == 0, f"artisan {command}: rc={result.rc}\n{result.stdout}{result.stderr}"
    return result.stdout


def sql(host, query: str) -> str:
    return host.check_output("mariadb -N -B deenify -e %s", query)


def test_each_program_runs_its_workers_as_the_application_in_the_live_release(host):
    release = f"{ROOT_DIR}/releases/{live(host)}"
    processes = status(host)
    for program, numprocs in NUMPROCS.items():
        mine = [p for p in processes if p["group"] == program]
        assert [p["name"] for p in mine] == [f"{program}_{n:02d}" for n in range(numprocs)], processes
        assert all(p["state"] == "RUNNING" for p in mine), processes
        for p in mine:
            seen = process(host, int(p["pid"]))
            assert seen["user"] == "deenify", seen
            assert seen["cwd"] == release, seen
            assert seen["cmdline"].startswith("/usr/bin/php artisan queue:work redis --queue="), seen
    # No worker runs outside supervisor, or twice.
    count = host.run("pgrep -c -u deenify -f 'artisan queue:work'").stdout.strip()
    assert int(count or 0) == sum(NUMPROCS.values()), host.run("ps -ef").stdout


def test_a_worker_takes_queues_in_the_order_given(host):
    pid = running(host)["deenify-receipts_00"]
    assert "--queue=receipts,default " in process(host, pid)["cmdline"] + " "


def test_a_queued_receipt_is_rendered_into_a_pdf_and_recorded(host):
    queued = artisan(host, "deenify:dispatch receipt")
    donation = re.search(r"donation (\d+)", queued)
    assert donation, queued
    query = f"SELECT receipt_number, path FROM donation_receipts WHERE donation_id = {int(donation.group(1))}"  # noqa: S608 - an integer the app printed
    row = wait_for(lambda: sql(host, query), timeout=30)
    assert row, f"no donation_receipts row for donation {donation.group(1)} after 30 s: {queued}"
    number, path = row.split("\t")
    assert number == f"DR-{time.gmtime().tm_year}-{int(donation.group(1)):06d}", row
    pdf = host.file(f"{STORAGE}/app/{path}")
    assert path.startswith("receipts/"), row
    assert pdf.exists, row
    assert pdf.user == "deenify", pdf.user
    assert host.check_output("head -c 5 %s", pdf.path) == "%PDF-"


def test_a_job_that_always_fails_ends_in_failed_jobs(host):
    query = "SELECT COUNT(*) FROM failed_jobs WHERE exception LIKE '%FailOnPurpose always fails%'"
    before = int(sql(host, query))
    artisan(host, "deenify:dispatch fail")
    after = wait_for(lambda: int(sql(host, query)) > before and int(sql(host, query)), timeout=30)
    assert after == before + 1, f"failed_jobs with FailOnPurpose: {before} before, {after} 30 s after"


def test_queue_restart_brings_every_worker_back_in_the_live_release(host):
    # What a deploy sends after its switch; the signal is in Redis, which every worker reads.
    before = running(host)
    artisan(host, "queue:restart")

    def all_restarted() -> dict[str, int] | None:
        now = running(host)
        fresh = len(now) == len(before) and not set(now.values()) & set(before.values())
        return now if fresh else None

    after = wait_for(all_restarted, timeout=30)
    assert after, f"workers before queue:restart {before}, 30 s after: {running(host)}"
    release = f"{ROOT_DIR}/releases/{live(host)}"
    assert {process(host, pid)["cwd"] for pid in after.values()} == {release}, after


def test_a_worker_killed_with_sigkill_comes_back(host):
    name, pid = sorted(running(host).items())[0]
    host.run("kill -KILL %s", str(pid))
    back = wait_for(lambda: running(host).get(name, pid) != pid and running(host).get(name), timeout=20)
    assert back, f"{name} (pid {pid}) is not running again after SIGKILL: {status(host)}"
    assert process(host, back)["user"] == "deenify"
    assert len(running(host)) == sum(NUMPROCS.values()), status(host)


def test_before_the_first_deploy_a_worker_waits_for_the_release(host):
    # A new host gets its workers before any release is live: they must wait, not fail.
    launcher = shlex.join(["/usr/local/bin/deenify-queue-worker", "/srv/nothing-deployed", "queue:work"])
    result = host.run(f"timeout 3 runuser -u deenify -- {launcher}")
    assert result.rc == 124, f"rc={result.rc}: {result.stdout}{result.stderr}"
    assert "waiting for /srv/nothing-deployed/current: no release is live yet" in result.stdout, result.stdout


def apply_role(workdir: Path, role_vars: dict) -> str:
    """Apply the role's program files only (no facts needed) with ``role_vars``; its output."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "vars.yml").write_text(yaml.safe_dump(role_vars))
    (workdir / "play.yml").write_text(
        "- name: Apply queue_workers\n  hosts: all\n  become: true\n  gather_facts: false\n"
        "  vars_files: [vars.yml]\n  roles: [queue_workers]\n"
    )
    run = ansible_playbook(
        "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--tags", "queue_workers-programs", "play.yml", cwd=workdir
    )
    assert run.returncode == 0, run.stdout[-4000:]
    return run.stdout


def test_a_changed_program_restarts_alone_a_dropped_one_stops_a_stopped_worker_starts(host, tmp_path):
    # supervisord runs what an older inventory gave: deenify-receipts with two workers, and
    # a program deenify-extra that the inventory no longer lists; and an operator stopped
    # one worker (or supervisor gave it up as FATAL). The role puts all of it right.
    conf = "/etc/supervisor/conf.d"
    drift = (
        f"sed -i 's/^numprocs=1$/numprocs=2/' {conf}/deenify-receipts.conf && "
        f"sed 's/^\\[program:deenify-default\\]$/[program:deenify-extra]/' {conf}/deenify-default.conf"
        f" > {conf}/deenify-extra.conf && supervisorctl update && supervisorctl stop deenify-default:deenify-default_01"
    )
    host.check_output(drift)
    assert wait_for(lambda: len(running(host)) == sum(NUMPROCS.values()) + 2, timeout=15), status(host)
    before = running(host)

    output = apply_role(tmp_path, SCENARIO_VARS)

    after = running(host)
    assert not host.file(f"{conf}/deenify-extra.conf").exists, output[-3000:]
    assert not [name for name in after if name.startswith("deenify-extra_")], status(host)
    assert sorted(name for name in after if name.startswith("deenify-receipts_")) == ["deenify-receipts_00"], after
    assert after["deenify-receipts_00"] != before["deenify-receipts_00"], "the changed program kept its old worker"
    assert after["deenify-default_00"] == before["deenify-default_00"], f"an unchanged worker restarted: {after}"
    assert "deenify-default_01" in after, f"the stopped worker was not started: {status(host)}"
    assert len(after) == sum(NUMPROCS.values()), status(host)
