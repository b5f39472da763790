"""The laravel_env module: .env files that Laravel's reader (phpdotenv v5) reads back exactly."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import random
import stat
import subprocess
from pathlib import Path
from unittest import mock

import ansible.module_utils
import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.modules import run_local_play

REPO = Path(__file__).resolve().parents[2]
# The module imports its logic as ansible.module_utils.laravel_env, as it does on a host.
if str(REPO / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / "module_utils"))
env = importlib.import_module("ansible.module_utils.laravel_env")
_SPEC = importlib.util.spec_from_file_location("laravel_env_module", REPO / "library" / "laravel_env.py")
module = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(module)

SECRET = "s3cr3t-Pa55 #1 $x"  # noqa: S105 - a test value, never a real secret
OTHER_SECRET = "k3y-material-0042"  # noqa: S105 - a test value
LARAVEL_ENV = (
    "# Deenify: settings of one environment\n"
    "APP_NAME=Deenify\n"
    "APP_ENV=local\n"
    'APP_KEY="base64:old-key-material="\n'
    "APP_DEBUG=true\n"
    "\n"
    "# database\n"
    "DB_CONNECTION=mysql\n"
    "DB_PASSWORD=old-password # rotated monthly\n"
    'MAIL_FROM_NAME="${APP_NAME}"\n'
)

# Each value was written by render_value, read back by php-vlucas-phpdotenv 5.6.1 (Debian 13)
# through Dotenv\Parser\Parser and Dotenv\Loader\Loader in the deenify-web container, and came
# back unchanged. test_rendering_agrees_with_real_phpdotenv repeats that when a container is named.
VERIFIED_RENDERINGS = [
    ("local", "local"),
    ("https://donate.example", "https://donate.example"),
    ("3306", "3306"),
    ("true", "true"),
    ("", ""),
    ("export", "export"),
    ("null", "null"),
    ("Deenify Donations", "'Deenify Donations'"),
    ("#1 charity", "'#1 charity'"),
    ("a#b", "'a#b'"),
    ("it's", '"it\'s"'),
    ('say "salaam"', "'say \"salaam\"'"),
    ("$HOME", "'$HOME'"),
    ("${APP_NAME}", "'${APP_NAME}'"),
    ("pa$$word", "'pa$$word'"),
    ("base64:q1w2e3r4=", "'base64:q1w2e3r4='"),
    ("a=b", "'a=b'"),
    ('x="y', '"x=\\"y"'),
    ('="', '"=\\""'),
    ("C:\\temp\\new", "'C:\\temp\\new'"),
    ("ends with \\", "'ends with \\'"),
    ('\\"', "'\\\"'"),
    ("'quoted'", "\"'quoted'\""),
    ('"dq"', "'\"dq\"'"),
    ("  padded  ", "'  padded  '"),
    ("\t", "'\t'"),
    ("\x0b\x0c", "'\x0b\x0c'"),
    ("দান করুন", "'দান করুন'"),
    ("😀 emoji", "'😀 emoji'"),
    ("€ 5", "'€ 5'"),
    ("100%", "'100%'"),
    ("(empty)", "'(empty)'"),
    ("\\n", "'\\n'"),
    ("a'b\"c$d\\e#f g", '"a\'b\\"c\\$d\\\\e#f g"'),
    ("${A}'${B}", '"\\${A}\'\\${B}"'),
]

# Lines as people write them, with the name and value phpdotenv 5.6.1 read from each (same container).
VERIFIED_READINGS = [
    ("APP_ENV=local", "APP_ENV", "local"),
    ('APP_ENV="local"', "APP_ENV", "local"),
    ("APP_ENV='local'", "APP_ENV", "local"),
    ("export APP_ENV=local", "APP_ENV", "local"),
    ("export\tAPP_ENV=tab", "APP_ENV", "tab"),
    ("APP_ENV=local # the default", "APP_ENV", "local"),
    ("APP_ENV=local#x", "APP_ENV", "local"),
    ('APP_ENV="a # b" # c', "APP_ENV", "a # b"),
    ("APP_ENV=  local  ", "APP_ENV", "local"),
    ("APP_ENV = spaced", "APP_ENV", "spaced"),
    ("APP_ENV=", "APP_ENV", ""),
    ('APP_ENV=""', "APP_ENV", ""),
    ("APP_ENV=''", "APP_ENV", ""),
    ("APP_ENV=#comment only", "APP_ENV", ""),
    ("APP_ENV", "APP_ENV", None),
    ('"APP_ENV"=local', "APP_ENV", "local"),
    ("'APP_ENV'=local", "APP_ENV", "local"),
    ('APP_ENV="line\\nbreak"', "APP_ENV", "line\nbreak"),
    ('APP_ENV="tab\\there"', "APP_ENV", "tab\there"),
    ('APP_ENV="q\\"d \\\\ \\$x"', "APP_ENV", 'q"d \\ $x'),
    ("APP_ENV='no \\n escape'", "APP_ENV", "no \\n escape"),
    ("APP_ENV=a\\b", "APP_ENV", "a\\b"),
    ("APP_ENV=${HOME}x", "APP_ENV", "${HOME}x"),
    ('APP_ENV="multi\nline"', "APP_ENV", "multi\nline"),
    ("APP.ENV=dotted", "APP.ENV", "dotted"),
    ("app_env=lower", "app_env", "lower"),
]

# Lines phpdotenv 5.6.1 refuses, with the reason it gave ("Encountered <reason> at [...]").
# The unclosed double quote is not refused: phpdotenv silently drops it and every later line.
VERIFIED_REFUSALS = [
    ("APP_NAME=My App", "unexpected whitespace"),
    ("APP_ENV='a' b", "unexpected whitespace"),
    ('APP_ENV="a"b', "unexpected whitespace"),
    ("APP_ENV='unclosed", "a missing closing quote"),
    ('APP_ENV="bad \\q escape"', "an unexpected escape sequence"),
    ("=value", "an unexpected equals"),
    ("APP-ENV=x", "an invalid name"),
    ("export A=1", "an invalid name"),
    ("1 2=3", "an invalid name"),
    ("দান=x", "an invalid name"),
    ('APP_ENV="unclosed', "a double-quoted value that is never closed, so phpdotenv ignores every later line"),
]

# Any text a .env line can carry: everything but line breaks, NUL and lone surrogates.
ENV_TEXT = st.text(st.characters(blacklist_characters="\n\r\0", blacklist_categories=("Cs",)))
KEYS = st.from_regex(r"\A[A-Z_][A-Z0-9_]{0,12}\Z")


def entries(content: str) -> list[tuple[str, str | None]]:
    doc = env.parse(content)
    return [(item.name, None if item.value is None else item.value.chars) for item in doc.items if item.kind == "entry"]


def read_back(line: str) -> str:
    [(_, value)] = entries(line + "\n")
    return value


# quoting


@pytest.mark.parametrize(("value", "written"), VERIFIED_RENDERINGS)
def test_values_are_written_as_verified_with_phpdotenv(value, written):
    assert env.render_value(value) == written
    assert read_back(f"KEY={written}") == value


@pytest.mark.parametrize(("line", "name", "value"), VERIFIED_READINGS)
def test_lines_are_read_as_phpdotenv_reads_them(line, name, value):
    assert entries(line + "\n") == [(name, value)]


@pytest.mark.parametrize(("line", "reason"), VERIFIED_REFUSALS)
def test_lines_phpdotenv_refuses_are_unreadable_with_its_reason(line, reason):
    [item] = env.parse(line + "\n").items
    assert (item.kind, item.reason) == ("unreadable", reason)


@given(ENV_TEXT)
def test_any_value_reads_back_unchanged(value):
    line = env.render_line("KEY", value)
    assert env.parse_entry(line) == ("KEY", env.Value(value))
    assert not env.opens_multiline(line)


@given(st.dictionaries(KEYS, ENV_TEXT, max_size=8))
def test_a_file_of_any_values_reads_back_as_given(values):
    content = env.plan(None, values, {}, []).content
    assert dict(entries(content)) == values
    assert env.plan(content, values, {}, []).content == content


def test_bare_values_stay_unquoted():
    content = env.plan(None, {"APP_ENV": "local", "APP_URL": "https://donate.example", "DB_PORT": 3306}, {}, []).content
    assert content == "APP_ENV=local\nAPP_URL=https://donate.example\nDB_PORT=3306\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "true"), (False, "false"), (3306, "3306"), (0, "0"), (-1, "-1"), (1.5, "1.5"), (1e16, "1e+16"), ("", "")],
)
def test_numbers_and_booleans_are_written_as_laravel_expects(value, text):
    assert env.value_text("KEY", value) == text


def test_a_value_that_would_expand_a_variable_is_not_the_literal_and_is_rewritten():
    change = env.plan('MAIL_FROM_NAME="${APP_NAME}"\n', {"MAIL_FROM_NAME": "${APP_NAME}"}, {}, [])
    assert change.content == "MAIL_FROM_NAME='${APP_NAME}'\n"
    assert change.keys_changed == ["MAIL_FROM_NAME"]


# refusals


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (f"line one\n{SECRET}", "DB_PASSWORD: the value contains a newline"),
        (f"{SECRET}\r", "DB_PASSWORD: the value contains a carriage return"),
        (f"{SECRET}\0", "DB_PASSWORD: the value contains a NUL character"),
        (None, "DB_PASSWORD: the value is null"),
        ([SECRET], "DB_PASSWORD: the value is a list"),
        ({"password": SECRET}, "DB_PASSWORD: the value is a dict"),
        (float("nan"), "DB_PASSWORD: the value is not a finite number"),
        ("\ud800" + SECRET, "DB_PASSWORD: the value is not valid UTF-8 text"),
    ],
)
def test_values_a_line_cannot_carry_are_refused_naming_the_key_not_the_value(value, expected):
    for where in ("values", "secrets"):
        given_values = {"DB_PASSWORD": value}
        with pytest.raises(env.EnvError) as raised:
            env.plan("", given_values if where == "values" else {}, given_values if where == "secrets" else {}, [])
        assert str(raised.value).startswith(expected)
        assert SECRET not in str(raised.value)


@pytest.mark.parametrize("key", ["1APP", "APP-NAME", "APP NAME", "", "APP.NAME", "ÄPP", "APP=X", "export APP"])
def test_keys_that_are_not_variable_names_are_refused(key):
    for values, secrets, absent, where in [
        ({key: "x"}, {}, [], "values"),
        ({}, {key: "x"}, [], "secrets"),
        ({}, {}, [key], "absent"),
    ]:
        with pytest.raises(env.EnvError, match=rf"^{where}: .* is not a variable name"):
            env.plan("", values, secrets, absent)


def test_a_key_given_twice_is_refused():
    with pytest.raises(env.EnvError, match=r"^DB_PASSWORD is in both values and secrets"):
        env.plan("", {"DB_PASSWORD": "a"}, {"DB_PASSWORD": SECRET}, [])
    with pytest.raises(env.EnvError, match=r"^APP_DEBUG is in absent and also given a value"):
        env.plan("", {"APP_DEBUG": True}, {}, ["APP_DEBUG"])


# what stays, what changes


def test_comments_blank_lines_and_other_keys_stay_byte_for_byte():
    original = (
        "# top comment\r\n"
        "   \r\n"
        "UNTOUCHED = 'spaced out'   # keep me\r\n"
        'export OTHER="x\\ty"\r\n'
        "APP_ENV=local\r\n"
        "\t# indented comment\r\n"
        "LAST=1"
    )
    change = env.plan(original, {"APP_ENV": "production", "NEW_KEY": "new value"}, {}, [])
    assert change.content == original.replace("APP_ENV=local", "APP_ENV=production") + "\r\nNEW_KEY='new value'\r\n"
    assert (change.keys_changed, change.keys_added, change.keys_removed) == (["APP_ENV"], ["NEW_KEY"], [])


@given(st.lists(st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=30)))
def test_whatever_the_file_holds_adding_a_key_only_appends(lines):
    content = "".join(line + "\n" for line in lines)
    change = env.plan(content, {"ZZ_DEENIFY_NEW": "v"}, {}, [])
    assert change.content.startswith(content)


def test_a_value_written_differently_is_not_a_change():
    content = "APP_ENV=\"local\"\nexport DB_PORT='3306'\nAPP_DEBUG=true # dev only\nEMPTY=''\nNAME=\"Deenify\"\n"
    change = env.plan(content, {"APP_ENV": "local", "DB_PORT": 3306, "APP_DEBUG": True, "EMPTY": ""}, {}, [])
    assert change.content == content
    assert (change.keys_changed, change.keys_added, change.warnings) == ([], [], [])


def test_a_key_is_replaced_where_it_stands_keeping_its_inline_comment():
    change = env.plan(LARAVEL_ENV, {"DB_CONNECTION": "pgsql"}, {"DB_PASSWORD": SECRET}, [])
    lines = change.content.splitlines()
    assert lines[7] == "DB_CONNECTION=pgsql"
    assert lines[8] == f"DB_PASSWORD='{SECRET}' # rotated monthly"
    assert env.parse_entry(lines[8]) == ("DB_PASSWORD", env.Value(SECRET))
    assert lines[:7] + lines[9:] == LARAVEL_ENV.splitlines()[:7] + LARAVEL_ENV.splitlines()[9:]


def test_later_lines_of_a_managed_key_are_dropped_with_a_warning():
    content = "APP_ENV=local\nA=1\nAPP_ENV=staging\nexport APP_ENV=production\n"
    change = env.plan(content, {"APP_ENV": "local"}, {}, [])
    assert change.content == "APP_ENV=local\nA=1\n"
    assert change.keys_changed == ["APP_ENV"]
    assert len(change.warnings) == 2
    assert change.warnings[0].startswith("line 3: APP_ENV appears again (first on line 1); removed")


def test_duplicates_of_keys_the_task_does_not_name_stay():
    content = "A=1\nA=2\n"
    assert env.plan(content, {"B": "x"}, {}, []).content == content + "B=x\n"


def test_absent_keys_go_with_every_line_of_them():
    change = env.plan("DEBUGBAR=1\nA=1\nexport DEBUGBAR=0\nDEBUGBAR bad value\n", {}, {}, ["DEBUGBAR", "NEVER_THERE"])
    assert change.content == "A=1\nDEBUGBAR bad value\n"
    assert change.keys_removed == ["DEBUGBAR"]


def test_a_new_file_gets_the_keys_in_the_order_given():
    change = env.plan(None, {"APP_ENV": "production", "APP_DEBUG": False}, {"APP_KEY": "base64:abc="}, [])
    assert change.content == "APP_ENV=production\nAPP_DEBUG=false\nAPP_KEY='base64:abc='\n"
    assert change.keys_added == ["APP_ENV", "APP_DEBUG", "APP_KEY"]
    assert change.before_shown == ""


def test_a_byte_order_mark_stays():
    change = env.plan("\ufeffAPP_ENV=local\n", {"APP_ENV": "production"}, {}, [])
    assert change.content == "\ufeffAPP_ENV=production\n"


# lines phpdotenv cannot read


def test_an_unreadable_line_stays_with_a_warning_naming_line_and_key():
    content = f"A=1\nDB_PASSWORD=two words {OTHER_SECRET}\nB=2\n"
    change = env.plan(content, {"B": "3"}, {}, [])
    assert change.content == f"A=1\nDB_PASSWORD=two words {OTHER_SECRET}\nB=3\n"
    [warning] = change.warnings
    assert warning.startswith("line 2: phpdotenv cannot read this DB_PASSWORD line (unexpected whitespace)")
    assert OTHER_SECRET not in warning
    assert OTHER_SECRET not in change.before_shown + change.after_shown
    assert "DB_PASSWORD=<hidden: unreadable>" in change.after_shown


def test_an_unreadable_line_of_a_managed_key_is_rewritten():
    change = env.plan("APP_NAME=Deenify Donations\n", {"APP_NAME": "Deenify Donations"}, {}, [])
    assert change.content == "APP_NAME='Deenify Donations'\n"
    assert change.keys_changed == ["APP_NAME"]
    assert "phpdotenv cannot read APP_NAME (unexpected whitespace); rewritten" in change.warnings[0]


def test_an_unclosed_double_quote_is_reported_and_the_lines_after_it_still_count():
    content = 'APP_NAME="Deenify\nAPP_ENV=local\n'
    change = env.plan(content, {"APP_ENV": "local"}, {}, [])
    assert change.content == content
    assert "never closed, so phpdotenv ignores every later line" in change.warnings[0]
    fixed = env.plan(content, {"APP_NAME": "Deenify"}, {}, [])
    assert fixed.content == "APP_NAME=Deenify\nAPP_ENV=local\n"


def test_a_multi_line_value_is_one_entry_and_is_replaced_whole():
    content = 'A=1\nCERT="-----BEGIN-----\nabc\n-----END-----"\nB=2\n'
    assert entries(content) == [("A", "1"), ("CERT", "-----BEGIN-----\nabc\n-----END-----"), ("B", "2")]
    assert env.plan(content, {"CERT": "none"}, {}, []).content == "A=1\nCERT=none\nB=2\n"


def test_a_quote_in_a_comment_that_swallows_lines_is_reported_and_hidden():
    content = f'# NOTE="\nDB_PASSWORD={SECRET}\n"\nA=1\n'
    assert entries(content) == [("A", "1")]
    change = env.plan(content, {"A": "1"}, {}, [])
    assert change.content == content
    assert "lines 1-3: phpdotenv reads these lines as one comment" in change.warnings[0]
    assert SECRET not in change.before_shown + change.after_shown


# secrets in the diff


def test_no_secret_value_appears_in_the_diff():
    change = env.plan(
        LARAVEL_ENV, {"APP_ENV": "production"}, {"DB_PASSWORD": SECRET, "REDIS_PASSWORD": OTHER_SECRET}, []
    )
    shown = change.before_shown + change.after_shown
    for secret in (SECRET, OTHER_SECRET, "old-password", "old-key-material"):
        assert secret not in shown
    assert "DB_PASSWORD=<hidden>\n" in change.before_shown
    assert "DB_PASSWORD=<hidden: changed>\n" in change.after_shown
    assert change.after_shown.endswith("REDIS_PASSWORD=<hidden>\n")
    # APP_KEY is not named by the task, but its name says it is secret.
    assert 'APP_KEY="<hidden>\n' not in shown
    assert "APP_KEY=<hidden>\n" in change.before_shown
    assert "APP_KEY=<hidden>\n" in change.after_shown
    assert "APP_ENV=local\n" in change.before_shown
    assert "APP_ENV=production\n" in change.after_shown


def test_an_unchanged_secret_shows_as_unchanged():
    content = f"DB_PASSWORD='{SECRET}'\nAPP_ENV=local\n"
    change = env.plan(content, {"APP_ENV": "production"}, {"DB_PASSWORD": SECRET}, [])
    assert change.before_shown == "DB_PASSWORD=<hidden>\nAPP_ENV=local\n"
    assert change.after_shown == "DB_PASSWORD=<hidden>\nAPP_ENV=production\n"
    assert change.keys_changed == ["APP_ENV"]


@pytest.mark.parametrize(
    "line",
    [
        f"STRIPE_SECRET={OTHER_SECRET}",
        f"SESSION_TOKEN={OTHER_SECRET}",
        f"MAIL_PASSWORD={OTHER_SECRET}",
        f"AWS_ACCESS_KEY_ID={OTHER_SECRET}",
        f"SENTRY_LARAVEL_DSN=https://{OTHER_SECRET}@sentry.example/1",
        f"REDIS_URL=redis://:{OTHER_SECRET}@cache:6379",
        f"DATABASE_URL=mysql://deenify:{OTHER_SECRET}@db/deenify",
    ],
)
def test_keys_not_named_by_the_task_are_hidden_when_they_look_secret(line):
    change = env.plan(line + "\n", {"APP_ENV": "production"}, {}, [])
    assert OTHER_SECRET not in change.before_shown + change.after_shown
    assert change.before_shown == line.split("=", 1)[0] + "=<hidden>\n"


def test_a_key_listed_in_values_is_shown_even_if_its_name_looks_secret():
    change = env.plan("PUSHER_APP_KEY=old\n", {"PUSHER_APP_KEY": "public-key"}, {}, [])
    assert (change.before_shown, change.after_shown) == ("PUSHER_APP_KEY=old\n", "PUSHER_APP_KEY=public-key\n")


# the module, run in this process


@pytest.fixture
def run_module(capsys):
    """Run library/laravel_env.py with ``args``; return its result as Ansible would print it."""

    def run(args: dict, check: bool = False, diff: bool = False) -> dict:
        warnings: list[str] = []
        args = {**args, "_ansible_check_mode": check, "_ansible_diff": diff}
        # On a controller (as in this test process) warnings go to the display, not the result.
        with (
            patch_module_args(args),
            mock.patch.object(AnsibleModule, "warn", lambda _self, msg, **_kw: warnings.append(msg)),
            pytest.raises(SystemExit),
        ):
            module.main()
        result = json.loads(capsys.readouterr().out)
        if warnings:
            result["warnings"] = warnings
        return result

    return run


def mode_of(path: Path) -> str:
    return format(stat.S_IMODE(path.stat().st_mode), "04o")


def test_a_new_file_is_created_with_its_mode_and_no_secret_in_the_result(tmp_path, run_module):
    path = tmp_path / ".env"
    result = run_module(
        {"path": str(path), "mode": "0640", "values": {"APP_ENV": "production"}, "secrets": {"DB_PASSWORD": SECRET}},
        diff=True,
    )
    assert result["changed"] is True
    assert path.read_text() == f"APP_ENV=production\nDB_PASSWORD='{SECRET}'\n"
    assert mode_of(path) == "0640"
    assert (result["keys_added"], result["keys_changed"], result["keys_removed"]) == (
        ["APP_ENV", "DB_PASSWORD"],
        [],
        [],
    )
    assert result["diff"][0]["after"] == "APP_ENV=production\nDB_PASSWORD=<hidden>\n"
    assert SECRET not in json.dumps(result)
    assert result["invocation"]["module_args"]["secrets"] == {"DB_PASSWORD": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"}


def test_a_new_file_without_a_mode_is_readable_by_its_owner_only(tmp_path, run_module):
    path = tmp_path / ".env"
    run_module({"path": str(path), "secrets": {"APP_KEY": SECRET}})
    assert mode_of(path) == "0600"


def test_a_second_run_changes_nothing(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text(LARAVEL_ENV)
    args = {"path": str(path), "mode": "0640", "values": {"APP_ENV": "production"}, "secrets": {"DB_PASSWORD": SECRET}}
    assert run_module(args)["changed"] is True
    written = path.read_bytes()
    again = run_module(args, diff=True)
    assert again["changed"] is False
    assert (again["keys_changed"], again["keys_added"]) == ([], [])
    assert again["diff"][0]["before"] == again["diff"][0]["after"]
    assert path.read_bytes() == written


def test_check_mode_writes_nothing_and_tells_the_truth(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text(LARAVEL_ENV)
    os.chmod(path, 0o644)
    before = path.stat()
    result = run_module(
        {"path": str(path), "mode": "0640", "values": {"APP_ENV": "production"}, "secrets": {"DB_PASSWORD": SECRET}},
        check=True,
        diff=True,
    )
    assert result["changed"] is True
    assert result["keys_changed"] == ["APP_ENV", "DB_PASSWORD"]
    assert path.read_text() == LARAVEL_ENV
    assert (path.stat().st_mtime_ns, mode_of(path)) == (before.st_mtime_ns, "0644")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]
    text_diff, attribute_diff = result["diff"]
    assert "DB_PASSWORD=<hidden: changed>" in text_diff["after"]
    assert (attribute_diff["before"]["mode"], attribute_diff["after"]["mode"]) == ("0644", "0640")
    assert SECRET not in json.dumps(result)
    assert "old-password" not in json.dumps(result)


def test_check_mode_does_not_create_a_missing_file(tmp_path, run_module):
    path = tmp_path / ".env"
    result = run_module({"path": str(path), "values": {"APP_ENV": "production"}}, check=True, diff=True)
    assert result["changed"] is True
    assert not path.exists()
    assert result["diff"][0]["before"] == ""


def test_a_mode_change_alone_is_a_change(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text("APP_ENV=production\n")
    os.chmod(path, 0o644)
    result = run_module({"path": str(path), "mode": "0640", "values": {"APP_ENV": "production"}}, diff=True)
    assert result["changed"] is True
    assert result["keys_changed"] == []
    assert result["diff"][1] == {
        "before": {"path": str(path), "mode": "0644"},
        "after": {"path": str(path), "mode": "0640"},
    }
    assert mode_of(path) == "0640"
    assert run_module({"path": str(path), "mode": "0640", "values": {"APP_ENV": "production"}})["changed"] is False


def test_the_owner_and_group_are_reported_and_kept(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text("APP_ENV=production\n")
    owner, group = path.owner(), path.group()
    result = run_module({"path": str(path), "owner": owner, "group": group, "values": {"APP_ENV": "production"}})
    assert result["changed"] is False
    assert (result["owner"], result["group"]) == (owner, group)


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's group to another group needs root")
def test_a_group_change_alone_is_a_change(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text("APP_ENV=production\n")
    os.chown(path, 0, 0)
    result = run_module({"path": str(path), "group": "nogroup", "values": {"APP_ENV": "production"}}, diff=True)
    assert result["changed"] is True
    assert result["group"] == "nogroup"
    assert result["diff"][1]["after"]["group"] != result["diff"][1]["before"]["group"]


def test_the_file_is_replaced_by_a_rename_keeping_its_mode(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text("APP_ENV=local\n")
    os.chmod(path, 0o640)
    inode = path.stat().st_ino
    run_module({"path": str(path), "values": {"APP_ENV": "production"}})
    assert path.stat().st_ino != inode
    assert mode_of(path) == "0640"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env"]


def test_a_release_link_stays_a_link_to_the_shared_file(tmp_path, run_module):
    shared = tmp_path / "shared" / ".env"
    shared.parent.mkdir()
    shared.write_text("APP_ENV=local\n")
    link = tmp_path / "release" / ".env"
    link.parent.mkdir()
    link.symlink_to(shared)
    result = run_module({"path": str(link), "values": {"APP_ENV": "production"}})
    assert result["path"] == str(shared)
    assert link.is_symlink()
    assert shared.read_text() == "APP_ENV=production\n"


def test_backup_keeps_the_old_file(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text(LARAVEL_ENV)
    result = run_module({"path": str(path), "backup": True, "values": {"APP_ENV": "production"}})
    assert Path(result["backup_file"]).read_text() == LARAVEL_ENV
    assert "APP_ENV=production\n" in path.read_text()


def test_a_missing_file_with_create_false_fails(tmp_path, run_module):
    result = run_module({"path": str(tmp_path / ".env"), "create": False, "values": {"A": "1"}})
    assert result["failed"] is True
    assert result["msg"] == f"{tmp_path / '.env'} does not exist and create is false"


def test_check_mode_on_a_new_host_reports_the_file_it_would_make(tmp_path, run_module):
    path = tmp_path / "shared" / ".env"
    result = run_module(
        {"path": str(path), "values": {"APP_ENV": "production"}, "secrets": {"DB_PASSWORD": SECRET}}, check=True
    )
    assert result["changed"] is True
    assert result["keys_added"] == ["APP_ENV", "DB_PASSWORD"]
    assert SECRET not in str(result)
    assert not (tmp_path / "shared").exists()


def test_a_missing_directory_fails_in_a_real_run(tmp_path, run_module):
    result = run_module({"path": str(tmp_path / "shared" / ".env"), "values": {"A": "1"}})
    assert result["failed"] is True
    assert result["msg"] == f"the directory of {tmp_path / 'shared' / '.env'} does not exist"


def test_a_refused_secret_fails_without_showing_it(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text(LARAVEL_ENV)
    result = run_module({"path": str(path), "secrets": {"DB_PASSWORD": f"{SECRET}\nINJECTED=1"}})
    assert result["failed"] is True
    assert result["msg"] == "DB_PASSWORD: the value contains a newline, which a .env line cannot carry"
    assert SECRET not in json.dumps(result)
    assert path.read_text() == LARAVEL_ENV


def test_unknown_options_are_refused(tmp_path, run_module):
    result = run_module({"path": str(tmp_path / ".env"), "value": {"A": "1"}})
    assert result["failed"] is True
    assert "Unsupported parameters" in result["msg"]
    assert "value" in result["msg"]


def test_warnings_name_the_file_and_line(tmp_path, run_module):
    path = tmp_path / ".env"
    path.write_text("APP_ENV=local\nAPP_ENV=staging\n")
    result = run_module({"path": str(path), "values": {"APP_ENV": "production"}})
    assert result["warnings"] == [
        f"{path}: line 2: APP_ENV appears again (first on line 1); removed, because phpdotenv lets the last one "
        "win and the value now stands on the first"
    ]
    assert path.read_text() == "APP_ENV=production\n"


# the module through ansible-playbook, as the deploy role runs it


def test_the_module_runs_in_a_play_with_check_and_diff(tmp_path):
    path = tmp_path / "shared" / ".env"
    path.parent.mkdir()
    path.write_text(LARAVEL_ENV)
    os.chmod(path, 0o644)
    settings = {"values": {"APP_ENV": "production", "APP_NAME": "Deenify Donations"}}
    task = {"laravel_env": {"path": str(path), "mode": "0640", "secrets": {"DB_PASSWORD": "{{ db_password }}"}}}
    task["laravel_env"].update(settings)
    tasks = [
        {"name": "Preview the change", "check_mode": True, "diff": True, **task},
        {"name": "Write the file", **task},
        {"name": "Write it again", "diff": True, **task},
        {
            "name": "Refuse a value with a newline",
            "laravel_env": {"path": str(path), "secrets": {"APP_KEY": "{{ db_password }}\nX=1"}},
            "ignore_errors": True,
        },
    ]
    run, results = run_local_play(tmp_path, tasks, play_vars={"db_password": SECRET})
    assert SECRET not in run.stdout + run.stderr, "a secret reached the play's output"
    preview, first, second, refused = results
    assert preview["changed"] is True, preview
    assert preview["keys_changed"] == ["APP_NAME", "APP_ENV", "DB_PASSWORD"], preview
    assert "DB_PASSWORD=<hidden: changed>" in preview["diff"][0]["after"], preview
    assert preview["diff"][1]["after"]["mode"] == "0640", preview
    assert first["changed"] is True, first
    assert second["changed"] is False, second
    assert refused["failed"] is True, refused
    assert refused["msg"] == "APP_KEY: the value contains a newline, which a .env line cannot carry"
    assert path.read_text() == LARAVEL_ENV.replace("APP_NAME=Deenify", "APP_NAME='Deenify Donations'").replace(
        "APP_ENV=local", "APP_ENV=production"
    ).replace("DB_PASSWORD=old-password", f"DB_PASSWORD='{SECRET}'")
    assert mode_of(path) == "0640"


# against the real phpdotenv, when a container with php-dotenv is named

PHP_READER = r"""
require "/usr/share/php/Dotenv/autoload.php";
$content = stream_get_contents(STDIN);
$repository = Dotenv\Repository\RepositoryBuilder::createWithNoAdapters()
    ->addAdapter(Dotenv\Repository\Adapter\ArrayAdapter::class)->immutable()->make();
$loader = new Dotenv\Dotenv(new Dotenv\Store\StringStore($content), new Dotenv\Parser\Parser(),
    new Dotenv\Loader\Loader(), $repository);
echo json_encode($loader->load(), JSON_UNESCAPED_UNICODE);
"""


@pytest.mark.skipif(
    not os.environ.get("DEENIFY_PHPDOTENV_CONTAINER"),
    reason="set DEENIFY_PHPDOTENV_CONTAINER to a running container with php-dotenv (deenify-web) to run it",
)
def test_rendering_agrees_with_real_phpdotenv():
    generator = random.Random(20261203)  # noqa: S311 - a repeatable sample of values, not a secret
    alphabet = " \t\x0b\x0c'\"#$\\={}()abcAB_.-:/é漢😀ম\u00a0\u2028\x85"
    values = [value for value, _ in VERIFIED_RENDERINGS]
    values += ["".join(generator.choice(alphabet) for _ in range(generator.randint(0, 12))) for _ in range(2000)]
    content = env.plan(None, {f"V{i}": value for i, value in enumerate(values)}, {}, []).content
    container = os.environ["DEENIFY_PHPDOTENV_CONTAINER"]
    proc = subprocess.run(
        ["docker", "exec", "-i", container, "php", "-r", PHP_READER],
        input=content, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    loaded = json.loads(proc.stdout)
    wrong = [(value, loaded.get(f"V{i}")) for i, value in enumerate(values) if loaded.get(f"V{i}") != value]
    assert wrong == [], f"phpdotenv read these back differently (given, read): {wrong[:10]}"


@settings(max_examples=30, deadline=None)
@given(ENV_TEXT)
def test_any_secret_is_hidden_in_the_diff_of_a_change(value):
    change = env.plan(LARAVEL_ENV, {}, {"DB_PASSWORD": value}, [])
    assert "DB_PASSWORD=<hidden: changed>" in change.after_shown or value == "old-password"
    for line in (change.before_shown + change.after_shown).splitlines():
        if line.startswith("DB_PASSWORD="):
            assert line.split("=", 1)[1].startswith("<hidden")
