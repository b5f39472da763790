"""Behaviour of Redis converged with the redis role, as the application and an operator see it."""

from __future__ import annotations

import re
import shlex

import pytest

from tests.helpers.instances import address_of
from tests.helpers.redis import apply_redis_role, resp, scenario_vars

VARS = scenario_vars()
USER, PASSWORD = VARS["redis_app_user"], VARS["redis_app_password"]
PORT = 6379
ADMIN_SECRET = "/etc/redis/deenify-admin.secret"  # noqa: S105 - a path on the instance, not a password


@pytest.fixture(scope="module")
def name(host) -> str:
    return host.backend.get_hostname()


@pytest.fixture(scope="module")
def address(name) -> str:
    return address_of(name)


def cli(host, *lines: str, auth: tuple[str, str] | None = (USER, PASSWORD)) -> list[str]:
    """Replies of redis-cli over loopback inside the instance, a line each (the password goes in on stdin)."""
    script = "\n".join(([f"AUTH {auth[0]} {auth[1]}"] if auth else []) + list(lines))
    result = host.run(f"printf '%s\\n' {shlex.quote(script)} | redis-cli -h 127.0.0.1 -p {PORT}")
    # redis-cli follows each error reply with an empty line.
    return [line for line in (result.stdout + result.stderr).splitlines() if line]


def admin(host, *lines: str) -> list[str]:
    secret = host.run(f"cat {ADMIN_SECRET}").stdout.strip()
    return cli(host, *lines, auth=("deenify-admin", secret))


def main_pid(host) -> str:
    return host.run("systemctl show -p MainPID --value redis-server").stdout.strip()


def test_commands_without_authentication_are_refused(host, address):
    inside = cli(host, "PING", "SET intruder 1", auth=None)
    assert inside == ["NOAUTH Authentication required."] * 2, f"over loopback: {inside}"
    outside = resp(address, PORT, ["PING"], ["GET", "anything"])
    assert all(r.startswith("-NOAUTH") for r in outside), f"from the test network: {outside}"


def test_the_app_user_runs_what_laravel_needs_and_nothing_more(host):
    result = cli(
        host,
        "SELECT 1",
        "SET laravel_cache:greeting hello EX 60",
        "GET laravel_cache:greeting",
        "RPUSH queues:default job-1",
        "EVAL \"return redis.call('lpop', KEYS[1])\" 1 queues:default",
        "CONFIG GET maxmemory",
        "FLUSHALL",
        "ACL LIST",
    )
    assert result[:6] == ["OK", "OK", "OK", "hello", "1", "job-1"], result
    refused = result[6:]
    assert len(refused) == 3, result
    assert all(li.startswith("NOPERM") for li in refused), f"admin commands not refused: {refused}"


def test_a_wrong_password_is_refused(host, address):
    inside = cli(host, "PING", auth=(USER, PASSWORD + "-wrong"))
    assert inside[0].startswith("WRONGPASS"), inside
    assert inside[1].startswith("NOAUTH"), inside
    outside = resp(address, PORT, ["AUTH", USER, "not-the-password"], ["PING"])
    assert outside[0].startswith("-WRONGPASS"), f"from the test network: {outside}"
    assert outside[1].startswith("-NOAUTH"), f"from the test network: {outside}"


def test_the_app_user_reaches_redis_from_the_test_network(address):
    replies = resp(address, PORT, ["AUTH", USER, PASSWORD], ["SET", "from-network", "yes"], ["GET", "from-network"])
    assert replies == ["OK", "OK", "yes"], replies


def test_memory_limit_policy_and_persistence_run_as_configured(host):
    result = admin(host, "CONFIG GET maxmemory maxmemory-policy appendonly appendfsync")
    running = dict(zip(result[1::2], result[2::2], strict=False))
    wanted = {"maxmemory": str(64 * 1024**2), "maxmemory-policy": "noeviction", "appendonly": "yes",
              "appendfsync": "everysec"}  # fmt: skip
    assert running == wanted, f"running server: {result}"


def test_a_key_survives_a_restart(host):
    before = cli(host, "SET survives-restart yes")
    assert before == ["OK", "OK"], before
    restart = host.run("systemctl restart redis-server")
    assert restart.rc == 0, restart.stderr
    after = cli(host, "GET survives-restart")
    assert after == ["OK", "yes"], f"after the restart: {after}"


def test_a_new_password_and_memory_limit_apply_without_a_restart(host, name, tmp_path):
    pid = main_pid(host)
    new = PASSWORD + "-rotated"
    run = apply_redis_role(tmp_path, {"redis_app_password": new, "redis_maxmemory": "48M"}, name)
    assert run.returncode == 0, run.stdout[-3000:]
    assert new not in run.stdout + run.stderr, "the password appeared in the output"
    assert main_pid(host) == pid, "redis-server was restarted for settings it can take while running"
    assert cli(host, "PING", auth=(USER, new)) == ["OK", "PONG"]
    old = cli(host, "PING")
    assert old[0].startswith("WRONGPASS"), f"the old password still works: {old}"
    limit = admin(host, "CONFIG GET maxmemory")
    assert limit == ["OK", "maxmemory", str(48 * 1024**2)], limit


def test_binding_to_loopback_only_closes_the_network_and_restarts(host, name, address, tmp_path):
    pid = main_pid(host)
    run = apply_redis_role(tmp_path / "loopback", {"redis_bind_addresses": ["127.0.0.1"]}, name)
    assert run.returncode == 0, run.stdout[-3000:]
    assert main_pid(host) != pid, "a bind change needs a restart"
    with pytest.raises((ConnectionRefusedError, TimeoutError)):
        resp(address, PORT, ["PING"], timeout=3)
    # Back to the scenario's inventory: the network address answers again.
    run = apply_redis_role(tmp_path / "restore", {}, name)
    assert run.returncode == 0, run.stdout[-3000:]
    assert resp(address, PORT, ["AUTH", USER, PASSWORD], ["PING"]) == ["OK", "PONG"]


def test_a_bind_address_the_host_lacks_is_refused_before_anything_changes(host, name, tmp_path):
    pid, config = main_pid(host), host.file("/etc/redis/redis.conf").sha256sum
    run = apply_redis_role(tmp_path, {"redis_bind_addresses": ["127.0.0.1", "192.0.2.7"]}, name)
    assert run.returncode != 0, run.stdout[-3000:]
    assert re.search(r"redis_bind_addresses: \['192\.0\.2\.7'\] is not an address of", run.stdout), run.stdout[-3000:]
    assert (main_pid(host), host.file("/etc/redis/redis.conf").sha256sum) == (pid, config)
    assert cli(host, "PING") == ["OK", "PONG"]
