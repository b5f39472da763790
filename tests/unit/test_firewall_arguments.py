"""Wrong input to the firewall role fails before any host is touched, naming the variable.

The role runs against a host that cannot be reached (loopback, a closed port): inputs
are checked on the controller first, so a bad value fails there with a message naming
the variable, and a good value gets as far as trying to connect. The filters behind the
checks have their own tests (test_firewall_filters.py).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers.playbooks import run_role_against_nothing

EXTRA = {"port": 9090, "proto": "tcp", "sources": ["10.20.0.0/24"], "comment": "Prometheus"}


def run_role(tmp_path: Path, role_vars: dict) -> subprocess.CompletedProcess[str]:
    return run_role_against_nothing(tmp_path, "firewall", role_vars)


def extra(**changes) -> dict:
    return {"firewall_extra_rules": [EXTRA | changes]}


def test_good_input_passes_validation_and_only_then_tries_the_host(tmp_path):
    run = run_role(
        tmp_path,
        extra(proto="udp")
        | {"firewall_ssh_sources": ["10.20.0.0/24", "fd00:20::/64", "198.51.100.7"], "firewall_ssh_port": 2222},
    )
    assert "UNREACHABLE" in run.stdout, run.stdout[-3000:]
    assert "Gather the network and virtualization facts" in run.stdout, run.stdout[-3000:]


def test_a_disabled_firewall_contacts_no_host(tmp_path):
    run = run_role(tmp_path, {"firewall_enabled": False})
    assert run.returncode == 0, run.stdout[-3000:]
    assert "UNREACHABLE" not in run.stdout, run.stdout[-3000:]
    assert "firewall_enabled is false for closed-port" in run.stdout, run.stdout[-3000:]


ROLE = "firewall"
BAD_INPUT = [
    pytest.param(
        {"firewall_ssh_port": 70000}, "firewall_ssh_port: 70000 is not a TCP/UDP port (1-65535)", id="ssh-port"
    ),
    pytest.param({"firewall_ssh_port": 0}, "firewall_ssh_port: 0 is not a TCP/UDP port", id="ssh-port-zero"),
    pytest.param(
        {"firewall_ssh_port": "ssh"},
        "argument 'firewall_ssh_port' is of type str",
        id="ssh-port-not-a-number",
    ),
    pytest.param(
        {"firewall_web_ports": [80, 65536]}, "firewall_web_ports[1]: 65536 is not a TCP/UDP port", id="web-port"
    ),
    pytest.param({"firewall_redis_port": -1}, "firewall_redis_port: -1 is not a TCP/UDP port", id="redis-port"),
    pytest.param(
        {"firewall_exporter_ports": [9100, 0]},
        "firewall_exporter_ports[1]: 0 is not a TCP/UDP port",
        id="exporter-port",
    ),
    pytest.param(extra(port=99999), "firewall_extra_rules[0].port: 99999 is not a TCP/UDP port", id="extra-port"),
    pytest.param(
        {"firewall_ssh_sources": ["office"]},
        "firewall_ssh_sources[0]: 'office' is not an IPv4 or IPv6 address or network",
        id="source-name",
    ),
    pytest.param(
        {"firewall_ssh_sources": ["10.0.0.0/33"]},
        "firewall_ssh_sources[0]: '10.0.0.0/33' is not an IPv4 or IPv6 address or network",
        id="source-prefix",
    ),
    pytest.param(
        {"firewall_ssh_sources": ["10.0.0.1/24"]},
        "firewall_ssh_sources[0]: '10.0.0.1/24' has host bits set; the network is 10.0.0.0/24",
        id="source-host-bits",
    ),
    pytest.param({"firewall_ssh_sources": []}, "firewall_ssh_sources: [] lets nobody in", id="no-ssh-sources"),
    pytest.param(
        {"firewall_web_sources": ["0.0.0.0/0", "2001:db8::zz"]},
        "firewall_web_sources[1]: '2001:db8::zz' is not an IPv4 or IPv6 address",
        id="web-source",
    ),
    pytest.param(
        {"firewall_address": ["10.0.0.300"]},
        "firewall_address[0]: '10.0.0.300' is not an IPv4 or IPv6 address",
        id="own-address",
    ),
    pytest.param(
        extra(sources=["10.20.0.0/24", "lan"]),
        "firewall_extra_rules[0].sources[1]: 'lan' is not an IPv4 or IPv6 address",
        id="extra-source",
    ),
    pytest.param(extra(sources=[]), "firewall_extra_rules[0].sources: [] lets nobody in", id="extra-no-sources"),
    pytest.param(
        extra(proto="icmp"),
        "value of proto must be one of: tcp, udp, got: icmp found in firewall_extra_rules",
        id="extra-protocol",
    ),
    pytest.param(
        {"firewall_extra_rules": [{"port": 9090, "comment": "Prometheus"}]},
        "missing required arguments: sources found in firewall_extra_rules",
        id="extra-without-sources",
    ),
    pytest.param(
        extra(comment='Prometheus" accept; tcp dport 1-65535 accept comment "'),
        "firewall_extra_rules[0].comment must be at most 100 characters without double quotes",
        id="extra-comment-quote",
    ),
    pytest.param(
        {"firewall_database_engine": "oracle"},
        "value of firewall_database_engine must be one of: mariadb, mysql, postgresql, got: oracle",
        id="database-engine",
    ),
    pytest.param(
        {"firewall_forward_policy": "reject"},
        "value of firewall_forward_policy must be one of: drop, accept, got: reject",
        id="forward-policy",
    ),
    pytest.param({"firewall_icmp_echo_rate": 0}, "firewall_icmp_echo_rate: 0 must be 1-10000", id="echo-rate"),
]


@pytest.mark.parametrize(("role_vars", "expected"), BAD_INPUT)
def test_bad_input_fails_before_the_host_naming_the_variable(bad_input_runs, role_vars, expected):
    bad_input_runs(role_vars).assert_refused_naming(expected)
