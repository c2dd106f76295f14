"""The Korean catalogue is complete and compiled: every string a user reads exists in Korean."""

import gettext
import json
import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "ko" / "LC_MESSAGES" / "django.po"


def entries():
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields, current = {}, None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
            if match:
                current = match.group(1)
                fields[current] = json.loads(match.group(2))
            elif line.startswith('"') and current:
                fields[current] += json.loads(line)
        if fields.get("msgid"):
            yield fields, flags


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = [f["msgid"] for f, _ in entries() if not (f.get("msgstr") or f.get("msgstr[0]"))]
    fuzzy = [f["msgid"] for f, flags in entries() if "fuzzy" in flags]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogue_matches_the_source():
    with open(PO.with_suffix(".mo"), "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    def compiled_text(f):
        if "msgctxt" in f:
            return compiled.pgettext(f["msgctxt"], f["msgid"])
        return compiled.gettext(f["msgid"])

    stale = [f["msgid"] for f, _ in entries() if "msgid_plural" not in f and compiled_text(f) != f["msgstr"]]
    assert stale == [], "run `make messages`"


def test_placeholders_survive_translation():
    pattern = re.compile(r"%\(\w+\)s|%s")
    broken = [
        f["msgid"]
        for f, _ in entries()
        if "msgid_plural" not in f
        and sorted(pattern.findall(f["msgid"])) != sorted(pattern.findall(f["msgstr"]))
    ]
    assert broken == []


FALLBACKS = re.compile(r"\((?:이|가|을|를|은|는|과|와)\)|\(으\)로|(?:이|을|은|과|와)/(?:가|를|는|와|과)")


def test_no_particle_fallbacks():
    """Particles are chosen by the word (proposals/korean.py): no "울산대학교이(가)", "을/를"."""
    found = [
        f["msgstr"] for f, _ in entries() if FALLBACKS.search(f.get("msgstr") or f.get("msgstr[0]") or "")
    ]
    assert found == []


def test_the_fallback_check_catches_each_form():
    for text in (
        "울산대학교이(가)",
        "계정을(를)",
        "시트은(는)",
        "이름와(과)",
        "단계(으)로",
        "항목을/를",
        "값이/가",
    ):
        assert FALLBACKS.search(text), text
    assert not FALLBACKS.search("평가표(위원 A)가 이 사업의 참여기관(울산대학교)과")


def test_no_english_product_names_in_korean():
    """Korean mode does not name the framework ("Django 관리자")."""
    assert [f["msgstr"] for f, _ in entries() if "Django" in (f.get("msgstr") or "")] == []
