"""The web fonts draw every character the pages can show (issue 10 item 14): KS X 1001 (Hangul,
Hanja, symbols), the templates, the Korean catalogue and the demo data — read from the woff2 files'
cmaps with fontTools, weight by weight, as a browser would combine the faces of fonts.css."""

import re
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from fontTools.ttLib import TTFont

from tools.font_coverage import (
    catalogue_characters,
    demo_data_characters,
    ksx1001_characters,
    template_characters,
)

STATIC = Path(settings.BASE_DIR) / "portal" / "static"
FONTS_CSS = STATIC / "portal" / "fonts.css"
SITE_CSS = STATIC / "portal" / "site.css"
FACE = re.compile(r"@font-face\s*{(?P<body>[^}]*)}")


def faces():
    """Every @font-face of fonts.css: family, weight, woff2 file, unicode-range (or None)."""
    found = []
    for match in FACE.finditer(FONTS_CSS.read_text(encoding="utf-8")):
        body = match.group("body")
        family = re.search(r'font-family:\s*"([^"]+)"', body).group(1)
        weight = int(re.search(r"font-weight:\s*(\d+)", body).group(1))
        woff2 = re.search(r'url\("\.\./([^"]+\.woff2)"\)', body).group(1)
        declared = re.search(r"unicode-range:\s*([^;]+);", body)
        found.append(
            {
                "family": family,
                "weight": weight,
                "path": STATIC / woff2,
                "range": parse_range(declared.group(1)) if declared else None,
            }
        )
    return found


def parse_range(text: str):
    spans = []
    for part in text.split(","):
        start, _, end = part.strip().removeprefix("U+").partition("-")
        spans.append((int(start, 16), int(end or start, 16)))
    return spans


def in_range(character: str, spans) -> bool:
    return spans is None or any(start <= ord(character) <= end for start, end in spans)


def cmap(path: Path) -> set[str]:
    return {chr(code) for code in TTFont(path).getBestCmap()}


def drawn_by_weight() -> dict[int, set[str]]:
    """Per weight, what the faces of the site's font stack draw together (a face draws only the
    characters of its unicode-range)."""
    stack = font_stack()
    covered = defaultdict(set)
    for face in faces():
        if face["family"] in stack:
            covered[face["weight"]] |= {c for c in cmap(face["path"]) if in_range(c, face["range"])}
    return covered


def font_stack() -> list[str]:
    text = SITE_CSS.read_text(encoding="utf-8")
    stack = re.search(r"--krds-font-family-base:([^;]+);", text).group(1)
    return re.findall(r'"([^"]+)"', stack)


def sources() -> dict[str, set[str]]:
    named = {"KS X 1001": ksx1001_characters(), "django.po msgstr": catalogue_characters()}
    named.update(template_characters())
    named.update({f"fixtures/smartcity-2023/{name}": chars for name, chars in demo_data_characters().items()})
    return named


def test_the_sources_are_read():
    """The coverage below is not vacuous: the sources hold what a user reads."""
    named = sources()
    assert len(named["KS X 1001"]) == 8225  # 2,350 Hangul + 4,888 Hanja + 987 others
    assert {"新", "㎡", "～", "가", "힝"} <= named["KS X 1001"]
    assert "新" in named["fixtures/smartcity-2023/applicants.xlsx"]  # 新울산4.0 Inno City
    assert {"공", "모"} <= named["django.po msgstr"]
    assert len([name for name in named if name.endswith(".html")]) >= 30
    assert {"{", "%", "<"} <= named["templates/base.html"]


@pytest.mark.parametrize("weight", [400, 500, 700])
def test_every_character_a_page_can_show_is_in_the_fonts(weight):
    covered = drawn_by_weight()[weight]
    missing = {
        source: "".join(sorted(characters - covered))
        for source, characters in sources().items()
        if characters - covered
    }
    assert missing == {}, f"weight {weight}: characters without a glyph (run tools/build_fonts.py): {missing}"


def test_pretendard_gov_subset_alone_lacks_hanja_and_symbols():
    """Why the second family exists: KRDS's Pretendard GOV subset draws 新 (in 新울산4.0), ㎡ and ～
    as empty boxes."""
    main = [face for face in faces() if face["family"] == "Pretendard GOV"]
    assert len(main) == 3
    for face in main:
        assert not {"新", "㎡", "～"} & cmap(face["path"])


def test_the_supplement_is_second_in_the_font_stack_and_every_file_exists():
    assert font_stack()[:2] == ["Pretendard GOV", "Gongmo KSX1001"]
    for face in faces():
        assert face["path"].is_file(), face["path"]
        if face["range"] is not None:  # the browser uses a face only inside its range
            outside = {c for c in cmap(face["path"]) if not in_range(c, face["range"])}
            assert not outside, (face["path"].name, "".join(sorted(outside)))


def test_modified_fonts_do_not_use_the_reserved_font_name():
    """SIL OFL §3: a subset is a Modified Version; "Pretendard" is a Reserved Font Name."""
    for face in faces():
        if face["family"] == "Pretendard GOV":
            continue  # the author's own subset, unmodified
        names = TTFont(face["path"])["name"]
        for name_id in (1, 3, 4, 6, 16):
            record = names.getDebugName(name_id) or ""
            assert "Pretendard" not in record.split(";")[0], (face["path"].name, name_id, record)


def test_the_fonts_stay_small():
    """The Hanja file of a weight is fetched only by a page showing Hanja (unicode-range)."""
    for face in faces():
        size = face["path"].stat().st_size
        limit = 1_000_000 if "Hanja" in face["path"].name else 300_000
        assert size < limit, (face["path"].name, size)
