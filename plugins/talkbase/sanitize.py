"""A last guard on page HTML: no event-handler attributes, no javascript:/data: URLs.

User text already has raw HTML escaped (render.safe_markdown) and link schemes validated
(schema); this catches what Markdown extensions such as attr_list could still let through.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_EVENT_ATTR = re.compile(r"""\s+on[a-z]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
_BAD_URL = re.compile(r"""(\s(?:href|src|action|formaction|xlink:href)\s*=\s*["']?)\s*(?:javascript|vbscript|data):""", re.I)


def neutralize(page_html: str) -> str:
    def clean(match: re.Match) -> str:
        tag = _EVENT_ATTR.sub("", match.group(0))
        return _BAD_URL.sub(r"\1#blocked:", tag)

    return _TAG.sub(clean, page_html)
