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
