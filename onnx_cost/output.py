"""Write report files whole or not at all.

``-o FILE`` writes a temporary file in FILE's folder and renames it over FILE,
so an interrupted or failed run never leaves a half-written report over a good
one. A FILE that exists and is not a regular file (``/dev/stdout``, a FIFO) is
written in place: renaming over it would replace the device. A symlinked FILE
is replaced at its target, the link kept.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from onnx_cost.errors import OutputError


def _target(path: str | os.PathLike[str]) -> Path:
    """Where the bytes go: a symlink's final target, else the path itself."""
    p = Path(path)
    if p.is_symlink():
        return Path(os.path.realpath(p))
    return p


NAME_MAX, PATH_MAX = 255, 4096  # bytes of one name and of a whole path (Linux, macOS: 1024 of a path)


def _check_name(path: str | os.PathLike[str]) -> None:
    """OutputError when a name in ``path`` is longer than file systems allow: said before
    anything touches the disk (``stat`` would raise ENAMETOOLONG)."""
    from onnx_cost._numbers import shown

    raw = os.fsencode(path)
    if len(raw) >= PATH_MAX:
        raise OutputError(f"{shown(os.fsdecode(raw), 80)}: the path is {len(raw)} bytes long, "
                          f"past the {PATH_MAX - 1} a path may have")
    for part in raw.split(b"/"):
        if len(part) > NAME_MAX:
            raise OutputError(f"{shown(os.fsdecode(raw), 80)}: a file name of {len(part)} bytes, "
                              f"past the {NAME_MAX} a file system allows")


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any analysis, when ``path`` cannot be written. Returns the
    real target (a symlink followed)."""
    if not str(path):
        raise OutputError("-o: empty file name")
    _check_name(path)
    p = _target(path)
    try:
        st = p.stat() if p.exists() else None
    except (OSError, ValueError) as e:
        raise OutputError(f"{path}: cannot write: {getattr(e, 'strerror', None) or e}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path}: is a directory, cannot write the report there")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"{path}: folder {parent} does not exist")
    if st is not None and not stat.S_ISREG(st.st_mode):
        if not os.access(p, os.W_OK):
            raise OutputError(f"{path}: not writable")
        return p
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: folder {parent} is not writable")
    if st is not None and not os.access(p, os.W_OK):
        raise OutputError(f"{path}: not writable (read-only file)")
    return p


def _mode_for(p: Path) -> int:
    """The permission bits the report should get: the replaced file's, else the
    umask's default for a new file (mkstemp alone would make it 0600)."""
    try:
        return stat.S_IMODE(p.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``
    (a device or FIFO target is written in place)."""
    p = check_writable(path)
    if p.exists() and not p.is_file():
        try:
            with open(p, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        except OSError as e:
            raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
        return
    mode = _mode_for(p)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
    except OSError as e:
        raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException as e:  # interrupted or failed: the old report stays whole
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise OutputError(f"{path}: cannot write: {e.strerror or e}") from None
        raise


def _same(a: Path, b: Path) -> bool:
    """Whether two paths are one file: the same real path, or (hard links) the same inode."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two names are one file (a symlink, ``..`` or a hard link apart)."""
    return _same(Path(a), Path(b))


def refuse_model(output: str | os.PathLike[str], model: str | os.PathLike[str], flag: str = "-o") -> None:
    """OutputError when ``-o`` (or ``flag``: ``--plot``) names the model file itself (through
    any symlink or hard link): checked before the model is even read, so it stays
    byte-for-byte intact."""
    if _same(Path(output), Path(model)):
        raise OutputError(f"{flag} {output}: that is the model file itself; refused (nothing written)")
