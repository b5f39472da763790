"""Behaviour of a host converged with the common role, seen from outside and inside."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import testinfra

from tests.helpers.fresh import assert_check_would_change, check_run, fresh_host
from tests.helpers.instances import address_of, ephemeral_dir, ssh
from tests.helpers.playbooks import run_role_over_ssh


@pytest.fixture(scope="module")
def address(host) -> str:
    return address_of(host.backend.get_hostname())


@pytest.fixture(scope="module")
def keys() -> dict:
    return {name: ephemeral_dir() / f"id_{name}" for name in ("alice", "deploy")}


def test_admin_logs_in_with_key_and_has_sudo(address, keys):
    result = ssh(address, "alice", "id -nG && sudo -n id -u", keys["alice"])
    assert result.rc == 0, str(result)
    groups, uid = result.stdout.split("\n")[:2]
    assert "ops-admin" in groups.split(), str(result)
    assert uid == "0", str(result)


@pytest.mark.parametrize("user", ["root", "mallory"])
def test_accounts_outside_the_login_groups_are_refused_despite_a_valid_key(address, keys, user):
    # Both accounts hold alice's key in authorized_keys; only sshd's settings stop them.
    result = ssh(address, user, "true", keys["alice"])
    assert result.rc == 255, f"{user} could log in: {result}"
    assert "Permission denied" in result.stderr, str(result)


def test_password_logins_are_not_offered(address):
    result = ssh(address, "deploy", "true", None, "-o", "PubkeyAuthentication=no")
    assert result.rc == 255, str(result)
    offered = re.search(r"Permission denied \(([^)]*)\)", result.stderr)
    assert offered, str(result)
    assert offered.group(1) == "publickey", f"sshd offers {offered.group(1)}: {result}"


def test_former_admin_is_removed(host):
    assert not host.user("carol").exists


def test_deploy_may_run_only_its_listed_sudo_commands(address, keys):
    allowed = ssh(address, "deploy", "sudo -n /usr/bin/systemctl is-active ssh", keys["deploy"])
    assert allowed.rc == 0, str(allowed)
    assert allowed.stdout.strip() == "active", str(allowed)
    refused = ssh(address, "deploy", "sudo -n id -u", keys["deploy"])
    assert refused.rc != 0, f"deploy ran an unlisted command as root: {refused}"


def test_sudoers_files_pass_visudo(host):
    result = host.run("visudo -c")
    assert result.rc == 0, result.stdout + result.stderr


def test_login_session_gets_time_zone_and_locale(address, keys):
    result = ssh(address, "deploy", 'date +%z; echo "$LANG"; locale -a', keys["deploy"])
    assert result.rc == 0, str(result)
    offset, lang, *locales = result.stdout.split()
    assert offset == "+0600", f"Asia/Dhaka expected: {result}"
    assert lang == "en_US.UTF-8", str(result)
    assert {"en_US.utf8", "bn_BD.utf8"} <= set(locales), str(result)


def test_time_sync_is_enabled_with_the_inventory_servers(host):
    service = host.service("systemd-timesyncd")
    assert service.is_enabled
    config = host.run("systemd-analyze cat-config systemd/timesyncd.conf").stdout
    assert "NTP=ntp1.deenify.internal ntp2.deenify.internal" in config, config


def test_unattended_upgrades_allow_security_updates_only(host):
    result = host.run("unattended-upgrade --dry-run --debug")
    assert result.rc == 0, result.stdout[-2000:] + result.stderr[-2000:]
    line = next((li for li in (result.stdout + result.stderr).splitlines() if "Allowed origins are" in li), "")
    origins = [o.strip() for o in line.split(":", 1)[1].split(",")] if line else []
    patterns = [" ".join(origins[i : i + 3]) for i in range(0, len(origins), 3)]
    assert patterns, f"no allowed origins reported:\n{result.stdout[-2000:]}"
    assert all("-security" in p and "Debian-Security" in p for p in patterns), f"not security-only: {patterns}"


@pytest.mark.parametrize("timer", ["apt-daily.timer", "apt-daily-upgrade.timer"])
def test_the_daily_upgrade_timers_run(host, timer):
    assert host.service(timer).is_running, host.run(f"systemctl status {timer}").stdout


def test_journal_is_capped_at_the_inventory_size(host):
    # journald states its effective limit each time it opens the system journal.
    log = host.run("journalctl -b -u systemd-journald --no-pager -o cat").stdout
    limits = re.findall(r"System Journal \(.*\) is .*, max (\S+),", log)
    assert limits, log[-2000:]
    assert _mebibytes(limits[-1]) == 64, f"journald runs with max {limits[-1]}:\n{log[-2000:]}"


def test_every_hardening_key_exists_in_the_kernel(host):
    # A misspelt key is silently useless on a real host; each must name a real setting.
    lines = host.file("/etc/sysctl.d/60-deenify-hardening.conf").content_string.splitlines()
    keys = [li.split("=")[0].strip() for li in lines if "=" in li and not li.startswith(("#", "-"))]
    assert len(keys) >= 10, lines
    missing = [k for k in keys if not host.file("/proc/sys/" + k.replace(".", "/")).exists]
    assert not missing, f"unknown kernel settings: {missing}"


def test_a_value_sshd_rejects_never_reaches_the_server(host, address, keys, tmp_path):
    before = host.file("/etc/ssh/sshd_config").sha256sum
    run = run_role_over_ssh(
        tmp_path, address, "alice", keys["alice"], "common",
        _converged_vars(keys) | {"common_sshd_client_alive_interval": -5},
        tags="common-sshd",
    )  # fmt: skip
    assert run.returncode != 0, run.stdout[-3000:]
    assert "sshd -t" in run.stdout or "invalid time value" in run.stdout, run.stdout[-3000:]
    assert host.file("/etc/ssh/sshd_config").sha256sum == before
    still = ssh(address, "alice", "true", keys["alice"])
    assert still.rc == 0, f"the failed run locked alice out: {still}"


def test_a_play_refuses_to_lock_out_its_own_session(host, address, keys, tmp_path):
    before = host.file("/etc/ssh/sshd_config").sha256sum
    # The operator logs in as alice but the inventory no longer lists alice.
    role_vars = _converged_vars(keys) | {"common_admin_users": []}
    run = run_role_over_ssh(tmp_path, address, "alice", keys["alice"], "common", role_vars, tags="common-sshd")
    assert run.returncode != 0, run.stdout[-3000:]
    assert "Not changing sshd" in run.stdout, run.stdout[-3000:]
    assert "logs in as 'alice'" in run.stdout, run.stdout[-3000:]
    assert host.file("/etc/ssh/sshd_config").sha256sum == before
    assert ssh(address, "alice", "true", keys["alice"]).rc == 0


def test_the_same_play_over_ssh_passes_when_the_session_is_kept(address, keys, tmp_path):
    # The positive control of the two tests above: the guard lets a safe run through.
    run = run_role_over_ssh(tmp_path, address, "alice", keys["alice"], "common", _converged_vars(keys), "common-sshd")
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"changed=0\s", run.stdout), run.stdout[-3000:]


def test_a_drift_check_of_one_part_over_ssh_reports_no_change(address, keys, tmp_path):
    # An operator's `--check --diff --tags common-sshd`: the tag skips the package step
    # that the new-host logic looks at, and the check must still run and find no drift.
    run = run_role_over_ssh(
        tmp_path, address, "alice", keys["alice"], "common", _converged_vars(keys), "common-sshd", check=True
    )
    assert run.returncode == 0, run.stdout[-3000:]
    assert re.search(r"changed=0\s", run.stdout), run.stdout[-3000:]


def _mebibytes(size: str) -> float:
    # journald prints 64M on Debian 13 and 64.0M on Debian 12.
    units = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024}
    return float(size[:-1]) * units[size[-1]]


def _converged_vars(keys) -> dict:
    alice = keys["alice"].with_suffix(".pub").read_text().strip()
    deploy = keys["deploy"].with_suffix(".pub").read_text().strip()
    return {
        "common_admin_users": [{"name": "alice", "comment": "Alice, operations", "ssh_keys": [alice]}],
        "common_deploy_user": {"name": "deploy", "ssh_keys": [deploy]},
        "common_deploy_sudo_commands": ["/usr/bin/systemctl is-active ssh"],
        "common_timezone": "Asia/Dhaka",
    }


@pytest.fixture(scope="module")
def new_server(tmp_path_factory):
    """A never converged host beside the scenario's instance, shared by the tests below in order."""
    name = f"{os.environ['DEENIFY_TEST_NETWORK']}-fresh"
    with fresh_host(name, tmp_path_factory.mktemp("fresh")) as fresh:
        yield fresh


def test_check_on_a_new_host_reports_the_changes_and_makes_none(new_server, tmp_path):
    # An operator's first look at a newly provisioned server: --check --diff must finish,
    # report what it would do, and leave the server as it was.
    scenario = Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])
    run = check_run(
        new_server, scenario / "converge.yml", tmp_path, {"molecule_ephemeral_directory": str(ephemeral_dir())}
    )
    assert_check_would_change(run, new_server, at_least=6)
    untouched = testinfra.get_host(f"docker://{new_server}")
    assert not untouched.user("alice").exists, "check mode created the account alice"
    assert not untouched.file("/etc/sudoers.d/10-deenify-admin").exists, "check mode wrote a sudoers file"


def test_a_new_server_is_taken_over_from_root_in_two_runs(new_server, keys, tmp_path):
    # The README's procedure: the provider gives root with a key; the first run as root
    # sets up the accounts and stops before sshd; the second, as an admin, closes root.
    server = testinfra.get_host(f"docker://{new_server}")
    alice_pub = keys["alice"].with_suffix(".pub").read_text().strip()
    setup = server.run(
        "apt-get install -y -q openssh-server >/dev/null && install -d -m 0700 /root/.ssh"
        " && printf '%%s\\n' %s > /root/.ssh/authorized_keys",
        alice_pub,
    )
    assert setup.rc == 0, setup.stdout + setup.stderr
    address = address_of(new_server)
    assert ssh(address, "root", "true", keys["alice"]).rc == 0, "the provider's root login does not work"

    first = run_role_over_ssh(tmp_path / "first", address, "root", keys["alice"], "common", _converged_vars(keys))
    assert first.returncode != 0, first.stdout[-3000:]
    assert "this play logs in as root" in " ".join(first.stdout.split()), first.stdout[-3000:]
    assert server.user("alice").exists, "the first run did not create the admin account"
    assert "AllowGroups" not in server.file("/etc/ssh/sshd_config").content_string

    second = run_role_over_ssh(tmp_path / "second", address, "alice", keys["alice"], "common", _converged_vars(keys))
    assert second.returncode == 0, second.stdout[-3000:]
    refused = ssh(address, "root", "true", keys["alice"])
    assert refused.rc == 255, f"root can still log in after the takeover: {refused}"
    assert ssh(address, "alice", "sudo -n true", keys["alice"]).rc == 0
