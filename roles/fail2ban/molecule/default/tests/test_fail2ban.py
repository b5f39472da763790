"""fail2ban on the web host, seen from two clients on the test network.

The intruder fails admin logins, trips nginx's rate limit, scans for /.env, sends an
attack tool's user agent and fails SSH logins; each time it must be banned (dropped by
nftables, so its connections time out) while the bystander keeps getting its pages, and
let in again once the ban ends. The bans add up to a recidive ban on every port.

Web is reached by its address on the test network, with the site's host name
(curl --resolve): a request by address alone goes to nginx's default server, which
closes the connection. The tests run in order; each lifts the bans it caused.
"""

from __future__ import annotations

import re
import shlex

import pytest
import testinfra
import yaml

from tests.helpers.app_host import ROOT_DIR, wait_for
from tests.helpers.database import instance
from tests.helpers.deploys import scenario_dir
from tests.helpers.instances import address_of

WEB, INTRUDER, BYSTANDER = instance("web"), instance("intruder"), instance("bystander")
SCENARIO_VARS = yaml.safe_load((scenario_dir() / "group_vars" / "all.yml").read_text())
JAILS = SCENARIO_VARS["fail2ban_jails"]
SITE = "deenify.test"
ADMIN_LOG = f"{ROOT_DIR}/shared/storage/logs/admin-auth.log"
ALL_JAILS = ["sshd", "deenify-admin", "deenify-nginx-limit-req", "deenify-nginx-scanners", "deenify-nginx-badbots",
             "recidive"]  # fmt: skip
# Longest a jail may take to read a new log line and ban (its backend polls every second).
NOTICE = 20


@pytest.fixture(scope="module")
def hosts() -> dict:
    return {name: testinfra.get_host(f"docker://{name}") for name in (WEB, INTRUDER, BYSTANDER)}


@pytest.fixture(scope="module")
def web(hosts):
    return hosts[WEB]


@pytest.fixture(scope="module")
def intruder(hosts):
    return hosts[INTRUDER]


@pytest.fixture(scope="module")
def bystander(hosts):
    return hosts[BYSTANDER]


@pytest.fixture(scope="module")
def addresses() -> dict[str, str]:
    return {name: address_of(name) for name in (WEB, INTRUDER, BYSTANDER)}


def get(client, web_address: str, path: str = "/admin/login", *curl_options: str) -> str:
    """The HTTP status web answers ``client`` for ``path``, or 'timeout' when no answer came."""
    options = " ".join(shlex.quote(o) for o in curl_options)
    result = client.run(
        f"curl -s -o /dev/null -w '%{{http_code}}' --connect-timeout 3 --max-time 5 "
        f"--resolve {SITE}:80:{web_address} {options} http://{SITE}{shlex.quote(path)}"
    )
    return "timeout" if result.rc == 28 else result.stdout.strip() or f"curl rc={result.rc}"


def failed_login(client, web_address: str, email: str = "intruder@example.org") -> str:
    """One failed admin login as a browser makes it: the form (session and CSRF token), then the POST."""
    script = f"""
        set -eu
        jar=$(mktemp)
        page=$(curl -s --max-time 5 -c "$jar" -b "$jar" --resolve {SITE}:80:{web_address} http://{SITE}/admin/login)
        token=$(printf '%s' "$page" | sed -n 's/.*name="_token" value="\\([^"]*\\)".*/\\1/p' | head -n 1)
        [ -n "$token" ] || {{ echo "no CSRF token in the login form"; exit 3; }}
        curl -s -o /dev/null -w '%{{http_code}}' --max-time 5 -c "$jar" -b "$jar" \\
          --resolve {SITE}:80:{web_address} --data-urlencode "_token=$token" \\
          --data-urlencode "email={email}" --data-urlencode "password=not-the-password" \\
          http://{SITE}/admin/login
        rm -f "$jar"
    """
    result = client.run(f"bash -c {shlex.quote(script)}")
    assert result.rc == 0, f"the login attempt did not get through: rc={result.rc} {result.stdout} {result.stderr}"
    return result.stdout.strip()


def banned(web, jail: str) -> list[str]:
    """The addresses ``jail`` bans right now."""
    status = web.run(f"fail2ban-client status {jail}")
    assert status.rc == 0, f"fail2ban-client status {jail}: {status.stdout} {status.stderr}"
    found = re.search(r"Banned IP list:[ \t]*(.*)$", status.stdout, re.MULTILINE)
    assert found, f"no ban list in:\n{status.stdout}"
    return found.group(1).split()


def dropped(probe) -> bool:
    """Whether ``probe`` (a request from a banned client) soon times out.

    fail2ban lists a ban a moment before its action has put the address into nftables
    (the first ban of a jail also creates the jail's set and rule), so the probe is retried.
    """
    return bool(wait_for(lambda: probe() == "timeout", timeout=10))


def unban(web, jail: str, address: str) -> None:
    web.run(f"fail2ban-client set {jail} unbanip {address}")


def test_fail2ban_runs_every_jail_and_starts_at_boot(web):
    service = web.service("fail2ban")
    assert service.is_running
    assert service.is_enabled
    status = web.check_output("fail2ban-client status")
    listed = re.search(r"Jail list:[ \t]*(.*)$", status, re.MULTILINE)
    assert listed, status
    assert sorted(j.strip() for j in listed.group(1).split(",")) == sorted(ALL_JAILS), status


def test_the_sshd_jail_reads_the_journal(web):
    status = web.check_output("fail2ban-client status sshd")
    # A journal-backed jail lists its journal matches where a file-backed one lists files.
    assert "Journal matches:" in status, status
    assert "_SYSTEMD_UNIT=ssh.service" in status, status


def test_ignoreip_holds_loopback_the_inventory_and_the_web_host_not_the_clients(web, addresses):
    ignored = web.check_output("fail2ban-client get deenify-admin ignoreip")
    for entry in ["127.0.0.0/8", "::1", *SCENARIO_VARS["fail2ban_ignoreip"], addresses[WEB]]:
        assert entry in ignored, f"{entry} is not in ignoreip:\n{ignored}"
    for client in (INTRUDER, BYSTANDER):
        assert addresses[client] not in ignored, f"{client}'s {addresses[client]} is ignored:\n{ignored}"


def test_failed_admin_logins_ban_the_intruder_while_the_bystander_gets_in(web, intruder, bystander, addresses):
    web.run("fail2ban-client unban --all")
    ip = addresses[INTRUDER]
    assert get(intruder, addresses[WEB]) == "200"
    maxretry = JAILS["deenify-admin"]["maxretry"]
    for _ in range(maxretry - 1):
        assert failed_login(intruder, addresses[WEB]) == "302"
    assert not wait_for(lambda: ip in banned(web, "deenify-admin"), timeout=3), "banned before maxretry failures"
    assert failed_login(intruder, addresses[WEB]) == "302"

    assert wait_for(lambda: ip in banned(web, "deenify-admin"), timeout=NOTICE), (
        f"{ip} is not banned after {maxretry} failed logins; admin-auth.log:\n{web.file(ADMIN_LOG).content_string}"
    )
    log = web.file(ADMIN_LOG).content_string
    assert log.count(f"admin-login failed ip={ip} ") >= maxretry, log
    assert dropped(lambda: get(intruder, addresses[WEB])), "the banned intruder still gets answers"
    assert get(bystander, addresses[WEB]) == "200"
    table = web.run("nft list table inet f2b-table")
    assert table.rc == 0, f"fail2ban's nftables table is missing: {table.stderr}"
    assert ip in table.stdout, f"fail2ban's nftables table does not hold {ip}:\n{table.stdout}"


def test_the_ban_ends_after_bantime(web, intruder, addresses):
    ip = addresses[INTRUDER]
    assert wait_for(lambda: ip not in banned(web, "deenify-admin"), timeout=20 + NOTICE), "the ban did not end"
    assert wait_for(lambda: get(intruder, addresses[WEB]) == "200", timeout=10), get(intruder, addresses[WEB])


def test_a_client_that_keeps_hitting_the_rate_limit_is_banned(web, intruder, bystander, addresses):
    ip = addresses[INTRUDER]
    # Stops at the first request that gets no answer: the ban has come.
    burst = intruder.run(
        f"for i in $(seq 40); do code=$(curl -s -o /dev/null -w '%{{http_code}}' --max-time 2 "
        f'--resolve {SITE}:80:{addresses[WEB]} http://{SITE}/admin/login); echo -n "$code "; '
        '[ "$code" = 000 ] && break; done'
    )
    assert "429" in burst.stdout, f"nginx never answered 429: {burst.stdout}"
    assert wait_for(lambda: ip in banned(web, "deenify-nginx-limit-req"), timeout=NOTICE), (
        "no ban after the 429s; error log:\n" + web.run("tail -n 5 /var/log/nginx/deenify.error.log").stdout
    )
    assert dropped(lambda: get(intruder, addresses[WEB], "/")), "the banned intruder still gets answers"
    assert get(bystander, addresses[WEB], "/") == "200"
    unban(web, "deenify-nginx-limit-req", ip)


def test_a_scanner_asking_for_env_files_and_wordpress_is_banned(web, intruder, addresses):
    ip = addresses[INTRUDER]
    assert wait_for(lambda: get(intruder, addresses[WEB], "/") == "200", timeout=10)
    assert get(intruder, addresses[WEB], "/.env") == "403"
    assert get(intruder, addresses[WEB], "/wp-login.php") == "404"
    assert wait_for(lambda: ip in banned(web, "deenify-nginx-scanners"), timeout=NOTICE), (
        "no ban; access log:\n" + web.run("tail -n 5 /var/log/nginx/deenify.access.log").stdout
    )
    assert dropped(lambda: get(intruder, addresses[WEB], "/")), "the banned intruder still gets answers"
    # The filter as the host has it, on the host's own log.
    regex = web.run(
        "fail2ban-regex /var/log/nginx/deenify.access.log /etc/fail2ban/filter.d/deenify-nginx-scanners.conf"
    )
    matched = re.search(r"^Lines: \d+ lines, \d+ ignored, (\d+) matched", regex.stdout, re.MULTILINE)
    assert matched, regex.stdout
    assert int(matched.group(1)) >= 2, regex.stdout
    unban(web, "deenify-nginx-scanners", ip)


def test_an_attack_tool_is_banned_on_its_first_request(web, intruder, bystander, addresses):
    ip = addresses[INTRUDER]
    assert wait_for(lambda: get(intruder, addresses[WEB], "/") == "200", timeout=10)
    get(intruder, addresses[WEB], "/?id=1", "-A", "sqlmap/1.8.2#stable (https://sqlmap.org)")
    assert wait_for(lambda: ip in banned(web, "deenify-nginx-badbots"), timeout=NOTICE)
    assert dropped(lambda: get(intruder, addresses[WEB], "/")), "the banned intruder still gets answers"
    assert get(bystander, addresses[WEB], "/") == "200"
    unban(web, "deenify-nginx-badbots", ip)


def test_failed_ssh_logins_from_the_journal_ban_the_intruder(web, intruder, addresses):
    ip = addresses[INTRUDER]
    ssh = (
        "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=3 "
        f"nosuchuser@{addresses[WEB]} true"
    )
    # OpenSSH 9.8 and later (Debian 13) hold back a source that just failed
    # (PerSourcePenalties), so some quick attempts never reach a login: try a few more.
    attempts = []
    for _ in range(3 * JAILS["sshd"]["maxretry"]):
        attempts.append(intruder.run(ssh))
        assert attempts[-1].rc == 255, f"ssh did not fail as it should: {attempts[-1].stderr}"
        if wait_for(lambda: ip in banned(web, "sshd"), timeout=2):
            break
    assert wait_for(lambda: ip in banned(web, "sshd"), timeout=NOTICE), (
        f"no ban; ssh said {[a.stderr.strip() for a in attempts]}\nthe journal of ssh.service:\n"
        + web.run("journalctl -u ssh -n 10 --no-pager").stdout
        + f"\nfail2ban.log on {ip}:\n"
        + web.run(f"grep -F {ip} /var/log/fail2ban.log | tail -n 20").stdout
    )
    assert dropped(lambda: "timeout" if "timed out" in intruder.run(ssh).stderr else "answered"), (
        "the banned intruder still reaches sshd"
    )
    unban(web, "sshd", ip)


def test_repeat_offenders_are_banned_from_every_port(web, intruder, bystander, addresses):
    ip = addresses[INTRUDER]
    # Each ban by another jail counts; the tests above gave some, the attack tool adds more.
    for _ in range(JAILS["recidive"]["maxretry"] + 1):
        if wait_for(lambda: ip in banned(web, "recidive"), timeout=3):
            break
        if ip not in banned(web, "deenify-nginx-badbots"):
            get(intruder, addresses[WEB], "/", "-A", "Nuclei - Open-source project")
        wait_for(lambda: ip in banned(web, "deenify-nginx-badbots") or ip in banned(web, "recidive"), timeout=NOTICE)
        unban(web, "deenify-nginx-badbots", ip)
    assert wait_for(lambda: ip in banned(web, "recidive"), timeout=NOTICE), (
        "no recidive ban; fail2ban.log:\n" + web.run("grep ' Ban ' /var/log/fail2ban.log | tail -n 10").stdout
    )
    # Every other jail has let it go: the recidive ban alone closes both ports.
    assert all(ip not in banned(web, jail) for jail in ALL_JAILS if jail != "recidive")
    assert dropped(lambda: get(intruder, addresses[WEB], "/")), "the banned intruder still gets answers"
    ssh = f"ssh -o BatchMode=yes -o ConnectTimeout=3 -o StrictHostKeyChecking=no x@{addresses[WEB]} true"
    assert dropped(lambda: "timeout" if "timed out" in intruder.run(ssh).stderr else "answered"), "sshd answers"
    assert get(bystander, addresses[WEB], "/") == "200"

    web.run("fail2ban-client unban --all")
    assert wait_for(lambda: get(intruder, addresses[WEB], "/") == "200", timeout=10)
