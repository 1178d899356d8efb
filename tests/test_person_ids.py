"""One list says where person ids live (schema.PERSON_KEYS, PERSON_KEYED): read off the models, it agrees with
the exported JSON Schema, and the loader's check of unknown ids finds an id in each of those places."""

from __future__ import annotations

from typing import Any

from conftest import early_project
from talkbase import index
from talkbase.project import Layout, load_project, parse_episode
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


SAMPLE = """\
number: 7
title: 人都在哪
date: 2023-07-22
crew:
  hosts: [xianyu]
  editors: [suc16]
  section_owners: [chuqi]
  contributors: [openllm-members]
roles:
  hope: 讲者
news:
  contributors: [hope]
  items:
    - title: 一条新闻
      by: sw
free_talk:
  online:
    - question: 一个问题
      by: yuhan
      answers:
        - text: 一个回答
          by: qingwang
"""


def test_every_place_in_the_list_is_credited_on_the_person_pages(tmp_path):
    """A new PersonId field is checked by the loader through the list; this fails until the person pages
    (index.py) credit it too, and until SAMPLE holds it."""
    project_dir = early_project(tmp_path / "project")
    (project_dir / "talks" / "007.yaml").write_text(SAMPLE, encoding="utf-8")
    project = load_project(Layout.at(project_dir))
    walked = parse_episode("talks/007.yaml", SAMPLE).people
    assert {key for loc, _ in walked for key in loc if isinstance(key, str)} >= PERSON_KEYS | PERSON_KEYED
    people = index.build(project).people
    credited = {pid for pid, person in people.items()
                if any(ref.source.display == "talks/007.yaml" for ref in person.refs)}
    assert {pid for loc, pid in walked if loc[0] not in PERSON_KEYED} == credited
