"""Search from an index split into small files that a reader's browser fetches as a query needs them.

Material's search downloads the whole lunr index and builds it in the browser on every visit (for the
figures here: benchmarks/README.md, "Figures behind design choices"). Here material's search plugin keeps its
box, keys and texts but writes an empty index; its search worker is replaced by
docs/javascripts/talkbase-search.js, which answers from the index `write_index` writes into
site/search/talkbase/ after each build:

- index.json: the table of contents (how many shards and records; a digest of the files, which the worker
  puts in every file's address, so that no file of an earlier index is taken from a cache);
- w<n>.bin: the word index in shards (gzip JSON): each word, its idf and its postings (record numbers and a
  BM25 weight computed here); a query fetches the shard of each of its words;
- r<n>.bin: the records, 16 a file: URL with the section's anchor, section title, page title, text for the
  excerpt; the worker fetches the files of the sections it shows.

Pagefind was the first choice, measured at 1000 episodes: its binary took more memory to index the site
than the whole build, and one record per section made its table of contents slow to fetch. This index is a
few hundred lines and needs no binary.

Chinese: the browser has no jieba dictionary, and its own word splitting disagrees with jieba's (Chromium's
Intl.Segmenter splits 显存 into 显/存, jieba keeps it whole). So both sides split every run of Chinese (and
Japanese kana) into overlapping character pairs, `index_words` here and `queryWords` in the worker: whatever
a reader types is found wherever the text holds it.

Everything of material's this relies on is in `mkdocs_internals` (Python side) and in talkbase-search.js
(browser side); with a version other than the one tested there, talkbase leaves material's search alone.
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import math
import re
import shutil
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from talkbase import mkdocs_internals as internals

SCRIPT = "javascripts/talkbase-search.js"  # the page part patches material's config, the worker part answers
BUNDLE = "search/talkbase"  # the index's folder in the site; the worker finds it at ../search/talkbase/
EXCERPT_CHARS = 1000  # of each section's text kept for the excerpts the worker cuts (longer sections: the start)
CHUNK = 16  # records per file: the worker fetches the files of the records it shows
SHARD_POSTINGS = 8192  # postings per shard of the word index, about: a query fetches one shard per word
K1, B = 1.2, 0.75  # BM25
TITLE_WEIGHT = 3  # a word of a section's title counts as three of its text

# Runs of characters written without spaces between words; keep in step with HAN in talkbase-search.js.
HAN = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
_HAN_CHAR = re.compile(f"[{HAN}]")
_WORD = re.compile(f"([{HAN}]+)|(?:(?![{HAN}])\\w)+")  # a run of Chinese, or a word of letters and digits

# Pages that list entries of other pages (their lists are marked data-search-exclude in the templates): they
# rank after every page that holds the words, so that the entry comes before the topic that links to it.
_LISTING = re.compile(r"(|talks/|(topics|people|papers)/.*)")

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>|<!--.*?-->|([^<]+)", re.S)
_ID = re.compile(r"\sid=\"([^\"]+)\"")
_EXCLUDE = re.compile(r"\sdata-search-exclude\b|\sclass=\"[^\"]*\bheaderlink\b")
_HEADING = {"h1", "h2", "h3", "h4", "h5", "h6"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd", "mark",
           "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"}
_SPACES = re.compile(r"\s+")


def index_words(text: str) -> list[str]:
    """The words of `text` as the index holds them: lower case; each run of Chinese as its character pairs,
    then its last character alone (a query of that one character finds it); other words as they are, but a
    plural s of an English word dropped (models: model). The worker splits a query the same way."""
    words = []
    for m in _WORD.finditer(text.lower()):
        word = m.group()
        if m.group(1):
            words += [word[i:i + 2] for i in range(len(word) - 1)]
            words.append(word[-1])
        elif len(word) > 3 and word.isascii() and word.endswith("s") and not word.endswith("ss"):
            words.append(word[:-1])
        else:
            words.append(word)
    return words


def _length(text: str) -> int:
    """len(index_words(text)), without making the words: a run of n Chinese characters gives n of them."""
    return sum(len(m.group(1)) if m.group(1) else 1 for m in _WORD.finditer(text.lower()))


def material_search(config):
    """mkdocs-material's search plugin, if the site uses it (it draws the search box in the header)."""
    for plugin in config.plugins.values():
        if type(plugin).__module__.startswith("material.plugins.search"):
            return plugin
    return None


def unusable(config) -> str | None:
    """Why talkbase's search cannot stand in for material's here, or None when it can."""
    if material_search(config) is None:
        return "the site does not use material's search plugin"
    return internals.unsupported("mkdocs-material")


@dataclass
class _Section:
    anchor: str | None
    title: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    excluded: bool = False


def _sections(content: str) -> list[_Section]:
    """A page's HTML (MkDocs' page.content, serialized by the sanitizer: every element closed, attributes
    quoted) split at its headings with an id. Elements marked data-search-exclude, and headings so marked
    with their section, are left out, as material's search did."""
    top = _Section(None)
    sections, depth, skip = [top], 0, None  # skip: the depth at which a left-out element started
    heading = None  # the depth of the heading being read
    for m in _TAG.finditer(content):
        closing, tag, attrs, text = m.groups()
        if text is not None:
            if skip is None:
                part = sections[-1].title if heading is not None else sections[-1].text
                part.append(html.unescape(text))
            continue
        if tag is None:  # a comment
            continue
        tag = tag.lower()
        if closing:
            depth -= 1
            if skip == depth:
                skip = None
            if heading == depth:
                heading = None
        else:
            if skip is None and tag in _HEADING and (anchor := _ID.search(attrs)):
                if tag == "h1" and len(sections) == 1 and not "".join(top.text).strip():
                    top.title = []  # the page's own title: its section is the page itself
                else:
                    sections.append(_Section(anchor.group(1)))
                sections[-1].excluded = _EXCLUDE.search(attrs) is not None
                heading = depth
            elif skip is None and _EXCLUDE.search(attrs):
                skip = depth
            if tag not in _VOID and not attrs.rstrip().endswith("/"):
                depth += 1
        if tag not in _INLINE and skip is None:
            sections[-1].text.append(" ")
    return sections


def page_records(page) -> list[dict]:
    """The records of one page for the index: one per section, its URL with the section's anchor."""
    if (page.meta.get("search") or {}).get("exclude"):
        return []
    name = _SPACES.sub(" ", str(page.meta.get("title") or page.title or "")).strip()
    kind = "listing" if _LISTING.fullmatch(page.url) else "entry"
    records = []
    for section in _sections(page.content or ""):
        title = _SPACES.sub(" ", "".join(section.title)).strip() or name
        text = _SPACES.sub(" ", "".join(section.text)).strip()
        if section.excluded or not (title or text):
            continue
        url = page.url + (f"#{section.anchor}" if section.anchor else "")
        records.append({"url": url, "title": title, "page": name, "text": text, "kind": kind})
    return records


def _key(token: str) -> str:
    """What decides the shard of a word: the first character of a Chinese pair, the first two of other words;
    so every word that a query's one Chinese character, or two or more other characters, begin is in the
    shard of that beginning."""
    return token[:1] if _HAN_CHAR.match(token) else token[:2]


def shard_of(token: str, shards: int) -> int:
    """FNV-1a of the word's key, as the worker computes it."""
    h = 0x811C9DC5
    for byte in _key(token).encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h % shards


def write_index(pages: list[list[dict]], site_dir: str) -> dict:
    """Replace site/search/talkbase/ with an index of the records of `pages`. Records are numbered entries
    first, then listings; each word's postings hold the record numbers (as differences) and a BM25 weight
    computed here (0-255), so the worker only adds up. Returns what was written, for the build's log."""
    records = [r for page in pages for r in page if r["kind"] == "entry"]
    entries = len(records)
    records += [r for page in pages for r in page if r["kind"] == "listing"]
    lengths = [TITLE_WEIGHT * _length(r["title"]) + _length(r["text"]) for r in records]
    average = sum(lengths) / max(1, len(lengths)) or 1
    postings: dict[str, tuple[array, array]] = {}
    for number, record in enumerate(records):  # one record's words at a time: the postings are all that grows
        norm = K1 * (1 - B + B * lengths[number] / average)
        for word, tf in Counter(index_words(record["title"]) * TITLE_WEIGHT + index_words(record["text"])).items():
            if (posting := postings.get(word)) is None:
                posting = postings[word] = (array("I"), array("B"))
            posting[0].append(number)
            posting[1].append(min(255, round(100 * tf * (K1 + 1) / (tf + norm))))
    total = sum(len(p[0]) for p in postings.values())
    shards = 1 << max(4, min(12, (total // SHARD_POSTINGS).bit_length()))
    grouped: list[list[str]] = [[] for _ in range(shards)]
    for word in postings:
        grouped[shard_of(word, shards)].append(word)

    out = Path(site_dir) / BUNDLE
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    size, content = 0, hashlib.blake2b(digest_size=8)  # names this index: the worker asks for its files by it
    for i, words in enumerate(grouped):  # {"word": [idf × 100, record number differences..., weights...], ...}
        parts = []
        for word in words:
            numbers, weights = postings[word]
            idf = math.log(1 + (len(records) - len(numbers) + 0.5) / (len(numbers) + 0.5))
            deltas = [numbers[0], *(b - a for a, b in zip(numbers, numbers[1:]))]
            parts.append(f"{json.dumps(word, ensure_ascii=False)}:[{round(100 * idf)},"
                         f"{','.join(map(str, deltas))},{','.join(map(str, weights))}]")
        data = gzip.compress(f"{{{','.join(parts)}}}".encode(), 6, mtime=0)
        content.update(data)
        size += (out / f"w{i}.bin").write_bytes(data)
    for i in range(0, len(records), CHUNK):
        texts = [[r["url"], r["title"], r["page"], r["text"][:EXCERPT_CHARS]] for r in records[i:i + CHUNK]]
        data = gzip.compress(json.dumps(texts, ensure_ascii=False, separators=(",", ":")).encode(), 6, mtime=0)
        content.update(data)
        size += (out / f"r{i // CHUNK}.bin").write_bytes(data)
    manifest = {"version": 1, "build": content.hexdigest(), "shards": shards, "chunk": CHUNK,
                "records": len(records), "entries": entries}
    size += (out / "index.json").write_text(json.dumps(manifest), encoding="utf-8")
    return {"records": len(records), "words": len(postings), "postings": total,
            "files": shards + -(-len(records) // CHUNK) + 1, "bytes": size}
