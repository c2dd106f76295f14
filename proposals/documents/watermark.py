"""The reading copy of a PDF: every page stamped with who read it and when (평가 보안), so that a
copy that leaves the system names the reading it came from.

Pure Python: fpdf2 draws the stamp (Korean text in the vendored Pretendard GOV font, light and
diagonal across the page, and a line along the foot), pypdf lays it over each page of the stored
file. pypdf does not re-parse or rewrite a page's drawing: the stamp becomes a form XObject, each
page's content is wrapped in ``q … Q`` (whatever graphics state it leaves behind cannot move the
stamp) and one short content stream is appended that draws the stamp, turned with the page's
``/Rotate`` and placed on its crop box. A page's own resources gain one XObject name. The cost is a
few milliseconds a page, and the stored file is never changed.

A PDF that pypdf cannot read or write (damaged, or encrypted with a scheme it cannot open) is not
stamped: ``stamped`` returns None and the caller serves the stored file as it is — the reading is
recorded either way, with whether the copy was stamped.
"""

import io
import logging
import math

from .pdf import FAMILY, korean_pdf

logger = logging.getLogger(__name__)
XOBJECT = "/GongmoStamp"


def _stamp_page(width: float, height: float, title: str, footer: str) -> bytes:
    """A one-page PDF of ``width`` × ``height`` points with the stamp drawn on it."""
    pdf = korean_pdf(unit="pt", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 10)
    across = (width**2 + height**2) ** 0.5  # the diagonal the title runs along
    size = min(min(width, height) / 14, 10 * 0.7 * across / max(pdf.get_string_width(title), 1))
    pdf.set_font(FAMILY, "B", max(size, 8.0))
    angle = math.degrees(math.atan2(height, width))
    with (
        pdf.local_context(fill_opacity=0.2, stroke_opacity=0.2, text_color=(110, 110, 110)),
        pdf.rotation(angle=angle, x=width / 2, y=height / 2),
    ):
        # text(), not cell(): a long title starts left of the page, and set_x() reads a negative
        # x as measured from the right edge.
        pdf.text((width - pdf.get_string_width(title)) / 2, height / 2 + pdf.font_size / 3, title)
    pdf.set_font(FAMILY, "", max(6.0, min(9.0, width / 70)))
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(12, height - 16)
    pdf.cell(text=footer)
    return bytes(pdf.output())


def _placement(rotate: int, box) -> list:
    """The ``cm`` matrix that puts a stamp drawn upright for the page as shown onto the page's
    user space, for its ``/Rotate`` (0, 90, 180, 270) and its crop box."""
    x0, y0 = float(box.left), float(box.bottom)
    width, height = float(box.width), float(box.height)
    return {
        0: [1, 0, 0, 1, x0, y0],
        90: [0, 1, -1, 0, x0 + width, y0],
        180: [-1, 0, 0, -1, x0 + width, y0 + height],
        270: [0, -1, 1, 0, x0, y0 + height],
    }[rotate % 360]


def stamped(content: bytes, title: str, footer: str) -> bytes | None:
    """``content`` (a PDF) with every page stamped; None when it cannot be stamped."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
    )

    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted:
            reader.decrypt("")
        writer = PdfWriter(clone_from=reader)
        forms = {}  # (shown width, shown height) → the stamp as a form XObject
        wraps = {}
        opening = writer._add_object(
            DecodedStreamObject.initialize_from_dictionary({"__streamdata__": b"q\n"})
        )
        for page in writer.pages:
            box = page.cropbox
            rotate = int(page.get("/Rotate", 0) or 0) % 360
            width, height = float(box.width), float(box.height)
            shown = (
                (round(height, 2), round(width, 2))
                if rotate in (90, 270)
                else (round(width, 2), round(height, 2))
            )
            if shown not in forms:
                name = f"{XOBJECT}{len(forms)}"  # one per size: pages may share a resource dict
                stamp = PdfReader(io.BytesIO(_stamp_page(*shown, title, footer))).pages[0]
                form = DecodedStreamObject()
                form.set_data(stamp.get_contents().get_data())
                form.update(
                    {
                        NameObject("/Type"): NameObject("/XObject"),
                        NameObject("/Subtype"): NameObject("/Form"),
                        NameObject("/BBox"): ArrayObject(
                            [NumberObject(0), NumberObject(0), FloatObject(shown[0]), FloatObject(shown[1])]
                        ),
                        NameObject("/Resources"): writer._add_object(stamp["/Resources"].clone(writer)),
                    }
                )
                forms[shown] = (name, writer._add_object(form))
            name, form_ref = forms[shown]
            key = (shown, rotate, tuple(round(float(v), 2) for v in (box.left, box.bottom)))
            if key not in wraps:
                matrix = " ".join(f"{value:g}" for value in _placement(rotate, box))
                closing = DecodedStreamObject()
                closing.set_data(f"Q\nq {matrix} cm {name} Do Q\n".encode("ascii"))
                wraps[key] = writer._add_object(closing)
            resources = page.get("/Resources")
            resources = resources.get_object() if resources is not None else DictionaryObject()
            if "/Resources" not in page:
                page[NameObject("/Resources")] = resources
            xobjects = resources.get("/XObject")
            if xobjects is None:
                xobjects = DictionaryObject()
                resources[NameObject("/XObject")] = xobjects
            xobjects = xobjects.get_object()
            xobjects[NameObject(name)] = form_ref
            contents = page.get("/Contents")
            parts = []
            if contents is not None:
                contents = contents.get_object()
                parts = list(contents) if isinstance(contents, ArrayObject) else [page.raw_get("/Contents")]
            page[NameObject("/Contents")] = ArrayObject([opening, *parts, wraps[key]])
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except Exception:  # a PDF pypdf cannot handle is served unstamped (see the module docstring)
        logger.warning("A document could not be stamped; it is served as stored.", exc_info=True)
        return None
