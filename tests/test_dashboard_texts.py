"""Every dashboard text exists in Indonesian and in English, with the same blanks to fill, and
every key a page or handler asks for is in the files: a seller never meets a missing text, an
English word on the Indonesian dashboard, or a `{name}` left unfilled."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from web import i18n

WEB = Path(i18n.__file__).parent
# tx("products.title"), self._say("products.created", …), say(lang, "access.log_in")
ASKED = re.compile(r"""(?:\btx|_say|\bsay)\(\s*(?:[a-z_.]+,\s*)?f?["']([a-z0-9_.-]+)["']""")


def test_both_languages_have_the_same_texts_with_the_same_blanks():
    english, indonesian = i18n.catalogue("en"), i18n.catalogue("id")
    assert english, "no dashboard texts found"
    assert sorted(set(english) - set(indonesian)) == [], "texts missing in Indonesian"
    assert sorted(set(indonesian) - set(english)) == [], "texts missing in English"
    for key in english:
        assert i18n.placeholders("en", key) == i18n.placeholders("id", key), key


def test_every_text_a_page_asks_for_exists():
    asked = {
        (path.relative_to(WEB).as_posix(), key)
        for path in WEB.rglob("*.py")
        if path.name != "i18n.py"  # its docstrings show made-up keys
        for key in ASKED.findall(path.read_text(encoding="utf-8"))
        if not key.endswith(".")  # a prefix completed at run time (f"access.{why}")
    }
    assert asked, "the scan found no texts: the pattern no longer matches the code"
    missing = sorted((where, key) for where, key in asked if key not in i18n.catalogue("en"))
    assert missing == []


def test_an_indonesian_store_speaks_indonesian_until_the_seller_chooses():
    assert i18n.say("id", "access.not_seller").startswith("Anda tidak dapat")
    assert i18n.say("en", "access.not_seller").startswith("You cannot")
    with pytest.raises(KeyError):
        i18n.say("id", "access.no_such_text")
