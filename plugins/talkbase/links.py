"""Recognise what a link points to (arXiv paper, GitHub repository, video...) from the URL alone, offline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit, urlunsplit

_ARXIV = re.compile(r"^/(?:abs|pdf|html)/((?:\d{4}\.\d{4,5})|(?:[a-z-]+(?:\.[A-Z]{2})?/\d{7}))(?:v\d+)?(?:\.pdf)?/?$")
_BVID = re.compile(r"/video/(BV[0-9A-Za-z]{10})")


@dataclass(frozen=True)
class LinkKind:
    """What a link points to, so that pages can label it (arXiv:2104.09864) and indexes can group by it."""

    kind: str  # arxiv | github | huggingface | bilibili | wechat | zhihu | web
    key: str  # arXiv id, owner/name, BV id... ("" for plain web links)
    label: str  # what a reader sees beside the link


@lru_cache(maxsize=1 << 16)  # a link is classified for its episode page, the indexes and every page that lists it
def classify(url: str) -> LinkKind:
    """The kind, key and label of `url`, from its host and path alone: a build makes no request."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path
    if host in ("arxiv.org", "export.arxiv.org") and (m := _ARXIV.match(path)):
        return LinkKind("arxiv", m.group(1), f"arXiv:{m.group(1)}")
    if host == "github.com":
        segments = [s for s in path.split("/") if s]
        if len(segments) >= 2:
            repo = f"{segments[0]}/{segments[1].removesuffix('.git')}"
            return LinkKind("github", repo, f"GitHub {repo}")
    if host == "huggingface.co":
        segments = [s for s in path.split("/") if s]
        if len(segments) >= 2 and segments[0] not in ("datasets", "spaces", "docs", "blog", "papers"):
            model = f"{segments[0]}/{segments[1]}"
            return LinkKind("huggingface", model, f"Hugging Face {model}")
    if host.endswith("bilibili.com") and (m := _BVID.search(path)):
        return LinkKind("bilibili", m.group(1), f"bilibili {m.group(1)}")
    if host == "mp.weixin.qq.com":
        return LinkKind("wechat", "", "微信公众号")
    if host in ("zhuanlan.zhihu.com", "zhihu.com"):
        return LinkKind("zhihu", "", "知乎")
    return LinkKind("web", "", host)


def bilibili_start(url: str) -> int:
    """The `t=` start offset in seconds a bilibili link already carries, or 0."""
    values = parse_qs(urlsplit(url).query).get("t", [])
    try:
        return int(float(values[0])) if values else 0
    except ValueError:
        return 0


def at_moment(url: str, seconds: int) -> str:
    """`url` set to start playing at `seconds`: its `t=` replaced or added, the rest of the query kept as written.
    bilibili and YouTube both read `t` as seconds; other players ignore what they do not know."""
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] != "t"]
    return urlunsplit(parts._replace(query="&".join([*kept, f"t={seconds}"])))
