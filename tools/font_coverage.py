"""Which characters the site's web fonts must draw (portal/static/VENDORED.md, «KS X 1001»).

Every character of KS X 1001 (the Korean national character set: 2,350 Hangul syllables, 4,888
Hanja, 987 symbols, Greek, Cyrillic, kana, box drawing …) and every character a page can show from
our own sources: the templates, the Korean catalogue's translations and the demo data. The build
(tools/build_fonts.py) and the coverage test (tests/portal/test_fonts.py) both ask this module.
"""

import json
import re
from pathlib import Path

from openpyxl import load_workbook

BASE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_FOLDERS = ("templates", "accounts", "portal", "proposals", "evaluation")
CATALOGUE = BASE_DIR / "locale" / "ko" / "LC_MESSAGES" / "django.po"
DEMO_DATA = BASE_DIR / "fixtures" / "smartcity-2023"


def ksx1001_characters() -> set[str]:
    """Every character KS X 1001 encodes (the two-byte rows 0xA1–0xFE of EUC-KR)."""
    characters = set()
    for high in range(0xA1, 0xFF):
        for low in range(0xA1, 0xFF):
            try:
                characters.add(bytes([high, low]).decode("euc_kr"))
            except UnicodeDecodeError:
                continue
    return characters


def drawn(text: str) -> set[str]:
    """The characters of ``text`` that need a glyph (not line breaks, tabs or other controls)."""
    return {character for character in text if character.isprintable() or character == " "}


def template_characters() -> dict[str, set[str]]:
    return {
        str(path.relative_to(BASE_DIR)): drawn(path.read_text(encoding="utf-8"))
        for folder in TEMPLATE_FOLDERS
        for path in sorted((BASE_DIR / folder).rglob("*.html"))
    }


def catalogue_characters() -> set[str]:
    """The characters of every Korean translation (msgstr) in the catalogue."""
    characters = set()
    current = None
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(msgid|msgid_plural|msgctxt|msgstr(?:\[\d\])?) (\".*\")$", line)
        if match:
            current = match.group(1)
            text = json.loads(match.group(2))
        elif line.startswith('"') and current:
            text = json.loads(line)
        else:
            current = None
            continue
        if current.startswith("msgstr"):
            characters |= drawn(text)
    return characters


def demo_data_characters() -> dict[str, set[str]]:
    """The characters of the demo's competition file and of every text cell of its workbooks."""
    found = {}
    for path in sorted(DEMO_DATA.iterdir()):
        if path.suffix == ".toml":
            found[path.name] = drawn(path.read_text(encoding="utf-8"))
        elif path.suffix == ".xlsx":
            characters = set()
            workbook = load_workbook(path, read_only=True)
            for sheet in workbook.worksheets:
                for row in sheet.iter_rows(values_only=True):
                    for value in row:
                        if isinstance(value, str):
                            characters |= drawn(value)
            workbook.close()
            found[path.name] = characters
    return found


def required_characters() -> set[str]:
    """Everything the fonts must cover."""
    required = ksx1001_characters() | catalogue_characters()
    for characters in (*template_characters().values(), *demo_data_characters().values()):
        required |= characters
    return required
