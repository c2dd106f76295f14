"""Korean text in PDFs, in pure Python: fpdf2 with the vendored Pretendard GOV font (its WOFF files
under portal/static/fonts, read directly: no conversion, no network, nothing written to disk).
fpdf2 embeds only the glyphs a document uses.

Used for the reading copy's stamp (``watermark``) and the demo's 사업계획서 (``evaluation.demo``).
"""

from pathlib import Path

from django.conf import settings
from fpdf import FPDF

FONT_DIR = Path(settings.BASE_DIR) / "portal" / "static" / "fonts" / "pretendard-gov"
FAMILY = "Pretendard GOV"
FONTS = {"": "PretendardGOV-Regular.subset.woff", "B": "PretendardGOV-Bold.subset.woff"}


def korean_pdf(**options) -> FPDF:
    """An ``FPDF`` with the Korean font loaded (``FAMILY``, styles "" and "B"), fixed metadata so
    that the same content gives the same bytes."""
    pdf = FPDF(**options)
    for style, filename in FONTS.items():
        pdf.add_font(FAMILY, style, str(FONT_DIR / filename))
    pdf.set_creator("gongmo")
    pdf.set_producer("gongmo")
    return pdf
