"""Case names that are safe as folder and file names inside an output folder.

A case name comes from a CSV list, a file or folder name, or DICOM tags, and every writer
(``predict``'s case folders, ``evaluate``'s tables) joins it onto its output folder. A
name that holds a path separator, is ``..``, is absolute, or starts with a dot could
write (or, through the atomic replace, delete) outside that folder or clash with the
writers' hidden temporary names, so it is refused with the reason; nothing is renamed
behind the user's back.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

MAX_CASE_NAME_LENGTH = 200  # leaves room for suffixes within the usual 255-byte file name limit


def case_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a case folder, or ``None`` when it can.

    Example:
        >>> case_name_problem("patient_07"), case_name_problem("../etc")
        (None, "'../etc' holds a path separator")
    """
    if not name or not name.strip():
        return "the case name is empty"
    if any(separator in name for separator in ("/", "\\")):
        return f"{name!r} holds a path separator"
    if name.startswith("."):
        return f"{name!r} starts with a dot (hidden and reserved for temporary files)"
    if any(ord(character) < 32 or ord(character) == 127 for character in name):
        return f"{name!r} holds a control character"
    if len(name.encode("utf-8")) > MAX_CASE_NAME_LENGTH:
        return f"the case name is longer than {MAX_CASE_NAME_LENGTH} bytes"
    return None


def checked_case_name(name: str, source: str | Path) -> str:
    """``name`` when it is safe, else :class:`InputError` naming ``source``.

    Example:
        >>> checked_case_name("scan_01", "list.csv")
        'scan_01'
    """
    problem = case_name_problem(name)
    if problem:
        raise InputError(source, f"unusable case name: {problem}")
    return name
