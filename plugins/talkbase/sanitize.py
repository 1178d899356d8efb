"""The allowlist every page's HTML passes through, at the point where Markdown has become HTML.

Contributors' text is untrusted: whatever Markdown, its extensions or a template make of it, only the
elements and attributes below reach a reader. The sanitizer is nh3 (Python bindings of Rust's
ammonia), which parses the page the way a browser's HTML5 parser does, so the tricks that fool a
regex (`<noscript>`, `<style>` and `<textarea>` read as raw text, MathML and SVG namespace switches)
fool nothing here. Each allowed element is there because a page needs it:

- text and structure from Markdown: headings, paragraphs, lists, quotes, emphasis, code, tables,
  definition lists (def_list), abbreviations (abbr), rules and line breaks;
- the theme's blocks: admonitions and collapsible details (`div`/`details`/`summary` with classes);
- code highlighting (pymdownx.highlight): `div`/`pre`/`code`/`span` with Pygments classes, and the
  line anchors it may write;
- math, rendered to MathML at build time (mathml.py): the MathML elements latex2mathml writes;
- images from the site itself only (a relative `src`): an image from another host would be a request
  to it on every visit;
- the embedded talk video: an `iframe` whose `src` is https on one of VIDEO_HOSTS, always sandboxed;
- talkbase's own layout: `nav`, `small` and `span`/`div` with classes, ids for anchors, and the two
  data attributes its script and the search read;
- the mark mkdocs-autorefs leaves for a cross-reference until it makes it a link (`autoref`).

No `style`, no event handlers, no `script`, `noscript`, `template`, `textarea`, `title`, `xmp`,
`noembed`, `object`, `embed`, `form`, `svg`, `base`, `meta` or `link`; links only to http(s), mailto or
the site itself. Comments are dropped.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import nh3

# Where an embedded talk video may come from (the players' own embed addresses)
VIDEO_HOSTS = frozenset({"player.bilibili.com", "www.youtube-nocookie.com", "www.youtube.com"})

MATHML = {"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac",
          "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded",
          "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none", "semantics", "annotation"}
MATHML_ATTRIBUTES = {"display", "xmlns", "alttext", "mathvariant", "stretchy", "fence", "separator", "accent",
                     "accentunder", "lspace", "rspace", "width", "height", "depth", "minsize", "maxsize",
                     "movablelimits", "symmetric", "largeop", "linethickness", "displaystyle", "scriptlevel",
                     "columnalign", "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines",
                     "frame", "notation", "encoding", "form"}

HTML = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "ul", "ol", "li", "dl", "dt", "dd",
        "strong", "em", "b", "i", "u", "s", "del", "ins", "mark", "sub", "sup", "small", "kbd", "abbr", "q",
        "cite", "code", "pre", "span", "div", "nav", "a", "img", "table", "caption", "thead", "tbody", "tfoot",
        "tr", "th", "td", "details", "summary", "iframe"}

ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir", "data-search-exclude"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height", "loading"},
    "iframe": {"src", "title", "allowfullscreen", "loading"},
    "ol": {"start", "type"},
    "li": {"value"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
    "details": {"open"},
    "span": {"data-next"},
    **{tag: MATHML_ATTRIBUTES for tag in MATHML},
    # mkdocs-autorefs' mark for a cross-reference (`[title][anchor]`), which it turns into a link to the anchor
    # after every page is converted; only its extension writes one (a contributor's `<` is text, rawtext.py)
    "autoref": {"identifier", "optional", "slug", "backlink-type", "backlink-anchor", "domain", "role", "origin",
                "filepath", "lineno"},
}
PLUGIN_ELEMENTS = {"autoref"}

# Whatever the markup said, an embedded player runs sandboxed. One attribute only: ammonia adds the ones it
# sets in hash order, which differs from process to process, and the site must come out the same each time.
SANDBOX = {"sandbox": "allow-scripts allow-same-origin allow-popups allow-presentation"}


def _from_the_site(value: str) -> bool:
    """A relative reference: no scheme, no host (`//host/x` is another host), no backslash tricks."""
    parts = urlsplit(value)
    return not parts.scheme and not parts.netloc and not value.startswith(("/\\", "\\"))


def _keep(tag: str, attribute: str, value: str) -> str | None:
    """Per-value rules the allowlist of names cannot say: images from the site, videos from the players."""
    if tag == "img" and attribute == "src":
        return value if _from_the_site(value) else None
    if tag == "iframe" and attribute == "src":
        parts = urlsplit(value)
        return value if parts.scheme == "https" and parts.hostname in VIDEO_HOSTS else None
    return value


_CLEANER = nh3.Cleaner(
    tags=HTML | MATHML | PLUGIN_ELEMENTS,
    attributes=ATTRIBUTES,
    attribute_filter=_keep,
    set_tag_attribute_values={"iframe": SANDBOX},
    tag_attribute_values={"iframe": {"referrerpolicy": {"no-referrer"}}},  # the player learns nothing of the page
    url_schemes={"http", "https", "mailto"},
    link_rel=None,  # no link opens a new window (no `target` passes), so none needs rel=noopener
    strip_comments=True,
)


def clean(page_html: str) -> str:
    """The page HTML with every element, attribute and URL outside the allowlist removed."""
    return _CLEANER.clean(page_html)
