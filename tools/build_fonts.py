"""Build the KS X 1001 supplement web fonts and portal/static/portal/fonts.css.

The site's text face is Pretendard GOV's own subset (portal/static/fonts/pretendard-gov/, as
shipped, unmodified). It draws Hangul and Latin but none of the 4,888 Hanja of KS X 1001 (新 in
"新울산4.0" was an empty box) and ~680 of its symbols (㎡, ～, kana, box drawing …). This script
subsets what that face lacks, for each weight the site uses (400, 500, 700), from:

- Pretendard GOV 1.3.9, full OpenType build (npm ``pretendard-gov``): every Hanja and all but five
  symbols, in two files per weight — Hanja, and symbols — so that a page downloads the Hanja only
  when it shows one;
- Gothic A1 (npm ``@fontsource/gothic-a1``), the five KS X 1001 symbols Pretendard GOV lacks
  (ŉ ⅔ ∼ ≒ ◈);

renames the subsets (they are Modified Versions under the SIL OFL 1.1, and "Pretendard" is a
Reserved Font Name) to the family "Gongmo KSX1001", and writes fonts.css with each face's
``unicode-range`` taken from its cmap. tests/portal/test_fonts.py checks the result.

Usage (a machine with npm; the running site needs neither npm nor this script):

    .venv/bin/python -m tools.build_fonts            # downloads the two packages with `npm pack`
    .venv/bin/python -m tools.build_fonts --packages DIR   # DIR holds the unpacked packages
"""

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from fontTools import subset
from fontTools.merge import Merger
from fontTools.ttLib import TTFont

from tools.font_coverage import BASE_DIR, required_characters

PRETENDARD_GOV = ("pretendard-gov", "1.3.9")
GOTHIC_A1 = ("@fontsource/gothic-a1", "5.3.0")
WEIGHTS = {400: "Regular", 500: "Medium", 700: "Bold"}
FAMILY = "Gongmo KSX1001"
STATIC = BASE_DIR / "portal" / "static"
MAIN = STATIC / "fonts" / "pretendard-gov"
OUT = STATIC / "fonts" / "ksx1001"
CSS = STATIC / "portal" / "fonts.css"


def is_hanja(character: str) -> bool:
    code = ord(character)
    return 0x3400 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0x20000 <= code <= 0x2FFFF


def cmap(path: Path) -> set[str]:
    return {chr(code) for code in TTFont(path).getBestCmap()}


def fetch(packages: Path) -> dict[str, Path]:
    """``npm pack`` each source package into ``packages`` and unpack it; SHA-256 of each tarball."""
    roots = {}
    for name, version in (PRETENDARD_GOV, GOTHIC_A1):
        tarball = subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--silent"],
            cwd=packages,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()[-1]
        digest = hashlib.sha256((packages / tarball).read_bytes()).hexdigest()
        print(f"{name}@{version}: {tarball} SHA-256 {digest}")
        root = packages / tarball.removesuffix(".tgz")
        with tarfile.open(packages / tarball) as archive:
            archive.extractall(root, filter="data")
        roots[name] = root / "package"
    return roots


def subset_font(source, characters: set[str], out: Path, *, style: str, part: str, note: str) -> set[str]:
    """Subset ``source`` (a path or a TTFont) to ``characters``, rename it, save it as woff2."""
    font = source if isinstance(source, TTFont) else TTFont(source)
    font.recalcTimestamp = False  # the same sources give the same bytes
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(character) for character in characters])
    subsetter.subset(font)
    rename(font, style=style, part=part, note=note)
    font.flavor = "woff2"
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)
    return cmap(out)


def rename(font: TTFont, *, style: str, part: str, note: str) -> None:
    """Family "Gongmo KSX1001": no Reserved Font Name in a Modified Version (OFL §3). The
    copyright, licence and version records stay."""
    postscript = f"GongmoKSX1001{part}-{style}"
    names = font["name"]
    keep = {0, 5, 7, 8, 9, 11, 12, 13, 14}
    names.names = [record for record in names.names if record.nameID in keep]
    for name_id, text in {
        1: f"{FAMILY} {part}",
        2: style if style in ("Regular", "Bold") else "Regular",
        3: f"{postscript};{note}",
        4: f"{FAMILY} {part} {style}",
        6: postscript,
        10: note,
        16: FAMILY,
        17: style,
    }.items():
        names.setName(text, name_id, 3, 1, 0x409)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        for key in ("FullName", "FamilyName"):
            if hasattr(top, key):
                setattr(top, key, f"{FAMILY} {part} {style}" if key == "FullName" else FAMILY)


def gothic_a1_subset(root: Path, weight: int, characters: set[str], out: Path, style: str) -> set[str]:
    """The characters from Gothic A1's Fontsource slices (one font cut into unicode ranges),
    merged into one file."""
    parts = []
    left = set(characters)
    for path in sorted((root / "files").glob(f"gothic-a1-*-{weight}-normal.woff2")):
        found = left & cmap(path)
        if not found:
            continue
        piece = TTFont(path, recalcTimestamp=False)
        modified = piece["head"].modified
        options = subset.Options()
        options.notdef_outline = True
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(character) for character in found])
        subsetter.subset(piece)
        piece.flavor = None
        with tempfile.NamedTemporaryFile(suffix=".ttf", delete=False) as handle:
            piece.save(handle.name)
            parts.append(handle.name)
        left -= found
    if left:
        raise SystemExit(f"Gothic A1 {weight} lacks: {''.join(sorted(left))}")
    merged = Merger().merge(parts) if len(parts) > 1 else TTFont(parts[0])
    merged["head"].modified = merged["head"].created = modified  # the same sources, the same bytes
    return subset_font(merged, characters, out, style=style, part="Extra", note="Subset of Gothic A1")


def ranges(characters: set[str]) -> str:
    """``U+4E00-4E01, U+4E03`` for a CSS unicode-range."""
    codes = sorted(ord(character) for character in characters)
    spans, start, previous = [], codes[0], codes[0]
    for code in codes[1:]:
        if code != previous + 1:
            spans.append((start, previous))
            start = code
        previous = code
    spans.append((start, previous))
    return ", ".join(f"U+{a:X}" if a == b else f"U+{a:X}-{b:X}" for a, b in spans)


MAIN_FACES = """\
/* Fonts (SIL OFL 1.1), all served by this site (portal/static/VENDORED.md). No external font URL.
   Generated by tools/build_fonts.py: edit that script, not this file.

   "Pretendard GOV": the family the KRDS token --krds-typo-font-type names; its own subset as
   shipped (Hangul, Latin and common symbols). "Gongmo KSX1001": what that subset lacks of KS X 1001
   (Hanja and other symbols) and of our own pages, second in the font stack (site.css). A browser
   downloads one of its files only for a page showing a character in that file's unicode-range. */
"""


def main_face(weight: int, style: str) -> str:
    return f"""
@font-face {{
  font-family: "Pretendard GOV";
  font-style: normal;
  font-weight: {weight};
  font-display: swap;
  src: url("../fonts/pretendard-gov/PretendardGOV-{style}.subset.woff2") format("woff2"),
       url("../fonts/pretendard-gov/PretendardGOV-{style}.subset.woff") format("woff");
}}
"""


# The Hanja file's range: every CJK ideograph block (the main face has none), so that fonts.css
# stays small; a Hanja outside KS X 1001 falls through to the next family of the stack.
HANJA_RANGE = "U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF"


def supplement_face(weight: int, file: str, characters: set[str]) -> str:
    unicode_range = HANJA_RANGE if "Hanja" in file else ranges(characters)
    return f"""
@font-face {{
  font-family: "{FAMILY}";
  font-style: normal;
  font-weight: {weight};
  font-display: swap;
  src: url("../fonts/ksx1001/{file}") format("woff2");
  unicode-range: {unicode_range};
}}
"""


def build(roots: dict[str, Path]) -> None:
    required = required_characters()
    css = [MAIN_FACES]
    for weight, style in WEIGHTS.items():
        css.append(main_face(weight, style))
    for weight, style in WEIGHTS.items():
        main = cmap(MAIN / f"PretendardGOV-{style}.subset.woff2")
        missing = required - main
        full_path = roots[PRETENDARD_GOV[0]] / "dist" / "public" / "static" / f"PretendardGOV-{style}.otf"
        full = cmap(full_path)
        note = f"Subset of Pretendard GOV {PRETENDARD_GOV[1]} by Kil Hyung-jin (SIL OFL 1.1)"
        hanja = {character for character in missing & full if is_hanja(character)}
        symbols = (missing & full) - hanja
        extra = missing - full
        files = [
            (f"GongmoKSX1001Hanja-{style}.woff2", hanja, "Hanja", full_path),
            (f"GongmoKSX1001Symbols-{style}.woff2", symbols, "Symbols", full_path),
        ]
        for file, characters, part, source in files:
            got = subset_font(source, characters, OUT / file, style=style, part=part, note=note)
            assert characters <= got, (file, "".join(sorted(characters - got)))
            css.append(supplement_face(weight, file, got))
            print(f"{file}: {len(got)} characters, {(OUT / file).stat().st_size:,} bytes")
        if extra:
            file = f"GongmoKSX1001Extra-{style}.woff2"
            got = gothic_a1_subset(roots[GOTHIC_A1[0]], weight, extra, OUT / file, style)
            assert extra <= got, (file, "".join(sorted(extra - got)))
            css.append(supplement_face(weight, file, got))
            print(f"{file}: {''.join(sorted(got))}, {(OUT / file).stat().st_size:,} bytes")
    CSS.write_text("".join(css), encoding="utf-8")
    print(f"wrote {CSS.relative_to(BASE_DIR)}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--packages", type=Path, help="a folder holding the unpacked npm packages")
    args = parser.parse_args(argv)
    if args.packages:
        roots = {
            PRETENDARD_GOV[0]: args.packages / "pretendard-gov" / "package",
            GOTHIC_A1[0]: args.packages / "gothic-a1" / "package",
        }
        build(roots)
        return
    with tempfile.TemporaryDirectory() as folder:
        build(fetch(Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
