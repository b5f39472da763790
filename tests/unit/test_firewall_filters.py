"""The firewall role's filters: ports, sources, the SSH session and the rules from the inventory."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from hypothesis import given
from hypothesis import strategies as st

_PATH = Path(__file__).resolve().parents[2] / "roles" / "firewall" / "filter_plugins" / "firewall_rules.py"
_SPEC = importlib.util.spec_from_file_location("firewall_rules", _PATH)
rules = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(rules)


@given(st.integers(min_value=1, max_value=65535))
def test_every_port_in_range_is_accepted(port):
    assert rules.firewall_port_errors(port, "p") == []
    assert rules.firewall_port_errors(str(port), "p") == []


@given(st.one_of(st.integers(max_value=0), st.integers(min_value=65536)))
def test_every_port_out_of_range_is_refused_with_the_variable_named(port):
    assert rules.firewall_port_errors([22, port], "firewall_web_ports") == [
        f"firewall_web_ports[1]: {port!r} is not a TCP/UDP port (1-65535)"
    ]


@pytest.mark.parametrize("value", [True, None, 22.5, "22a", ""])
def test_what_is_not_a_port_is_refused(value):
    assert rules.firewall_port_errors(value, "firewall_ssh_port") == [
        f"firewall_ssh_port: {value!r} is not a TCP/UDP port (1-65535)"
    ]


def test_sources_accept_addresses_and_networks_of_both_families():
    good = ["10.0.0.5", "10.0.0.0/8", "0.0.0.0/0", "::/0", "fd00::5", "2001:db8::/32", " 192.0.2.1 "]
    assert rules.firewall_source_errors(good, "s") == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["web1"], "s[0]: 'web1' is not an IPv4 or IPv6 address or network"),
        (["10.0.0.0/24", 5], "s[1]: 5 is not an IPv4 or IPv6 address or network"),
        (["fd00::1/64"], "s[0]: 'fd00::1/64' has host bits set; the network is fd00::/64"),
        (["fe80::1%eth0"], "s[0]: 'fe80::1%eth0' is not an IPv4 or IPv6 address or network"),
        ({"a": 1}, "s: {'a': 1} is not a list of addresses and networks"),
    ],
)
def test_bad_sources_are_named_with_their_index(value, message):
    errors = rules.firewall_source_errors(value, "s")
    assert len(errors) == 1, errors
    assert errors[0].startswith(message), errors


def test_an_empty_source_list_is_refused_only_when_required():
    assert rules.firewall_source_errors([], "firewall_address") == []
    assert rules.firewall_source_errors([], "s", required=True)[0].startswith("s: [] lets nobody in")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.0.2.10 51234 198.51.100.7 22", {"address": "192.0.2.10", "port": 22}),
        ("2001:db8::10 51234 2001:db8::7 2222", {"address": "2001:db8::10", "port": 2222}),
        ("::ffff:192.0.2.10 51234 ::ffff:198.51.100.7 22", {"address": "192.0.2.10", "port": 22}),
        ("192.0.2.10 51234 22", {"address": "192.0.2.10", "port": 22}),
        ("", {"address": "", "port": 0}),
        ("  \n", {"address": "", "port": 0}),
        (None, {"address": "", "port": 0}),
    ],
)
def test_the_ssh_session_is_read_from_ssh_connection_or_ssh_client(value, expected):
    assert rules.firewall_ssh_session(value) == expected


@pytest.mark.parametrize("value", ["controller 51234 10.0.0.1 22", "192.0.2.10 51234 10.0.0.1", "192.0.2.10"])
def test_a_session_that_cannot_be_read_stops_the_run(value):
    with pytest.raises(AnsibleFilterError, match="cannot read the SSH session"):
        rules.firewall_ssh_session(value)


GROUPS = {"web": ["web1", "web2"], "worker": ["worker1"], "db": ["db1"], "monitoring": []}


def facts(ipv4: str = "", ipv6: str = "") -> dict:
    return {
        "ansible_facts": {
            "default_ipv4": {"address": ipv4} if ipv4 else {},
            "default_ipv6": {"address": ipv6} if ipv6 else {},
        }
    }


HOSTVARS = {
    "web1": facts("10.0.0.11", "fd00::11"),
    "web2": facts("10.0.0.12"),
    "worker1": facts("192.0.2.50") | {"firewall_address": "10.0.0.13"},
    "db1": facts("10.0.0.20"),
}


def test_group_sources_come_from_firewall_address_or_the_default_addresses_merged_by_family():
    wanted = [{"comment": "MariaDB", "ports": [3306], "source_groups": ["web", "worker", "backup"]}]
    assert rules.firewall_rules(wanted, GROUPS, HOSTVARS) == [
        {
            "comment": "MariaDB",
            "proto": "tcp",
            "ports": [3306],
            "ipv4": ["10.0.0.11", "10.0.0.12", "10.0.0.13"],  # neighbours stay apart, one per peer
            "ipv6": ["fd00::11"],
            "hosts": ["web1", "web2", "worker1"],
        }
    ]


def test_literal_sources_drop_what_another_holds_and_everywhere_wins():
    wanted = [
        {"comment": "SSH", "ports": [22], "sources": ["10.0.0.0/24", "10.0.0.7", "0.0.0.0/0"]},
        {
            "comment": "web",
            "ports": [443, 80, 80],
            "sources": ["10.0.1.0/24", "10.0.0.7", "10.0.0.0/24", "2001:db8::5", "2001:db8::/32"],
        },
    ]
    ssh, web = rules.firewall_rules(wanted, GROUPS, HOSTVARS)
    assert (ssh["ipv4"], ssh["ipv6"]) == (["0.0.0.0/0"], [])
    assert (web["ports"], web["ipv4"], web["ipv6"]) == ([80, 443], ["10.0.0.0/24", "10.0.1.0/24"], ["2001:db8::/32"])


def test_rules_that_do_not_apply_are_left_out_and_empty_groups_give_no_sources():
    wanted = [
        {"comment": "Redis", "ports": [6379], "source_groups": ["web"], "applies": False},
        {"comment": "exporters", "ports": [9100], "source_groups": ["monitoring", "absent"]},
        {"port": 53, "proto": "udp", "sources": ["10.0.0.0/8"]},
    ]
    exporters, dns = rules.firewall_rules(wanted, GROUPS, HOSTVARS)
    assert (exporters["comment"], exporters["ipv4"], exporters["ipv6"]) == ("exporters", [], [])
    assert (dns["comment"], dns["proto"], dns["ports"]) == ("rule 2: udp 53", "udp", [53])


def test_a_peer_without_facts_or_firewall_address_is_named():
    hostvars = HOSTVARS | {"web2": {"ansible_facts": {}}}
    wanted = [{"comment": "Redis", "ports": [6379], "source_groups": ["web"]}]
    assert rules.firewall_unknown_peers(wanted, GROUPS, hostvars) == ["web2"]
    assert rules.firewall_unknown_peers([wanted[0] | {"applies": False}], GROUPS, hostvars) == []
    with pytest.raises(AnsibleFilterError, match="Redis: the address of web2 is unknown: no facts were gathered"):
        rules.firewall_rules(wanted, GROUPS, hostvars)


def test_a_peer_whose_firewall_address_waits_for_facts_is_unknown_until_they_are_gathered():
    # Ansible hands a filter a placeholder, not a string, for a value built from facts it lacks.
    waiting = HOSTVARS | {"web2": {"ansible_facts": {}, "firewall_address": object()}}
    wanted = [{"comment": "Redis", "ports": [6379], "source_groups": ["web"]}]
    assert rules.firewall_unknown_peers(wanted, GROUPS, waiting) == ["web2"]
    with pytest.raises(AnsibleFilterError, match="the address of web2 is unknown: its firewall_address cannot be read"):
        rules.firewall_rules(wanted, GROUPS, waiting)
    gathered = HOSTVARS | {"web2": facts("10.0.0.12") | {"firewall_address": "10.20.0.12"}}
    assert rules.firewall_rules(wanted, GROUPS, gathered)[0]["ipv4"] == ["10.0.0.11", "10.20.0.12"]


def test_a_bad_firewall_address_of_a_peer_is_refused_with_the_host_named():
    hostvars = HOSTVARS | {"web2": {"firewall_address": ["10.0.0.12", "web-two"]}}
    wanted = [{"comment": "Redis", "ports": [6379], "source_groups": ["web"]}]
    with pytest.raises(AnsibleFilterError, match=r"firewall_address of web2\[1\]: 'web-two' is not an IPv4"):
        rules.firewall_rules(wanted, GROUPS, hostvars)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"comment": "x", "ports": [0], "sources": ["10.0.0.0/8"]}, r"x: ports\[0\]: 0 is not a TCP/UDP port"),
        ({"comment": "x", "ports": [22], "sources": ["lan"]}, r"x: sources\[0\]: 'lan' is not an IPv4"),
        ({"comment": "x", "ports": [], "sources": ["10.0.0.0/8"]}, "x: no port"),
        ({"comment": "x", "ports": [22], "proto": "sctp", "sources": ["10.0.0.0/8"]}, "protocol 'sctp' is not one"),
    ],
)
def test_bad_rules_are_refused(item, message):
    with pytest.raises(AnsibleFilterError, match=message):
        rules.firewall_rules([item], GROUPS, HOSTVARS)


def test_filters_are_registered():
    assert set(rules.FilterModule().filters()) == {
        "firewall_covers",
        "firewall_port_errors",
        "firewall_rules",
        "firewall_source_errors",
        "firewall_ssh_session",
        "firewall_unknown_peers",
    }


@pytest.mark.parametrize(
    ("sources", "address", "covered"),
    [
        (["0.0.0.0/0", "::/0"], "192.0.2.10", True),
        (["0.0.0.0/0", "::/0"], "2001:db8::7", True),
        (["192.0.2.0/24"], "192.0.2.10", True),
        (["192.0.2.10"], "192.0.2.10", True),
        (["192.0.2.0/24"], "198.51.100.7", False),
        (["::/0"], "192.0.2.10", False),
        ([], "192.0.2.10", False),
    ],
)
def test_covers_tells_whether_the_sources_let_an_address_in(sources, address, covered):
    assert rules.firewall_covers(sources, address) is covered


@pytest.mark.parametrize(
    ("sources", "address", "message"),
    [(["0.0.0.0/0"], "controller", "is not an IPv4 or IPv6 address"), (["10.0.0.300/8"], "10.0.0.1", "is not an")],
)
def test_covers_refuses_what_is_not_an_address(sources, address, message):
    with pytest.raises(AnsibleFilterError, match=message):
        rules.firewall_covers(sources, address)
