"""Who may reach which port of a host, worked out from the inventory for the firewall role.

The role describes each opening as a "wanted" rule: a comment, a protocol, ports, and
where the traffic may come from, as literal addresses and networks (``sources``) and as
inventory groups (``source_groups``) whose hosts' addresses are looked up here. The
result is one entry per rule with its IPv4 and IPv6 sources apart and merged, ready for
the nftables template. Bad input is refused with the variable (or host) named.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping

try:
    from ansible.errors import AnsibleError, AnsibleFilterError
except ImportError:  # pragma: no cover - only when Ansible is absent, as in a bare linter run

    class AnsibleError(Exception):  # type: ignore[no-redef]
        """Stand-in so the pure functions stay importable without Ansible."""

    class AnsibleFilterError(AnsibleError):  # type: ignore[no-redef]
        """Stand-in so the pure functions stay importable without Ansible."""


DOCUMENTATION = r"""
name: firewall_rules
short_description: Ports, sources and peers' addresses for the firewall role's nftables rules
description:
  - C(firewall_port_errors) lists the entries of a port or list of ports that are not TCP/UDP
    ports (whole numbers 1-65535); an empty list means all are good.
  - C(firewall_source_errors) lists the entries that are not an IPv4 or IPv6 address or
    network (CIDR, without host bits). With C(required=true) an empty list is an error too.
  - C(firewall_ssh_session) reads C(SSH_CONNECTION) (or C(SSH_CLIENT)) into the address the
    session comes from and the port it came in on; empty values when there is no session.
  - C(firewall_covers) tells whether an address lies in one of a list of addresses and networks.
  - C(firewall_unknown_peers) names the hosts whose address a wanted rule needs but
    that have neither C(firewall_address) nor gathered network facts.
  - C(firewall_rules) turns the wanted rules into the rules to write; rules that do not
    apply to this host are left out, the peers' addresses come from C(firewall_address) or
    their facts (C(default_ipv4), C(default_ipv6)).
  - A wanted rule is a dict with C(comment), C(proto) (tcp or udp, default tcp), C(ports)
    (or a single C(port)), C(sources) (addresses and networks), C(source_groups)
    (inventory groups) and C(applies) (default true).
author: deenify-ops
"""

EXAMPLES = r"""
- name: Refuse an SSH port outside 1-65535
  ansible.builtin.assert:
    that: firewall_ssh_port | firewall_port_errors('firewall_ssh_port') | length == 0
    fail_msg: "{{ firewall_ssh_port | firewall_port_errors('firewall_ssh_port') | join('; ') }}"

# true: the SSH sources let the controller in already
covered: "{{ ['0.0.0.0/0', '::/0'] | firewall_covers('192.0.2.10') }}"

# {'address': '192.0.2.10', 'port': 22}
session: "{{ '192.0.2.10 51234 198.51.100.7 22' | firewall_ssh_session }}"

# [{'comment': 'Redis from web', 'proto': 'tcp', 'ports': [6379], 'ipv4': ['10.0.0.5'], 'ipv6': [],
#   'hosts': ['web1']}]
rules: >-
  {{ [{'comment': 'Redis from web', 'ports': [6379], 'source_groups': ['web']}]
     | firewall_rules(groups, hostvars) }}
"""

RETURN = r"""
firewall_port_errors:
  description: One message per entry that is not a port, naming the variable and the index.
  type: list
  elements: str
firewall_source_errors:
  description: One message per entry that is not an address or network, naming the variable and the index.
  type: list
  elements: str
firewall_ssh_session:
  description: C(address) the session comes from and C(port) it came in on; C('') and C(0) without a session.
  type: dict
firewall_covers:
  description: True when the address is one of the sources or inside one of their networks.
  type: bool
firewall_unknown_peers:
  description: Names of the hosts whose address is needed and unknown, each once, in inventory order.
  type: list
  elements: str
firewall_rules:
  description: >-
    Per rule that applies: C(comment), C(proto), C(ports) (sorted), C(ipv4) and C(ipv6) (merged
    networks, a single address without its prefix length; C(0.0.0.0/0) or C(::/0) for everywhere;
    empty when that family is not allowed) and C(hosts), the inventory hosts the sources came from.
  type: list
  elements: dict
"""

PROTOCOLS = ("tcp", "udp")


def _port_error(value: object, name: str) -> str | None:
    # bool is an int to Python; a port of True is a typo, never a port.
    if isinstance(value, bool) or not isinstance(value, int | str):
        return f"{name}: {value!r} is not a TCP/UDP port (1-65535)"
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        return f"{name}: {value!r} is not a TCP/UDP port (1-65535)"
    return None


def firewall_port_errors(ports: object, name: str = "port") -> list[str]:
    """One message per entry of ``ports`` (a port or a list of them) that is not 1-65535."""
    if isinstance(ports, list | tuple):
        found = (_port_error(port, f"{name}[{index}]") for index, port in enumerate(ports))
        return [error for error in found if error]
    error = _port_error(ports, name)
    return [error] if error else []


def _network(entry: object) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    # A scope (fe80::1%eth0) means something on one interface only; nftables has no place for it.
    if not isinstance(entry, str) or not entry.strip() or "%" in entry:
        return None
    try:
        return ipaddress.ip_network(entry.strip(), strict=True)
    except ValueError:
        return None


def _source_error(entry: object, name: str) -> str | None:
    if _network(entry) is not None:
        return None
    if isinstance(entry, str) and "/" in entry:
        try:
            loose = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            pass
        else:
            return f"{name}: {entry!r} has host bits set; the network is {loose}"
    return f"{name}: {entry!r} is not an IPv4 or IPv6 address or network (such as 10.0.0.5, 10.0.0.0/24, fd00::/64)"


def firewall_source_errors(sources: object, name: str = "sources", required: bool = False) -> list[str]:
    """One message per entry of ``sources`` that is not an address or a network."""
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list | tuple):
        return [f"{name}: {sources!r} is not a list of addresses and networks"]
    if required and not sources:
        return [f"{name}: [] lets nobody in; list at least one address or network ([0.0.0.0/0, ::/0] is everywhere)"]
    found = (_source_error(entry, f"{name}[{index}]") for index, entry in enumerate(sources))
    return [error for error in found if error]


def firewall_ssh_session(value: object) -> dict:
    """The client address and the server port of ``SSH_CONNECTION`` or ``SSH_CLIENT``.

    ``SSH_CONNECTION`` is "client port server port", ``SSH_CLIENT`` "client port port":
    the port the session came in on is the last field either way. An empty value means
    no SSH session; anything else that cannot be read stops the run, because guessing
    could lock the play out.
    """
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return {"address": "", "port": 0}
    fields = text.split()
    try:
        address = ipaddress.ip_address(fields[0].split("%", 1)[0])
    except ValueError:
        address = None
    port_error = _port_error(fields[-1], "port") if len(fields) in (3, 4) else "port"
    if address is None or port_error:
        raise AnsibleFilterError(
            f"firewall: cannot read the SSH session this play runs over from {text!r}; "
            "expected 'client-address client-port server-address server-port'"
        )
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return {"address": str(address), "port": int(fields[-1])}


def firewall_covers(sources: object, address: object) -> bool:
    """Whether ``address`` is one of ``sources`` or inside one of their networks."""
    try:
        wanted = ipaddress.ip_address(str(address).split("%", 1)[0])
    except ValueError as exc:
        raise AnsibleFilterError(f"firewall_covers: {address!r} is not an IPv4 or IPv6 address") from exc
    for entry in _as_list(sources):
        network = _network(entry)
        if network is None:
            raise AnsibleFilterError(f"firewall_covers: source {entry!r} is not an address or network")
        if network.version == wanted.version and wanted in network:
            return True
    return False


def _as_list(value: object) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, Iterable) else [value]


def _peer_addresses(host: str, hostvars: Mapping) -> tuple[list[str], str]:
    """The addresses ``host``'s connections come from, or [] and why they are unknown."""
    try:
        values = hostvars[host]
    except KeyError:
        return [], "it is not in the inventory"
    try:
        raw = values.get("firewall_address")
    except AnsibleError as error:
        return [], f"its firewall_address cannot be read ({error})"
    # A firewall_address built from the peer's facts (deenify_private_address) is still
    # undefined before they are gathered: Ansible hands over a placeholder, not a string.
    if raw is None or isinstance(raw, str):
        explicit = [raw] if raw and raw.strip() else []
    elif isinstance(raw, list | tuple) and all(isinstance(entry, str) for entry in raw):
        explicit = list(raw)
    else:
        return [], "its firewall_address cannot be read yet (it needs facts that were not gathered)"
    if explicit:
        errors = firewall_source_errors(explicit, f"firewall_address of {host}")
        if errors:
            raise AnsibleFilterError("; ".join(errors))
        return [str(entry).strip() for entry in explicit], ""
    facts = values.get("ansible_facts") or {}
    found = [
        facts.get(key, {}).get("address", "")
        for key in ("default_ipv4", "default_ipv6")
        if isinstance(facts.get(key), Mapping)
    ]
    found = [address for address in found if address]
    if found:
        return found, ""
    if not facts:
        return [], "no facts were gathered for it and it has no firewall_address"
    return [], "it has no default IPv4 or IPv6 address and no firewall_address"


def _group_hosts(item: Mapping, groups: Mapping) -> list[str]:
    hosts: list[str] = []
    for group in _as_list(item.get("source_groups")):
        for host in groups.get(group, []) or []:
            if host not in hosts:
                hosts.append(host)
    return hosts


def _applies(item: Mapping) -> bool:
    applies = item.get("applies", True)
    if isinstance(applies, str):
        return applies.strip().lower() in ("true", "yes", "1")
    return bool(applies)


def firewall_unknown_peers(wanted: list, groups: Mapping, hostvars: Mapping) -> list[str]:
    """Hosts whose address a rule that applies needs, and that nothing tells."""
    unknown: list[str] = []
    for item in wanted:
        if not _applies(item):
            continue
        for host in _group_hosts(item, groups):
            if host not in unknown and not _peer_addresses(host, hostvars)[0]:
                unknown.append(host)
    return unknown


def _written(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    single = network.prefixlen == network.max_prefixlen
    return str(network.network_address) if single else str(network)


def _merged(networks: list, version: int) -> list[str]:
    """The family's networks, each once and none inside another, sorted.

    nftables refuses overlapping elements in one set; CIDR networks overlap only when one
    holds the other. Neighbours stay apart, so that each peer's address can be read.
    """
    family = sorted({network for network in networks if network.version == version})
    kept = [network for network in family if not any(network != other and network.subnet_of(other) for other in family)]
    return [_written(network) for network in kept]


def firewall_rules(wanted: list, groups: Mapping, hostvars: Mapping) -> list[dict]:
    """The rules of ``wanted`` that apply, with their sources resolved, merged and split by family."""
    if not isinstance(wanted, list):
        raise AnsibleFilterError(f"firewall_rules: {wanted!r} is not a list of rules")
    rules = []
    for index, item in enumerate(wanted):
        if not isinstance(item, Mapping):
            raise AnsibleFilterError(f"firewall_rules[{index}]: {item!r} is not a rule (a dict)")
        if not _applies(item):
            continue
        proto = str(item.get("proto") or "tcp")
        ports = _as_list(item.get("ports")) or _as_list(item.get("port"))
        comment = str(item.get("comment") or f"rule {index}: {proto} {', '.join(str(port) for port in ports)}")
        if proto not in PROTOCOLS:
            raise AnsibleFilterError(f"{comment}: protocol {proto!r} is not one of {', '.join(PROTOCOLS)}")
        errors = firewall_port_errors(ports, f"{comment}: ports") if ports else [f"{comment}: no port"]
        errors += firewall_source_errors(_as_list(item.get("sources")), f"{comment}: sources")
        if errors:
            raise AnsibleFilterError("; ".join(errors))
        sources = [_network(entry) for entry in _as_list(item.get("sources"))]
        hosts = _group_hosts(item, groups)
        for host in hosts:
            addresses, why = _peer_addresses(host, hostvars)
            if not addresses:
                raise AnsibleFilterError(f"{comment}: the address of {host} is unknown: {why}")
            sources += [_network(address) for address in addresses]
        rules.append(
            {
                "comment": comment,
                "proto": proto,
                "ports": sorted({int(str(port).strip()) for port in ports}),
                "ipv4": _merged(sources, 4),
                "ipv6": _merged(sources, 6),
                "hosts": hosts,
            }
        )
    return rules


class FilterModule:
    """Ports, sources and peers' addresses of the firewall role."""

    def filters(self) -> dict:
        return {
            "firewall_covers": firewall_covers,
            "firewall_port_errors": firewall_port_errors,
            "firewall_rules": firewall_rules,
            "firewall_source_errors": firewall_source_errors,
            "firewall_ssh_session": firewall_ssh_session,
            "firewall_unknown_peers": firewall_unknown_peers,
        }
