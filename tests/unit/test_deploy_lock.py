"""The deploy_lock module: one deploy at a time, on a real lock file."""

from __future__ import annotations

import fcntl
import importlib
import importlib.util
import json
import multiprocessing
import os
import time
from pathlib import Path

import ansible.module_utils
import pytest

from tests.helpers.modules import run_in_process, run_module_adhoc

REPO = Path(__file__).resolve().parents[2]
# The module imports its logic as ansible.module_utils.deploy_lock, as it does on a host.
if str(REPO / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / "module_utils"))
core = importlib.import_module("ansible.module_utils.deploy_lock")
_SPEC = importlib.util.spec_from_file_location("deploy_lock_module", REPO / "library" / "deploy_lock.py")
module = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(module)

AMINA = {
    "user": "amina",
    "controller": "ops-laptop",
    "pid": 41822,
    "started": "8812345",
    "release": "20250101T120000Z-0123abc",
    "playbook": "playbooks/deploy.yml",
}
RAFIQ = {
    "user": "rafiq",
    "controller": "chatops-1",
    "pid": 977,
    "started": "5550001",
    "release": "20250101T130000Z-4567def",
    "playbook": "playbooks/deploy.yml",
    "chat_thread": "C024BE91L/1735736400.000100",
}


@pytest.fixture
def lock_path(tmp_path: Path) -> str:
    return str(tmp_path / "deploy.lock")


def on_disk(path: str) -> dict | None:
    return json.loads(Path(path).read_text()) if os.path.exists(path) else None


def at(seconds: float):
    return lambda: seconds


# present


def test_an_absent_lock_is_taken(lock_path):
    result = core.acquire(lock_path, AMINA, ttl=900, clock=at(1735732800.7))

    assert result["changed"] is True
    assert result["acquired"] is True
    lock = on_disk(lock_path)
    assert lock == result["lock"]
    assert len(lock["token"]) == 32
    int(lock["token"], 16)
    assert lock["holder"] == AMINA
    assert (lock["acquired"], lock["acquired_iso"], lock["ttl"]) == (1735732800, "2025-01-01T12:00:00Z", 900)
    assert sorted(os.listdir(os.path.dirname(lock_path))) == ["deploy.lock", "deploy.lock.guard"]


def test_a_second_deploy_is_refused_with_the_holder_named(lock_path):
    core.acquire(lock_path, AMINA, clock=at(1735732800))
    held = on_disk(lock_path)

    with pytest.raises(core.LockError) as refused:
        core.acquire(lock_path, RAFIQ, inventory="inventories/production", clock=at(1735732900))

    assert str(refused.value) == (
        f"Deploy lock {lock_path} on this host is held by amina from ops-laptop (pid 41822) since "
        "2025-01-01T12:00:00Z for release 20250101T120000Z-0123abc (playbook playbooks/deploy.yml); "
        "wait for that deploy to finish, or if it is gone run: "
        "ansible-playbook -i inventories/production playbooks/unlock.yml"
    )
    assert refused.value.lock == held
    assert on_disk(lock_path) == held


def test_the_same_run_asking_again_keeps_its_lock_unchanged(lock_path):
    first = core.acquire(lock_path, AMINA, clock=at(1735732800))
    again = core.acquire(lock_path, {**AMINA, "release": "other"}, clock=at(1735732860))
    assert again["changed"] is False
    assert again["acquired"] is False
    assert again["lock"]["token"] == first["lock"]["token"]
    assert on_disk(lock_path) == first["lock"]


def test_a_new_process_with_the_old_pid_is_not_the_same_run(lock_path):
    core.acquire(lock_path, AMINA, clock=at(1735732800))
    with pytest.raises(core.LockError, match="held by amina from ops-laptop"):
        core.acquire(lock_path, {**AMINA, "started": "9990000"}, clock=at(1735732860))


def test_holders_without_pid_or_start_time_are_never_the_same_run(lock_path):
    bare = {"user": "amina", "controller": "ops-laptop"}
    core.acquire(lock_path, bare, clock=at(1735732800))
    with pytest.raises(core.LockError, match="held by amina from ops-laptop \\(pid unknown\\)"):
        core.acquire(lock_path, bare, clock=at(1735732860))


def test_an_expired_lock_is_taken_over_with_a_warning_naming_its_holder(lock_path):
    core.acquire(lock_path, AMINA, ttl=600, clock=at(1735732800))
    old_token = on_disk(lock_path)["token"]

    result = core.acquire(lock_path, RAFIQ, clock=at(1735732800 + 601))

    assert result["changed"] is True
    assert result["taken_over_from"] == AMINA
    (warning,) = result["warnings"]
    assert "expired 1 s ago" in warning
    assert "amina from ops-laptop (pid 41822)" in warning
    lock = on_disk(lock_path)
    assert lock["holder"] == RAFIQ
    assert lock["token"] != old_token


def test_a_lock_at_its_ttl_is_not_yet_expired(lock_path):
    core.acquire(lock_path, AMINA, ttl=600, clock=at(1735732800))
    with pytest.raises(core.LockError):
        core.acquire(lock_path, RAFIQ, clock=at(1735732800 + 600))


def test_take_over_with_the_current_token_takes_the_lock(lock_path):
    token = core.acquire(lock_path, AMINA, clock=at(1735732800))["lock"]["token"]
    result = core.acquire(lock_path, RAFIQ, take_over=token, clock=at(1735732860))
    assert result["taken_over_from"] == AMINA
    assert "judged abandoned" in result["warnings"][0]
    assert on_disk(lock_path)["holder"] == RAFIQ


def test_take_over_with_a_token_that_no_longer_holds_is_refused(lock_path):
    stale = core.acquire(lock_path, AMINA, ttl=60, clock=at(1735732800))["lock"]["token"]
    # Someone else took the expired lock over between our look and our take-over.
    core.acquire(lock_path, RAFIQ, clock=at(1735732900))
    held = on_disk(lock_path)

    with pytest.raises(core.LockError) as refused:
        core.acquire(lock_path, {**AMINA, "pid": 5}, take_over=stale, clock=at(1735732901))

    message = str(refused.value)
    assert "held by rafiq from chatops-1 (pid 977)" in message
    assert "the take_over token does not match it" in message
    assert message.endswith("ansible-playbook -i <inventory> playbooks/unlock.yml")
    assert on_disk(lock_path) == held


def _race(path: str, number: int, start, results) -> None:
    holder = {**AMINA, "pid": 1000 + number, "user": f"racer{number}"}
    start.wait()
    try:
        core.acquire(path, holder)
        results.put(("won", number))
    except core.LockError as exc:
        results.put(("refused", str(exc)))


def test_of_deploys_racing_on_one_host_exactly_one_wins(lock_path):
    context = multiprocessing.get_context("fork")
    racers = 8
    start, results = context.Barrier(racers), context.Queue()
    processes = [context.Process(target=_race, args=(lock_path, n, start, results)) for n in range(racers)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join()

    winners = [number for kind, number in outcomes if kind == "won"]
    assert len(winners) == 1, outcomes
    assert on_disk(lock_path)["holder"]["user"] == f"racer{winners[0]}"
    refusals = [text for kind, text in outcomes if kind == "refused"]
    assert all(f"held by racer{winners[0]} from ops-laptop" in text for text in refusals), refusals


def test_a_busy_guard_is_waited_for_then_named(lock_path):
    fd = os.open(lock_path + ".guard", os.O_RDONLY | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(core.LockError, match=r"has held .*deploy\.lock\.guard .*fuser -v"):
            core.acquire(lock_path, AMINA, guard_timeout=0.3)
        assert time.monotonic() - started >= 0.3
    finally:
        os.close(fd)
    assert not os.path.exists(lock_path)


def test_present_in_check_mode_writes_nothing(lock_path):
    result = core.acquire(lock_path, AMINA, check_mode=True)
    assert (result["changed"], result["acquired"]) == (True, True)
    assert result["lock"]["holder"] == AMINA
    assert os.listdir(os.path.dirname(lock_path)) == []


def test_present_in_check_mode_is_refused_like_a_real_run(lock_path):
    core.acquire(lock_path, AMINA)
    with pytest.raises(core.LockError, match="held by amina"):
        core.acquire(lock_path, RAFIQ, check_mode=True)


def test_an_unreadable_lock_counts_as_held(lock_path):
    Path(lock_path).write_text("{half a lock")
    with pytest.raises(core.LockError, match=r"cannot be read .*not valid JSON.* playbooks/unlock\.yml"):
        core.acquire(lock_path, AMINA)
    assert Path(lock_path).read_text() == "{half a lock"


def test_on_a_new_host_the_application_root_is_created_for_the_lock(tmp_path):
    (tmp_path / "srv").mkdir()
    path = str(tmp_path / "srv" / "deenify" / "deploy.lock")
    assert core.acquire(path, AMINA, check_mode=True)["changed"] is True
    assert not (tmp_path / "srv" / "deenify").exists()
    core.acquire(path, AMINA)
    assert on_disk(path)["holder"] == AMINA


def test_a_lock_path_far_from_any_directory_is_named(tmp_path):
    path = str(tmp_path / "svr" / "deenify" / "deploy.lock")
    with pytest.raises(core.LockError, match=r"neither .*/svr/deenify nor its parent exists on this host"):
        core.acquire(path, AMINA)
    assert not (tmp_path / "svr").exists()


@pytest.mark.parametrize(("holder", "ttl"), [({}, 60), (None, 60), (AMINA, 0), (AMINA, True)])
def test_bad_holders_and_ttls_are_refused(lock_path, holder, ttl):
    with pytest.raises(core.LockError, match=r"holder must describe|ttl .* must be a whole number"):
        core.acquire(lock_path, holder, ttl=ttl)


# query


def test_query_reports_the_lock_its_age_and_expiry(lock_path):
    assert core.query(lock_path) == {"changed": False, "lock": None, "expired": False, "age": None, "warnings": []}
    core.acquire(lock_path, AMINA, ttl=600, clock=at(1735732800))
    fresh = core.query(lock_path, clock=at(1735732800 + 120))
    assert (fresh["lock"]["holder"], fresh["age"], fresh["expired"]) == (AMINA, 120, False)
    assert core.query(lock_path, clock=at(1735732800 + 601))["expired"] is True


def test_query_of_an_unreadable_lock_says_why(lock_path):
    Path(lock_path).write_text('{"holder": {}}')
    found = core.query(lock_path)
    assert found["lock"] is None
    assert found["error"].endswith("has no token")
    assert "cannot be used" in found["warnings"][0]


# absent


def test_absent_with_the_right_token_removes_the_lock(lock_path):
    token = core.acquire(lock_path, AMINA)["lock"]["token"]
    result = core.release(lock_path, token=token)
    assert (result["changed"], result["removed"]) == (True, True)
    assert result["warnings"] == []
    assert not os.path.exists(lock_path)


def test_absent_with_a_wrong_token_keeps_the_lock_and_names_its_holder(lock_path):
    core.acquire(lock_path, RAFIQ)
    held = on_disk(lock_path)
    result = core.release(lock_path, token="0" * 32)
    assert (result["changed"], result["removed"]) == (False, False)
    assert "now belongs to rafiq from chatops-1 (pid 977)" in result["warnings"][0]
    assert on_disk(lock_path) == held


def test_force_removes_whatever_lock_is_there_with_a_warning(lock_path):
    core.acquire(lock_path, AMINA)
    result = core.release(lock_path, force=True)
    assert result["removed"] is True
    assert "Removed the deploy lock" in result["warnings"][0]
    assert "amina from ops-laptop (pid 41822)" in result["warnings"][0]
    assert not os.path.exists(lock_path)


def test_force_removes_an_unreadable_lock(lock_path):
    Path(lock_path).write_text("garbage")
    assert core.release(lock_path, force=True)["removed"] is True
    assert not os.path.exists(lock_path)


def test_absent_without_a_lock_is_unchanged(lock_path):
    assert core.release(lock_path, token="f" * 32)["changed"] is False
    assert core.release(lock_path, force=True)["changed"] is False


def test_absent_in_check_mode_removes_nothing(lock_path):
    token = core.acquire(lock_path, AMINA)["lock"]["token"]
    assert core.release(lock_path, token=token, check_mode=True)["changed"] is True
    assert on_disk(lock_path)["token"] == token


def test_absent_needs_a_token_or_force(lock_path):
    with pytest.raises(core.LockError, match=r"needs the token .* or force: true"):
        core.release(lock_path)


# the module


@pytest.fixture
def run_module(capsys):
    def run(args: dict, check: bool = False) -> dict:
        return run_in_process(module.main, capsys, args, check)

    return run


def test_the_module_needs_a_holder_to_take_the_lock(run_module, lock_path):
    result = run_module({"path": lock_path, "state": "present"})
    assert "state is present but all of the following are missing: holder" in result["msg"]


def test_the_module_defaults_to_a_read_only_query(run_module, lock_path):
    result = run_module({"path": lock_path})
    assert (result["changed"], result["lock"]) == (False, None)
    assert not os.path.exists(lock_path)


def test_the_module_refusal_carries_the_message_and_the_lock(run_module, lock_path):
    core.acquire(lock_path, AMINA)
    result = run_module({"path": lock_path, "state": "present", "holder": RAFIQ, "inventory": "inventories/staging"})
    assert result["failed"] is True
    assert result["msg"].startswith(f"Deploy lock {lock_path} on this host is held by amina from ops-laptop")
    assert result["msg"].endswith("run: ansible-playbook -i inventories/staging playbooks/unlock.yml")
    assert result["lock"]["holder"] == AMINA


def test_the_module_through_ansible_takes_refuses_and_releases(lock_path):
    checked = run_module_adhoc("deploy_lock", {"path": lock_path, "state": "present", "holder": AMINA}, "--check")
    assert checked["changed"] is True, checked
    assert not os.path.exists(lock_path), "a --check run wrote the lock"

    taken = run_module_adhoc("deploy_lock", {"path": lock_path, "state": "present", "holder": AMINA})
    assert taken["changed"] is True, taken
    refused = run_module_adhoc(
        "deploy_lock", {"path": lock_path, "state": "present", "holder": RAFIQ, "inventory": "inventories/local"}
    )
    assert refused.get("failed") is True, refused
    assert "is held by amina from ops-laptop (pid 41822)" in refused["msg"]

    released = run_module_adhoc("deploy_lock", {"path": lock_path, "state": "absent", "token": taken["lock"]["token"]})
    assert released["removed"] is True, released
    assert not os.path.exists(lock_path)
