"""The fail2ban role's filters, run by fail2ban's own fail2ban-regex against log lines.

The filters are rendered from the role's templates with the role's defaults by a real
ansible-playbook run (so Ansible's own filters escape the lists), then each one reads a
log of lines it must match and lines it must not, in the formats the sample app and the
nginx role write. A test passes only when the addresses fail2ban would ban are exactly
the expected ones, in order: a filter that matches nothing, or too much, fails.

fail2ban-regex needs no fail2ban server. PyPI has no fail2ban package, and installing
Debian's would start the daemon on the controller, so the test takes the command from
FAIL2BAN_REGEX or the PATH when there is one, and otherwise unpacks Debian's package
(`apt-get download`, `dpkg-deb -x`) under .cache/ and runs its fail2ban-regex with this
Python: files only, nothing installed, no service started.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from tests.helpers.playbooks import ansible_playbook

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "roles" / "fail2ban"
CACHE = ROOT / ".cache" / "fail2ban-regex"
FILTERS = sorted(p.name.removesuffix(".conf.j2") for p in (ROLE / "templates" / "filter.d").glob("*.conf.j2"))
SUMMARY = re.compile(r"^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed", re.MULTILINE)

ACCESS = '{ip} - - [03/Dec/2026:23:00:{s:02d} +0000] "{request}" {status} 512 "{referer}" "{agent}"'
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def access(second: int, ip: str, request: str, status: int = 200, referer: str = "-", agent: str = FIREFOX) -> str:
    """One line of nginx's default "combined" access log, as the nginx role's sites write it."""
    return ACCESS.format(ip=ip, s=second, request=request, status=status, referer=referer, agent=agent)


def error(second: int, message: str) -> str:
    """One line of an nginx error log."""
    return f"2026/12/03 23:00:{second:02d} [error] 812#812: *{31 + second} {message}"


def admin(second: int, rest: str) -> str:
    """One line of the sample app's storage/logs/admin-auth.log."""
    return f"2026-12-03T23:00:{second:02d}+00:00 deenify admin-login {rest}"


# Each case: the log lines, and the addresses fail2ban must take from them, in order.
CASES = {
    "deenify-admin": (
        [
            admin(1, 'failed ip=203.0.113.7 email="x@example.org"'),
            admin(2, 'ok ip=203.0.113.8 email="admin@example.org"'),
            admin(3, 'failed ip=2001:db8::7 email="someone@example.org"'),
            # A crafted login name: everything after email= is what was typed.
            admin(4, r'failed ip=198.51.100.9 email="\" ip=192.0.2.1 \x0a"'),
            admin(5, 'failed ip=- email=""'),
            admin(6, 'ok ip=2001:db8::8 email="admin@example.org"'),
            "[2026-12-03 23:00:07] production.ERROR: admin-login failed ip=192.0.2.2",
        ],
        ["203.0.113.7", "2001:db8::7", "198.51.100.9"],
    ),
    "deenify-nginx-limit-req": (
        [
            error(
                1,
                'limiting requests, excess: 5.480 by zone "sensitive", client: 203.0.113.7, server: deenify.test, '
                'request: "POST /admin/login HTTP/1.1", host: "deenify.test"',
            ),
            error(
                2,
                'limiting requests, excess: 5.120 by zone "sensitive", client: 2001:db8::7, server: deenify.test, '
                'request: "GET /login HTTP/1.1", host: "deenify.test"',
            ),
            # Another zone than the role's, and requests that nginx only delayed.
            error(
                3,
                'limiting requests, excess: 9.000 by zone "api", client: 192.0.2.1, server: deenify.test, '
                'request: "GET /api HTTP/1.1", host: "deenify.test"',
            ),
            error(
                4,
                'delaying request, excess: 0.500, by zone "sensitive", client: 192.0.2.2, server: deenify.test, '
                'request: "GET /login HTTP/1.1", host: "deenify.test"',
            ),
            error(
                5,
                "connect() to unix:/run/php/php-fpm-deenify.sock failed (111: Connection refused) while "
                'connecting to upstream, client: 192.0.2.3, server: deenify.test, request: "GET / HTTP/1.1"',
            ),
        ],
        ["203.0.113.7", "2001:db8::7"],
    ),
    "deenify-nginx-scanners": (
        [
            access(1, "203.0.113.7", "GET /.env HTTP/1.1", 403),
            access(2, "2001:db8::7", "GET /wp-login.php HTTP/1.1", 404),
            access(3, "203.0.113.7", "POST /xmlrpc.php HTTP/1.1", 404),
            access(4, "198.51.100.9", "GET /phpMyAdmin/index.php HTTP/1.1", 404),
            access(5, "198.51.100.9", "HEAD /.git/config HTTP/1.0", 403),
            # What visitors and Deenify's own paths look like, including a normal 404.
            access(6, "192.0.2.1", "GET / HTTP/1.1"),
            access(7, "192.0.2.1", "GET /admin/login HTTP/2.0"),
            access(8, "192.0.2.1", "POST /admin/login HTTP/1.1", 302),
            access(9, "192.0.2.2", "GET /no-such-page HTTP/1.1", 404),
            access(10, "2001:db8::8", "GET /donations?ref=/.env HTTP/1.1", 404),
            access(11, "192.0.2.3", "GET /.well-known/security.txt HTTP/1.1"),
            access(12, "192.0.2.4", "GET /build/assets/app.css HTTP/1.1", referer="http://x.test/wp-login.php"),
        ],
        ["203.0.113.7", "2001:db8::7", "203.0.113.7", "198.51.100.9", "198.51.100.9"],
    ),
    "deenify-nginx-badbots": (
        [
            access(1, "203.0.113.7", "GET /?id=1 HTTP/1.1", agent="sqlmap/1.7.2#stable (https://sqlmap.org)"),
            access(
                2,
                "2001:db8::7",
                "GET / HTTP/1.1",
                400,
                agent="Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
            ),
            access(3, "198.51.100.9", "GET /admin HTTP/1.1", 404, agent="Nuclei - Open-source project"),
            # nginx writes a double quote inside the user agent as \x22.
            access(4, "192.0.2.3", "GET / HTTP/1.1", agent=r"Mozilla/5.0 \x22sqlmap-free\x22 Safari"),
            # The tools' names elsewhere in the line, and ordinary browsers and checks.
            access(5, "192.0.2.1", "GET /search?q=nikto HTTP/1.1", 404),
            access(6, "192.0.2.2", "GET / HTTP/1.1", referer="https://sqlmap.org/"),
            access(7, "2001:db8::8", "GET /up HTTP/1.1", agent="curl/8.14.1"),
        ],
        ["203.0.113.7", "2001:db8::7", "198.51.100.9", "192.0.2.3"],
    ),
}


def _unpacked_fail2ban_regex() -> list[str]:
    """fail2ban-regex from Debian's package, unpacked under .cache/ once (by whichever worker comes first)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    script = CACHE / "root" / "usr" / "bin" / "fail2ban-regex"
    with (CACHE / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not script.is_file():
            download = CACHE / "download"
            shutil.rmtree(download, ignore_errors=True)
            download.mkdir()
            fetch = subprocess.run(["apt-get", "download", "fail2ban"], cwd=download, capture_output=True, text=True)
            assert fetch.returncode == 0, (
                "fail2ban-regex is needed and could not be fetched with `apt-get download fail2ban` "
                f"(run `apt-get update` first, or set FAIL2BAN_REGEX):\n{fetch.stdout}\n{fetch.stderr}"
            )
            package = next(download.glob("fail2ban_*.deb"))
            shutil.rmtree(CACHE / "root", ignore_errors=True)
            subprocess.run(["dpkg-deb", "-x", str(package), str(CACHE / "root")], check=True)
    return [sys.executable, str(script)]


@pytest.fixture(scope="session")
def fail2ban_regex() -> tuple[list[str], dict[str, str]]:
    """The fail2ban-regex command and the environment it runs in."""
    if os.environ.get("FAIL2BAN_REGEX"):
        return [os.environ["FAIL2BAN_REGEX"]], dict(os.environ)
    installed = shutil.which("fail2ban-regex")
    if installed:
        return [installed], dict(os.environ)
    command = _unpacked_fail2ban_regex()
    env = dict(os.environ, PYTHONPATH=str(CACHE / "root" / "usr" / "lib" / "python3" / "dist-packages"))
    return command, env


def render(playbook: Path) -> subprocess.CompletedProcess[str]:
    """Run a rendering playbook on the controller, with the Python that runs the tests."""
    return ansible_playbook(
        "-i", "localhost,", "-e", f"ansible_python_interpreter={sys.executable}", str(playbook),
        cwd=playbook.parent, timeout=300,
    )  # fmt: skip


@pytest.fixture(scope="session")
def filters(tmp_path_factory) -> Path:
    """The role's filters rendered with its defaults into a directory, as the role writes them."""
    out = tmp_path_factory.mktemp("filter.d")
    play = [
        {
            "name": "Render the fail2ban role's filters",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars_files": [str(ROLE / "defaults" / "main.yml")],
            "tasks": [
                {
                    "name": "Render a filter",
                    "ansible.builtin.template": {
                        "src": f"{ROLE}/templates/filter.d/{{{{ item }}}}.conf.j2",
                        "dest": f"{out}/{{{{ item }}}}.conf",
                        "mode": "0644",
                    },
                    "loop": FILTERS,
                }
            ],
        }
    ]
    (out / "play.yml").write_text(yaml.safe_dump(play))
    run = render(out / "play.yml")
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


def run_regex(fail2ban_regex, log: Path, filter_file: Path, *options: str) -> str:
    command, env = fail2ban_regex
    proc = subprocess.run(
        [*command, *options, str(log), str(filter_file)], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, f"fail2ban-regex refused {filter_file.name}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def matches(fail2ban_regex, filters: Path, name: str, lines: list[str], tmp_path: Path) -> tuple[list[str], str]:
    """The addresses fail2ban-regex takes from ``lines`` with filter ``name``, and its summary."""
    log = tmp_path / f"{name}.log"
    log.write_text("\n".join(lines) + "\n")
    summary = run_regex(fail2ban_regex, log, filters / f"{name}.conf")
    found = SUMMARY.search(summary)
    assert found, f"no summary in fail2ban-regex's output:\n{summary}"
    addresses = run_regex(fail2ban_regex, log, filters / f"{name}.conf", "--out", "ip").split()
    assert int(found.group(3)) == len(addresses), summary
    return addresses, found.group(0)


def test_every_filter_of_the_role_has_a_case():
    assert FILTERS, "the role has no filter templates"
    assert sorted(CASES) == FILTERS


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_filter_bans_exactly_the_addresses_it_should(fail2ban_regex, filters, name, tmp_path):
    lines, expected = CASES[name]
    addresses, summary = matches(fail2ban_regex, filters, name, lines, tmp_path)
    assert addresses == expected, f"{name}: {summary}; matched {addresses}, expected {expected}\n" + "\n".join(lines)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ipv6_clients_are_matched(fail2ban_regex, filters, name, tmp_path):
    lines, _ = CASES[name]
    v6 = [line for line in lines if "2001:db8::7" in line]
    assert v6, f"{name}: the case has no IPv6 client"
    addresses, summary = matches(fail2ban_regex, filters, name, v6, tmp_path)
    assert addresses == ["2001:db8::7"], f"{name}: {summary}; matched {addresses}"


def test_a_filter_fed_the_wrong_log_matches_nothing(fail2ban_regex, filters, tmp_path):
    # The harness itself must be able to see a filter that finds nothing.
    lines, _ = CASES["deenify-nginx-scanners"]
    addresses, summary = matches(fail2ban_regex, filters, "deenify-admin", lines, tmp_path)
    assert addresses == [], summary


def test_lists_from_the_inventory_reach_the_filters(tmp_path, fail2ban_regex):
    """A path and a user agent of the inventory's own, with regex characters, match literally."""
    out = tmp_path / "custom"
    out.mkdir()
    role_vars = {
        "fail2ban_scanner_paths": ["/old-admin+backup.php"],
        "fail2ban_bad_user_agents": ["EvilBot (v2.*)"],
        "fail2ban_nginx_limit_req_zones": ["login"],
    }
    (out / "vars.yml").write_text(yaml.safe_dump(role_vars))
    play = textwrap.dedent(
        f"""\
        - name: Render the filters with the inventory's lists
          hosts: localhost
          connection: local
          gather_facts: false
          vars_files: [{ROLE}/defaults/main.yml, vars.yml]
          tasks:
            - name: Render a filter
              ansible.builtin.template:
                src: {ROLE}/templates/filter.d/{{{{ item }}}}.conf.j2
                dest: {out}/{{{{ item }}}}.conf
                mode: "0644"
              loop: {FILTERS}
        """
    )
    (out / "play.yml").write_text(play)
    run = render(out / "play.yml")
    assert run.returncode == 0, run.stdout[-3000:]
    scanners = [
        access(1, "203.0.113.7", "GET /old-admin+backup.php HTTP/1.1", 404),
        access(2, "192.0.2.1", "GET /old-adminnbackup.php HTTP/1.1", 404),
        access(3, "192.0.2.1", "GET /.env HTTP/1.1", 403),
    ]
    assert matches(fail2ban_regex, out, "deenify-nginx-scanners", scanners, tmp_path)[0] == ["203.0.113.7"]
    bots = [
        access(1, "203.0.113.7", "GET / HTTP/1.1", agent="EvilBot (v2.*)"),
        access(2, "192.0.2.1", "GET / HTTP/1.1", agent="EvilBot (v2.1)"),
    ]
    assert matches(fail2ban_regex, out, "deenify-nginx-badbots", bots, tmp_path)[0] == ["203.0.113.7"]
    zones = [
        error(1, 'limiting requests, excess: 5.480 by zone "login", client: 203.0.113.7, server: x'),
        error(2, 'limiting requests, excess: 5.480 by zone "sensitive", client: 192.0.2.1, server: x'),
    ]
    assert matches(fail2ban_regex, out, "deenify-nginx-limit-req", zones, tmp_path)[0] == ["203.0.113.7"]
