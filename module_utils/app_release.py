"""Releases of one application on one host: what is there, what is live, what may go.

The app role lays an application out as ``<root>/releases/<id>/`` (one directory per
release), ``<root>/release-state/<id>.json`` (its bookkeeping, outside the release tree),
and the symlinks ``<root>/current`` (what nginx serves) and ``<root>/candidate`` (what the
preview vhost serves during a deploy). The functions here read and change that layout;
they raise ReleaseError with a message meant for the operator who has to act on it.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import shutil
import stat
import tempfile
import uuid

DEFAULT_ID_PATTERN = r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{7,40}$"
STATUSES = ("building", "ready", "failed", "live", "retired")
LINKS = ("current", "candidate")
# The release option's name for the rollback target of the host (query's previous).
PREVIOUS = "previous"
# Releases that served or could serve traffic; `keep` counts these.
SERVABLE = frozenset({"ready", "retired", "live"})
# A release marked live that current no longer points at is one whose switch stopped
# before its bookkeeping was done: it served traffic, so it is as good as retired.
ROLLBACK_STATUSES = frozenset({"ready", "retired", "live"})
UNSAFE_FOR_CURRENT = frozenset({"failed", "building"})
# `replaced` is the release current pointed at when this one went live by a forward switch.
RESERVED_KEYS = frozenset({"id", "path", "status", "replaced"})
_TRASH_SUFFIX = ".removing"
_EXAMPLE_ID = "20250101T120000Z-0123abc"


class ReleaseError(Exception):
    """A refusal or failure, worded for the operator who has to act on it."""


class Layout:
    """Paths of one application root, and the release id rule that guards them."""

    def __init__(self, root: str, id_pattern: str = DEFAULT_ID_PATTERN) -> None:
        if not root or not os.path.isabs(root):
            raise ReleaseError(f"root {root!r} is not an absolute path; pass the application root such as /srv/deenify")
        self.root = os.path.normpath(root)
        self.releases = os.path.join(self.root, "releases")
        self.states = os.path.join(self.root, "release-state")
        try:
            self.pattern = re.compile(id_pattern)
        except re.error as exc:
            raise ReleaseError(f"id_pattern {id_pattern!r} is not a regular expression ({exc})") from exc

    def release_dir(self, release: str) -> str:
        return os.path.join(self.releases, release)

    def state_file(self, release: str) -> str:
        return os.path.join(self.states, release + ".json")

    def link(self, name: str) -> str:
        return os.path.join(self.root, name)

    def check_id(self, release: object) -> str:
        """``release`` when it is a safe release directory name; ReleaseError naming it otherwise."""
        if not isinstance(release, str) or not release:
            raise ReleaseError(
                f"release id {release!r} is empty; pass the id of a directory under {self.releases}, "
                f"such as {_EXAMPLE_ID}"
            )
        if "/" in release or "\0" in release or ".." in release or release.startswith("."):
            raise ReleaseError(
                f"release id {release!r} is not a plain directory name (no '/', no '..', no leading '.'): "
                f"pass the bare id of a directory under {self.releases}, such as {_EXAMPLE_ID}"
            )
        if not self.pattern.fullmatch(release):
            raise ReleaseError(
                f"release id {release!r} does not match the id pattern {self.pattern.pattern!r} "
                f"(<UTC time %Y%m%dT%H%M%SZ>-<git sha>, such as {_EXAMPLE_ID})"
            )
        return release

    def require_release(self, release: object) -> str:
        release = self.check_id(release)
        path = self.release_dir(release)
        try:
            is_dir = stat.S_ISDIR(os.lstat(path).st_mode)
        except FileNotFoundError:
            is_dir = False
        if not is_dir:
            raise ReleaseError(
                f"release {release} does not exist on this host: {path} is not a directory. "
                "Check the id (state=query lists the releases here) or build the release first"
            )
        return release


def _created_from_id(release: str) -> str | None:
    try:
        moment = datetime.datetime.strptime(release[:16], "%Y%m%dT%H%M%SZ")
    except ValueError:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha_from_id(release: str) -> str | None:
    _, dash, sha = release.rpartition("-")
    return sha if dash and re.fullmatch(r"[0-9a-f]{7,40}", sha) else None


def _read_state(path: str) -> tuple[dict | None, str | None]:
    """The content of a state file (None when absent) and why it could not be used (None when fine)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"{path} cannot be read ({exc.strerror})"
    try:
        content = json.loads(text)
    except ValueError as exc:
        return None, f"{path} is not valid JSON ({exc})"
    if not isinstance(content, dict):
        return None, f"{path} holds a JSON {type(content).__name__}, not an object"
    return content, None


def _read_link(layout: Layout, name: str) -> dict:
    """What the link ``name`` points at: its raw target, the release id, or the problem with it."""
    path = layout.link(name)
    info = {"name": name, "path": path, "exists": False, "target": None, "id": None, "problem": None}
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return info
    info["exists"] = True
    if not stat.S_ISLNK(mode):
        info["problem"] = (
            f"{path} is a real {'directory' if stat.S_ISDIR(mode) else 'file'}, not a symlink to a release; "
            f"move it aside by hand (mv {path} {path}.old) so it can become a link"
        )
        return info
    target = os.readlink(path)
    info["target"] = target
    full = os.path.normpath(target if os.path.isabs(target) else os.path.join(layout.root, target))
    parent, base = os.path.split(full)
    if os.path.realpath(parent) != os.path.realpath(layout.releases) or not base or base.startswith("."):
        info["problem"] = f"{path} points at {target}, which is not a release under {layout.releases}"
        return info
    info["id"] = base
    return info


def scan(layout: Layout) -> dict:
    """Everything ``query`` reports, plus the links' details for the functions that change things."""
    if not os.path.isdir(layout.root):
        raise ReleaseError(
            f"application root {layout.root} does not exist on this host (or is not a directory); "
            "check the root option, or provision the application first"
        )
    releases, unrecognized, leftovers = [], [], []
    names = sorted(os.listdir(layout.releases)) if os.path.isdir(layout.releases) else []
    for name in names:
        path = layout.release_dir(name)
        if name.startswith("."):
            if name.endswith(_TRASH_SUFFIX):
                leftovers.append(name)
            continue
        if not stat.S_ISDIR(os.lstat(path).st_mode) or not layout.pattern.fullmatch(name) or ".." in name:
            unrecognized.append(name)
            continue
        content, error = _read_state(layout.state_file(name))
        release = {"sha": _sha_from_id(name), "ref": None, "created": _created_from_id(name)}
        release.update(content or {})
        release.update(id=name, path=path, status=str((content or {}).get("status") or "unknown"))
        if error:
            release["status"] = "unknown"
            release["state_error"] = error
        releases.append(release)

    known = {release["id"] for release in releases}
    state_names = sorted(os.listdir(layout.states)) if os.path.isdir(layout.states) else []
    orphaned = [
        name[: -len(".json")]
        for name in state_names
        if name.endswith(".json") and not name.startswith(".") and name[: -len(".json")] not in known
    ]

    links = {name: _read_link(layout, name) for name in LINKS}
    warnings = [info["problem"] for info in links.values() if info["problem"]]
    for info in links.values():
        if info["id"] and info["id"] not in known:
            warnings.append(f"{info['path']} points at {info['target']}, a release that is not on this host")
    for release in releases:
        if "state_error" in release:
            warnings.append(f"release {release['id']}: {release['state_error']}; it counts as unknown")

    current = links["current"]["id"]
    targets = []
    if current is not None:
        targets = [
            release["id"]
            for release in reversed(releases)
            if release["id"] < current and release["status"] in ROLLBACK_STATUSES
        ]
        # The release that served before current went live comes first: after deploy A,
        # a rollback to X and deploy B, B replaced X, and A was the one rolled back from.
        replaced = next((r.get("replaced") for r in releases if r["id"] == current), None)
        if replaced in targets:
            targets.remove(replaced)
            targets.insert(0, replaced)
    return {
        "releases": releases,
        "current": current,
        "candidate": links["candidate"]["id"],
        "previous": targets[0] if targets else None,
        "rollback_targets": targets,
        "orphaned_states": orphaned,
        "unrecognized": unrecognized,
        "leftovers": leftovers,
        "links": links,
        "warnings": warnings,
    }


def query(root: str, id_pattern: str = DEFAULT_ID_PATTERN) -> dict:
    """The releases of ``root``, oldest first, with what current, candidate and previous are."""
    found = scan(Layout(root, id_pattern))
    del found["links"], found["leftovers"]
    found["changed"] = False
    return found


def _json_text(content: dict | None) -> str:
    return "" if content is None else json.dumps(content, indent=2, sort_keys=True) + "\n"


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomically(path: str, content: dict, mode: int = 0o640) -> None:
    """Write ``content`` to ``path`` through a temporary file in the same directory and one rename.

    A new file gets ``mode``; a file replaced keeps its mode (and, when run as root, its owner).
    """
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o755, exist_ok=True)
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(_json_text(content))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(existing.st_mode) if existing else mode)
        if existing and (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
            # Keep the owner a run as another user gave the file; only root may, so others keep theirs.
            with contextlib.suppress(PermissionError):
                os.chown(temporary, existing.st_uid, existing.st_gid)
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    _fsync_dir(directory)


def _plan_state(layout: Layout, release: str, status: str | None, data: dict | None, own: dict | None = None) -> dict:
    """Before and after content of ``release``'s state file once ``status``, ``data`` and ``own`` are merged.

    ``own`` carries keys the module itself keeps (RESERVED_KEYS), which ``data`` may not.
    """
    path = layout.state_file(release)
    before, error = _read_state(path)
    if error:
        raise ReleaseError(
            f"{error}. Move it aside (mv {path} {path}.bad; the release itself keeps working) and run again"
        )
    if status is not None and status not in STATUSES:
        raise ReleaseError(f"status {status!r} of release {release} is not one of {', '.join(STATUSES)}")
    clashes = sorted(RESERVED_KEYS & set(data or {}))
    if clashes:
        raise ReleaseError(
            f"data for release {release} carries {', '.join(clashes)}, which the module sets itself; "
            "pass the status as the status option and leave id, path and replaced out"
        )
    after = dict(before or {})
    after.update(data or {})
    after.update(own or {})
    after["id"] = release
    if status is not None:
        after["status"] = status
    if "status" not in after:
        raise ReleaseError(f"release {release} has no status yet ({path} does not exist): pass status as well")
    return {"id": release, "path": path, "before": before, "after": after, "changed": after != before}


def _state_diff(plan: dict) -> dict:
    return {
        "before_header": plan["path"],
        "after_header": plan["path"],
        "before": _json_text(plan["before"]),
        "after": _json_text(plan["after"]),
    }


def _write_plan(plan: dict) -> None:
    try:
        write_json_atomically(plan["path"], plan["after"])
    except OSError as exc:
        raise ReleaseError(
            f"could not write {plan['path']} ({exc.strerror}); check that the deploy user owns "
            f"{os.path.dirname(plan['path'])} and that the disk is not full"
        ) from exc


def mark(
    root: str,
    release: str,
    status: str | None = None,
    data: dict | None = None,
    check_mode: bool = False,
    id_pattern: str = DEFAULT_ID_PATTERN,
) -> dict:
    """Record ``status`` and ``data`` in the state file of ``release``."""
    layout = Layout(root, id_pattern)
    release = layout.require_release(release)
    plan = _plan_state(layout, release, status, data)
    if plan["changed"] and not check_mode:
        _write_plan(plan)
    return {
        "changed": plan["changed"],
        "release": release,
        "status": plan["after"]["status"],
        "state": plan["after"],
        "diff": _state_diff(plan),
    }


def _replace_link(layout: Layout, name: str, release: str) -> None:
    """Point the link ``name`` at ``release`` by renaming a new symlink over it: the link never goes missing."""
    path = layout.link(name)
    temporary = layout.link(f".{name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        os.symlink(os.path.join("releases", release), temporary)
        os.replace(temporary, path)
    except OSError as exc:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise ReleaseError(
            f"could not point {path} at releases/{release} ({exc.strerror}); nothing was switched. "
            f"Check that the deploy user may write to {layout.root}"
        ) from exc
    _fsync_dir(layout.root)


def switch(
    root: str,
    release: str,
    link: str = "current",
    force: bool = False,
    data: dict | None = None,
    check_mode: bool = False,
    id_pattern: str = DEFAULT_ID_PATTERN,
) -> dict:
    """Point ``link`` at ``release``; for current, also mark it live and the release it replaces retired.

    ``release`` may be PREVIOUS: the rollback target ``query`` calls previous, found in the
    same scan, so that a rollback puts it behind the preview port in one step.
    """
    if link not in LINKS:
        raise ReleaseError(f"link {link!r} is not one of {', '.join(LINKS)}")
    layout = Layout(root, id_pattern)
    if release == PREVIOUS:
        found = scan(layout)
        if found["previous"] is None:
            seen = ", ".join(f"{entry['id']} ({entry['status']})" for entry in found["releases"]) or "none"
            raise ReleaseError(
                f"there is no earlier good release on this host to switch {link} to "
                f"(current: {found['current'] or 'none'}; releases: {seen})"
            )
        release = found["previous"]
    release = layout.require_release(release)
    found = scan(layout)
    info = found["links"][link]
    if info["exists"] and info["target"] is None:
        raise ReleaseError(f"cannot switch: {info['problem']}, then switch again")
    by_id = {entry["id"]: entry for entry in found["releases"]}
    entry = by_id[release]
    if link == "current" and entry["status"] in UNSAFE_FOR_CURRENT and not force:
        raise ReleaseError(
            f"release {release} has status {entry['status']} (see {layout.state_file(release)}), so it is not "
            f"made live at {info['path']}; deploy a release that passed its checks, or pass force: true "
            "if you have checked this one by hand"
        )
    previous_target = info["id"] if info["id"] is not None else info["target"]
    relink = info["id"] != release

    plans, warnings = [], []
    if link == "current":
        if "state_error" in entry:
            raise ReleaseError(f"cannot record release {release} as live: {entry['state_error']}; move it aside first")
        own = {}
        # Only a forward switch says what it replaced: a rollback leaves the target's own
        # history, so a second rollback goes on back along the deploys.
        if relink and info["id"] is not None and info["id"] < release:
            own["replaced"] = info["id"]
        plans.append(_plan_state(layout, release, "live", data, own))
        for other in found["releases"]:
            if other["id"] == release:
                continue
            was_current = other["id"] == info["id"]
            if not (other["status"] == "live" or (was_current and other["status"] not in ("retired", "failed"))):
                continue
            if "state_error" in other:
                warnings.append(f"release {other['id']} was not marked retired: {other['state_error']}")
                continue
            plans.append(_plan_state(layout, other["id"], "retired", None))
    plans = [plan for plan in plans if plan["changed"]]

    if not check_mode:
        if relink:
            _replace_link(layout, link, release)
        for plan in plans:
            _write_plan(plan)

    diff = [
        {
            "before_header": info["path"],
            "after_header": info["path"],
            "before": f"{info['target']}\n" if info["target"] else "",
            "after": f"releases/{release}\n" if relink else f"{info['target']}\n",
        }
    ]
    diff.extend(_state_diff(plan) for plan in plans)
    return {
        "changed": relink or bool(plans),
        "link": link,
        "target": release,
        "previous_target": previous_target,
        # The releases as the switch found them, as query reports them.
        "releases": found["releases"],
        "current": found["current"],
        "candidate": found["candidate"],
        "previous": found["previous"],
        "rollback_targets": found["rollback_targets"],
        "marked": [{"id": plan["id"], "status": plan["after"]["status"]} for plan in plans],
        "diff": diff,
        "warnings": warnings + found["warnings"],
    }


def _allow_owner_everything(path: str) -> None:
    mode = os.lstat(path).st_mode
    if stat.S_ISDIR(mode) and stat.S_IMODE(mode) & 0o700 != 0o700:
        os.chmod(path, stat.S_IMODE(mode) | 0o700)


def remove_tree(path: str) -> None:
    """Remove ``path`` and everything in it, read-only directories (as in node_modules) included."""
    # Unlinking needs write permission on the directory that holds an entry, and listing
    # needs read and search permission; read-only files themselves are no obstacle.
    _allow_owner_everything(path)
    for directory, subdirectories, _files in os.walk(path):
        for name in subdirectories:
            _allow_owner_everything(os.path.join(directory, name))
    shutil.rmtree(path)


def _remove_release(layout: Layout, name: str, trash: bool = False) -> None:
    path = layout.release_dir(name)
    where = path
    try:
        if not trash:
            # Out of the way in one rename first: a removal that stops halfway leaves a
            # hidden leftover that the next prune finishes, never a half-deleted release.
            where = layout.release_dir(f".{name}.{uuid.uuid4().hex[:8]}{_TRASH_SUFFIX}")
            os.rename(path, where)
            state = layout.state_file(name)
            if os.path.lexists(state):
                os.unlink(state)
        remove_tree(where)
    except OSError as exc:
        inside = f" ({exc.filename})" if exc.filename and exc.filename != where else ""
        raise ReleaseError(
            f"could not remove release {name}: {exc.strerror} in {where}{inside}. A file there may belong to "
            f"another user: remove it as root (sudo rm -rf {where}) and prune again"
        ) from exc


def prune(
    root: str,
    keep: int = 5,
    protect: list | tuple = (),
    check_mode: bool = False,
    id_pattern: str = DEFAULT_ID_PATTERN,
) -> dict:
    """Remove old releases: keep ``keep`` servable ones, the newest failed one, and every guarded one."""
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 1:
        raise ReleaseError(f"keep {keep!r} must be a whole number of at least 1 (the live release always stays)")
    layout = Layout(root, id_pattern)
    found = scan(layout)
    for info in found["links"].values():
        if info["problem"]:
            raise ReleaseError(
                f"nothing was pruned: {info['problem']}. Prune does not guess which release is in use; "
                "fix the link (state=switched) and prune again"
            )
    releases = found["releases"]
    guarded = {found["current"], found["candidate"], found["previous"], *(str(p) for p in protect if p)} - {None}
    newest = releases[-1]["id"] if releases else None
    # Guarded releases stay whatever their number, and they use up the allowance first.
    allowance = keep - sum(1 for r in releases if r["id"] in guarded and r["status"] in SERVABLE)
    seen_failed = False
    kept, removed, untracked = [], [], []
    for release in reversed(releases):
        name, status = release["id"], release["status"]
        if status == "failed":
            goes = seen_failed and name not in guarded
            seen_failed = True
        elif name in guarded:
            goes = False
        elif status in SERVABLE:
            goes = allowance <= 0
            allowance -= 1
        elif status == "building":
            goes = name != newest
        else:
            goes = False
            untracked.append(name)
        (removed if goes else kept).append(name)
    kept.reverse()
    removed.reverse()

    if not check_mode:
        for name in found["leftovers"]:
            _remove_release(layout, name, trash=True)
        for name in removed:
            _remove_release(layout, name)
        for name in found["orphaned_states"]:
            os.unlink(layout.state_file(name))

    header = f"releases of {layout.root}"
    before = [r["id"] for r in releases]
    status_of = {r["id"]: r["status"] for r in releases}
    warnings = [
        f"release {name} has status {status_of[name]} (no usable state file, or a status prune does not know), "
        f"so prune leaves it; remove {layout.release_dir(name)} by hand if it is not needed"
        for name in untracked
    ]
    return {
        "changed": bool(removed or found["leftovers"] or found["orphaned_states"]),
        "removed": removed,
        "kept": kept,
        "removed_states": found["orphaned_states"],
        "removed_leftovers": found["leftovers"],
        "diff": {
            "before_header": header,
            "after_header": header,
            "before": "".join(f"{name}\n" for name in before),
            "after": "".join(f"{name}\n" for name in before if name not in removed),
        },
        "warnings": warnings + found["warnings"],
    }
