"""The bot's parser: what chat may say, and what never gets through."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatops.commands import SPECS, Command, ParseError, parse

ENVIRONMENTS = {"local", "staging", "production"}
SHELL = set(";|&$`<>(){}[]*?!~'\"\\\n\r\t#%^=,+@")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", Command("help")),
        ("status staging", Command("status", "staging")),
        ("deploy production v2.3.1", Command("deploy", "production", {"ref": "v2.3.1"})),
        ("deploy staging release/2026-12", Command("deploy", "staging", {"ref": "release/2026-12"})),
        ("DEPLOY   staging  main", Command("deploy", "staging", {"ref": "main"})),
        ("deploy staging", Command("deploy", "staging")),
        ("rollback production", Command("rollback", "production")),
        (
            "rollback production 20261203T230000Z-1a2b3c4",
            Command("rollback", "production", {"release": "20261203T230000Z-1a2b3c4"}),
        ),
        ("backup local db", Command("backup", "local", {"scope": "db"})),
        ("restore production 4f2a9c1e", Command("restore", "production", {"snapshot": "4f2a9c1e"})),
        ("restore staging latest", Command("restore", "staging", {"snapshot": "latest"})),
        ("incident receipts production", Command("incident", "production", {"kind": "receipts"})),
        ("drift staging", Command("drift", "staging")),
        ("rotate-secrets production", Command("rotate-secrets", "production")),
        ("unlock staging", Command("unlock", "staging")),
        ("jobs", Command("jobs")),
        ("cancel 0a1b2c3d", Command("cancel", None, {"job": "0a1b2c3d"})),
        ("log 0a1b2c3d", Command("log", None, {"job": "0a1b2c3d"})),
        ("approve 0a1b2c3d", Command("approve", None, {"request": "0a1b2c3d"})),
    ],
)
def test_commands_parse_into_their_parts(text, expected):
    assert parse(text, ENVIRONMENTS) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no command"),
        ("reboot production", "unknown command 'reboot'"),
        ("deploy", "usage: deploy <env> [ref] (environments: local, production, staging)"),
        ("deploy prod v1", "no environment 'prod'"),
        ("deploy ../production v1", "no environment '../production'"),
        ("deploy staging --tags", "starts with '-'"),
        ("deploy staging -e", "starts with '-'"),
        ("deploy --check staging", "starts with '-'"),
        ("deploy staging v1 extra", "too many arguments"),
        ("deploy staging ../../etc/passwd", "is not a valid ref"),
        ("deploy staging /etc/passwd", "is not a valid ref"),
        ("deploy staging main.lock", "is not a valid ref"),
        ("deploy staging v1; rm -rf /", "only letters, digits, spaces"),
        ("deploy staging $(id)", "only letters, digits, spaces"),
        ("deploy staging `id`", "only letters, digits, spaces"),
        ("deploy staging v1\nunlock staging", "only letters, digits, spaces"),
        ("deploy staging app_ref=x", "only letters, digits, spaces"),
        ("rollback staging v1", "'v1' is not a valid release"),
        ("backup staging everything", "scope must be one of db, files, all"),
        ("restore production", "usage: restore <env> <snapshot>"),
        ("restore production ../x", "not a valid snapshot"),
        ("incident fire production", "kind must be one of payments, receipts, slow"),
        ("incident production payments", "kind must be one of payments, receipts, slow"),
        ("cancel all", "not a valid job"),
        ("deploy staging " + "a" * 200, "at most 200 characters"),
    ],
)
def test_bad_commands_are_refused_naming_the_problem(text, message):
    with pytest.raises(ParseError, match=None) as caught:
        parse(text, ENVIRONMENTS)
    assert message in str(caught.value)


def test_only_existing_inventories_are_environments():
    with pytest.raises(ParseError, match="no environment 'staging'"):
        parse("deploy staging", {"local"})


def test_every_command_has_a_usage_and_a_summary():
    for name, spec in SPECS.items():
        assert spec.usage.split()[0] == name
        assert spec.summary


@settings(max_examples=800, deadline=None)
@given(st.text(max_size=120))
def test_any_text_parses_or_is_refused_and_nothing_dangerous_gets_through(text):
    try:
        command = parse(text, ENVIRONMENTS)
    except ParseError as error:
        message = str(error)
        command = None
    if command is None:
        assert message, "a refusal must say why"
        return
    values = [command.name, command.environment or "", *command.args.values()]
    assert not any(set(value) & SHELL for value in values), command
    assert not any(value.startswith("-") for value in values), command
    assert command.environment in ENVIRONMENTS | {None}


_WORD = st.text(alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789._/-"), min_size=1, max_size=30)


@settings(max_examples=800, deadline=None)
@given(st.sampled_from(sorted(SPECS)), st.lists(_WORD, max_size=4), st.sampled_from(sorted(SHELL)))
def test_a_shell_character_anywhere_refuses_the_whole_message(name, words, bad):
    text = " ".join([name, *words])
    position = len(text) // 2
    with pytest.raises(ParseError, match="only letters, digits, spaces"):
        parse(text[:position] + bad + text[position:], ENVIRONMENTS)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["deploy", "rollback", "backup", "restore", "drift", "unlock", "status"]), _WORD)
def test_no_argument_can_become_an_option(name, word):
    for text in (f"{name} staging -{word}", f"{name} -{word}", f"{name} staging --{word}"):
        with pytest.raises(ParseError):
            parse(text, ENVIRONMENTS)
