"""Math to MathML when the Markdown is written: no CDN, no script, and no plugin needed to show it.

`in_markdown` replaces each formula of a contributor's text by MathML that Markdown passes on as it is, so
the generated pages show their math under any engine that reads them (MkDocs, ProperDocs, Zensical).
`math_problem` finds the same formulas, so that `talkbase validate` reports TeX that cannot be rendered at
the field that holds it. Formulas are found as pymdownx.arithmatex finds them: `$...$`, `\\(...\\)`, and
`$$...$$`, `\\[...\\]` or `\\begin{...}` where a line starts.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from talkbase.rawtext import LT

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
    from latex2mathml.converter import convert  # slow to import: only once a text holds math

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


# What Markdown could read inside MathML (emphasis, escapes, links, code, entities, math again): written as
# character references, which Markdown passes on and the browser reads back, in text and attributes alike
_MARKDOWN = re.compile(r"[\\`*_{}\[\]()#+\-.!$|~^=:<>&\"']")
_PART = re.compile(r'(<[^>]*>)')
_VALUE = re.compile(r'="([^"]*)"')


def _referenced(text: str) -> str:
    return _MARKDOWN.sub(lambda m: f"&#{ord(m[0])};", html.unescape(text))


def _passed_on(math: str) -> str:
    """MathML whose text and attribute values hold nothing Markdown reads: only its tags stay markup."""
    parts = _PART.split(math)
    for i, part in enumerate(parts):
        if i % 2:  # a tag: its attribute values
            parts[i] = _VALUE.sub(lambda m: f'="{_referenced(m[1])}"', part)
        elif part:
            parts[i] = _referenced(part)
    return "".join(parts)


def in_markdown(text: str) -> str:
    """`text` (Markdown, after rawtext.shield) with each formula outside code replaced by MathML on one line,
    its TeX kept as `alttext`; an escaped dollar (`\\$`) becomes a plain one. A formula that cannot be rendered
    stays as written: validation refuses such text before any page is made."""
    if "$" not in text and "\\" not in text:  # most texts have no math
        return text
    if "`" in text or "~~~" in text:
        out, at = [], 0
        for code in CODE_SPAN.finditer(text):
            out += [_formulas(text[at:code.start()]), code.group(0)]
            at = code.end()
        return "".join(out) + _formulas(text[at:])
    return _formulas(text)


def _formulas(prose: str) -> str:
    block, inline = _finders()
    if "$$" in prose or "\\[" in prose or "\\begin" in prose:
        prose = block.sub(lambda m: _math(m, m.group("math") or m.group("math2") or m.group("math3"), "block"), prose)
    prose = inline.sub(lambda m: _math(m, m.group(3) or m.group(6), "inline"), prose)
    return prose.replace("\\$", "&#36;") if "\\$" in prose else prose


def _math(match: re.Match, tex: str | None, display: str) -> str:
    written = match.group(0)
    if not tex or not tex.strip():  # an escaped dollar or backslashes before one: Markdown's to show
        return written
    if display == "block" and "\\begin" in written and match.group("math2") is not None:
        tex = match.group("math2")  # an environment is its own formula, \\begin and \\end included
    tex = tex.strip().replace(LT, "<")
    math, _ = _render(tex, display)
    if math is None:
        return written
    indent = written[:len(written) - len(written.lstrip(" \t"))]
    alt = html.escape(tex, quote=True)
    return indent + _passed_on(math.replace("<math ", f'<math alttext="{alt}" ', 1))
