"""A contributor's `<` reaches the reader as the character they typed, decided by the Markdown parser.

Talk notes mention tags and tokens (`<think>`, `Vec<T>`, `<s>`), so raw HTML in episode text is shown,
not obeyed. The renderer writes each such `<` as LT, a private-use character that Markdown treats as
plain text; this extension turns it back into `<` once the parser has decided what is prose, a code
span, a code block or math. Nothing guesses where code starts: wherever Markdown puts the character, it
shows as `<`. (It is not the safety barrier: sanitize.py's allowlist is.)

The plugin adds the extension to every build; another engine that runs Python-Markdown extensions gets
it by listing `talkbase.rawtext` under `markdown_extensions`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markdown import Extension, Markdown
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString

LT = "\ue000"
# `<` that would open an HTML tag, comment or processing instruction; autolinks <https://...> stay links
_RAW = re.compile(r"<(?!(?:https?://|mailto:)[^<>\s]*>)")


def shield(text: str | None) -> str:
    """Contributor Markdown with every `<` but those of autolinks made plain text for the parser."""
    if not text or "<" not in text:  # most text takes this path
        return text or ""
    return _RAW.sub(LT, text)


def _restore(value: str) -> str:
    restored = value.replace(LT, "<")
    return AtomicString(restored) if isinstance(value, AtomicString) else restored


class _Text(Treeprocessor):
    """In the parsed tree, before the table of contents reads the headings: LT back to `<` in text."""

    def run(self, root: ET.Element) -> None:
        for el in root.iter():
            if el.text and LT in el.text:
                el.text = _restore(el.text)
            if el.tail and LT in el.tail:
                el.tail = _restore(el.tail)
            for name, value in el.attrib.items():
                if value and LT in value:
                    el.set(name, value.replace(LT, "<"))


class _Stashed(Postprocessor):
    """In what the parser kept aside as HTML (highlighted code, math): LT becomes the escaped `&lt;`."""

    def run(self, text: str) -> str:
        return text.replace(LT, "&lt;") if LT in text else text


class RawTextExtension(Extension):
    """The Python-Markdown extension that shows a contributor's `<` as typed (see the module's docstring)."""

    def extendMarkdown(self, md: Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        """Register both steps at the priorities that put them after the parser and before the table of contents."""
        md.treeprocessors.register(_Text(md), "talkbase_rawtext", 7)  # after inline (20), before toc (5)
        md.postprocessors.register(_Stashed(md), "talkbase_rawtext", 5)  # after raw_html (30)


def makeExtension(**kwargs) -> RawTextExtension:  # noqa: N802 - the name Python-Markdown looks up
    """What Python-Markdown calls for `talkbase.rawtext` listed under `markdown_extensions`."""
    return RawTextExtension(**kwargs)
