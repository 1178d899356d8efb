"""Turn the math that pymdownx.arithmatex marks up into MathML at build time: no CDN, no script."""

from __future__ import annotations

import html
import re
from typing import Callable

from latex2mathml.converter import convert

_MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
_DELIMS = {r"\(": r"\)", r"\[": r"\]", "$$": "$$", "$": "$"}


def _strip(tex: str) -> str:
    tex = tex.strip()
    for start, end in _DELIMS.items():
        if tex.startswith(start) and tex.endswith(end) and len(tex) >= len(start) + len(end):
            return tex[len(start):len(tex) - len(end)].strip()
    return tex


def to_mathml(page_html: str, warn: Callable[[str], None]) -> str:
    """Replace each arithmatex span/div by MathML; keep the TeX visible (and warn) if it cannot convert."""
    if 'class="arithmatex"' not in page_html:  # most pages have no math: skip the scan
        return page_html

    def replace(match: re.Match) -> str:
        tag, body = match.group(1), match.group(2)
        tex = _strip(html.unescape(body))
        try:
            math = convert(tex, display="block" if tag == "div" else "inline")
        except Exception as err:  # latex2mathml raises many error types for bad TeX
            warn(f"cannot render math {tex!r}: {err}")
            return match.group(0)
        alt = html.escape(tex, quote=True)
        return math.replace("<math ", f'<math alttext="{alt}" ', 1)

    return _MATH.sub(replace, page_html)
