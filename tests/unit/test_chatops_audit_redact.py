"""The audit log only grows, and no secret survives the redactor, with real vault values."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from chatops.audit import AuditLog
from chatops.config import ROOT, Config, ConfigError
from chatops.redact import MASK, Redactor, VaultError, vault_values

LOCAL = ROOT / "inventories" / "local"


@pytest.fixture(scope="module")
def local_secrets() -> set[str]:
    """The local stack's vault values, decrypted with its committed throwaway password."""
    password = (ROOT / "inventories" / "local-vault-password").read_bytes().strip()
    return vault_values(LOCAL, password, "local")


def test_every_value_of_the_local_vault_is_found(local_secrets):
    vault_file = (LOCAL / "group_vars" / "all" / "vault.yml").read_text()
    names = [line.split(":")[0] for line in vault_file.splitlines() if line.startswith("vault_")]
    assert len(names) >= 4, vault_file
    assert len(local_secrets) == len(names), "a vault value was not decrypted"
    assert all(len(value) >= 16 for value in local_secrets)


def test_vault_values_are_masked_in_text_json_and_nested_events(local_secrets):
    redactor = Redactor(local_secrets)
    secret = sorted(local_secrets)[0]
    assert redactor.redact(f"DB_PASSWORD={secret}; ok") == f"DB_PASSWORD={MASK}; ok"
    event = {"event_data": {"res": {"msg": f"using {secret}", "cmd": ["mysql", f"-p{secret}"]}}, "stdout": secret}
    redactor.redact_in_place(event)
    assert secret not in json.dumps(event)
    assert event["event_data"]["res"]["cmd"] == ["mysql", f"-p{MASK}"]
    # JSON-escaped forms too: a value with a quote or a backslash as ansible's JSON output writes it.
    tricky = 'pa"ss\\word-123'
    assert tricky not in Redactor([tricky]).redact(json.dumps({"x": tricky}))
    assert json.dumps(tricky)[1:-1] not in Redactor([tricky]).redact(json.dumps({"x": tricky}))


def test_a_secret_inside_another_is_masked_whole():
    assert Redactor(["abcdef", "xxabcdefyy"]).redact("k=xxabcdefyy") == f"k={MASK}"


def test_short_values_are_not_treated_as_secrets():
    assert Redactor(["on", "1234"]).redact("on 1234") == "on 1234"


def test_files_under_a_directory_are_rewritten_masked(tmp_path, local_secrets):
    secret = sorted(local_secrets)[-1]
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "stdout").write_text(f"line {secret}\n")
    (tmp_path / "clean.json").write_text("{}")
    (tmp_path / "binary").write_bytes(b"\xff\xfe" + secret.encode())
    assert Redactor(local_secrets).redact_tree(tmp_path) == 1
    assert (tmp_path / "a" / "stdout").read_text() == f"line {MASK}\n"


def test_a_wrong_vault_password_is_an_error_naming_the_file():
    with pytest.raises(VaultError, match=r"inventories/local/group_vars/all/vault.yml: cannot decrypt"):
        vault_values(LOCAL, b"not-the-password", "local")


def test_the_audit_log_appends_one_json_line_per_record_and_masks_secrets(tmp_path, local_secrets):
    secret = sorted(local_secrets)[0]
    log = AuditLog(tmp_path / "audit.jsonl", Redactor(local_secrets))
    log.write(event="started", who="UAMINA", command="deploy", arguments={"ref": "v1"})
    first = (tmp_path / "audit.jsonl").read_bytes()
    log.write(event="finished", who="UAMINA", command="deploy", result=f"failed: {secret}")
    # Appended, never rewritten: the first line is as it was.
    assert (tmp_path / "audit.jsonl").read_bytes().startswith(first)
    records = log.records()
    assert [r["event"] for r in records] == ["started", "finished"]
    assert records[1]["result"] == f"failed: {MASK}"
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o777 == 0o600


def test_writers_in_threads_never_interleave_lines(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    threads = [
        threading.Thread(target=lambda n=n: [log.write(event="e", who=f"U{n}", data="x" * 3000) for _ in range(50)])
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(lines) == 200
    assert all(json.loads(line)["data"] == "x" * 3000 for line in lines)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "expected a mapping of settings"),
        ("colour: blue\n", "unknown settings colour"),
        ("keep_jobs: 0\n", "keep_jobs must be a number of at least 1"),
        ("progress_interval: fast\n", "progress_interval must be a number"),
        ("vault_password_files: [a]\n", "vault_password_files must map environment -> file"),
        ("inventories: {drill: /nonexistent/inventory.yml}\n", "inventories.drill: needs a lower-case name"),
        ("inventories: {Drill: /}\n", "inventories.Drill: needs a lower-case name"),
    ],
)
def test_a_wrong_configuration_is_refused_naming_the_setting(tmp_path: Path, text, message):
    path = tmp_path / "bot.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        Config.load(path)
    assert message in str(caught.value)


def test_the_repository_inventories_are_the_environments():
    assert Config().environments() == {"local", "staging", "production"}


def test_an_inventory_elsewhere_is_an_environment_too(tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all: {}\n")
    (tmp_path / "bot.yml").write_text(f"inventories: {{drill: {inventory}}}\n")
    config = Config.load(tmp_path / "bot.yml")
    assert config.environments() == {"local", "staging", "production", "drill"}
    assert config.inventory("drill") == inventory
    assert config.inventory("staging") == ROOT / "inventories" / "staging"
