"""Deploys of the sample app across the stack, as donors and operators see them.

Five containers: web1 and web2 behind a load balancer (lb), the database host (db), and
the cache host, which also runs the queue workers and the scheduler. Converge deployed v1
to web1, web2 and cache. The tests run in order: v2 (a new migration) is deployed under
load while a slow job runs; a broken release is stopped by the health gate, blue-green and
then rolling (where the first batch fails alone); a rollback to v1 is refused for its
older schema, then allowed; a deploy killed midway completes when run again, both from
one artifact built on the controller; a second deploy started meanwhile is refused; a
lock held from elsewhere is refused and removed with unlock.yml; the database and Redis
passwords are rotated under load, the old ones then refused, and rotated back; the chat
bot's command line deploys v2, rolls back from a second v2 release to it, and is
refused a rollback past the schema. They end with v1 live and the inventory's passwords, as
converge left them, so that the check-mode test that follows finds nothing to change.
The load generator talks to the load balancer only.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import testinfra
import yaml

from tests.helpers.app_host import ROOT_DIR, live, process, running, wait_for
from tests.helpers.deploys import clone_mirror, run_playbook, scenario_dir, start_playbook, write_inventory
from tests.helpers.instances import address_of, ephemeral_dir
from tests.helpers.load import Load
from tests.helpers.nginx import request
from tests.helpers.playbooks import ROOT

PREFIX = os.environ.get("DEENIFY_INSTANCE_PREFIX", "deenify")
DISTRO = os.environ.get("MOLECULE_DISTRO", "debian13")


def instance(name: str) -> str:
    return f"{PREFIX}-{name}-{DISTRO}"


WEB = [instance("web1"), instance("web2")]
DB, CACHE, LB = instance("db"), instance("cache"), instance("lb")
APP_HOSTS = [*WEB, CACHE]
GROUPS = {"web": WEB, "worker": [CACHE], "scheduler": [CACHE], "db": [DB], "cache": [CACHE]}

STORAGE = f"{ROOT_DIR}/shared/storage"
SITE = "deenify.test"
# The stack's inventory variables (molecule.yml links them into molecule's inventory).
STACK_VARS = ROOT / "tests" / "molecule" / "stack" / "group_vars" / "all.yml"
GROUP_VARS = yaml.safe_load(STACK_VARS.read_text())
# What stands for the vault's values here: none may appear in any output, even at -vvv.
SECRETS = [*GROUP_VARS["app_env_secrets"].values(), GROUP_VARS["database_backup_password"]]
WORKERS = sum(p.get("numprocs", 2) for p in GROUP_VARS["queue_workers_programs"])
# The slow job starts when the deploy starts building and is held (storage/app/hold-slow-jobs)
# until the deploy is over: it runs across the switch however long the build takes.
HOLD = f"{STORAGE}/app/hold-slow-jobs"
# Requests per second through the load balancer: the deploy and the rollback are proved under
# load (at least 20/s); the other runs only need a probe now and then to see who serves.
LOAD_RATE = 25
PROBE_RATE = 2
# Tests of what the controller does (killing ansible-playbook, the bot, verbose output) run
# on one platform: the hosts' side of them is the same on both, and the scenario's other
# tests cover each platform's hosts.
ON_ONE_PLATFORM = pytest.mark.skipif(
    DISTRO != "debian13", reason="controller-side behaviour, proved on the debian13 run of this scenario"
)


@pytest.fixture(scope="module")
def hosts() -> dict:
    return {name: testinfra.get_host(f"docker://{name}") for name in [*WEB, DB, CACHE]}


@pytest.fixture(scope="module")
def web1(hosts):
    """The first host of every deploy: the lock lives there, the migrations and the dump before them run there."""
    return hosts[WEB[0]]


@pytest.fixture(scope="module")
def lb() -> str:
    return address_of(LB)


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    return write_inventory(tmp_path_factory.mktemp("deploys"), scenario_dir(), GROUPS, group_vars=STACK_VARS)


def live_everywhere(hosts) -> dict[str, str]:
    return {name: live(hosts[name]) for name in APP_HOSTS}


def releases(host) -> set[str]:
    return set(host.file(f"{ROOT_DIR}/releases").listdir())


def state(host, release: str) -> dict:
    return json.loads(host.file(f"{ROOT_DIR}/release-state/{release}.json").content_string)


def status_of(host, release: str) -> str:
    """The release's status; "unknown" for a directory without a state file (a build cut short)."""
    path = host.file(f"{ROOT_DIR}/release-state/{release}.json")
    return json.loads(path.content_string)["status"] if path.exists else "unknown"


def sha_of(host, tag: str) -> str:
    return host.check_output("git --git-dir /srv/git/deenify.git rev-parse %s^{commit}", tag)


def assert_no_secret(text: str) -> None:
    leaked = [secret[:6] + "..." for secret in SECRETS if secret in text]
    assert not leaked, f"secret values in the output: {leaked}"


def through_lb(lb: str, path: str = "/"):
    return request(lb, path, SITE)


def compiled_views(host, release: str) -> set[str]:
    """The Blade templates compiled into the release's own directory (bootstrap/cache/views)."""
    path = host.file(f"{ROOT_DIR}/releases/{release}/bootstrap/cache/views")
    return {name for name in path.listdir() if name.endswith(".php")} if path.is_directory else set()


def slow_job_lines(host) -> list[str]:
    log = host.file(f"{STORAGE}/logs/slow-jobs.log")
    return log.content_string.splitlines() if log.exists else []


def fields(line: str) -> dict[str, str]:
    found = dict(re.findall(r"(\w+)=(\S+)", line))
    found["time"] = line.split(" ", 1)[0]
    return found


def test_v1_is_live_on_every_application_host_and_answers_through_the_load_balancer(hosts, lb):
    serving = live_everywhere(hosts)
    assert len(set(serving.values())) == 1, serving
    release = serving[WEB[0]]
    assert state(hosts[WEB[0]], release)["sha"] == sha_of(hosts[WEB[0]], "v1"), state(hosts[WEB[0]], release)
    for web in WEB:
        page = request(address_of(web), "/", SITE)
        assert (page.status, page.headers.get("x-deenify-release")) == (200, release), f"{web}: {page}"
    health = through_lb(lb, "/up")
    assert health.status == 200, str(health)
    body = json.loads(health.body)
    assert body["release"] == release, body
    # The database and Redis answer from their own hosts.
    assert body["checks"] == {"database": "ok", "cache": "ok", "queue": "ok"}, body


def test_the_env_file_is_for_the_owner_and_the_application_only(web1):
    env = web1.file(f"{ROOT_DIR}/shared/.env")
    assert (env.user, env.group, env.mode) == ("deploy", "deenify", 0o640), (env.user, env.group, oct(env.mode))
    release_env = web1.file(f"{ROOT_DIR}/current/.env")
    assert release_env.is_symlink, "the release has its own .env"
    assert release_env.linked_to == f"{ROOT_DIR}/shared/.env"
    # nginx never serves it.
    assert web1.run("curl -s -o /dev/null -w '%%{http_code}' -H 'Host: %s' http://127.0.0.1/.env", SITE).stdout in {
        "403", "404"
    }  # fmt: skip


def test_laravel_reads_back_every_env_value_as_the_inventory_gave_it(web1):
    # The configuration cache of the release holds what Laravel read from .env.
    config = f"{ROOT_DIR}/current/bootstrap/cache/config.php"
    cached = web1.check_output("php -r %s", f"echo json_encode((require '{config}')['app']['name']);")
    assert json.loads(cached) == GROUP_VARS["app_env"]["APP_NAME"], cached


@pytest.fixture
def held_jobs(hosts):
    """Slow jobs dispatched with --hold go on until the test ends (or releases them sooner)."""
    cache = hosts[CACHE]
    cache.check_output("runuser -u deenify -- touch %s", HOLD)
    yield
    cache.check_output("rm -f %s", HOLD)


def test_v2_is_deployed_under_load_while_a_job_runs_across_the_switch(hosts, lb, inventory, held_jobs):
    web1, cache = hosts[WEB[0]], hosts[CACHE]
    before = live(web1)
    assert live(cache) == before, "the hosts ran different releases before the deploy"
    known = len(slow_job_lines(cache))
    # The live release's compiled views, which the new release's view:cache must leave alone.
    views_before = compiled_views(web1, before)
    assert views_before, f"{before} has no compiled views of its own"
    with Load(lb, SITE, rate=LOAD_RATE) as load:
        deploy = start_playbook(inventory, "deploy.yml", "--diff", "-vvv", app_ref="v2")
        # The job starts once the new release is being built: the migrations, the health
        # gate, the switch and queue:restart all come while it runs.
        assert wait_for(lambda: not deploy.running() or releases(cache) - {before}, 180, 0.5), "no release built"
        assert deploy.running(), f"the deploy ended before it built a release: {deploy.wait()}"
        cache.check_output(
            "cd %s/current && runuser -u deenify -- php artisan deenify:dispatch slow --seconds=2 --hold", ROOT_DIR
        )
        started = wait_for(lambda: [line for line in slow_job_lines(cache)[known:] if " slow-job started " in line], 20)
        assert started, f"no worker started the slow job within 20 s: {slow_job_lines(cache)[known:]}"
        job = fields(started[0])
        run = deploy.wait()
        deployed_at = time.monotonic()
        time.sleep(3)
    assert run.rc == 0, str(run)
    assert_no_secret(run.raw)

    # Every application host runs v2.
    after = live(web1)
    assert after != before, "still the same release"
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, after)
    assert state(web1, after)["sha"] == sha_of(web1, "v2"), state(web1, after)

    # Each release compiled its views into its own directory; v1's were never cleared.
    assert views_before <= compiled_views(web1, before), f"{before}'s compiled views were removed by the deploy"
    assert compiled_views(web1, after), f"{after} has no compiled views of its own"

    # No donor saw an error, and the old release stopped answering when the new one started.
    assert len(load.answers) >= 50, load.summary()
    assert load.rate_seen() >= 20, load.summary()
    assert not load.failures(), load.summary()
    answers = load.in_order()
    assert {a.release for a in answers} == {before, after}, load.summary()
    old = [a.sent for a in answers if a.release == before]
    new = [a.sent for a in answers if a.release == after]
    # Both web hosts switch in one task: v1 and v2 overlap for well under two seconds.
    assert max(old) - min(new) < 2.0, f"v1 answered {max(old) - min(new):.1f} s after v2 first did; {load.summary()}"
    assert all(a.release == after for a in answers if a.sent > deployed_at), load.summary()

    # The job ran to its end on the worker and the code that took it...
    def finished() -> list[str]:
        mine = f"job={job['job']} "
        return [line for line in slow_job_lines(cache) if " slow-job finished " in line and mine in line]

    assert not finished(), "the held job ended before the deploy did"
    cache.check_output("rm -f %s", HOLD)
    done = wait_for(finished, timeout=30)
    assert done, f"job {job['job']} never finished: {slow_job_lines(cache)[known:]}"
    end = fields(done[0])
    assert (job["release"], end["release"], end["pid"]) == (before, before, job["pid"]), (job, end)
    switched = int(cache.check_output("stat -c %%Y %s/current", ROOT_DIR))
    began, ended = (datetime.fromisoformat(job["time"]).timestamp(), datetime.fromisoformat(end["time"]).timestamp())
    assert began <= switched < ended, f"the job ran {job['time']} to {end['time']}, the switch was at {switched}"

    # ...and then every worker came back on the new release.
    def all_on_the_new_release() -> bool:
        pids = running(cache)
        try:
            cwds = {process(cache, pid)["cwd"] for pid in pids.values()}
        except AssertionError:  # a worker exited between the two questions
            return False
        return len(pids) == WORKERS and cwds == {f"{ROOT_DIR}/releases/{after}"}

    if not wait_for(all_on_the_new_release, timeout=30):
        cwds = {name: process(cache, pid)["cwd"] for name, pid in running(cache).items()}
        pytest.fail(f"the workers are not all back in the new release {after} within 30 s: {cwds}")
    assert int(job["pid"]) not in running(cache).values(), "the worker that ran the slow job never restarted"


def test_the_migration_ran_once_after_a_dump_of_the_database(hosts):
    web1, db = hosts[WEB[0]], hosts[DB]
    release = live(web1)
    dump = web1.file(f"{ROOT_DIR}/backups/{release}.sql.gz")
    assert dump.exists, f"{release}: no dump"
    assert (dump.user, dump.mode) == ("deploy", 0o600), (dump.user, oct(dump.mode))
    content = web1.check_output("zcat %s", dump.path)
    assert "CREATE TABLE `payment_attempts`" in content, content[:500]
    assert "fee_minor" not in content, "the dump was taken after the migration"
    # One host migrated: the others took no dump, and the database recorded the migration once.
    for other in (WEB[1], CACHE):
        assert not hosts[other].file(f"{ROOT_DIR}/backups/{release}.sql.gz").exists, f"{other} dumped too"
    assert "fee_minor" in db.check_output("mariadb -N -e 'SHOW COLUMNS FROM deenify.payment_attempts'")
    query = "SELECT COUNT(*) FROM deenify.migrations WHERE migration LIKE '%add_fee_to_payment_attempts'"
    count = db.check_output("mariadb -N -e %s", query)
    assert count == "1", count


def test_a_release_that_fails_its_health_check_never_gets_traffic(hosts, lb, inventory):
    web1 = hosts[WEB[0]]
    serving = live(web1)
    with Load(lb, SITE, rate=PROBE_RATE) as load:
        run = run_playbook(inventory, "deploy.yml", app_ref="broken")
    assert run.rc != 0, str(run)
    assert "failed its health check" in run.output, str(run)
    assert "GET /up answered 500" in run.output, str(run)
    assert f"The live release {serving} keeps serving" in run.output, str(run)
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, serving)
    assert not load.failures(), load.summary()
    assert load.releases_in_order() == [serving], load.summary()
    # The release is marked failed on every host that built it, the cache host included,
    # whose part of the build went well: no host counts it as good.
    broken = sha_of(web1, "broken")
    for name in APP_HOSTS:
        failed = [state(hosts[name], r) for r in releases(hosts[name]) if status_of(hosts[name], r) == "failed"]
        assert [s["sha"] for s in failed] == [broken], f"{name}: {failed}"
    # The failed deploy gave its lock back: the next one needs no takeover.
    assert not web1.file(f"{ROOT_DIR}/deploy.lock").exists, web1.file(f"{ROOT_DIR}/deploy.lock").content_string


def test_a_rolling_deploy_stops_with_its_first_batch_when_that_fails(hosts, lb, inventory):
    web1, others = hosts[WEB[0]], [WEB[1], CACHE]
    serving = live(web1)
    before = {name: releases(hosts[name]) for name in APP_HOSTS}
    with Load(lb, SITE, rate=PROBE_RATE) as load:
        run = run_playbook(
            inventory, "deploy.yml", app_ref="broken", app_force_release="true",
            deploy_strategy="rolling", deploy_batch="1",
        )  # fmt: skip
    assert run.rc != 0, str(run)
    assert "GET /up answered 500" in run.output, str(run)
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, serving)
    assert not load.failures(), load.summary()
    assert load.releases_in_order() == [serving], load.summary()
    # Only the first batch (web1) built the release, and it is failed there; the later
    # batches never started, so they hold nothing new to clean up.
    (built,) = releases(web1) - before[WEB[0]]
    assert status_of(web1, built) == "failed", state(web1, built)
    for name in others:
        assert releases(hosts[name]) == before[name], f"{name} built {releases(hosts[name]) - before[name]}"
    assert not web1.file(f"{ROOT_DIR}/deploy.lock").exists, web1.file(f"{ROOT_DIR}/deploy.lock").content_string


def test_a_rollback_to_code_older_than_the_schema_is_refused(hosts, inventory):
    serving = live_everywhere(hosts)
    run = run_playbook(inventory, "rollback.yml")
    assert run.rc != 0, str(run)
    assert "predates migrations the database has run" in run.output, str(run)
    assert "add_fee_to_payment_attempts" in run.output, str(run)
    assert live_everywhere(hosts) == serving
    assert not hosts[WEB[0]].file(f"{ROOT_DIR}/deploy.lock").exists, "the refused rollback kept the lock"


def test_a_rollback_returns_every_host_to_v1_within_seconds(hosts, lb, inventory):
    v2 = live(hosts[WEB[0]])
    with Load(lb, SITE, rate=LOAD_RATE) as load:
        time.sleep(1)
        started = time.monotonic()
        run = run_playbook(inventory, "rollback.yml", app_allow_schema_rollback="true")
        done_at = time.monotonic()
        time.sleep(2)
    assert run.rc == 0, str(run)
    back = live(hosts[WEB[0]])
    assert state(hosts[WEB[0]], back)["sha"] == sha_of(hosts[WEB[0]], "v1")
    # The release that served before v2, recorded by v2's switch, not merely an older one.
    assert state(hosts[WEB[0]], v2)["replaced"] == back, state(hosts[WEB[0]], v2)
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, back)
    assert not load.failures(), load.summary()
    assert all(a.release == back for a in load.in_order() if a.sent > done_at), load.summary()
    print(f"rollback: {done_at - started:.1f} s from command to switched, {load.summary()}")


@ON_ONE_PLATFORM
def test_a_deploy_killed_midway_completes_when_run_again_from_one_artifact(hosts, lb, inventory, tmp_path_factory):
    web1 = hosts[WEB[0]]
    serving = live(web1)
    known = releases(web1)
    # A new release of the live code (so that the check-mode test after these still finds
    # v1), built once on the controller from its copy of the repository the hosts have.
    artifacts = tmp_path_factory.mktemp("artifacts")
    repository = clone_mirror(ephemeral_dir() / "sample-app.bundle", tmp_path_factory.mktemp("controller") / "repo.git")
    # app_reuse_live_build=false: the live commit's build is made again, from the artifact.
    options = {"app_ref": "v1", "app_force_release": "true", "app_source": "artifact", "app_reuse_live_build": "false",
               "app_artifact_repository": repository, "app_artifact_dir": artifacts}  # fmt: skip

    first = start_playbook(inventory, "deploy.yml", **options)

    # Killed while building: every host has marked the new release as being built.
    def building() -> bool:
        new = releases(web1) - known
        return not first.running() or (
            len(new) == 1 and all(status_of(hosts[name], next(iter(new))) == "building" for name in APP_HOSTS)
        )

    assert wait_for(building, 180, 0.5), "no release built"
    assert first.running(), f"the deploy ended before it built a release: {first.wait()}"
    killed = first.kill()
    assert killed.rc == -signal.SIGKILL, str(killed)
    # Nothing switched; the dead run's lock is still there.
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, serving)
    assert through_lb(lb).headers.get("x-deenify-release") == serving
    lock = json.loads(web1.file(f"{ROOT_DIR}/deploy.lock").content_string)
    assert lock["holder"]["pid"] == first.pid, lock

    with Load(lb, SITE, rate=PROBE_RATE) as load:
        again = run_playbook(inventory, "deploy.yml", **options)
    assert again.rc == 0, str(again)
    assert f"Took over the deploy lock {ROOT_DIR}/deploy.lock from" in again.output, str(again)
    assert not load.failures(), load.summary()
    now = live(web1)
    assert now not in known, f"{now} is not a new release"
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, now)
    assert through_lb(lb).headers.get("x-deenify-release") == now
    sha = sha_of(web1, "v1")
    assert state(web1, now)["sha"] == sha
    # One artifact, complete (no .part of the killed build left), and the same bytes on
    # every host: what Composer and the asset build wrote on the controller.
    built = sorted(p.name for p in artifacts.iterdir() if p.is_file())
    assert built == [f"deenify-{sha}.tar.gz"], built
    for path in ("vendor/composer/autoload_classmap.php", "public/build/manifest.json"):
        sums = {
            name: hosts[name].check_output("sha256sum %s/releases/%s/%s", ROOT_DIR, now, path).split()[0]
            for name in APP_HOSTS
        }
        assert len(set(sums.values())) == 1, f"{path}: {sums}"
    # What the killed run left half built (status building, older than the new release)
    # never went live, and the rerun's prune removed it from every host.
    for name in APP_HOSTS:
        left = releases(hosts[name]) - known - {now}
        assert not left, f"{name} kept {[(r, status_of(hosts[name], r)) for r in left]}"
    assert not web1.file(f"{ROOT_DIR}/deploy.lock").exists


def test_a_second_deploy_started_meanwhile_is_refused_naming_the_first(hosts, inventory):
    web1 = hosts[WEB[0]]
    serving = live(web1)
    # v1 is live: the first deploy takes the lock, finds nothing to build and gives it back.
    first = start_playbook(inventory, "deploy.yml", app_ref="v1")
    assert wait_for(lambda: not first.running() or web1.file(f"{ROOT_DIR}/deploy.lock").exists, 60, 0.2)
    assert first.running(), f"the first deploy ended before the second could start: {first.wait()}"
    second = run_playbook(inventory, "deploy.yml", app_ref="v1")
    done = first.wait()
    assert done.rc == 0, str(done)
    assert second.rc != 0, str(second)
    assert f"from {socket.gethostname()} (pid {first.pid})" in second.output, str(second)
    assert "for release v1" in second.output, str(second)
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, serving)
    assert not web1.file(f"{ROOT_DIR}/deploy.lock").exists, "the first deploy did not give the lock back"


def test_a_lock_held_from_another_controller_is_refused_until_unlock(web1, inventory):
    other = {"user": "rahim", "controller": "laptop-of-rahim", "pid": 4242, "started": "1", "release": "v9.9.9"}
    lock = {"token": "0" * 32, "holder": other, "acquired": time.time(), "ttl": 3600,
            "acquired_iso": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}  # fmt: skip
    web1.run("printf '%%s' %s > %s/deploy.lock", json.dumps(lock).replace("'", ""), ROOT_DIR)
    serving = live(web1)
    run = run_playbook(inventory, "deploy.yml", app_ref="v2")
    assert run.rc != 0, str(run)
    assert "held by rahim from laptop-of-rahim (pid 4242)" in run.output, str(run)
    assert "for release v9.9.9" in run.output, str(run)
    assert live(web1) == serving, "the refused deploy changed the live release"

    unlock = run_playbook(inventory, "unlock.yml")
    assert unlock.rc == 0, str(unlock)
    assert "rahim" in unlock.output, str(unlock)
    assert not web1.file(f"{ROOT_DIR}/deploy.lock").exists


def database_login(host, password: str) -> bool:
    """Whether the application's database account logs in from ``host`` with ``password``."""
    env = f"MYSQL_PWD={shlex.quote(password)}"
    return host.run(f"{env} mariadb -h {DB} -u deenify -N -e 'SELECT 1' deenify").rc == 0


def redis_login(host, password: str) -> bool:
    """Whether the application's Redis user logs in from ``host`` with ``password``."""
    env = f"REDISCLI_AUTH={shlex.quote(password)}"
    return host.run(f"{env} redis-cli --no-auth-warning -h {CACHE} --user deenify PING").stdout.strip() == "PONG"


def rotate(inventory, tmp_path, secrets: dict[str, str] | None = None):
    """playbooks/rotate-secrets.yml; ``secrets`` stand in for new vault values (an extra-vars file)."""
    args: tuple[str, ...] = ()
    if secrets is not None:
        extra = tmp_path / "rotated-secrets.json"
        extra.write_text(json.dumps({"app_env_secrets": GROUP_VARS["app_env_secrets"] | secrets}))
        extra.chmod(0o600)
        args = ("-e", f"@{extra}")
    return run_playbook(inventory, "rotate-secrets.yml", *args)


def test_secrets_rotate_under_load_and_the_old_passwords_are_refused(hosts, lb, inventory, tmp_path):
    web1, worker = hosts[WEB[0]], hosts[CACHE]
    old = {key: GROUP_VARS["app_env_secrets"][key] for key in ("DB_PASSWORD", "REDIS_PASSWORD")}
    new = {key: f"rotated-{key.lower()}-{secrets.token_urlsafe(18)}" for key in old}
    before = live(web1)
    assert database_login(web1, old["DB_PASSWORD"]), "the inventory's database password is refused"
    assert redis_login(web1, old["REDIS_PASSWORD"]), "the inventory's Redis password is refused"

    # /up asks the database, the cache and the queue on every request.
    with Load(lb, SITE, path="/up", rate=LOAD_RATE) as load:
        time.sleep(1)
        run = rotate(inventory, tmp_path, new)
        time.sleep(2)
    assert run.rc == 0, str(run)
    assert_no_secret(run.raw)
    assert not [key for key, value in new.items() if value in run.raw], "a new password is in the output"
    assert len(load.answers) >= 50, load.summary()
    assert not load.failures(), load.summary()

    # The same code, released again with the new .env, on every application host.
    after = live(web1)
    assert after != before, "no new release: .env did not change"
    assert state(web1, after)["sha"] == state(web1, before)["sha"], "the rotation deployed other code"
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, after)
    # Every worker was restarted into it, and the old passwords are refused from every host.
    cwds = {process(worker, pid)["cwd"] for pid in running(worker).values()}
    assert cwds == {f"{ROOT_DIR}/releases/{after}"}, cwds
    for host in (web1, worker):
        assert database_login(host, new["DB_PASSWORD"]), "the new database password is refused"
        assert redis_login(host, new["REDIS_PASSWORD"]), "the new Redis password is refused"
        assert not database_login(host, old["DB_PASSWORD"]), "the old database password still works"
        assert not redis_login(host, old["REDIS_PASSWORD"]), "the old Redis password still works"

    # Back to the inventory's passwords (as the scenario's check-mode test expects), which
    # also shows that the rotation can run again and again.
    back = rotate(inventory, tmp_path)
    assert back.rc == 0, str(back)
    assert database_login(web1, old["DB_PASSWORD"]), "the inventory's database password is refused"
    assert redis_login(web1, old["REDIS_PASSWORD"]), "the inventory's Redis password is refused"
    assert not database_login(web1, new["DB_PASSWORD"]), "the rotated database password still works"
    assert not redis_login(web1, new["REDIS_PASSWORD"]), "the rotated Redis password still works"
    assert request(lb, "/up", SITE).status == 200


@ON_ONE_PLATFORM
def test_the_chat_bot_deploys_and_rolls_back_from_its_command_line(hosts, inventory, tmp_path):
    # deenify-bot's CLI adapter, as an operator in chat would use it: the same playbooks
    # through ansible-runner, against this stack's inventory.
    web1 = hosts[WEB[0]]
    serving = live(web1)
    permissions = tmp_path / "permissions.yml"
    permissions.write_text(yaml.safe_dump({"users": {"UOPS": {"name": "ops", "roles": {"local": "operator"}}}}))
    config = tmp_path / "bot.yml"
    config.write_text(yaml.safe_dump({
        "project": str(ROOT), "permissions": str(permissions), "state_dir": str(tmp_path / "bot"),
        "inventories": {"local": str(inventory)}, "progress_interval": 2,
    }))  # fmt: skip
    bot = [str(Path(sys.executable).with_name("deenify-bot")), "--config", str(config), "cli", "--user", "UOPS"]

    def chat(*words: str) -> subprocess.CompletedProcess[str]:
        # The bot's own console script, with fixed words: nothing here comes from outside.
        return subprocess.run([*bot, *words], capture_output=True, text=True, timeout=900, check=False)  # noqa: S603

    deploy = chat("deploy", "local", "v2")
    assert deploy.returncode == 0, deploy.stdout[-4000:] + deploy.stderr[-2000:]
    job = re.search(r"^\[([0-9a-f]{8})\] started: deploy local v2 by ops\.", deploy.stdout, re.M)
    assert job, deploy.stdout[:2000]
    assert f"[{job[1]}] play: Deploy the release" in deploy.stdout, deploy.stdout[-4000:]
    assert f"job {job[1]} (deploy local v2) successful after" in deploy.stdout, deploy.stdout[-4000:]
    for name in APP_HOSTS:
        assert re.search(rf"^  {re.escape(name)}: ok=\d+ changed=\d+ failed=0 unreachable=0$", deploy.stdout, re.M)
    assert_no_secret(deploy.stdout + deploy.stderr)
    first = live(web1)
    assert state(web1, first)["sha"] == sha_of(web1, "v2")

    # A second release of v2 (the live build copied), then back to the first from chat.
    again = run_playbook(inventory, "deploy.yml", app_ref="v2", app_force_release="true")
    assert again.rc == 0, str(again)
    assert live(web1) != first
    rollback = chat("rollback", "local")
    assert rollback.returncode == 0, rollback.stdout[-4000:] + rollback.stderr[-2000:]
    assert "(rollback local) successful after" in rollback.stdout, rollback.stdout[-4000:]
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, first)
    status = chat("status", "local")
    assert status.returncode == 0, status.stdout[-4000:] + status.stderr[-2000:]
    for name in APP_HOSTS:
        assert f"{name}: live {first} (v2, {sha_of(web1, 'v2')[:7]})" in status.stdout, status.stdout[-4000:]
    assert "Nobody holds the deploy lock." in status.stdout, status.stdout[-4000:]

    # Rolling back past a migration stays a terminal's decision: from chat it is refused.
    refused = chat("rollback", "local", serving)
    assert refused.returncode == 1, refused.stdout[-4000:]
    assert "app_allow_schema_rollback" in refused.stdout, refused.stdout[-4000:]
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, first)
    records = [json.loads(line) for line in (tmp_path / "bot" / "audit.jsonl").read_text().splitlines()]
    assert [(r["command"], r["result"]) for r in records if r["event"] == "finished"] == [
        ("deploy", "successful"), ("rollback", "successful"), ("status", "successful"), ("rollback", "failed"),
    ]  # fmt: skip

    # As converge left it, for the tests after this one.
    back = run_playbook(inventory, "rollback.yml", app_rollback_to=serving, app_allow_schema_rollback="true")
    assert back.rc == 0, str(back)
    assert live_everywhere(hosts) == dict.fromkeys(APP_HOSTS, serving)


@ON_ONE_PLATFORM
def test_site_yml_at_vvv_with_diffs_prints_no_secret(hosts, inventory):
    # Every role site.yml applies, as an operator checking for drift runs it: each module's
    # arguments and each diff are printed, and the secrets (the database's and Redis'
    # passwords, the workers' environment) must not be among them. The app's own (.env)
    # are printed by the v2 deploy at -vvv above.
    run = run_playbook(inventory, "site.yml", "--check", "--diff", "-vvv", "--skip-tags", "common")
    assert run.rc == 0, str(run)
    for role in ("database", "redis", "queue_workers", "nginx"):
        assert f"TASK [{role} : " in run.raw, f"site.yml did not reach the {role} role"
    assert f"<{DB}> " in run.raw, "the run was not verbose: -vvv says what it does on each host"
    assert_no_secret(run.raw)


def test_old_releases_are_removed_but_the_live_previous_and_failed_stay(hosts):
    for name in APP_HOSTS:
        statuses = {r: status_of(hosts[name], r) for r in releases(hosts[name])}
        assert statuses[live(hosts[name])] == "live", f"{name}: {statuses}"
        good = [s for s in statuses.values() if s in {"live", "ready", "retired"}]
        assert len(good) <= GROUP_VARS.get("app_keep_releases", 5), f"{name}: {statuses}"
        # The release a rollback would return to is kept, and so is the newest failed one.
        assert "retired" in statuses.values(), f"{name}: {statuses}"
        assert "failed" in statuses.values(), f"{name}: {statuses}"
