"""One list says where person ids live (schema.PERSON_KEYS, PERSON_KEYED): read off the models, it agrees with
the exported JSON Schema, and the loader's check of unknown ids finds an id in each of those places."""

from __future__ import annotations

from typing import Any

from talkbase.project import parse_episode
from talkbase.schema import PERSON_ID, PERSON_KEYED, PERSON_KEYS, json_schemas


def _id_keys(node: Any, key: str | None = None, out: set | None = None) -> set[str]:
    """Names of the properties whose values (or whose mapping keys) the JSON Schema says are person ids."""
    out = set() if out is None else out
    if isinstance(node, dict):
        if key is not None and (node.get("pattern") == PERSON_ID.pattern
                                or PERSON_ID.pattern in node.get("patternProperties", {})):
            out.add(key)
        for name, value in node.items():
            inner = key if name in ("items", "anyOf", "propertyNames", "additionalProperties") else \
                None if name in ("properties", "$defs") else name
            for item in value if isinstance(value, list) else [value]:
                _id_keys(item, inner, out)
    return out


def test_the_list_agrees_with_the_json_schema():
    assert _id_keys(json_schemas()["episode.schema.json"]) == PERSON_KEYS | PERSON_KEYED
    assert {"hosts", "by", "contributors"} <= PERSON_KEYS and PERSON_KEYED == {"roles"}


def test_every_place_in_the_list_is_walked():
    text = ("number: 7\ntitle: t\ndate: 2023-07-22\ncrew:\n  hosts: [h1]\n  editors: [e1]\n  section_owners: [s1]\n"
            "  contributors: [c1]\nroles:\n  r1: 主持\nnews:\n  contributors: [n1]\n  items:\n"
            "    - title: x\n      by: b1\n")
    got = parse_episode("talks/007.yaml", text)
    assert {pid for _, pid in got.people} == {"h1", "e1", "s1", "c1", "r1", "n1", "b1"}
    assert ("roles", "r1") in {loc for loc, _ in got.people}
