"""The firewall converged on db (groups db, cache) and web (group web), seen from the network.

The outsider, a machine in no group, scans both hosts with nmap; web connects to db as
the application would; new, never converged, takes the role in --check only. Every
scanned port has a listener (prepare.yml), so a port the rules do not open shows up as
filtered, and one they open as open. The last tests run the role over a real SSH session
with SSH sources that exclude the controller, and put the converged state back afterwards.

The scenario's docker network has no IPv6 (docker starts the containers with
net.ipv6.conf.all.disable_ipv6=1), so no IPv6 packet can be sent here: the IPv6 tests
read the loaded rules instead of sending traffic.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest
import testinfra
import yaml

from tests.helpers.database import instance
from tests.helpers.instances import address_of, ephemeral_dir, ssh
from tests.helpers.playbooks import ansible_playbook

DB, WEB, OUTSIDER, NEW = instance("db"), instance("web"), instance("outsider"), instance("new")
SCANNED = [22, 80, 443, 3306, 6379, 9100, 8081]
EXPECTED_OPEN = {DB: {22}, WEB: {22, 80, 443}}
# A documentation network (RFC 5737): neither the controller nor any test host is in it.
ELSEWHERE = "192.0.2.0/24"
ND_TYPES = ["nd-neighbor-solicit", "nd-neighbor-advert", "nd-router-solicit", "nd-router-advert", "packet-too-big"]


@pytest.fixture(scope="module")
def hosts() -> dict:
    return {name: testinfra.get_host(f"docker://{name}") for name in (DB, WEB, OUTSIDER)}


@pytest.fixture(scope="module")
def addresses() -> dict[str, str]:
    return {name: address_of(name) for name in (DB, WEB, OUTSIDER)}


def scan(outsider, address: str, ports: list[int] = SCANNED) -> dict[int, str]:
    """nmap's verdict on each port of ``address``, seen from the outsider."""
    result = outsider.run(f"nmap -Pn -n --max-retries 1 -p {','.join(map(str, ports))} -oG - {address}")
    assert result.rc == 0, result.stdout + result.stderr
    found = re.search(r"Ports: (.*?)(\t|$)", result.stdout, re.MULTILINE)
    assert found, f"no ports in nmap's answer:\n{result.stdout}"
    verdicts = {}
    for entry in found.group(1).split(", "):
        port, state = entry.split("/")[:2]
        verdicts[int(port)] = state
    return verdicts


def connects(client, address: str, port: int) -> str:
    """'open', 'refused' or 'timeout' for a TCP connection from ``client`` to ``address:port``."""
    probe = textwrap.dedent(
        f"""\
        import socket
        try:
            socket.create_connection(("{address}", {port}), timeout=3).close()
            print("open")
        except ConnectionRefusedError:
            print("refused")
        except OSError:
            print("timeout")
        """
    )
    return client.check_output("python3 -c %s", probe)


def table(host, name: str = "inet deenify") -> str:
    result = host.run(f"nft --stateless list table {name}")
    assert result.rc == 0, f"no table {name}: {result.stderr}"
    return result.stdout


@pytest.mark.parametrize("target", [DB, WEB])
def test_from_outside_only_the_ports_of_the_hosts_groups_are_open(hosts, addresses, target):
    verdicts = scan(hosts[OUTSIDER], addresses[target])
    opened = {port for port, state in verdicts.items() if state == "open"}
    assert opened == EXPECTED_OPEN[target], f"{target} seen from the outsider: {verdicts}"
    closed = {port: state for port, state in verdicts.items() if port not in EXPECTED_OPEN[target]}
    assert set(closed.values()) == {"filtered"}, f"{target}: closed ports must be dropped, not refused: {verdicts}"


def test_the_web_host_reaches_the_database_and_redis_and_nothing_else_on_db(hosts, addresses):
    seen = {port: connects(hosts[WEB], addresses[DB], port) for port in (3306, 6379, 9100, 8081, 80)}
    assert seen == {3306: "open", 6379: "open", 9100: "timeout", 8081: "timeout", 80: "timeout"}, seen


def test_the_database_and_redis_rules_let_in_the_web_hosts_address_and_name_it(hosts, addresses):
    rules = table(hosts[DB])
    assert f"ip saddr {addresses[WEB]} tcp dport 3306 accept" in rules, rules
    assert f"ip saddr {addresses[WEB]} tcp dport 6379 accept" in rules, rules
    # For the operator reading the file: which host each address belongs to.
    ruleset = hosts[DB].file("/etc/nftables.d/deenify.nft").content_string
    assert f"# MariaDB from web, worker, scheduler, backup: {WEB}" in ruleset, ruleset
    assert f"# Redis from web, worker, scheduler: {WEB}" in ruleset, ruleset


@pytest.mark.parametrize("target", [DB, WEB])
def test_input_is_dropped_by_policy_after_replies_come_first(hosts, target):
    rules = table(hosts[target])
    assert re.search(r"chain input \{\n\s+type filter hook input priority filter; policy drop;", rules), rules
    first_rule = rules.split("policy drop;", 1)[1].strip().splitlines()[0].strip()
    assert first_rule == "ct state established,related accept", rules
    assert "hook forward priority filter; policy drop;" in rules, rules
    assert "hook output priority filter; policy accept;" in rules, rules


@pytest.mark.parametrize("target", [DB, WEB])
def test_the_rules_cover_ipv6_and_let_neighbour_discovery_through(hosts, target):
    # inet: one table for both families; without these ICMPv6 types IPv6 itself breaks.
    listing = hosts[target].run("nft list tables").stdout
    assert "table inet deenify" in listing.splitlines(), listing
    rules = table(hosts[target])
    icmpv6 = next((line for line in rules.splitlines() if line.strip().startswith("icmpv6 type {")), "")
    missing = [kind for kind in ND_TYPES if kind not in icmpv6]
    assert not missing, f"ICMPv6 types not accepted: {missing}\n{rules}"


@pytest.mark.parametrize("target", [DB, WEB])
def test_tables_of_others_are_untouched(hosts, target):
    # KEEPME was made by iptables-nft in prepare.yml; nat holds docker's own DNS rules.
    assert "chain KEEPME" in table(hosts[target], "ip filter")
    assert "tcp dport 7" in table(hosts[target], "ip filter")
    assert "chain DOCKER_OUTPUT" in table(hosts[target], "ip nat")
    resolved = hosts[WEB].run(f"getent hosts {DB}")
    assert resolved.rc == 0, f"docker's DNS no longer answers on web: {resolved.stderr}"


@pytest.mark.parametrize("target", [DB, WEB])
def test_the_ruleset_survives_a_restart_of_nftables_and_other_tables_too(hosts, target):
    host = hosts[target]
    before = table(host)
    assert host.service("nftables").is_enabled, "nftables.service is not enabled: the rules would be gone at boot"
    restarted = host.run("systemctl restart nftables")
    assert restarted.rc == 0, restarted.stderr
    assert table(host) == before
    assert "chain KEEPME" in table(host, "ip filter"), "restarting nftables removed another table"
    assert "chain DOCKER_OUTPUT" in table(host, "ip nat"), "restarting nftables removed docker's table"


def test_a_container_without_net_admin_is_left_as_it_is(hosts, tmp_path):
    play = tmp_path / "play.yml"
    play.write_text("- name: Apply the firewall\n  hosts: all\n  roles: [firewall]\n")
    run = ansible_playbook("-i", os.environ["MOLECULE_INVENTORY_FILE"], "--limit", OUTSIDER, str(play), cwd=tmp_path)
    output = " ".join(run.stdout.split())
    assert run.returncode == 0, run.stdout[-3000:]
    assert "is a container without CAP_NET_ADMIN" in output, run.stdout[-3000:]
    assert re.search(rf"{re.escape(OUTSIDER)}\s+: ok=\d+\s+changed=0\s", run.stdout), run.stdout[-1500:]
    assert not hosts[OUTSIDER].package("nftables").is_installed


def test_check_mode_on_a_new_host_reports_what_a_run_would_do_and_does_none_of_it(tmp_path):
    new = testinfra.get_host(f"docker://{NEW}")
    play = tmp_path / "play.yml"
    play.write_text("- name: Look at a new host\n  hosts: all\n  roles: [firewall]\n")
    run = ansible_playbook(
        "-i", os.environ["MOLECULE_INVENTORY_FILE"], "--limit", NEW, "--check", "--diff", str(play), cwd=tmp_path
    )  # fmt: skip
    output = " ".join(run.stdout.split())
    assert run.returncode == 0, run.stdout[-3000:]
    assert "Check mode on a host without nftables" in output, run.stdout[-3000:]
    assert "a real run loads /etc/nftables.d/deenify.nft" in output, run.stdout[-3000:]
    assert "policy drop;" in run.stdout, f"the diff does not show the ruleset:\n{run.stdout[-3000:]}"
    assert re.search(rf"{re.escape(NEW)}\s+: ok=\d+\s+changed=[1-9]", run.stdout), run.stdout[-1500:]
    assert not new.package("nftables").is_installed, "the check run installed nftables"
    assert not new.file("/etc/nftables.d").exists, "the check run wrote the ruleset"
    assert not new.file("/etc/systemd/system/nftables.service.d").exists


def converge(workdir: Path, *args: str):
    """converge.yml again on ``args``' hosts, over docker as molecule runs it."""
    playbook = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"]) / "converge.yml"
    return ansible_playbook("-i", os.environ["MOLECULE_INVENTORY_FILE"], *args, str(playbook), cwd=workdir)


def test_a_rule_added_by_hand_is_reported_by_check_mode_and_removed_by_the_next_run(hosts, addresses, tmp_path):
    db = hosts[DB]
    before = table(db)
    added = db.run("nft insert rule inet deenify input tcp dport 8081 accept")
    assert added.rc == 0, added.stderr
    assert scan(hosts[OUTSIDER], addresses[DB], [8081]) == {8081: "open"}
    check = converge(tmp_path, "--limit", DB, "--check", "--diff")
    assert check.returncode == 0, check.stdout[-3000:]
    assert "the running table was changed or removed" in " ".join(check.stdout.split()), check.stdout[-3000:]
    assert re.search(rf"{re.escape(DB)}\s+: ok=\d+\s+changed=1\s", check.stdout), check.stdout[-1500:]
    assert "tcp dport 8081 accept" in table(db), "the check run changed the rules"
    run = converge(tmp_path, "--limit", DB)
    assert run.returncode == 0, run.stdout[-3000:]
    assert table(db) == before
    assert scan(hosts[OUTSIDER], addresses[DB], [8081]) == {8081: "filtered"}


# The run over SSH, last: it changes web's SSH sources, and the fixture puts them back.


@pytest.fixture(scope="module")
def over_ssh(hosts, addresses, tmp_path_factory):
    """The role applied to web over SSH as the operator, with SSH sources that exclude the controller."""
    workdir = tmp_path_factory.mktemp("over-ssh")
    key = ephemeral_dir() / "id_ops"
    inventory = {
        "all": {
            "children": {"web": {"hosts": {WEB: None}}},
            "hosts": {
                WEB: {
                    "ansible_connection": "ssh",
                    "ansible_host": addresses[WEB],
                    "ansible_user": "ops",
                    "ansible_ssh_private_key_file": str(key),
                    "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
                }
            },
        }
    }
    (workdir / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (workdir / "play.yml").write_text(
        "- name: Apply the firewall over SSH\n  hosts: web\n  become: true\n  roles: [firewall]\n"
    )
    run = ansible_playbook(
        "-i", "inventory.yml", "-e", json.dumps({"firewall_ssh_sources": [ELSEWHERE]}),
        "play.yml", cwd=workdir, operator=True,
    )  # fmt: skip
    yield run, key
    # Back to converge.yml's state, so that the check-mode test finds no drift.
    restored = converge(workdir, "--limit", WEB)
    assert restored.returncode == 0, restored.stdout[-3000:]
    assert scan(hosts[OUTSIDER], addresses[WEB], [22]) == {22: "open"}


def test_a_play_over_ssh_keeps_its_controller_in_and_the_rest_out(over_ssh, hosts, addresses):
    run, key = over_ssh
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"changed=[1-9]", run.stdout), f"the run changed nothing:\n{run.stdout[-2000:]}"
    # A new connection, not the one the play kept open.
    session = ssh(addresses[WEB], "ops", "echo $SSH_CONNECTION", key)
    assert session.rc == 0, f"the controller can no longer log in: {session}"
    controller = session.stdout.split()[0]
    rules = table(hosts[WEB])
    assert f"ip saddr {controller} tcp dport 22 accept" in rules, f"controller {controller}:\n{rules}"
    assert f"ip saddr {ELSEWHERE} tcp dport 22 accept" in rules, rules
    everyone = re.search(r"^\s*(meta nfproto ipv[46] )?tcp dport 22 accept", rules, re.MULTILINE)
    assert everyone is None, f"SSH is still open to every address: {everyone.group(0)}"
    verdicts = scan(hosts[OUTSIDER], addresses[WEB], [22, 80])
    assert verdicts == {22: "filtered", 80: "open"}, f"web seen from the outsider: {verdicts}"
