"""PHP behind nginx as a visitor, the pool's neighbours and an operator see it."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.helpers.instances import address_of
from tests.helpers.nginx import apply_roles, port_is_closed, request, scenario_vars

SCENARIO = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
# The extensions Laravel 12 needs, as get_loaded_extensions() names them (lower case).
LARAVEL_EXTENSIONS = {
    "bcmath", "ctype", "curl", "dom", "fileinfo", "intl", "mbstring", "openssl", "pdo", "pdo_mysql",
    "redis", "tokenizer", "xml", "zip", "gd", "zend opcache",
}  # fmt: skip
CONNECT_TO_THE_POOL = "import socket; socket.socket(socket.AF_UNIX).connect('/run/php/php-fpm-deenify.sock')"


@pytest.fixture(scope="module")
def container(host) -> str:
    return host.backend.get_hostname()


@pytest.fixture(scope="module")
def address(container) -> str:
    return address_of(container)


@pytest.fixture(scope="module")
def version(host) -> str:
    return host.run("php -r 'echo PHP_MAJOR_VERSION, \".\", PHP_MINOR_VERSION;'").stdout.strip()


@pytest.fixture(scope="module")
def page(address) -> dict:
    response = request(address, "/donations/42", "deenify.test")
    assert response.status == 200, str(response)
    return json.loads(response.body)


def test_the_page_runs_the_distributions_php_with_laravels_extensions(host, page, version):
    expected = {"debian13": "8.4", "debian12": "8.2"}[os.environ["MOLECULE_DISTRO"]]
    assert version == expected, f"php -v says {version}"
    loaded = {name.lower() for name in page["extensions"]}
    assert not LARAVEL_EXTENSIONS - loaded, f"missing: {sorted(LARAVEL_EXTENSIONS - loaded)}; loaded: {sorted(loaded)}"
    # php_database_engine is mariadb: the PostgreSQL driver is not installed.
    assert "pdo_pgsql" not in loaded, sorted(loaded)


def test_web_requests_and_the_command_line_have_their_own_limits(host, page):
    web = {key: page[key] for key in ("memory_limit", "upload_max_filesize", "post_max_size", "max_execution_time")}
    assert web == {
        "memory_limit": "192M", "upload_max_filesize": "12M", "post_max_size": "16M", "max_execution_time": "45"
    }, web  # fmt: skip
    cli = host.run('php -r \'echo ini_get("memory_limit"), " ", ini_get("max_execution_time");\'')
    assert cli.stdout.strip() == "768M 0", cli.stdout + cli.stderr


def test_opcache_runs_as_configured(page):
    seen = {key: page[key] for key in page if key.startswith("opcache_")} | {"realpath": page["realpath_cache_size"]}
    assert seen == {
        "opcache_enable": True,
        "opcache_memory_consumption": 96 * 1024 * 1024,
        "opcache_validate_timestamps": False,
        "realpath": "2048K",
    }, seen


def test_each_pool_runs_as_its_own_account_without_a_login(host, page, version):
    assert page["user"] == "deenify", page["user"]
    workers = host.run("ps -o user:20=,args= -C php-fpm%s", version)
    owners = {line.split()[-1]: line.split()[0] for line in workers.stdout.splitlines() if "pool" in line}
    assert owners == {"deenify": "deenify", "reports": "reports-php"}, workers.stdout
    for user in ("deenify", "reports-php"):
        assert host.user(user).shell == "/usr/sbin/nologin", user


@pytest.mark.parametrize(("user", "allowed"), [("www-data", True), ("deenify", False), ("nobody", False)])
def test_only_nginx_may_connect_to_the_pool_socket(host, user, allowed):
    probe = host.run("runuser -u %s -- python3 -c %s", user, CONNECT_TO_THE_POOL)
    assert (probe.rc == 0) == allowed, f"{user}: rc={probe.rc} {probe.stderr[-500:]}"
    if not allowed:
        assert "PermissionError" in probe.stderr, probe.stderr[-500:]


def test_the_pool_sizes_follow_the_memory_formula(host, version):
    # 2048 MiB x 50 % / 64 MiB / 2 pools = 8; reports sets its own 3. php-fpm -tt prints what it parsed.
    parsed = host.run("php-fpm%s -tt", version).stderr
    pools = {}
    for name, body in re.findall(r"NOTICE: \[(\w+)\]\n(.*?)NOTICE:\s*\n", parsed, re.S):
        pools[name] = dict(re.findall(r"\t(pm\.\w+|request_\w+_timeout) = (\S+)", body))
    assert {k: pools["deenify"][k] for k in ("pm.max_children", "pm.min_spare_servers", "pm.max_spare_servers")} == {
        "pm.max_children": "8", "pm.min_spare_servers": "2", "pm.max_spare_servers": "4"
    }, pools.get("deenify")  # fmt: skip
    assert pools["reports"]["pm.max_children"] == "3", pools["reports"]
    assert pools["reports"]["request_terminate_timeout"] == "30s", pools["reports"]
    assert "process_control_timeout = 60s" in parsed, parsed[-2000:]
    assert "www" not in pools, "Debian's stock www pool is still there"


def test_the_status_page_answers_on_loopback_only(host, address):
    status = host.run("curl -sS --max-time 5 http://127.0.0.1:8089/php-fpm/deenify/status")
    assert "pool:                 deenify" in status.stdout, status.stdout + status.stderr
    ping = host.run("curl -sS --max-time 5 http://127.0.0.1:8089/php-fpm/deenify/ping")
    assert ping.stdout == "pong", ping.stdout + ping.stderr
    closed, seen = port_is_closed(address, 8089)
    assert closed, f"the status port answers on {address}: {seen}"
    # Through the public site the path is just another URL of the application.
    public = request(address, "/fpm-status", "deenify.test")
    assert "accepted conn" not in public.text, str(public)


def test_composer_runs_and_meets_the_minimum(host):
    result = host.run("COMPOSER_ALLOW_SUPERUSER=1 composer --no-ansi --version")
    assert result.rc == 0, result.stdout + result.stderr
    found = re.search(r"Composer version (\d+)\.(\d+)", result.stdout)
    assert found, result.stdout
    assert (int(found[1]), int(found[2])) >= (2, 5), result.stdout


def test_a_php_version_the_distribution_lacks_fails_clearly_and_changes_nothing(container, tmp_path):
    code, output = apply_roles(tmp_path, container, ["php"], scenario_vars(SCENARIO) | {"php_version": "7.4"})
    assert code != 0, output[-3000:]
    assert "php_version: '7.4' is not packaged by Debian" in output, output[-3000:]
    assert re.search(r"changed=0 .*failed=1", output), output[-3000:]


def test_a_composer_older_than_the_minimum_stops_the_play(container, tmp_path):
    role_vars = scenario_vars(SCENARIO) | {"php_composer_min_version": "99.0"}
    code, output = apply_roles(tmp_path, container, ["php"], role_vars, tags="php-packages")
    assert code != 0, output[-3000:]
    assert "is older than php_composer_min_version 99.0" in output, output[-3000:]


def test_a_pool_value_php_fpm_refuses_leaves_it_serving(host, container, address, tmp_path, version):
    pool_file = f"/etc/php/{version}/fpm/pool.d/deenify.conf"
    before = host.file(pool_file).sha256sum
    master = host.run("cat /run/php/php%s-fpm.pid", version).stdout.strip()
    role_vars = scenario_vars(SCENARIO)
    role_vars["php_fpm_pools"][0] |= {"pm_min_spare_servers": 5, "pm_max_spare_servers": 2}
    code, output = apply_roles(tmp_path, container, ["php"], role_vars, tags="php-fpm")
    assert code != 0, output[-3000:]
    assert "pm.max_spare_servers(2) must not be less than pm.min_spare_servers(5)" in output, output[-3000:]
    assert host.file(pool_file).sha256sum == before, "the refused pool file was installed"
    assert host.run("cat /run/php/php%s-fpm.pid", version).stdout.strip() == master, "php-fpm was restarted"
    still = request(address, "/after-the-refused-change", "deenify.test")
    assert still.status == 200, str(still)
    assert json.loads(still.body)["user"] == "deenify", str(still)
