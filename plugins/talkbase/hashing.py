"""One digest for everything talkbase tells apart by content: file texts, page inputs, long slugs, cache keys."""

from __future__ import annotations

import hashlib


def digest(data: bytes | str) -> str:
    """A short, stable name for `data` (blake2b, 40 hex digits): equal content, equal name."""
    return hashlib.blake2b(data.encode("utf-8") if isinstance(data, str) else data, digest_size=20).hexdigest()
