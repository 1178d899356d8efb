"""Names become file names only here: a person id, topic or episode id names one page inside docs/, and
never the place of an overview (`people/index.md`) or a path out of docs/.

`page` is the one way a generated page's path is made from a name; `refusal` says why a name cannot be
one, for the checks that report it at the line where the name was written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# A folder's index.md is its overview page. Windows refuses the device names as file names, with any
# extension, so a site holding one could not be checked out there.
RESERVED = frozenset({"index", "con", "prn", "aux", "nul", *(f"{d}{n}" for d in ("com", "lpt") for n in range(1, 10))})
MAX_BYTES = 100  # file systems allow 255 bytes (eCryptfs 143); the writer's temporary file adds to the name
_SEGMENT = re.compile(r"[^\W_][\w-]*")  # one path segment: no '.', '/', '\\', spaces or controls; safe in a link
_NON_WORD = re.compile(r"[\W_]+")  # Chinese characters are word characters
_SHARP = re.compile(r"(?<=[a-z0-9])#")  # C#, F#
# Symbols (emoji among them), private-use and unassigned characters: spelled out, as they are not words
_SPELLED = ("S", "Co", "Cn", "Cs")


def refusal(name: str) -> str | None:
    """Why `name` cannot be a page's file name, or None when it can."""
    if not _SEGMENT.fullmatch(name):
        return f"expected letters, digits, '-' and '_' only, starting with a letter or digit, found {name!r}"
    if name.casefold() in RESERVED:
        why = ("index.md is the overview of its folder (the list of all people, or of all topics)"
               if name.casefold() == "index" else "Windows has a device of that name and cannot hold a file named so")
        return f"{name!r} is reserved: {why}; choose another"
    if len(name.encode()) > MAX_BYTES:
        return f"expected at most {MAX_BYTES} bytes (it names a file), found {len(name.encode())}"
    return None


def checked(name: str) -> str:
    """`name`, if it can be a page's file name; ValueError saying why otherwise (ids are validated with it)."""
    if (why := refusal(name)) is not None:
        raise ValueError(why)
    return name


@lru_cache(maxsize=1 << 14)  # every link to a person, topic or episode asks
def page(folder: str, name: str, suffix: str = ".md") -> str:
    """The docs/ path of the page `name` in `folder` (`people/suc16.md`), or of a file of its own beside it
    (`talks/003.chapters.vtt`, `topics/rope.xml`). Ids are checked where they are written and
    `index.topic_slug` makes only names that pass, so a refusal here is a bug, not bad input."""
    return f"{folder}/{checked(name)}{suffix}"


def _spell(char: str) -> str:
    if char.isascii() or not unicodedata.category(char).startswith(_SPELLED):
        return char
    return f" {unicodedata.name(char, f'u{ord(char):x}').lower()} "  # 🚀 -> rocket; unnamed ones by code point


def words(name: str) -> list[str]:
    """The words of a free-text name, casefolded, with symbols spelled out (C++ -> c plus plus, 🚀 -> rocket):
    names with the same words are one topic, so C++, C# and C, or two emoji, stay apart. Other punctuation
    only separates words, as does the '#' of a hashtag (#话题#)."""
    text = unicodedata.normalize("NFKC", name).casefold()  # full-width Ｃ＋＋ is C++; one file name on macOS too
    if "#" in text and not text.startswith("#"):
        text = _SHARP.sub(" sharp ", text)
    text = text.replace("+", " plus ")
    if not text.isascii():
        text = "".join(map(_spell, text))
    return [w for w in _NON_WORD.split(text) if w]
