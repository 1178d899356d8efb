"""A last guard on page HTML: no script elements, no event-handler attributes, no javascript:/data: URLs.

User text already has raw HTML escaped (render.safe_markdown) and link schemes and attribute lists
checked (schema); this catches what a template, a Markdown extension such as attr_list or a
hand-written page could still let through. Tags are read the way a browser tokenizer reads them
(`/` separates attributes, quoted values may hold `>`), and only tags that need a change are rewritten.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

# Elements that run code or change where the page's links and requests go; shown as text instead
BLOCKED = {"script", "object", "embed", "applet", "base", "meta", "link", "frame", "frameset", "animate", "set"}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "background"}
_BAD_SCHEME = re.compile(r"(?:javascript|vbscript|data):", re.I)
_TAG_START = re.compile(r"<(/?)([A-Za-z][^\s/>]*)")
_ATTR = re.compile(r"""[\s/]*([^\s/>][^\s/>=]*)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s>]*))?""")
# The tag name and every attribute in one match; the atomic, possessive repetition reads attributes the
# way _clean_tag's loop does, one after another without backtracking, so both end at the same place
_TAG = re.compile(_TAG_START.pattern + "(?:(?>" + _ATTR.pattern + "))*+")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")  # browsers drop these inside a URL scheme


def _unsafe_url(raw: str) -> bool:
    value = html.unescape(raw.strip("\"'"))
    return bool(_BAD_SCHEME.match(_INVISIBLE.sub("", value)))


def _attribute_ok(name: str, raw_value: str | None) -> bool:
    name = name.lower()
    if name.startswith("on") or name == "srcdoc":
        return False
    return not (name in URL_ATTRS and raw_value and _unsafe_url(raw_value))


def _clean_tag(raw: str) -> str:
    """One whole tag as it should appear: unchanged, shown as text, or without its unsafe attributes."""
    start = _TAG_START.match(raw)
    attrs, end = [], start.end()
    while (attr := _ATTR.match(raw, end)) and attr.end() > end and attr.group(1):
        attrs.append(attr)
        end = attr.end()
    if start.group(2).lower() in BLOCKED:
        return "&lt;" + raw[1:]
    if all(_attribute_ok(a.group(1), a.group(2)) for a in attrs):
        return raw
    kept = "".join(f" {a.group(1)}" + (f"={a.group(2)}" if a.group(2) is not None else "")
                   for a in attrs if _attribute_ok(a.group(1), a.group(2)))
    return f"<{start.group(1)}{start.group(2)}{kept}{'/' if raw.endswith('/>') else ''}>"


# A page repeats the same tags (<li>, <p>, <span class="k">...) thousands of times: each is judged once
_clean_cached = lru_cache(maxsize=1 << 14)(_clean_tag)


def neutralize(page_html: str) -> str:
    """The page HTML with every unsafe tag shown as text and every unsafe attribute removed."""
    out, pos = [], 0
    while tag := _TAG.search(page_html, pos):
        out.append(page_html[pos:tag.start()])
        close = page_html.find(">", tag.end())
        end = len(page_html) if close < 0 else close + 1
        out.append(_clean_cached(page_html[tag.start():end]))
        pos = end
    out.append(page_html[pos:])
    return "".join(out)
