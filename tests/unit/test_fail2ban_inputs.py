"""Unit tests of roles/fail2ban/filter_plugins/fail2ban_inputs.py."""

from __future__ import annotations

import importlib.util
import ipaddress
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

PLUGIN = Path(__file__).resolve().parents[2] / "roles" / "fail2ban" / "filter_plugins" / "fail2ban_inputs.py"
_spec = importlib.util.spec_from_file_location("fail2ban_inputs", PLUGIN)
assert _spec
assert _spec.loader
inputs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(inputs)

KNOWN = ["sshd", "deenify-admin", "recidive"]
GOOD_JAIL = {"enabled": True, "bantime": "1h", "findtime": 600, "maxretry": 5}


def test_addresses_and_networks_come_back_canonical():
    entries = ["192.0.2.7", "203.0.113.0/24", "2001:DB8:0:0::1", "2001:db8:42::/48", " 198.51.100.1 ", "::1"]
    assert inputs.fail2ban_ignoreip(entries) == [
        "192.0.2.7",
        "203.0.113.0/24",
        "2001:db8::1",
        "2001:db8:42::/48",
        "198.51.100.1",
        "::1",
    ]


@pytest.mark.parametrize(
    ("entries", "expected"),
    [
        (["db.example.org"], r"^fail2ban_ignoreip\[0\]: 'db.example.org' is not an IPv4/IPv6 address or network"),
        (["192.0.2.7", "192.0.2.256"], r"^fail2ban_ignoreip\[1\]: '192.0.2.256' is not"),
        (["10.0.0.1/8"], r"the network that holds it is 10.0.0.0/8"),
        (["2001:db8::/200"], r"'2001:db8::/200' is not an IPv4/IPv6 address or network"),
        (["192.0.2.1 192.0.2.2"], r"'192.0.2.1 192.0.2.2' is not"),
        ([""], r"^fail2ban_ignoreip\[0\]: '' is not"),
        ([42], r"^fail2ban_ignoreip\[0\]: 42 is a int, not an IPv4/IPv6 address or network"),
        ("192.0.2.7", r"^fail2ban_ignoreip must be a list"),
        ({"a": 1}, r"^fail2ban_ignoreip must be a list"),
        (None, r"^fail2ban_ignoreip must be a list"),
    ],
)
def test_what_is_not_an_address_or_network_is_refused_with_the_variable_named(entries, expected):
    with pytest.raises(AnsibleFilterError, match=expected):
        inputs.fail2ban_ignoreip(entries, "fail2ban_ignoreip")


@given(st.ip_addresses())
def test_any_address_round_trips(address):
    assert inputs.fail2ban_ignoreip([str(address)]) == [str(address)]


@given(st.ip_addresses(v=4), st.integers(min_value=0, max_value=32))
def test_any_ipv4_network_round_trips(address, prefix):
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    assert inputs.fail2ban_ignoreip([str(network)]) == [str(network)]


def test_only_routable_addresses_are_kept_from_the_inventory():
    values = ["web1.example.org", "", None, "10.20.0.5", "127.0.0.1", "fe80::1%eth0", "2001:db8::5", "10.20.0.5", "::"]
    assert inputs.fail2ban_only_addresses(values) == ["10.20.0.5", "2001:db8::5"]
    assert inputs.fail2ban_only_addresses("192.0.2.9") == ["192.0.2.9"]


def test_inventory_addresses_come_from_ansible_host_and_facts():
    hostvars = {
        "web1": {"ansible_host": "192.0.2.10", "ansible_facts": {"all_ipv4_addresses": ["10.20.0.5", "172.17.0.1"]}},
        "db1": {"ansible_host": "db1.example.org", "ansible_facts": {"all_ipv6_addresses": ["fe80::1", "2001:db8::9"]}},
        "new": {},
    }
    assert inputs.fail2ban_inventory_addresses(hostvars, ["web1", "db1", "new", "absent"]) == [
        "192.0.2.10",
        "10.20.0.5",
        "172.17.0.1",
        "2001:db8::9",
    ]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (600, 600),
        ("600", 600),
        ("10m", 600),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1d", 86400),
        ("1w", 604800),
        ("2D", 172800),
    ],
)
def test_durations_are_read_into_seconds(value, seconds):
    assert inputs.fail2ban_seconds(value) == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "not a positive duration"),
        (-1, "not a positive duration"),
        ("0m", "not a positive duration"),
        ("-5m", "not a duration such as"),
        ("1 hour", "not a duration such as"),
        ("h", "not a duration such as"),
        ("1.5h", "not a duration such as"),
        (True, "not a duration such as"),
        (None, "not a duration such as"),
    ],
)
def test_what_is_not_a_positive_duration_is_refused_with_the_variable_named(value, expected):
    with pytest.raises(AnsibleFilterError, match=rf"^fail2ban_jails\.sshd\.bantime: .*{expected}"):
        inputs.fail2ban_seconds(value, "fail2ban_jails.sshd.bantime")


def test_good_jails_have_no_errors():
    jails = {name: dict(GOOD_JAIL) for name in KNOWN}
    assert inputs.fail2ban_jail_errors(jails, "fail2ban_jail_defaults", KNOWN, complete=True) == []
    assert inputs.fail2ban_jail_errors({"sshd": {"maxretry": 3}}, "fail2ban_jails", KNOWN) == []


def test_every_problem_of_the_jails_is_named():
    jails = {
        "apache-auth": {"enabled": True},
        "sshd": {"enabled": "yes", "bantime": -1, "findtime": "soon", "maxretry": 0, "banaction": "x"},
        "recidive": "on",
    }
    assert inputs.fail2ban_jail_errors(jails, "fail2ban_jails", KNOWN) == [
        "fail2ban_jails: unknown jail 'apache-auth'; the role has sshd, deenify-admin, recidive",
        "fail2ban_jails.sshd: unknown setting 'banaction'; a jail takes enabled, bantime, findtime, maxretry",
        "fail2ban_jails.sshd.enabled: 'yes' is not true or false",
        "fail2ban_jails.sshd.bantime: -1 is not a positive duration; give at least one second (fail2ban's -1, a ban "
        "for ever, is not accepted: a wrong ban would never end)",
        "fail2ban_jails.sshd.findtime: 'soon' is not a duration such as 600, 10m, 1h or 1d",
        "fail2ban_jails.sshd.maxretry: 0 is not a whole number of at least 1",
        "fail2ban_jails.recidive must be a dict of settings (enabled, bantime, findtime, maxretry), got 'on'",
    ]


def test_complete_defaults_need_every_jail_and_setting():
    errors = inputs.fail2ban_jail_errors({"sshd": {"enabled": True}}, "fail2ban_jail_defaults", KNOWN, complete=True)
    assert errors == [
        "fail2ban_jail_defaults.sshd: lacks bantime, findtime, maxretry",
        "fail2ban_jail_defaults: lacks the jails deenify-admin, recidive",
    ]
    assert inputs.fail2ban_jail_errors([], "fail2ban_jails", KNOWN) == [
        "fail2ban_jails must be a dict of jail names to settings, got list: []"
    ]


def test_filters_are_registered():
    assert set(inputs.FilterModule().filters()) == {
        "fail2ban_ignoreip",
        "fail2ban_only_addresses",
        "fail2ban_inventory_addresses",
        "fail2ban_seconds",
        "fail2ban_jail_errors",
    }
