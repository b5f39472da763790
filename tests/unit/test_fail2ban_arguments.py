"""Wrong input to the fail2ban role fails before any host is touched, naming the variable.

Each case runs the role against a host that cannot be reached (loopback, a closed
port): inputs are checked on the controller first, so a bad value fails there with a
message naming the variable and the entry, and a good value gets as far as trying to
connect.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing


def run_role(tmp_path: Path, role_vars: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "fail2ban", role_vars)


def test_defaults_pass_validation_and_only_then_try_the_host(tmp_path):
    run = run_role(tmp_path, {})
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]


def test_fail2ban_turned_off_contacts_no_host(tmp_path):
    run = run_role(tmp_path, {"fail2ban_enabled": False})
    assert run.returncode == 0, run.stdout[-3000:]
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]
    assert "fail2ban_enabled is false for closed-port" in run.stdout, run.stdout[-3000:]


def test_good_input_passes_validation(tmp_path):
    run = run_role(
        tmp_path,
        {
            "fail2ban_ignoreip": ["203.0.113.0/24", "2001:db8:42::/48", "192.0.2.7", "2001:db8::1"],
            "fail2ban_jails": {"deenify-admin": {"maxretry": 3, "bantime": "1h30m"}, "sshd": {"enabled": False}},
            "fail2ban_blocktype": "reject",
            "fail2ban_ssh_port": 2222,
        },
    )
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]


ROLE = "fail2ban"
BAD_INPUT = [
    pytest.param(
        {"fail2ban_ignoreip": ["192.0.2.7", "office.example.org"]},
        "fail2ban_ignoreip[1]: 'office.example.org' is not an IPv4/IPv6 address or network",
        id="ignoreip-host-name",
    ),
    pytest.param(
        {"fail2ban_ignoreip": ["203.0.113.300"]},
        "fail2ban_ignoreip[0]: '203.0.113.300' is not an IPv4/IPv6 address or network",
        id="ignoreip-not-an-address",
    ),
    pytest.param(
        {"fail2ban_ignoreip": ["10.1.2.3/24"]},
        "fail2ban_ignoreip[0]: '10.1.2.3/24' is not an IPv4/IPv6 address or network (the network that holds "
        "it is 10.1.2.0/24)",
        id="ignoreip-host-bits-set",
    ),
    pytest.param(
        {"fail2ban_ignoreip": ["2001:db8::/129"]},
        "fail2ban_ignoreip[0]: '2001:db8::/129' is not an IPv4/IPv6 address or network",
        id="ignoreip-bad-ipv6-prefix",
    ),
    pytest.param(
        {"fail2ban_jails": {"deenify-admin": {"bantime": -1}}},
        "fail2ban_jails.deenify-admin.bantime: -1 is not a positive duration",
        id="negative-bantime",
    ),
    pytest.param(
        {"fail2ban_jails": {"sshd": {"bantime": 0}}},
        "fail2ban_jails.sshd.bantime: 0 is not a positive duration",
        id="zero-bantime",
    ),
    pytest.param(
        {"fail2ban_jails": {"sshd": {"findtime": "ten minutes"}}},
        "fail2ban_jails.sshd.findtime: 'ten minutes' is not a duration such as 600, 10m, 1h or 1d",
        id="findtime-not-a-duration",
    ),
    pytest.param(
        {"fail2ban_jails": {"recidive": {"maxretry": 0}}},
        "fail2ban_jails.recidive.maxretry: 0 is not a whole number of at least 1",
        id="zero-maxretry",
    ),
    pytest.param(
        {"fail2ban_jails": {"deenify-admin": {"maxretry": -3}}},
        "fail2ban_jails.deenify-admin.maxretry: -3 is not a whole number of at least 1",
        id="negative-maxretry",
    ),
    pytest.param(
        {"fail2ban_jails": {"nginx-http-auth": {"enabled": True}}},
        "fail2ban_jails: unknown jail 'nginx-http-auth'; the role has sshd, deenify-admin,",
        id="unknown-jail",
    ),
    pytest.param(
        {"fail2ban_jails": {"sshd": {"bantime_increment": True}}},
        "fail2ban_jails.sshd: unknown setting 'bantime_increment'",
        id="unknown-setting",
    ),
    pytest.param(
        {"fail2ban_jails": {"sshd": {"enabled": "yes please"}}},
        "fail2ban_jails.sshd.enabled: 'yes please' is not true or false",
        id="enabled-not-a-bool",
    ),
    pytest.param(
        {"fail2ban_jail_defaults": {"sshd": {"enabled": True, "bantime": "1h", "findtime": "10m", "maxretry": 5}}},
        "fail2ban_jail_defaults: lacks the jails deenify-admin,",
        id="defaults-incomplete",
    ),
    pytest.param(
        {"fail2ban_blocktype": "tarpit"},
        "value of fail2ban_blocktype must be one of: drop, reject",
        id="unknown-blocktype",
    ),
    pytest.param(
        {"fail2ban_ssh_port": 70000},
        "fail2ban_ssh_port: 70000 is not a TCP port",
        id="ssh-port",
    ),
    pytest.param(
        {"fail2ban_scanner_paths": ["/.env", "/.well-known/acme-challenge/"]},
        "fail2ban_scanner_paths: ['/.well-known/acme-challenge/'] refused",
        id="scanner-path-acme",
    ),
    pytest.param(
        {"fail2ban_scanner_paths": ["/"]},
        "fail2ban_scanner_paths: ['/'] refused",
        id="scanner-path-everything",
    ),
    pytest.param(
        {"fail2ban_bad_user_agents": ["Mozilla"[:3]]},
        "fail2ban_bad_user_agents: ['Moz'] refused",
        id="user-agent-too-short",
    ),
    pytest.param(
        {"fail2ban_bad_user_agents": ['evil"bot']},
        "fail2ban_bad_user_agents: ['evil\"bot'] refused",
        id="user-agent-with-quote",
    ),
    pytest.param(
        {"fail2ban_admin_auth_log": "storage/logs/admin-auth.log"},
        "fail2ban_admin_auth_log ('storage/logs/admin-auth.log') the absolute path of a file",
        id="relative-admin-log",
    ),
]


@pytest.mark.parametrize(("role_vars", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, role_vars, expected):
    bad_input_runs(role_vars).assert_refused_naming(expected)
