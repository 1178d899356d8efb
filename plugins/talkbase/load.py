"""Read YAML files into validated models, keeping line marks so every error names file, line and key.

Untrusted input is expected here: files that are not UTF-8, tabs, control characters, duplicate keys,
alias bombs, huge files, symlinks out of the project and JSON with a merge conflict left in it all become
`Problem`s, never tracebacks. A file reads the same, value for value and message for message, whether PyYAML has
libyaml or not; the common slips (`title: a: b`, `title：x`, `title: [RFC] x`, `number: 010`) get a hint.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

MAX_BYTES = 1_000_000  # an episode is a few tens of KB; anything this large is a mistake
MAX_NODES = 100_000  # caps alias expansion ("billion laughs") long before memory is at risk
MAX_DEPTH = 64  # an episode nests a few levels; deeper means a recursive alias or a mistake
_STR = "tag:yaml.org,2002:str"
_TAB_INDENT = re.compile(r"^ *\t", re.M)
# What YAML refuses in a file (its reader's non-printable characters), plus the two line breaks that editors,
# diffs and YAML count differently: NEL (U+0085) and a carriage return without its line feed. Every carriage
# return matches, and one before a line feed is passed over: a single class is searched much faster than
# with `\r(?!\n)` (figures: benchmarks/README.md).
_RAW_BAD = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# Control characters other than tab and line feed: in a value they come from an escape of a "double-quoted" text
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_ESCAPE = re.compile(r"\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)")
# Where a file has none of the escapes that write one (\0 \a \b \v \f \r \e \N \x.. \u.... \U........), no value
# needs searching, and most files are read faster
_CONTROL_ESCAPE = re.compile(r"\\[0abvfreNxuU]")
_CONFLICT = re.compile(r"^<{7}(?: |$)", re.M)


if TYPE_CHECKING:  # the same methods either way; the stubs cannot say which one this PyYAML has
    _FastBase = yaml.SafeLoader
else:
    _FastBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ResolvingLoader(_FastBase):
    """libyaml composes much faster than PyYAML's Python parser, but still calls back into Python to resolve
    every node's tag; this does the same resolution as SafeLoader in less time (benchmarks/README.md)
    (SafeLoader registers no path resolvers and no wildcard resolvers, which the general method allows for)."""

    _implicit = {first: tuple(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            # (False, False) comes only for a lone `!` tag with no value: resolved, as the Python parser does, to null
            if implicit[0] or not implicit[1]:
                for tag, regexp in self._implicit.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return "tag:yaml.org,2002:seq" if kind is yaml.SequenceNode else "tag:yaml.org,2002:map"

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


class _Loader(yaml.SafeLoader):
    """PyYAML's Python parser: the reading where libyaml is missing or refuses a file, and the source of every
    message. In one thing it reads as libyaml and YAML 1.1 do, not as PyYAML: a `?` inside a plain scalar in a
    flow collection is text, so `links: [https://example.org/?utm_source=x]` holds one link (PyYAML ends the
    scalar at the `?` and refuses the file)."""

    def scan_plain(self):
        # PyYAML 6's scan_plain (MIT licence), with one character less that ends a plain scalar in a flow
        # collection: ',[]{}' and no longer '?'
        chunks = []
        start_mark = self.get_mark()
        end_mark = start_mark
        indent = self.indent + 1
        spaces: list[str] = []
        while True:
            length = 0
            if self.peek() == "#":
                break
            while True:
                ch = self.peek(length)
                if ch in "\0 \t\r\n\x85\u2028\u2029" \
                        or (ch == ":" and self.peek(length + 1)
                            in "\0 \t\r\n\x85\u2028\u2029" + (",[]{}" if self.flow_level else "")) \
                        or (self.flow_level and ch in ",[]{}"):
                    break
                length += 1
            if length == 0:
                break
            self.allow_simple_key = False
            chunks.extend(spaces)
            chunks.append(self.prefix(length))
            self.forward(length)
            end_mark = self.get_mark()
            spaces = self.scan_plain_spaces(indent, start_mark) or []  # (a list always; the stubs allow None)
            if not spaces or self.peek() == "#" or (not self.flow_level and self.column < indent):
                break
        return yaml.tokens.ScalarToken("".join(chunks), True, start_mark, end_mark)


# A block scalar header with a comment that no space sets apart (`|#`, `>-#`), which libyaml accepts and YAML refuses
_HEADER_COMMENT = re.compile(r"[|>][-+1-9]{0,2}#")


def _libyaml_reads_alike(text: str) -> bool:
    """Whether libyaml reads `text` as `_Loader` does. It does not where a tab is outside quotes (libyaml takes it
    for a space in most places, PyYAML refuses it), where a byte order mark starts a line other than the first
    (libyaml skips it, PyYAML reads it as a character of the text) and where a block scalar header has a comment
    stuck to it (libyaml accepts `|#`). Plain `in` tests and a look at each '#' are a tenth of the time a
    regular expression takes (benchmarks/README.md)."""
    if "\t" in text or "\ufeff" in text:
        return False
    at = text.find("#")
    while at != -1:
        if _HEADER_COMMENT.search(text, max(at - 3, 0), at + 1):
            return False
        at = text.find("#", at + 1)
    return True


# libyaml's messages differ, so a file it rejects is read again by the Python parser; one it would read otherwise
# is read by the Python parser alone
_FAST_LOADER = _ResolvingLoader if hasattr(yaml, "CSafeLoader") else None

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, printed as `path:line:column: message`."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ProblemsFound(Exception):
    """Raised with every problem found, so a user fixes them all in one round."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(map(str, self.problems)))


class Document:
    """Plain data from one YAML file. Where each key path sits in the file, (line, column), is worked out
    only when a message needs it: recording it for every value would cost more than the parse itself.
    Once validated, an episode is kept without its data (`Document(text)`), which is read again only if
    asked for: a thousand episodes' data would double what is cached, and what a helper sends back."""

    def __init__(self, text: str, data: Any = None):
        self.text = text
        if data is not None:
            self.data = data

    @cached_property
    def data(self) -> Any:
        """The file's plain data, read again from the text the first time it is asked for (see above)."""
        node = _compose(self.text)
        return None if node is None else _Builder().build(node, ())

    @cached_property
    def _positions(self) -> _Builder:
        builder = _Builder(track=True)
        if (node := _compose(self.text)) is not None:
            builder.build(node, ())
        return builder

    @property
    def marks(self) -> dict[tuple, tuple[int, int]]:
        """(line, column) of the value at each key path; the path () is the whole file."""
        return self._positions.marks

    @property
    def keys(self) -> dict[tuple, tuple[int, int]]:
        """(line, column) of each key itself, for messages about the key (unknown, duplicate)."""
        return self._positions.keys


class _Builder:
    """Turns a composed YAML node graph into plain data, refusing bombs; with `track`, records marks too."""

    def __init__(self, track: bool = False, controls: bool = False):
        self.track = track
        self.marks: dict[tuple, tuple[int, int]] = {}
        self.keys: dict[tuple, tuple[int, int]] = {}
        self.nodes = 0
        self.scalar = yaml.constructor.SafeConstructor()
        # with `controls`, the text values that hold a control character, and where
        self.controls: list[tuple[yaml.ScalarNode, tuple | None]] | None = [] if controls else None

    def build(self, node: yaml.Node, loc: tuple) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:  # reported at the top-level key whose value blew up, not deep inside it
            where = self.keys.get(loc[:1], (node.start_mark.line + 1, node.start_mark.column + 1))
            raise _Abort(where, f"the value of '{loc[0]}' expands to more than {MAX_NODES:,} values "
                                "(aliases repeated too often?)"
                         if loc else f"the file expands to more than {MAX_NODES:,} values")
        if len(loc) > MAX_DEPTH:
            raise _Abort(node, f"values nested more than {MAX_DEPTH} levels deep (an alias that contains itself?)")
        if self.track:
            self.marks.setdefault(loc, (node.start_mark.line + 1, node.start_mark.column + 1))
        cls = node.__class__
        if cls is yaml.MappingNode:
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _Abort(key_node, "merge keys ('<<') are not supported; write the keys out")
                key = self.build_scalar(key_node, None)
                if not isinstance(key, (str, int)):
                    raise _Abort(key_node, f"a key must be text, found {key!r}")
                if key in out:
                    first = self.keys.get(loc + (key,), (0, 0))  # only known when tracking; see parse_yaml
                    raise _Abort(key_node, f"duplicate key '{key}' (first defined on line {first[0]})")
                if self.track:
                    self.keys[loc + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.build(value_node, loc + (key,))
            return out
        if cls is yaml.SequenceNode:
            return [self.build(child, loc + (i,)) for i, child in enumerate(node.value)]
        return self.build_scalar(node, loc)

    def build_scalar(self, node: yaml.Node, loc: tuple | None) -> Any:
        """A scalar's value; `loc` is its key path, None for a key."""
        if node.tag == _STR and node.__class__ is yaml.ScalarNode:  # most values: text needs no constructor
            if self.controls is not None and _CONTROL.search(node.value) is not None:
                self.controls.append((node, loc))
            return node.value
        if not isinstance(node, yaml.ScalarNode):
            raise _Abort(node, "a key must be plain text")
        if node.tag == "tag:yaml.org,2002:int":
            # YAML 1.1 reads 21:00 as the base-60 number 1260; a person writing a time means text.
            if ":" in node.value:
                return node.value
            if (base := _other_base(node.value)) is not None:  # 010 is 8 to YAML 1.1, never what a person meant
                where = key_path(loc) if loc else "a key"
                read = self.scalar.construct_object(node)
                raise _Abort(node, f'{where}: YAML reads {node.value} as the {base[0]} number {read} '
                                   f'(write {base[1]}, or "{node.value}" if you mean text)')
        try:
            return self.scalar.construct_object(node)
        except yaml.constructor.ConstructorError as err:
            if node.tag not in self.scalar.yaml_constructors:  # `title: !important` or `!重要!`: a tag by mistake
                where = key_path(loc) if loc else "a key"
                raise _Abort(node, f"{where}: unknown YAML tag {node.tag!r} (put the value in quotes)") from None
            raise _Abort(node, f"cannot read value {node.value!r}: {err.problem}") from None
        except ValueError as err:  # e.g. 2023-02-30 looks like a date but is not one
            raise _Abort(node, f"cannot read value {node.value!r}: {err}") from None


_BASES = {"x": (16, "hexadecimal"), "o": (8, "octal"), "b": (2, "binary")}
_NOT_DECIMAL = re.compile(r"([-+]?)0([xob]?)_*([0-9a-fA-F][0-9a-fA-F_]*)")


def _other_base(written: str) -> tuple[str, int] | None:
    """For an integer written with a leading zero or a base prefix (010, 0x10, 0o10, 0b10): the base's name and the
    number a person most likely meant (10: a leading zero pads; 16, 8, 2: a prefix names the base)."""
    found = _NOT_DECIMAL.fullmatch(written)
    if found is None:
        return None
    sign, prefix, digits = found.groups()
    base, name = _BASES.get(prefix, (10, "octal"))  # YAML 1.1 reads 010 as octal; a person means a padded 10
    try:
        meant = int(digits.replace("_", ""), base)
    except ValueError:  # 0x1G, 0b12
        return None
    return name, -meant if sign == "-" else meant


class _Abort(Exception):
    def __init__(self, where: yaml.Node | tuple[int, int], message: str):
        if isinstance(where, yaml.Node):
            where = (where.start_mark.line + 1, where.start_mark.column + 1)
        self.line, self.column = where
        self.message = message


def read_text(path: Path, root: Path, display: str) -> str:
    """Read a UTF-8 file from inside the project (`root`, resolved as `Layout.root` is), refusing links out
    of it and oversized files."""
    return read_version(path, root, display)[0]


def _version(real: Path, info: os.stat_result) -> tuple:
    return real, info.st_mtime_ns, info.st_size


def file_stamp(path: Path) -> tuple | None:
    """What identifies one version of a file: where it really is, its modification time and size."""
    try:
        real = path.resolve(strict=True)
        return _version(real, real.stat())
    except (OSError, RuntimeError):
        return None


def _decode(raw: bytes, display: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        reason = f"the file is not UTF-8 (byte 0x{raw[err.start]:02x}); save it as UTF-8"
        raise ProblemsFound([Problem(display, line, column, reason)]) from None


def read_version(path: Path, root: Path, display: str) -> tuple[str, tuple]:
    """`read_text`, with the version of the file it read, as `file_stamp` gives it. Episodes are read this
    way, for one path resolution per file, not two."""
    try:
        real = path.resolve(strict=True)
        info = real.stat()
    except (OSError, RuntimeError) as err:  # RuntimeError: a symbolic link loop (Python 3.11, 3.12), no strerror
        reason = f"cannot open file: {getattr(err, 'strerror', None) or err}"
        raise ProblemsFound([Problem(display, 1, 1, reason)]) from None
    if not real.is_relative_to(root):
        raise ProblemsFound([Problem(display, 1, 1, f"the file resolves to {real}, outside the project; "
                                                    "copy it into the project instead")])
    if not stat.S_ISREG(info.st_mode):
        raise ProblemsFound([Problem(display, 1, 1, "not a regular file; expected a YAML text file")])
    size = info.st_size
    if size > MAX_BYTES:
        raise ProblemsFound([Problem(display, 1, 1, f"file is {size:,} bytes; "
                                                    f"an episode file must be under {MAX_BYTES:,} bytes")])
    return _decode(real.read_bytes(), display), _version(real, info)


def read_json(path: Path, display: str) -> Any:
    """The data of a JSON file (a notebook, the record of a run); one that is not JSON, such as one with a merge
    conflict left in it, is a `Problem` at the line where it goes wrong. No size limit: a notebook with its
    outputs may be large, and it is read whole anyway."""
    try:
        text = _decode(path.read_bytes(), display)
    except OSError as err:
        raise ProblemsFound([Problem(display, 1, 1, f"cannot open file: {err.strerror or err}")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        if conflict := _CONFLICT.search(text):
            reason = "a merge conflict was left in the file, from this '<<<<<<<' line; keep one side of it"
            raise ProblemsFound([Problem(display, *_line_column(text, conflict.start()), reason)]) from None
        reason = f"not valid JSON: {err.msg}" if text.strip() else "the file is empty; expected JSON"
        raise ProblemsFound([Problem(display, err.lineno, err.colno, reason)]) from None


def _line_column(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _compose(text: str) -> yaml.Node | None:
    """Compose with libyaml when it reads the text as `_Loader` does and accepts it (same nodes, same marks);
    otherwise with `_Loader`, which raises for a text it refuses."""
    if _FAST_LOADER is not None and _libyaml_reads_alike(text):
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=_Loader)


def _bad_character(text: str, display: str, offset: int) -> Problem:
    """A character that has no place in a YAML file, at its line and column, under the key it is in (found by
    reading the file again with spaces in place of such characters)."""
    line, column = _line_column(text, offset)
    code = ord(text[offset])
    if text[offset] == "\r":
        reason = "a carriage return (U+000D) without a line feed; save the file with LF or CRLF line breaks"
    elif _CONTROL.match(text[offset]):
        reason = f"control character U+{code:04X} is not allowed; only tab and line breaks are"
    else:
        reason = f"character U+{code:04X} is not allowed in a YAML file"
    builder = _Builder(track=True)
    try:
        if (node := _compose(_RAW_BAD.sub(" ", text))) is not None:
            builder.build(node, ())
    except (yaml.YAMLError, _Abort, RecursionError):
        pass  # not YAML even so: the position alone
    before = [(mark, loc) for loc, mark in builder.marks.items() if mark <= (line, column)]
    where = key_path(max(before, key=lambda item: item[0])[1]) if before else ""
    return Problem(display, line, column, f"{where}: {reason}" if where else reason)


def _escaped_control(text: str, display: str, node: yaml.ScalarNode, loc: tuple | None) -> Problem:
    """A control character in a value. The file has none (`_bad_character`), so an escape of a "double-quoted" text
    wrote it: the problem is at that escape."""
    found = _CONTROL.search(node.value)
    assert found is not None  # the builder lists only the values that hold one
    char = found.group()
    offset, written = node.start_mark.index, ""
    for escape in _ESCAPE.finditer(text, node.start_mark.index, node.end_mark.index):
        code = escape.group(1)
        if (chr(int(code[1:], 16)) if len(code) > 1 else yaml.scanner.Scanner.ESCAPE_REPLACEMENTS.get(code)) == char:
            offset, written = escape.start(), f" (written {escape.group()})"
            break
    where = "a key" if loc is None else key_path(loc)
    reason = f"control character U+{ord(char):04X}{written} is not allowed; only tab and line breaks are"
    return Problem(display, *_line_column(text, offset), f"{where}: {reason}" if where else reason)


# A line's indentation, list dashes and key, as a person writes them (a full-width colon after a key is noted);
# what follows is the value as written
_LINE = re.compile(r" *(?:- +)*"
                   r"(?:(?P<key>[^\s\"'#\[\]{}!&*@`|>%,?:：-][^:：#]*?)[ \t]*(?::(?=[ \t]|$)|(?P<wide>：))[ \t]*)?")
_QUOTE = "put the value in quotes"
_ASCII_COLON = "use an ASCII colon ':' after the key"


def _written(line: str) -> re.Match[str]:
    """`_LINE` at the start of `line`, which it always matches (if only as the empty text)."""
    written = _LINE.match(line)
    assert written is not None
    return written


def _source_line(text: str, number: int) -> str:
    """Line `number` (from 1) of the text, counted as YAML counts lines (the other characters that end a line for
    Python are refused before: `_RAW_BAD`)."""
    lines = text.splitlines()
    return lines[number - 1] if 0 < number <= len(lines) else ""


def _slip(text: str, err: yaml.MarkedYAMLError) -> tuple[int, int, str] | None:
    """Where YAML refused a file because of a common slip, and how to mend it: (line, column, hint)."""
    if err.problem_mark is None:
        return None
    number, column = err.problem_mark.line + 1, err.problem_mark.column + 1
    line = _source_line(text, number)
    written = _written(line)
    value = written.end()  # where the value starts, from 0
    if line[column - 1:column] == "\t":
        return number, column, "replace the tab with a space"
    if line[column - 1:column] == "#" and err.context == "while scanning a block scalar":  # `notes: |# text`
        return number, column, "put a space before the '#' of a comment"
    if written["wide"]:
        return number, written.start("wide") + 1, _ASCII_COLON
    first = line[value:value + 1]
    closed = first in ("[", "{") and -1 < line.find("]" if first == "[" else "}", value) < column - 1
    if first and first in "!&*@`%" or closed:  # `title: !重要`, `title: *bold*`, `title: [RFC] Foo`
        return number, value + 1, _QUOTE
    if err.problem == "mapping values are not allowed here":
        if column - 1 > value and written["key"]:  # `title: Foo: bar`
            return number, column, _QUOTE
        number -= 1  # the plain text that ends here began on the line above: `hosts：[a]` then `editors: [b]`
    elif err.context == "while scanning a simple key" and err.context_mark is not None:
        # `title：x` then a line that is no continuation of it
        number = err.context_mark.line + 1
    else:
        return None
    if (above := _written(_source_line(text, number)))["wide"]:
        return number, above.start("wide") + 1, _ASCII_COLON
    return None


def _key_at(text: str, number: int) -> str:
    """The key path of line `number` of a file that YAML refused there, found by reading the file with the line's
    value written as `x` ('' where the file is not YAML even so)."""
    lines = text.splitlines(keepends=True)
    written = _written(lines[number - 1])
    lines[number - 1] = (lines[number - 1][:written.end("key")] + ": x" if written["key"] else written[0] + "x") + "\n"
    builder = _Builder(track=True)
    try:
        if (node := yaml.compose("".join(lines), Loader=_Loader)) is not None:
            builder.build(node, ())
    except (yaml.YAMLError, _Abort, RecursionError):
        return ""
    here = [(column, loc) for loc, (line, column) in builder.marks.items() if line == number]
    return key_path(max(here, key=lambda mark: mark[0])[1]) if here else ""


def _unreadable(text: str, display: str, err: yaml.YAMLError | RecursionError) -> Problem:
    """The problem of a text that the Python parser refuses; at a common slip, where it is, with its key and a hint."""
    if isinstance(err, RecursionError):  # the parser itself recurses on [[[[...]]]]
        return Problem(display, 1, 1, "values nested too deeply; an episode nests a few levels")
    if not isinstance(err, yaml.MarkedYAMLError):
        return Problem(display, 1, 1, f"invalid YAML: {err}")
    reason = err.problem or "invalid YAML"
    if slip := _slip(text, err):
        line, column, hint = slip
        key = _key_at(text, line)
        return Problem(display, line, column, f"{key + ': ' if key else ''}invalid YAML: {reason} ({hint})")
    mark = err.problem_mark or err.context_mark
    if err.context:
        start = err.context_mark
        reason += f" ({err.context}" + (f" that starts on line {start.line + 1}, column {start.column + 1})"
                                        if start and err.problem_mark and start.line != err.problem_mark.line else ")")
    return Problem(display, *((mark.line + 1, mark.column + 1) if mark else (1, 1)), f"invalid YAML: {reason}")


def parse_yaml(text: str, display: str) -> Document:
    """Parse YAML text into a `Document`, turning every YAML mistake into a `Problem`."""
    if tab := _TAB_INDENT.search(text):
        line = text.count("\n", 0, tab.start()) + 1
        reason = "tab used for indentation; YAML needs spaces"
        raise ProblemsFound([Problem(display, line, tab.end() - tab.start(), reason)])
    for bad in _RAW_BAD.finditer(text):  # YAML's own message gives the position in characters, on two lines
        if not text.startswith("\r\n", bad.start()):
            raise ProblemsFound([_bad_character(text, display, bad.start())])
    try:
        node = _compose(text)
    except (yaml.YAMLError, RecursionError) as err:
        raise ProblemsFound([_unreadable(text, display, err)]) from None
    if node is None:
        reason = "the file is empty; expected a mapping of keys such as 'number' and 'date'"
        raise ProblemsFound([Problem(display, 1, 1, reason)])
    builder = _Builder(controls=_CONTROL_ESCAPE.search(text) is not None)
    try:
        data = builder.build(node, ())
    except _Abort:
        pass  # rare: build again, recording positions, so that the message can say where
    else:
        if builder.controls:
            raise ProblemsFound([_escaped_control(text, display, value, loc) for value, loc in builder.controls])
        return Document(text, data)
    try:  # with the Python parser, which gives every message: libyaml composes a few tags (`!a.!b`) that it refuses
        if (node := yaml.compose(text, Loader=_Loader)) is not None:
            _Builder(track=True).build(node, ())
    except (yaml.YAMLError, RecursionError) as err:
        raise ProblemsFound([_unreadable(text, display, err)]) from None
    except _Abort as err:
        raise ProblemsFound([Problem(display, err.line, err.column, err.message)]) from None
    raise AssertionError("a file was refused without positions but accepted with them")


def _describe(value: Any) -> str:
    """A found value as a person would name it (YAML reads 2023 as a number, yes as true...)."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, (dt.date, int, float)):
        kind = "a date" if isinstance(value, dt.date) else "a number"
        return f"{value.isoformat() if isinstance(value, dt.date) else value} ({kind})"
    if isinstance(value, (dict, list)):
        return "a mapping of keys" if isinstance(value, dict) else "a list"
    if value is None:
        return "an empty value"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys a model accepts at `loc` (a path of field names and list indexes)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(part)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    """Find the model inside list[...] / X | None / Annotated[...] annotations."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    origin = getattr(annotation, "__origin__", None)
    return _inner_model(origin) if origin not in (None, list, dict) and origin is not annotation else None


def key_path(loc: tuple) -> str:
    """A key path as a person finds it in the file (`free_talk.online[2].answers`): every message names one."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part + 1}]")
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _mark(doc: Document, loc: tuple, key: bool = False) -> tuple[int, int]:
    if key and loc in doc.keys:
        return doc.keys[loc]
    while loc:
        if loc in doc.marks:
            return doc.marks[loc]
        loc = loc[:-1]
    return doc.marks.get((), (1, 1))


def suggest(word: str, choices: list[str]) -> str:
    """A ' did you mean ...?' hint for a misspelled key or id, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


# What was expected, in words, for the pydantic errors a person meets most
_EXPECTED = {
    "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
    "date_type": "a date as YYYY-MM-DD", "date_parsing": "a date as YYYY-MM-DD",
    "date_from_datetime_parsing": "a date as YYYY-MM-DD", "date_from_datetime_inexact": "a date as YYYY-MM-DD",
    "string_type": "text", "list_type": "a list", "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys", "model_attributes_type": "a mapping of keys",
}


def _expected(error: Any) -> str:
    if error["type"] in _EXPECTED:
        expected = _EXPECTED[error["type"]]
    elif error["type"] == "string_pattern_mismatch":
        expected = f"text matching {error['ctx']['pattern']}"
    else:
        expected = error["msg"].removeprefix("Input should be ")
    quote = error["type"] == "string_type" and not isinstance(error["input"], (dict, list))
    hint = "; put it in quotes" if quote else ""
    if error["type"] == "int_type" and isinstance(error["input"], str) and (base := _other_base(error["input"])):
        hint = f" (write {base[1]})"  # "010", or 0o10, which YAML 1.1 reads as text
    return f"expected {expected}, found {_describe(error['input'])}{hint}"


def _found_hint(text: str, where: tuple[int, int], found: Any, text_expected: bool) -> str:
    """For a value of the wrong kind at `where`, a hint when its source line shows the slip that made it: a
    full-width colon after a key (`hosts：[a]` is text), or an unquoted list item with ': ' in it (`- 问题: 回答` is a
    mapping) or text that starts with '[' or '{' (`title: [RFC]` is a list)."""
    line = _source_line(text, where[0])
    written = _written(line)
    at_key = written["key"] is not None and written.start("key") == where[1] - 1
    if isinstance(found, str) and written["wide"] and at_key:
        return f" ({_ASCII_COLON})"
    if text_expected and isinstance(found, (dict, list)) and (
            line[where[1] - 1:where[1]] in ("[", "{") or at_key and "-" in line[:where[1] - 1]):
        return f" ({_QUOTE})"
    return ""


def _visible(key: str) -> str:
    """A key with each character that cannot be seen (a zero-width space, a byte order mark...) shown as <U+200B>."""
    return "".join(c if c.isprintable() else f"<U+{ord(c):04X}>" for c in key)


def explain(
    err: ValidationError, doc: Document, display: str, model: type[BaseModel], within: tuple = ()
) -> list[Problem]:
    """Map pydantic errors back to YAML positions with a message a person can act on; `within` is the key path
    of the validated value in the file when that is not the whole file."""
    problems = []
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        kind, where = e["type"], key_path(loc)
        if kind == "extra_forbidden":
            allowed = _allowed_keys(model, loc[:-1])
            parent = key_path(loc[:-1])
            message = (f"unknown key '{_visible(str(loc[-1]))}' {f'in {parent}' if parent else 'at the top level'}"
                       f"{suggest(str(loc[-1]), allowed)}")
            if allowed:
                message += f" (expected one of: {', '.join(allowed)})"
            line, col = _mark(doc, within + loc, key=True)
        elif kind == "missing":
            parent = key_path(loc[:-1])
            message = f"missing key '{loc[-1]}' {f'in {parent}' if parent else 'at the top level'}"
            line, col = _mark(doc, within + loc[:-1])
        else:
            reason = e["msg"].removeprefix("Value error, ") if kind == "value_error" else _expected(e)
            line, col = _mark(doc, within + loc)
            reason += _found_hint(doc.text, (line, col), e["input"], kind == "string_type")
            message = f"{where}: {reason}" if where else reason
        problems.append(Problem(display, line, col, message))
    return problems


def read_document(path: Path, root: Path) -> tuple[str, Document]:
    """Read and parse one YAML file of the project; returns the path to show and the document."""
    display = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return display, parse_yaml(read_text(path, root, display), display)


def validate_document(doc: Document, display: str, model: type[M]) -> M:
    """Validate a parsed document as `model`; raise `ProblemsFound` with every problem."""
    if not isinstance(doc.data, dict):
        hint = _found_hint(doc.text, _mark(doc, ()), doc.data, False)  # `title：x` alone is one text
        found = f"{_describe(doc.data)}{hint}"
        raise ProblemsFound([Problem(display, 1, 1, f"expected a mapping of keys at the top level, found {found}")])
    try:
        return model.model_validate(doc.data)
    except ValidationError as err:
        raise ProblemsFound(explain(err, doc, display, model)) from None


def load_model(path: Path, root: Path, model: type[M]) -> tuple[M, Document]:
    """Read, parse and validate one file as `model`."""
    display, doc = read_document(path, root)
    return validate_document(doc, display, model), doc
