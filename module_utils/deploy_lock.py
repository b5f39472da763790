"""One deploy at a time per environment: a lock file on one designated host.

The lock file holds JSON ``{token, holder, acquired, acquired_iso, ttl}``. Every
read-modify-write happens under an exclusive flock on the sibling ``<path>.guard``, so
two deploys racing on the same host cannot both win, and the lock file itself is
replaced in one rename, so a reader never sees half of it.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator

GUARD_TIMEOUT = 30.0
_UNLOCK = "ansible-playbook -i {inventory} playbooks/unlock.yml"


class LockError(Exception):
    """A refusal or failure, worded for the operator; ``lock`` is the lock found, if any."""

    def __init__(self, message: str, lock: dict | None = None) -> None:
        super().__init__(message)
        self.lock = lock


def _field(holder: object, key: str) -> str:
    value = holder.get(key) if isinstance(holder, dict) else None
    return "unknown" if value is None or value == "" else str(value)


def describe(holder: object) -> str:
    """``holder`` as an operator reads it: who, from where, which process."""
    return f"{_field(holder, 'user')} from {_field(holder, 'controller')} (pid {_field(holder, 'pid')})"


def unlock_command(inventory: str | None) -> str:
    return _UNLOCK.format(inventory=inventory or "<inventory>")


def held_message(path: str, lock: dict, inventory: str | None = None, note: str = "") -> str:
    """The refusal a second deploy gets: who holds the lock and what to do about it."""
    holder = lock.get("holder")
    return (
        f"Deploy lock {path} on this host is held by {describe(holder)} since {lock.get('acquired_iso', 'unknown')} "
        f"for release {_field(holder, 'release')} (playbook {_field(holder, 'playbook')}){note}; "
        f"wait for that deploy to finish, or if it is gone run: {unlock_command(inventory)}"
    )


def read_lock(path: str) -> tuple[dict | None, str | None]:
    """The lock at ``path`` (None when there is none) and why it cannot be used (None when it can)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        return None, f"{path} cannot be read ({exc.strerror})"
    try:
        lock = json.loads(text)
    except ValueError as exc:
        return None, f"{path} is not valid JSON ({exc})"
    if not isinstance(lock, dict):
        return None, f"{path} holds a JSON {type(lock).__name__}, not a lock"
    if not isinstance(lock.get("token"), str) or not lock["token"]:
        return None, f"{path} has no token"
    for key in ("acquired", "ttl"):
        if isinstance(lock.get(key), bool) or not isinstance(lock.get(key), int | float):
            return None, f"{path} has no number as {key}"
    return lock, None


def is_expired(lock: dict, now: float) -> bool:
    return lock["acquired"] + lock["ttl"] < now


def _age(lock: dict, now: float) -> int:
    return int(now - lock["acquired"])


@contextlib.contextmanager
def guarded(path: str, timeout: float = GUARD_TIMEOUT) -> Iterator[None]:
    """Hold the exclusive flock on ``<path>.guard`` for the read-modify-write of ``path``."""
    guard = path + ".guard"
    try:
        fd = os.open(guard, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise LockError(
            f"cannot open {guard}, which serialises deploy lock changes on this host ({exc.strerror}); "
            f"check that {os.path.dirname(path)} exists and that the deploy user may write to it"
        ) from exc
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() >= deadline:
                    raise LockError(
                        f"another process on this host has held {guard} for over {int(timeout)} s while changing "
                        f"the deploy lock; see which one with: fuser -v {guard}"
                    ) from exc
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def _write_lock(path: str, lock: dict) -> None:
    directory = os.path.dirname(path)
    fd, temporary = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(lock, handle, indent=2, sort_keys=True)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise


def _new_lock(holder: dict, ttl: int, now: float) -> dict:
    acquired = int(now)
    moment = datetime.datetime.fromtimestamp(acquired, tz=datetime.UTC)
    return {
        "token": uuid.uuid4().hex,
        "holder": holder,
        "acquired": acquired,
        "acquired_iso": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ttl": ttl,
    }


def _same_run(existing: object, holder: dict) -> bool:
    """True when ``existing`` was written by the very run (controller, pid, start time) that asks again."""
    if not isinstance(existing, dict):
        return False
    keys = ("controller", "pid", "started")
    if any(holder.get(key) in (None, "") for key in keys):
        return False
    return all(str(existing.get(key)) == str(holder.get(key)) for key in keys)


def _ensure_directory(path: str, check_mode: bool) -> None:
    """Create the lock's directory when only it is missing: on a new host the lock comes before the layout."""
    directory = os.path.dirname(path) or "."
    if os.path.isdir(directory):
        return
    if not os.path.isdir(os.path.dirname(directory) or "."):
        raise LockError(
            f"cannot take the deploy lock {path}: neither {directory} nor its parent exists on this host; "
            "check the lock path (it belongs in the application root, such as /srv/deenify/deploy.lock)"
        )
    if check_mode:
        return
    try:
        os.mkdir(directory, 0o755)
    except FileExistsError:
        pass
    except OSError as exc:
        raise LockError(f"cannot create {directory} for the deploy lock {path} ({exc.strerror})") from exc


def query(path: str, clock: Callable[[], float] = time.time) -> dict:
    """The lock at ``path``, whether it has expired, and how old it is; changes nothing."""
    lock, error = read_lock(path)
    now = clock()
    result = {"changed": False, "lock": lock, "expired": False, "age": None, "warnings": []}
    if error:
        result["error"] = error
        result["warnings"].append(f"the deploy lock cannot be used: {error}")
    if lock is not None:
        result["expired"] = is_expired(lock, now)
        result["age"] = _age(lock, now)
    return result


def acquire(
    path: str,
    holder: dict,
    ttl: int = 3600,
    take_over: str | None = None,
    inventory: str | None = None,
    check_mode: bool = False,
    clock: Callable[[], float] = time.time,
    guard_timeout: float = GUARD_TIMEOUT,
) -> dict:
    """Take the lock at ``path`` for ``holder``; LockError naming the holder when someone else has it."""
    if not isinstance(holder, dict) or not holder:
        raise LockError(
            f"holder must describe this run (user, controller, pid, started, release, playbook), got {holder!r}"
        )
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1:
        raise LockError(f"ttl {ttl!r} must be a whole number of seconds, at least 1")
    _ensure_directory(path, check_mode)
    context = contextlib.nullcontext() if check_mode else guarded(path, guard_timeout)
    with context:
        existing, error = read_lock(path)
        now = clock()
        result = {"changed": True, "acquired": True, "expired": False, "warnings": []}
        if error:
            raise LockError(
                f"Deploy lock {path} on this host cannot be read ({error}), so it is unclear who deploys; "
                f"if no deploy is running, run: {unlock_command(inventory)}"
            )
        if existing is not None:
            old = existing.get("holder")
            if _same_run(old, holder):
                result.update(changed=False, acquired=False, lock=existing, expired=is_expired(existing, now))
                return result
            if is_expired(existing, now):
                result["taken_over_from"] = old
                result["warnings"].append(
                    f"Took over the deploy lock {path}: it expired {_age(existing, now) - existing['ttl']} s ago "
                    f"(acquired {existing.get('acquired_iso')}, ttl {existing['ttl']} s). It was held by "
                    f"{describe(old)} for release {_field(old, 'release')}; if that deploy still runs, stop it"
                )
            elif take_over is not None and take_over == existing["token"]:
                result["taken_over_from"] = old
                result["warnings"].append(
                    f"Took over the deploy lock {path} from {describe(old)} (release {_field(old, 'release')}, "
                    f"since {existing.get('acquired_iso')}), which this run judged abandoned"
                )
            else:
                note = ""
                if take_over is not None:
                    note = "; the take_over token does not match it (the lock changed hands since it was seen)"
                raise LockError(held_message(path, existing, inventory, note), existing)
        lock = _new_lock(holder, ttl, now)
        if not check_mode:
            try:
                _write_lock(path, lock)
            except OSError as exc:
                raise LockError(
                    f"could not write the deploy lock {path} ({exc.strerror}); check that the deploy user may "
                    f"write to {os.path.dirname(path)} and that the disk is not full"
                ) from exc
        result["lock"] = lock
        return result


def release(
    path: str,
    token: str | None = None,
    force: bool = False,
    check_mode: bool = False,
    guard_timeout: float = GUARD_TIMEOUT,
) -> dict:
    """Remove the lock at ``path`` when it carries ``token``, or whatever lock is there with ``force``."""
    if not token and not force:
        raise LockError(
            f"releasing the deploy lock {path} needs the token the deploy got when it took the lock, "
            "or force: true (the unlock playbook) to remove whatever lock is there"
        )
    if not os.path.isdir(os.path.dirname(path) or "."):
        return {"changed": False, "removed": False, "lock": None, "warnings": []}
    context = contextlib.nullcontext() if check_mode else guarded(path, guard_timeout)
    with context:
        existing, error = read_lock(path)
        result = {"changed": False, "removed": False, "lock": existing, "warnings": []}
        if existing is None and error is None:
            return result
        if existing is not None and token and existing["token"] == token:
            pass
        elif force:
            if existing is None:
                what = f"that could not be read ({error})"
            else:
                old = existing.get("holder")
                since = existing.get("acquired_iso")
                what = f"held by {describe(old)} since {since} (release {_field(old, 'release')})"
            result["warnings"].append(f"Removed the deploy lock {path} {what}")
        else:
            who = describe(existing.get("holder")) if existing else f"an unreadable lock ({error})"
            result["warnings"].append(
                f"Left the deploy lock {path} in place: it now belongs to {who}, not to this run "
                "(it was taken over after this run's lock expired or was judged abandoned)"
            )
            return result
        if not check_mode:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise LockError(
                    f"could not remove the deploy lock {path} ({exc.strerror}); remove it by hand as its owner"
                ) from exc
        result.update(changed=True, removed=True)
        return result
