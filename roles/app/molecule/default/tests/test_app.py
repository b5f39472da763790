"""Deploys of the sample app as visitors and operators see them.

The tests run in order and share one host: v1 is live after converge; v2 (a new
migration) is deployed under load; a broken release is stopped by the health gate; a
rollback to v1 is refused for its older schema, then allowed; the deploy lock refuses a
second deploy and gives way when its holder is gone. They end with v1 live, as converge
left it, so that the check-mode test that follows finds nothing to change.
"""

from __future__ import annotations

import json
import socket
import time

import pytest
import yaml

from tests.helpers.deploys import run_playbook, scenario_dir, write_inventory
from tests.helpers.instances import address_of
from tests.helpers.load import Load
from tests.helpers.nginx import request

ROOT_DIR = "/srv/deenify"
SITE = "deenify.test"
GROUP_VARS = yaml.safe_load((scenario_dir() / "group_vars" / "all.yml").read_text())
SECRETS = list(GROUP_VARS["app_env_secrets"].values())


@pytest.fixture(scope="module")
def container(host) -> str:
    return host.backend.get_hostname()


@pytest.fixture(scope="module")
def address(container) -> str:
    return address_of(container)


@pytest.fixture(scope="module")
def inventory(container, tmp_path_factory):
    groups = {group: [container] for group in ("web", "worker", "scheduler", "db", "cache")}
    return write_inventory(tmp_path_factory.mktemp("deploys"), scenario_dir(), groups)


def live(host) -> str:
    return host.file(f"{ROOT_DIR}/current").linked_to.rsplit("/", 1)[-1]


def state(host, release: str) -> dict:
    return json.loads(host.file(f"{ROOT_DIR}/release-state/{release}.json").content_string)


def sha_of(host, tag: str) -> str:
    return host.check_output("git --git-dir /srv/git/deenify.git rev-parse %s^{commit}", tag)


def assert_no_secret(text: str) -> None:
    leaked = [secret[:6] + "..." for secret in SECRETS if secret in text]
    assert not leaked, f"secret values in the output: {leaked}"


def test_v1_answers_through_nginx_with_its_release_id(host, address):
    release = live(host)
    assert state(host, release)["sha"] == sha_of(host, "v1"), state(host, release)
    page = request(address, "/", SITE)
    assert page.status == 200, str(page)
    assert page.headers.get("x-deenify-release") == release, str(page)
    health = request(address, "/up", SITE)
    assert health.status == 200, str(health)
    body = json.loads(health.body)
    assert body["release"] == release, body
    assert body["checks"] == {"database": "ok", "cache": "ok", "queue": "ok"}, body


def test_the_env_file_is_for_the_owner_and_the_application_only(host):
    env = host.file(f"{ROOT_DIR}/shared/.env")
    assert (env.user, env.group, env.mode) == ("deploy", "deenify", 0o640), (env.user, env.group, oct(env.mode))
    release_env = host.file(f"{ROOT_DIR}/current/.env")
    assert release_env.is_symlink, "the release has its own .env"
    assert release_env.linked_to == f"{ROOT_DIR}/shared/.env"
    # nginx never serves it.
    assert host.run("curl -s -o /dev/null -w '%%{http_code}' -H 'Host: %s' http://127.0.0.1/.env", SITE).stdout in {
        "403", "404"
    }  # fmt: skip


def test_laravel_reads_back_every_env_value_as_the_inventory_gave_it(host):
    # The configuration cache of the release holds what Laravel read from .env.
    config = f"{ROOT_DIR}/current/bootstrap/cache/config.php"
    cached = host.check_output("php -r %s", f"echo json_encode((require '{config}')['app']['name']);")
    assert json.loads(cached) == GROUP_VARS["app_env"]["APP_NAME"], cached


def test_v2_is_deployed_under_load_without_a_failed_request(host, address, inventory):
    before = live(host)
    with Load(address, SITE, rate=25) as load:
        time.sleep(2)
        run = run_playbook(inventory, "deploy.yml", "--diff", app_ref="v2")
        switched_at = time.monotonic()
        time.sleep(3)
    assert run.rc == 0, str(run)
    assert_no_secret(run.raw)
    after = live(host)
    assert after != before, "still the same release"
    assert state(host, after)["sha"] == sha_of(host, "v2"), state(host, after)
    assert len(load.answers) >= 50, load.summary()
    assert load.rate_seen() >= 20, load.summary()
    assert not load.failures(), load.summary()
    assert load.releases_in_order() == [before, after], load.summary()
    late = [a for a in load.in_order() if a.sent > switched_at]
    assert late, load.summary()
    assert all(a.release == after for a in late), load.summary()


def test_the_migration_ran_once_after_a_dump_of_the_database(host):
    release = live(host)
    dump = host.file(f"{ROOT_DIR}/backups/{release}.sql.gz")
    assert dump.exists, f"{release}: no dump"
    assert (dump.user, dump.mode) == ("deploy", 0o600), (dump.user, oct(dump.mode))
    content = host.check_output("zcat %s", dump.path)
    assert "CREATE TABLE `payment_attempts`" in content, content[:500]
    assert "fee_minor" not in content, "the dump was taken after the migration"
    columns = host.check_output("mariadb -N -e 'SHOW COLUMNS FROM deenify.payment_attempts'")
    assert "fee_minor" in columns, columns


def test_a_release_that_fails_its_health_check_never_gets_traffic(host, address, inventory):
    serving = live(host)
    run = run_playbook(inventory, "deploy.yml", app_ref="broken")
    assert run.rc != 0, str(run)
    assert "failed its health check" in run.output, str(run)
    assert "GET /up answered 500" in run.output, str(run)
    assert f"The live release {serving} keeps serving" in run.output, str(run)
    assert live(host) == serving
    page = request(address, "/", SITE)
    assert page.status == 200, str(page)
    assert page.headers.get("x-deenify-release") == serving, str(page)
    states = [state(host, name.removesuffix(".json")) for name in host.file(f"{ROOT_DIR}/release-state").listdir()]
    failed = [s for s in states if s["status"] == "failed"]
    assert [s["sha"] for s in failed] == [sha_of(host, "broken")], states


def test_a_rollback_to_code_older_than_the_schema_is_refused(host, inventory):
    serving = live(host)
    run = run_playbook(inventory, "rollback.yml")
    assert run.rc != 0, str(run)
    assert "predates migrations the database has run" in run.output, str(run)
    assert "add_fee_to_payment_attempts" in run.output, str(run)
    assert live(host) == serving


def test_a_rollback_returns_to_v1_within_seconds(host, address, inventory):
    with Load(address, SITE, rate=25) as load:
        time.sleep(1)
        started = time.monotonic()
        run = run_playbook(inventory, "rollback.yml", app_allow_schema_rollback="true")
        took = time.monotonic() - started
        time.sleep(2)
    assert run.rc == 0, str(run)
    assert state(host, live(host))["sha"] == sha_of(host, "v1")
    assert not load.failures(), load.summary()
    assert load.releases_in_order()[-1] == live(host), load.summary()
    print(f"rollback: {took:.1f} s from command to switched, {load.summary()}")


def write_lock(host, holder: dict, acquired: float) -> None:
    lock = {"token": "0" * 32, "holder": holder, "acquired": acquired, "ttl": 3600,
            "acquired_iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(acquired))}  # fmt: skip
    host.run("printf '%%s' %s > %s/deploy.lock", json.dumps(lock).replace("'", ""), ROOT_DIR)


def test_a_second_deploy_is_refused_while_another_holds_the_lock(host, inventory):
    other = {"user": "rahim", "controller": "laptop-of-rahim", "pid": 4242, "started": "1", "release": "v9.9.9"}
    write_lock(host, other, time.time())
    run = run_playbook(inventory, "deploy.yml", app_ref="v2")
    assert run.rc != 0, str(run)
    assert "held by rahim from laptop-of-rahim (pid 4242)" in run.output, str(run)
    assert "for release v9.9.9" in run.output, str(run)
    assert state(host, live(host))["sha"] == sha_of(host, "v1"), "the refused deploy changed the live release"

    unlock = run_playbook(inventory, "unlock.yml")
    assert unlock.rc == 0, str(unlock)
    assert "rahim" in unlock.output, str(unlock)
    assert not host.file(f"{ROOT_DIR}/deploy.lock").exists


def test_a_lock_left_by_a_deploy_that_died_here_is_taken_over(host, inventory):
    # A process of this controller that has exited: its pid is free.
    gone = {"user": "ops", "controller": socket.gethostname(), "pid": 2**22 - 7, "started": "1", "release": "v1"}
    write_lock(host, gone, time.time())
    run = run_playbook(inventory, "deploy.yml", app_ref="v1")
    assert run.rc == 0, str(run)
    assert "Took over the deploy lock /srv/deenify/deploy.lock from ops" in run.output, str(run)
    assert not host.file(f"{ROOT_DIR}/deploy.lock").exists, "the deploy did not give the lock back"


def test_old_releases_are_removed_but_the_live_previous_and_failed_stay(host):
    releases = host.file(f"{ROOT_DIR}/releases").listdir()
    statuses = {r: state(host, r)["status"] for r in releases}
    assert live(host) in releases, statuses
    assert "failed" in statuses.values(), statuses
    assert len([s for s in statuses.values() if s != "failed"]) <= GROUP_VARS.get("app_keep_releases", 5), statuses
    # The bookkeeping matches what nginx serves, and the release a rollback would return to is kept.
    assert statuses[live(host)] == "live", statuses
    assert "retired" in statuses.values(), statuses
