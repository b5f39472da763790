"""The app_release module: releases of one application on real directories and symlinks."""

from __future__ import annotations

import importlib
import importlib.util
import json
import multiprocessing
import os
import re
import shutil
import stat
import tempfile
from pathlib import Path

import ansible.module_utils
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.modules import run_in_process, run_module_adhoc

REPO = Path(__file__).resolve().parents[2]
# The module imports its logic as ansible.module_utils.app_release, as it does on a host.
if str(REPO / "module_utils") not in ansible.module_utils.__path__:
    ansible.module_utils.__path__.append(str(REPO / "module_utils"))
core = importlib.import_module("ansible.module_utils.app_release")
_SPEC = importlib.util.spec_from_file_location("app_release_module", REPO / "library" / "app_release.py")
module = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(module)


def rid(hour: int, sha: str | None = None) -> str:
    """A release id of 1 January 2025 at ``hour``; ids of later hours sort later."""
    return f"20250101T{hour:02d}0000Z-{sha or format(hour + 0xABC0000, 'x')}"


def add_release(root: Path, release: str, status: str | None = None, **data) -> Path:
    path = root / "releases" / release
    (path / "public").mkdir(parents=True)
    (path / "public" / "index.php").write_text("<?php echo 'ok';\n")
    if status is not None:
        (root / "release-state").mkdir(exist_ok=True)
        content = {"id": release, "status": status, **data}
        (root / "release-state" / f"{release}.json").write_text(json.dumps(content))
    return path


def point(root: Path, link: str, release: str) -> None:
    os.symlink(f"releases/{release}", root / link)


def state_of(root: Path, release: str) -> dict:
    return json.loads((root / "release-state" / f"{release}.json").read_text())


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with what it is, to prove that nothing changed."""
    seen = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            seen[str(path)] = "-> " + os.readlink(path)
        elif path.is_file():
            seen[str(path)] = path.read_text()
        else:
            seen[str(path)] = "dir"
    return seen


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "deenify"
    for sub in ("releases", "release-state", "shared/storage"):
        (root / sub).mkdir(parents=True)
    return root


@pytest.fixture
def run_module(capsys):
    """Run library/app_release.py in this process with ``args``; return its JSON result."""

    def run(args: dict, check: bool = False, diff: bool = False) -> dict:
        return run_in_process(module.main, capsys, args, check, diff)

    return run


# query


def test_query_lists_releases_oldest_first_with_their_bookkeeping(app):
    for hour, status in [(9, "live"), (7, "retired"), (8, None)]:
        add_release(app, rid(hour), status, ref=f"v1.{hour}", migrations=["2025_create_donations"])
    point(app, "current", rid(9))

    found = core.query(str(app))

    assert [r["id"] for r in found["releases"]] == [rid(7), rid(8), rid(9)]
    newest = found["releases"][-1]
    assert newest == {
        "id": rid(9),
        "status": "live",
        "sha": rid(9).split("-")[1],
        "ref": "v1.9",
        "created": "2025-01-01T09:00:00Z",
        "path": str(app / "releases" / rid(9)),
        "migrations": ["2025_create_donations"],
    }
    assert found["releases"][1]["status"] == "unknown", "a release without a state file is unknown"
    assert found["current"] == rid(9)
    assert found["candidate"] is None
    assert found["changed"] is False


def test_previous_is_never_a_failed_building_or_unknown_release(app):
    add_release(app, rid(1), "retired")
    add_release(app, rid(2), "ready")
    add_release(app, rid(3), "failed")
    add_release(app, rid(4), "building")
    add_release(app, rid(5))
    add_release(app, rid(6), "live")
    add_release(app, rid(7), "retired")  # newer than current: a roll-forward, not a rollback
    point(app, "current", rid(6))

    found = core.query(str(app))

    assert found["previous"] == rid(2), found
    assert found["rollback_targets"] == [rid(2), rid(1)]


def test_a_stale_live_mark_left_by_an_interrupted_switch_is_a_rollback_target(app):
    add_release(app, rid(1), "live")
    add_release(app, rid(2), "live")
    point(app, "current", rid(2))
    assert core.query(str(app))["previous"] == rid(1)


@pytest.mark.parametrize("statuses", [[], ["failed"], ["building", "failed"]])
def test_previous_is_null_when_nothing_older_can_serve(app, statuses):
    for hour, status in enumerate(statuses):
        add_release(app, rid(hour), status)
    add_release(app, rid(9), "live")
    point(app, "current", rid(9))
    found = core.query(str(app))
    assert found["previous"] is None
    assert found["rollback_targets"] == []


def test_previous_is_null_without_current(app):
    add_release(app, rid(1), "ready")
    assert core.query(str(app))["previous"] is None


def test_orphaned_states_stray_entries_and_links_are_reported(app):
    add_release(app, rid(1), "live")
    add_release(app, rid(2), "building")
    (app / "release-state" / f"{rid(0)}.json").write_text('{"status": "retired"}')
    (app / "releases" / "notes.txt").write_text("by hand")
    (app / "releases" / "old-style").mkdir()
    point(app, "current", rid(1))
    point(app, "candidate", rid(2))

    found = core.query(str(app))

    assert found["orphaned_states"] == [rid(0)]
    assert found["unrecognized"] == ["notes.txt", "old-style"]
    assert (found["current"], found["candidate"]) == (rid(1), rid(2))


def test_an_unreadable_state_file_makes_the_release_unknown_with_a_warning(app):
    add_release(app, rid(1))
    (app / "release-state" / f"{rid(1)}.json").write_text("{not json")
    found = core.query(str(app))
    (release,) = found["releases"]
    assert release["status"] == "unknown"
    assert "is not valid JSON" in release["state_error"]
    assert any(rid(1) in warning for warning in found["warnings"])


def test_a_missing_root_is_named(tmp_path):
    with pytest.raises(core.ReleaseError, match=r"application root .*/nowhere does not exist"):
        core.query(str(tmp_path / "nowhere"))


def test_an_absolute_link_into_releases_is_understood(app):
    add_release(app, rid(1), "live")
    os.symlink(app / "releases" / rid(1), app / "current")
    assert core.query(str(app))["current"] == rid(1)


# marked


def test_mark_writes_the_state_file_and_merges_data(app):
    add_release(app, rid(1))
    result = core.mark(str(app), rid(1), "building", {"sha": "abc1234", "ref": "v2.3.1"})
    assert result["changed"] is True
    assert state_of(app, rid(1)) == {"id": rid(1), "status": "building", "sha": "abc1234", "ref": "v2.3.1"}

    core.mark(str(app), rid(1), "failed", {"health": {"status": 500, "body": "SQLSTATE[HY000]"}})
    assert state_of(app, rid(1)) == {
        "id": rid(1),
        "status": "failed",
        "sha": "abc1234",
        "ref": "v2.3.1",
        "health": {"status": 500, "body": "SQLSTATE[HY000]"},
    }
    assert sorted(p.name for p in (app / "release-state").iterdir()) == [f"{rid(1)}.json"], "a temporary file is left"


def test_mark_is_unchanged_when_the_content_is_the_same(app):
    add_release(app, rid(1))
    core.mark(str(app), rid(1), "ready", {"sha": "abc1234"})
    path = app / "release-state" / f"{rid(1)}.json"
    inode = path.stat().st_ino

    again = core.mark(str(app), rid(1), "ready", {"sha": "abc1234"})

    assert again["changed"] is False
    assert path.stat().st_ino == inode, "an unchanged state file was rewritten"


def test_mark_writes_through_a_rename_in_the_same_directory(app, monkeypatch):
    add_release(app, rid(1))
    renames = []
    real_replace = os.replace

    def spy(source, target):
        renames.append((Path(source), Path(target)))
        real_replace(source, target)

    monkeypatch.setattr(core.os, "replace", spy)
    core.mark(str(app), rid(1), "ready")

    ((source, target),) = renames
    assert target == app / "release-state" / f"{rid(1)}.json"
    assert source.parent == target.parent
    assert not source.exists()


def test_a_new_state_file_is_private_to_its_group_and_a_replaced_one_keeps_its_mode(app):
    add_release(app, rid(1))
    add_release(app, rid(2), "building")
    (app / "release-state" / f"{rid(2)}.json").chmod(0o644)
    core.mark(str(app), rid(1), "building")
    core.mark(str(app), rid(2), "ready")
    assert stat.S_IMODE((app / "release-state" / f"{rid(1)}.json").stat().st_mode) == 0o640
    assert stat.S_IMODE((app / "release-state" / f"{rid(2)}.json").stat().st_mode) == 0o644


def test_mark_in_check_mode_writes_nothing_and_shows_the_diff(app):
    add_release(app, rid(1))
    shutil.rmtree(app / "release-state")
    before = snapshot(app)

    result = core.mark(str(app), rid(1), "ready", {"sha": "abc1234"}, check_mode=True)

    assert result["changed"] is True
    assert snapshot(app) == before
    assert result["diff"]["before"] == ""
    assert json.loads(result["diff"]["after"]) == {"id": rid(1), "status": "ready", "sha": "abc1234"}


def test_mark_without_status_needs_an_existing_state(app):
    add_release(app, rid(1))
    with pytest.raises(core.ReleaseError, match="has no status yet"):
        core.mark(str(app), rid(1), None, {"sha": "abc1234"})
    core.mark(str(app), rid(1), "building")
    assert core.mark(str(app), rid(1), None, {"sha": "abc1234"})["status"] == "building"


def test_mark_refuses_data_that_would_overwrite_its_own_keys(app):
    add_release(app, rid(1))
    with pytest.raises(core.ReleaseError, match="carries id, status"):
        core.mark(str(app), rid(1), "ready", {"status": "live", "id": "x"})


def test_mark_refuses_to_overwrite_an_unreadable_state_file(app):
    add_release(app, rid(1))
    (app / "release-state" / f"{rid(1)}.json").write_text("[")
    with pytest.raises(core.ReleaseError, match=r"is not valid JSON .*Move it aside \(mv "):
        core.mark(str(app), rid(1), "ready")


BAD_IDS = ["../x", "a/b", "", "..", ".hidden", "20250101T000000Z-abc..12", "20250101T000000Z-XYZ1234", "latest"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_bad_ids_are_refused_with_the_id_named(app, bad):
    add_release(app, rid(1))
    for attempt in (
        lambda: core.mark(str(app), bad, "ready"),
        lambda: core.switch(str(app), bad),
    ):
        with pytest.raises(core.ReleaseError, match="^release id " + re.escape(repr(bad))):
            attempt()
    assert not (app / "current").exists()


def test_a_release_that_is_not_there_is_refused(app):
    with pytest.raises(core.ReleaseError, match=rf"release {rid(1)} does not exist on this host: .*releases/{rid(1)}"):
        core.mark(str(app), rid(1), "ready")
    with pytest.raises(core.ReleaseError, match="does not exist on this host"):
        core.switch(str(app), rid(1))


def test_a_custom_id_pattern_still_refuses_paths(app):
    add_release(app, "v2-3-1")
    assert core.mark(str(app), "v2-3-1", "ready", id_pattern=r"v[0-9-]+")["changed"] is True
    with pytest.raises(core.ReleaseError, match="not a plain directory name"):
        core.mark(str(app), "../v2", "ready", id_pattern=r".*")
    with pytest.raises(core.ReleaseError, match="is not a regular expression"):
        core.mark(str(app), "v2-3-1", "ready", id_pattern=r"(")


# switched


def test_switch_creates_current_as_a_relative_link_and_marks_it_live(app):
    add_release(app, rid(1), "ready")

    result = core.switch(str(app), rid(1))

    assert os.readlink(app / "current") == f"releases/{rid(1)}"
    assert (app / "current" / "public" / "index.php").exists()
    assert result["changed"] is True
    assert (result["previous_target"], result["target"]) == (None, rid(1))
    assert state_of(app, rid(1))["status"] == "live"
    assert sorted(p.name for p in app.iterdir()) == ["current", "release-state", "releases", "shared"]


def test_switch_replaces_the_link_with_one_rename_never_removing_it(app, monkeypatch):
    add_release(app, rid(1), "live")
    add_release(app, rid(2), "ready")
    point(app, "current", rid(1))
    seen = []
    real_replace, real_unlink = os.replace, os.unlink

    def replace(source, target):
        if Path(target) == app / "current":
            seen.append((os.readlink(target), os.readlink(source)))
        real_replace(source, target)

    def unlink(path, *args, **kwargs):
        assert Path(path) != app / "current", "current was unlinked"
        real_unlink(path, *args, **kwargs)

    monkeypatch.setattr(core.os, "replace", replace)
    monkeypatch.setattr(core.os, "unlink", unlink)
    core.switch(str(app), rid(2))

    assert seen == [(f"releases/{rid(1)}", f"releases/{rid(2)}")], "current was not replaced by one rename"
    assert os.readlink(app / "current") == f"releases/{rid(2)}"
    assert not [p.name for p in app.iterdir() if p.name.startswith(".")], "the temporary link is left"


def _watch_current(link: str, ready, stop, report) -> None:
    missing, targets = 0, set()
    ready.set()
    while not stop.is_set():
        try:
            targets.add(os.readlink(link))
        except FileNotFoundError:
            missing += 1
    report.put((missing, sorted(targets)))


def test_current_never_goes_missing_while_switching_back_and_forth(app):
    add_release(app, rid(1), "ready")
    add_release(app, rid(2), "ready")
    core.switch(str(app), rid(1))
    context = multiprocessing.get_context("fork")
    ready, stop, report = context.Event(), context.Event(), context.Queue()
    watcher = context.Process(target=_watch_current, args=(str(app / "current"), ready, stop, report))
    watcher.start()
    assert ready.wait(timeout=30)
    try:
        for turn in range(300):
            core.switch(str(app), rid(2 - turn % 2))
    finally:
        stop.set()
        missing, targets = report.get(timeout=30)
        watcher.join()
    assert targets == [f"releases/{rid(1)}", f"releases/{rid(2)}"], "the watcher did not see the switches"
    assert missing == 0, f"current was missing {missing} times"


def test_switch_marks_the_new_release_live_and_the_old_ones_retired(app):
    add_release(app, rid(1), "live")  # left over from a switch that stopped before its bookkeeping
    add_release(app, rid(2), "live")
    add_release(app, rid(3), "ready", sha="c0ffee1")
    point(app, "current", rid(2))

    result = core.switch(str(app), rid(3), data={"went_live": "2025-01-01T10:00:00Z"})

    assert (result["previous_target"], result["target"]) == (rid(2), rid(3))
    assert {m["id"]: m["status"] for m in result["marked"]} == {rid(3): "live", rid(1): "retired", rid(2): "retired"}
    assert state_of(app, rid(3)) == {
        "id": rid(3),
        "status": "live",
        "sha": "c0ffee1",
        "went_live": "2025-01-01T10:00:00Z",
        "replaced": rid(2),
    }
    assert [state_of(app, rid(h))["status"] for h in (1, 2)] == ["retired", "retired"]
    assert core.query(str(app))["previous"] == rid(2)


def test_previous_is_the_release_live_before_not_the_newest_older_one(app):
    """Deploy A over X, roll back to X, deploy B: a plain rollback returns to X, not to A."""
    x, a, b = rid(1), rid(2), rid(3)
    add_release(app, x, "live")
    point(app, "current", x)
    add_release(app, a, "ready")
    core.switch(str(app), a)
    assert state_of(app, a)["replaced"] == x
    assert core.query(str(app))["previous"] == x

    core.switch(str(app), x)  # the rollback
    assert "replaced" not in state_of(app, x), "a rollback rewrote its target's history"
    add_release(app, b, "ready")
    core.switch(str(app), b)

    found = core.query(str(app))
    assert state_of(app, b)["replaced"] == x
    assert found["previous"] == x, found
    assert found["rollback_targets"] == [x, a], "A may still be named, after the one that served before"


def test_two_rollbacks_walk_back_along_the_deploys(app):
    w, x, a = rid(1), rid(2), rid(3)
    add_release(app, w, "live")
    point(app, "current", w)
    for release in (x, a):
        add_release(app, release, "ready")
        core.switch(str(app), release)
    core.switch(str(app), core.query(str(app))["previous"])
    assert core.query(str(app))["current"] == x
    assert core.query(str(app))["previous"] == w, "the second rollback should go to what X replaced"


@pytest.mark.parametrize("status", ["failed", "building", None])
def test_a_replaced_release_that_cannot_serve_is_not_previous(app, status):
    add_release(app, rid(1), "retired")
    add_release(app, rid(2), status)
    add_release(app, rid(3), "live", replaced=rid(2))
    point(app, "current", rid(3))
    found = core.query(str(app))
    assert found["previous"] == rid(1), found
    assert rid(2) not in found["rollback_targets"]


def test_a_replaced_release_that_is_gone_falls_back_to_the_newest_older_one(app):
    add_release(app, rid(1), "retired")
    add_release(app, rid(2), "retired")
    add_release(app, rid(4), "live", replaced=rid(3))
    point(app, "current", rid(4))
    assert core.query(str(app))["previous"] == rid(2)


def test_switching_to_the_live_release_again_keeps_what_it_replaced(app):
    add_release(app, rid(1), "live")
    point(app, "current", rid(1))
    add_release(app, rid(2), "ready")
    core.switch(str(app), rid(2))
    again = core.switch(str(app), rid(2))
    assert again["changed"] is False, again
    assert state_of(app, rid(2))["replaced"] == rid(1)


def test_previous_as_the_release_switches_to_the_rollback_target_and_reports_the_releases(app):
    add_release(app, rid(1), "retired")
    add_release(app, rid(2), "failed")
    add_release(app, rid(3), "live", replaced=rid(1))
    point(app, "current", rid(3))
    point(app, "candidate", rid(3))

    result = core.switch(str(app), core.PREVIOUS, link="candidate")

    assert (result["target"], result["previous_target"]) == (rid(1), rid(3))
    assert os.readlink(app / "candidate") == f"releases/{rid(1)}"
    assert os.readlink(app / "current") == f"releases/{rid(3)}", "only the candidate link moved"
    assert (result["current"], result["previous"], result["rollback_targets"]) == (rid(3), rid(1), [rid(1)])
    assert [r["id"] for r in result["releases"]] == [rid(1), rid(2), rid(3)]
    assert state_of(app, rid(1))["status"] == "retired", "the preview changed no bookkeeping"


def test_previous_as_the_release_fails_naming_what_is_there_when_there_is_none(app):
    add_release(app, rid(1), "failed")
    add_release(app, rid(2), "live")
    point(app, "current", rid(2))
    before = snapshot(app)
    expected = rf"no earlier good release .* \(current: {rid(2)}; releases: {rid(1)} \(failed\), {rid(2)} \(live\)\)"
    with pytest.raises(core.ReleaseError, match=expected):
        core.switch(str(app), core.PREVIOUS, link="candidate")
    assert snapshot(app) == before


def test_previous_in_check_mode_names_the_target_and_moves_nothing(run_module, app):
    add_release(app, rid(1), "retired")
    add_release(app, rid(2), "live")
    point(app, "current", rid(2))
    result = run_module({"root": str(app), "state": "switched", "link": "candidate", "release": "previous"}, check=True)
    assert (result["changed"], result["target"]) == (True, rid(1)), result
    assert not (app / "candidate").exists()


def test_data_may_not_set_what_the_module_records_itself(app):
    add_release(app, rid(1), "ready")
    with pytest.raises(core.ReleaseError, match="carries replaced, which the module sets itself"):
        core.mark(str(app), rid(1), data={"replaced": rid(0)})


@pytest.mark.parametrize("status", ["failed", "building"])
def test_a_release_that_did_not_pass_is_not_made_live(app, status):
    add_release(app, rid(1), "live")
    add_release(app, rid(2), status)
    point(app, "current", rid(1))

    with pytest.raises(core.ReleaseError, match=rf"release {rid(2)} has status {status} .*force: true"):
        core.switch(str(app), rid(2))

    assert os.readlink(app / "current") == f"releases/{rid(1)}"
    assert state_of(app, rid(2))["status"] == status


def test_force_makes_a_failed_release_live(app):
    add_release(app, rid(1), "failed")
    assert core.switch(str(app), rid(1), force=True)["changed"] is True
    assert state_of(app, rid(1))["status"] == "live"


def test_the_candidate_link_takes_a_building_release_and_marks_nothing(app):
    add_release(app, rid(1), "building")
    result = core.switch(str(app), rid(1), link="candidate")
    assert os.readlink(app / "candidate") == f"releases/{rid(1)}"
    assert result["marked"] == []
    assert state_of(app, rid(1))["status"] == "building"


def test_switching_to_the_release_already_there_changes_nothing(app):
    add_release(app, rid(1), "retired")
    add_release(app, rid(2), "live")
    point(app, "current", rid(2))
    inode = os.lstat(app / "current").st_ino

    result = core.switch(str(app), rid(2))

    assert result["changed"] is False
    assert os.lstat(app / "current").st_ino == inode


def test_a_second_switch_finishes_bookkeeping_that_a_first_one_left(app):
    add_release(app, rid(1), "live")
    add_release(app, rid(2), "ready")
    point(app, "current", rid(2))
    result = core.switch(str(app), rid(2))
    assert result["changed"] is True
    assert [state_of(app, rid(h))["status"] for h in (1, 2)] == ["retired", "live"]


def test_switch_in_check_mode_touches_nothing_and_tells_the_truth(app):
    add_release(app, rid(1), "live")
    add_release(app, rid(2), "ready")
    point(app, "current", rid(1))
    before = snapshot(app)

    result = core.switch(str(app), rid(2), check_mode=True)

    assert snapshot(app) == before
    assert result["changed"] is True
    link_diff = result["diff"][0]
    assert (link_diff["before"], link_diff["after"]) == (f"releases/{rid(1)}\n", f"releases/{rid(2)}\n")
    assert {m["id"]: m["status"] for m in result["marked"]} == {rid(2): "live", rid(1): "retired"}


def test_a_real_directory_as_current_is_refused_not_replaced(app):
    add_release(app, rid(1), "ready")
    (app / "current").mkdir()
    with pytest.raises(core.ReleaseError, match=r"current is a real directory, not a symlink .*mv "):
        core.switch(str(app), rid(1))
    assert (app / "current").is_dir()
    assert not (app / "current").is_symlink()


# pruned


def releases_on_disk(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "releases").iterdir())


def test_prune_keeps_the_newest_servable_releases(app):
    for hour in range(1, 8):
        add_release(app, rid(hour), "retired")
    add_release(app, rid(8), "live")
    point(app, "current", rid(8))

    result = core.prune(str(app), keep=3)

    assert result["kept"] == [rid(6), rid(7), rid(8)]
    assert result["removed"] == [rid(h) for h in range(1, 6)]
    assert releases_on_disk(app) == result["kept"]
    assert sorted(p.name for p in (app / "release-state").iterdir()) == [f"{rid(h)}.json" for h in (6, 7, 8)]


def test_failed_releases_do_not_count_and_only_the_newest_stays(app):
    add_release(app, rid(1), "failed")
    add_release(app, rid(2), "retired")
    add_release(app, rid(3), "failed")
    add_release(app, rid(4), "retired")
    add_release(app, rid(5), "failed")
    add_release(app, rid(6), "live")
    point(app, "current", rid(6))

    result = core.prune(str(app), keep=3)

    assert result["kept"] == [rid(2), rid(4), rid(5), rid(6)]
    assert result["removed"] == [rid(1), rid(3)]


def test_prune_never_removes_current_candidate_previous_or_protected(app):
    add_release(app, rid(1), "retired")  # another web host still serves it
    add_release(app, rid(2), "retired")
    add_release(app, rid(3), "ready")  # previous: the newest older than current that can serve
    add_release(app, rid(4), "live")  # current, although not the newest
    add_release(app, rid(5), "failed")
    add_release(app, rid(6), "failed")  # on the preview vhost for a post-mortem
    add_release(app, rid(7), "retired")
    point(app, "current", rid(4))
    point(app, "candidate", rid(6))

    result = core.prune(str(app), keep=1, protect=[rid(1), "", None])

    assert result["kept"] == [rid(1), rid(3), rid(4), rid(6)]
    assert result["removed"] == [rid(2), rid(5), rid(7)]
    assert releases_on_disk(app) == result["kept"]


def test_builds_that_died_are_removed_but_the_newest_build_stays(app):
    add_release(app, rid(1), "building")
    add_release(app, rid(2), "live")
    add_release(app, rid(3), "building")
    point(app, "current", rid(2))

    result = core.prune(str(app), keep=5)

    assert result["removed"] == [rid(1)]
    assert result["kept"] == [rid(2), rid(3)]


def test_releases_without_bookkeeping_stay_with_a_warning(app):
    add_release(app, rid(1))
    add_release(app, rid(2), "live")
    point(app, "current", rid(2))
    result = core.prune(str(app), keep=1)
    assert result["kept"] == [rid(1), rid(2)]
    assert any(f"release {rid(1)} has status unknown" in w for w in result["warnings"])


def test_prune_finishes_leftovers_and_orphaned_states(app):
    add_release(app, rid(2), "live")
    point(app, "current", rid(2))
    leftover = app / "releases" / f".{rid(1)}.1a2b3c4d.removing"
    (leftover / "vendor").mkdir(parents=True)
    (app / "release-state" / f"{rid(0)}.json").write_text("{}")

    result = core.prune(str(app))

    assert result["changed"] is True
    assert result["removed_leftovers"] == [leftover.name]
    assert result["removed_states"] == [rid(0)]
    assert releases_on_disk(app) == [rid(2)]
    assert sorted(p.name for p in (app / "release-state").iterdir()) == [f"{rid(2)}.json"]


def test_prune_in_check_mode_removes_nothing_and_lists_what_would_go(app):
    for hour in range(1, 4):
        add_release(app, rid(hour), "retired")
    add_release(app, rid(4), "live")
    point(app, "current", rid(4))
    before = snapshot(app)

    result = core.prune(str(app), keep=2, check_mode=True)

    assert snapshot(app) == before
    assert result["changed"] is True
    assert result["removed"] == [rid(1), rid(2)]
    assert result["diff"]["before"].split() == [rid(h) for h in range(1, 5)]
    assert result["diff"]["after"].split() == [rid(3), rid(4)]


def test_prune_with_nothing_to_do_is_unchanged(app):
    add_release(app, rid(1), "live")
    point(app, "current", rid(1))
    assert core.prune(str(app))["changed"] is False


def test_prune_refuses_to_guess_when_current_is_not_a_release_link(app):
    add_release(app, rid(1), "retired")
    add_release(app, rid(2), "retired")
    os.symlink("/var/www/html", app / "current")
    with pytest.raises(core.ReleaseError, match=r"nothing was pruned: .*current points at /var/www/html"):
        core.prune(str(app), keep=1)
    assert releases_on_disk(app) == [rid(1), rid(2)]


@pytest.mark.parametrize("keep", [0, -1])
def test_prune_needs_a_keep_of_at_least_one(app, keep):
    with pytest.raises(core.ReleaseError, match=rf"keep {keep} must be a whole number of at least 1"):
        core.prune(str(app), keep=keep)


def _make_read_only(release: Path) -> None:
    modules = release / "node_modules" / "left-pad"
    modules.mkdir(parents=True)
    (modules / "index.js").write_text("module.exports = 1;\n")
    (modules / "index.js").chmod(0o444)
    (modules / "lib").mkdir()
    (modules / "lib" / "pad.js").write_text("")
    for directory in (modules / "lib", modules, modules.parent):
        directory.chmod(0o555)
    (release / "locked").mkdir()
    (release / "locked" / "secret").write_text("x")
    (release / "locked").chmod(0o000)


def _prune_as(uid: int, root: str, report) -> None:
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    try:
        report.put(core.prune(root, keep=1)["removed"])
    except core.ReleaseError as exc:
        report.put(str(exc))


def test_prune_removes_releases_with_read_only_files_and_directories():
    # Root may delete anything: the test runs the prune as an unprivileged owner when it can.
    base = Path(tempfile.mkdtemp(prefix="app-release-"))
    try:
        root = base / "deenify"
        for sub in ("releases", "release-state"):
            (root / sub).mkdir(parents=True)
        old = add_release(root, rid(1), "retired")
        add_release(root, rid(2), "retired")
        add_release(root, rid(3), "live")
        point(root, "current", rid(3))
        _make_read_only(old)
        if os.geteuid() == 0:
            # A dry run first loads every module the prune needs: nobody cannot read root's Python.
            assert core.prune(str(root), keep=1, check_mode=True)["removed"] == [rid(1)]
            uid = 65534
            for path in [base, *base.rglob("*")]:
                os.lchown(path, uid, uid)
            context = multiprocessing.get_context("fork")
            report = context.Queue()
            child = context.Process(target=_prune_as, args=(uid, str(root), report))
            child.start()
            removed = report.get(timeout=60)
            child.join()
        else:
            removed = core.prune(str(root), keep=1)["removed"]
        assert removed == [rid(1)], removed
        assert releases_on_disk(root) == [rid(2), rid(3)]
    finally:
        for path in [base, *base.rglob("*")]:
            if not path.is_symlink() and path.is_dir():
                path.chmod(stat.S_IRWXU)
        shutil.rmtree(base)


STATUS_CHOICES = st.sampled_from(["ready", "retired", "live", "failed", "building", None])


@settings(max_examples=60, deadline=None)
@given(
    statuses=st.lists(STATUS_CHOICES, min_size=1, max_size=10),
    current=st.integers(min_value=-1, max_value=9),
    candidate=st.integers(min_value=-1, max_value=9),
    protected=st.sets(st.integers(min_value=0, max_value=9), max_size=3),
    keep=st.integers(min_value=1, max_value=6),
)
def test_prune_rules_hold_for_any_set_of_releases(statuses, current, candidate, protected, keep):
    with tempfile.TemporaryDirectory() as base:
        root = Path(base)
        ids = [rid(hour) for hour in range(len(statuses))]
        for release, status in zip(ids, statuses, strict=True):
            add_release(root, release, status)
        for link, index in (("current", current), ("candidate", candidate)):
            if 0 <= index < len(ids):
                point(root, link, ids[index])
        found = core.query(str(root))
        protect = [ids[i] for i in protected if i < len(ids)]
        guarded = {found["current"], found["candidate"], found["previous"], *protect} - {None}
        status_of = {r["id"]: r["status"] for r in found["releases"]}

        result = core.prune(str(root), keep=keep, protect=protect)

        kept, removed = set(result["kept"]), set(result["removed"])
        assert kept | removed == set(ids)
        assert not kept & removed
        assert set(releases_on_disk(root)) == kept
        assert guarded <= kept
        servable = [i for i in reversed(ids) if status_of[i] in core.SERVABLE and i not in guarded]
        allowance = max(0, keep - sum(1 for i in guarded if status_of[i] in core.SERVABLE))
        assert [i for i in servable if i in kept] == servable[:allowance], "not the newest servable ones were kept"
        failed = [i for i in reversed(ids) if status_of[i] == "failed"]
        assert {i for i in failed if i in kept} - guarded <= set(failed[:1])
        assert all(i == ids[-1] or i in guarded for i in kept if status_of[i] == "building")
        assert {i for i in ids if status_of[i] == "unknown"} <= kept


# the module


def test_the_module_refuses_missing_options_for_its_state(run_module, app):
    result = run_module({"root": str(app), "state": "marked", "status": "ready"})
    assert result["failed"] is True
    assert "state is marked but all of the following are missing: release" in result["msg"]
    result = run_module({"root": str(app), "state": "switched"})
    assert "missing: release" in result["msg"]
    result = run_module({"root": str(app), "state": "marked", "release": rid(1), "status": "done"})
    assert "value of status must be one of" in result["msg"]


def test_the_module_fails_with_the_operator_message(run_module, app):
    result = run_module({"root": str(app), "state": "switched", "release": "../../etc"})
    assert result["failed"] is True
    assert result["msg"].startswith("release id '../../etc' is not a plain directory name")


def test_the_module_query_runs_in_check_mode_and_returns_diff_only_when_asked(run_module, app):
    add_release(app, rid(1), "ready")
    result = run_module({"root": str(app)}, check=True)
    assert result["changed"] is False
    assert [r["id"] for r in result["releases"]] == [rid(1)]
    marked = run_module({"root": str(app), "state": "marked", "release": rid(1), "data": {"ref": "v1"}}, check=True)
    assert marked["changed"] is True
    assert "diff" not in marked
    assert "ref" not in state_of(app, rid(1))
    marked = run_module({"root": str(app), "state": "marked", "release": rid(1), "data": {"ref": "v1"}}, diff=True)
    assert '"ref": "v1"' in marked["diff"]["after"]


def test_the_module_through_ansible_switches_for_real_and_not_in_check_mode(app):
    add_release(app, rid(1), "live")
    add_release(app, rid(2), "building")
    point(app, "current", rid(1))

    marked = run_module_adhoc(
        "app_release", {"root": str(app), "state": "marked", "release": rid(2), "status": "ready"}
    )
    assert marked["changed"] is True, marked
    before = snapshot(app)
    checked = run_module_adhoc(
        "app_release", {"root": str(app), "state": "switched", "release": rid(2)}, "--check", "--diff"
    )
    assert checked["changed"] is True, checked
    assert checked["diff"][0]["after"] == f"releases/{rid(2)}\n"
    assert snapshot(app) == before, "a --check run changed the host"
    switched = run_module_adhoc("app_release", {"root": str(app), "state": "switched", "release": rid(2)})
    assert (switched["previous_target"], switched["target"]) == (rid(1), rid(2)), switched
    assert os.readlink(app / "current") == f"releases/{rid(2)}"
