"""Turn the math that pymdownx.arithmatex marks up into MathML at build time: no CDN, no script.

`math_problem` finds the same formulas in one text of an episode, so that `talkbase validate` reports TeX
that cannot be rendered at the field that holds it, not as a build warning about a generated page.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Callable

_MATH = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
_DELIMS = {r"\(": r"\)", r"\[": r"\]", "$$": "$$", "$": "$"}
# Code spans and fenced code (``` matches as a span does, ~~~ as a fence): no math, links or attributes inside
CODE_SPAN = re.compile(r"(`+)[\s\S]*?\1|^[ \t]*(~{3,})[^\n]*\n[\s\S]*?^[ \t]*\2", re.M)
# latex2mathml's errors carry no message; what each one means, in words
_REASONS = {
    "NoAvailableTokensError": "it ends too early: a command is missing its argument or a '{' its '}'",
    "MissingSuperScriptOrSubscriptError": "a ^ or _ has nothing after it",
    "DoubleSubscriptsError": "two subscripts in a row; group them as x_{ab}",
    "DoubleSuperscriptsError": "two superscripts in a row; group them as x^{ab}",
    "ExtraLeftOrMissingRightError": r"a \left has no \right",
    "MissingEndError": r"a \begin{...} has no \end{...}",
    "NumeratorNotFoundError": r"\frac needs a numerator and a denominator",
    "DenominatorNotFoundError": r"\frac needs a numerator and a denominator",
    "InvalidAlignmentError": "unknown column alignment of an array",
    "InvalidWidthError": "a width that is not a length",
    "InvalidStyleForGenfracError": r"the style of \genfrac must be 0 to 3",
    "LimitsMustFollowMathOperatorError": r"\limits must follow an operator such as \sum",
}


def _strip(tex: str) -> str:
    tex = tex.strip()
    for start, end in _DELIMS.items():
        if tex.startswith(start) and tex.endswith(end) and len(tex) >= len(start) + len(end):
            return tex[len(start):len(tex) - len(end)].strip()
    return tex


@lru_cache(maxsize=4096)
def _render(tex: str, display: str) -> tuple[str | None, str]:
    """MathML for `tex`, or None and why it cannot be rendered. Memoized: formulas recur across pages and
    episodes, and validate and a build in one process convert the same ones."""
    from latex2mathml.converter import convert  # 0.07 s to import: only once a text holds math

    try:
        return convert(tex, display=display), ""
    except Exception as err:  # latex2mathml raises many error types for bad TeX
        return None, _REASONS.get(type(err).__name__) or f"{type(err).__name__}: {err}"


def _cannot(tex: str, reason: str) -> str:
    shown = " ".join(tex.split())
    return f"cannot render math '{shown if len(shown) <= 60 else shown[:57] + '...'}': {reason}"


@lru_cache(maxsize=None)
def _finders() -> tuple[re.Pattern, re.Pattern]:
    """The patterns arithmatex finds math with (block math where a line starts, as a paragraph does)."""
    from pymdownx import arithmatex as a

    block = re.compile(rf"^[ \t]*(?:{a.RE_DOLLAR_BLOCK}|{a.RE_TEX_BLOCK}|{a.RE_BRACKET_BLOCK})", re.M)
    return block, re.compile(f"{a.RE_SMART_DOLLAR_INLINE}|{a.RE_BRACKET_INLINE}")


def math_problem(text: str) -> str | None:
    """Why a formula of a Markdown text cannot be rendered, for the first one that cannot; None if all can."""
    block, inline = _finders()
    # no math in code: arithmatex never matches across \x02, Markdown's placeholder for a code span
    prose = CODE_SPAN.sub("\x02", text) if "`" in text or "~~~" in text else text
    formulas = []
    if "$$" in prose or "\\[" in prose or "\\begin" in prose:  # what block math starts with; most texts have none
        formulas += [(m.group("math") or m.group("math2") or m.group("math3"), "block") for m in block.finditer(prose)]
        prose = block.sub("\x02", prose)
    formulas += [(m.group(3) or m.group(6), "inline") for m in inline.finditer(prose)]
    for tex, display in formulas:
        if tex and tex.strip():  # None: an escaped dollar sign
            math, reason = _render(tex.strip(), display)
            if math is None:
                return _cannot(tex, reason)
    return None


def to_mathml(page_html: str, warn: Callable[[str], None]) -> str:
    """Replace each arithmatex span/div by MathML; keep the TeX visible (and warn) if it cannot convert."""
    if 'class="arithmatex"' not in page_html:  # most pages have no math: skip the scan
        return page_html

    def replace(match: re.Match) -> str:
        tag, body = match.group(1), match.group(2)
        tex = _strip(html.unescape(body))
        math, reason = _render(tex, "block" if tag == "div" else "inline")
        if math is None:
            warn(_cannot(tex, reason))
            return match.group(0)
        alt = html.escape(tex, quote=True)
        return math.replace("<math ", f'<math alttext="{alt}" ', 1)

    return _MATH.sub(replace, page_html)
