"""The demo's 사업계획서: one PDF per proposal, written from what the applicant sheet says about it
(applicants.xlsx: title, 지자체, track, 주요내용, solutions, partners, amounts, 접수번호, date)
and the competition file's criteria, in Korean (the vendored Pretendard GOV font, embedded), then
stored the way an admin stores a zip of documents (``proposals.documents.bundles``).

Nothing is invented about a proposal: sections the sheet has no data for say so, and every page
says that the document is a synthetic demo document. All plans are drawn in one fpdf2 document (the
font is read once: ~0.5 s for 24 plans) and split per proposal with pypdf; the bytes are the same on
every run, so a second demo run finds every plan stored already and writes nothing.
"""

import datetime
import io
import zipfile
from decimal import Decimal

from pypdf import PdfReader, PdfWriter

from proposals.documents.bundles import confirm_bundle, plan_bundle, read_members, stage_bundle
from proposals.documents.pdf import FAMILY, korean_pdf
from proposals.models import Competition

from .rules import plain_number
from .sheets import criteria_for

REASON = "데모: 지원자 시트의 자료로 만든 사업계획서 등록"
NOTE = "이 문서는 데모를 위해 지원자 시트의 자료로 만든 가상 사업계획서입니다. 실제 제출 서류가 아닙니다."
MARGIN = 20  # mm


def _amount(value) -> str:
    return f"{Decimal(value or 0).normalize():,f}억원"


class _PlanWriter:
    def __init__(self):
        self.pdf = korean_pdf(format="A4")
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_auto_page_break(True, margin=MARGIN)
        self.pdf.set_creation_date(datetime.datetime(2023, 3, 31, tzinfo=datetime.UTC))
        self.footer_text = ""
        self.pdf.footer = self._footer

    def _footer(self):
        pdf = self.pdf
        pdf.set_y(-14)
        pdf.set_font(FAMILY, "", 8)
        pdf.set_text_color(110, 110, 110)
        pdf.cell(0, 5, self.footer_text, align="L")
        pdf.set_text_color(0, 0, 0)

    def heading(self, text, size=13):
        pdf = self.pdf
        pdf.ln(4)
        pdf.set_font(FAMILY, "B", size)
        pdf.multi_cell(0, size * 0.55, text)
        pdf.ln(2)

    def paragraph(self, text, size=10.5):
        pdf = self.pdf
        pdf.set_font(FAMILY, "", size)
        pdf.multi_cell(0, size * 0.6, text)
        pdf.ln(1)

    def facts(self, rows):
        pdf = self.pdf
        width = pdf.w - 2 * MARGIN
        with pdf.table(col_widths=(30, 70), width=width, line_height=7, first_row_as_headings=False) as table:
            for label, value in rows:
                row = table.row()
                pdf.set_font(FAMILY, "B", 10)
                row.cell(label)
                pdf.set_font(FAMILY, "", 10)
                row.cell(value)

    def plan(self, proposal, competition, criteria) -> int:
        """Draw one proposal's plan; returns its number of pages."""
        pdf = self.pdf
        first = pdf.page_no() + 1
        self.footer_text = f"{competition.name} · {proposal.reference} 사업계획서 · 데모용 가상 문서"
        pdf.add_page()
        pdf.set_font(FAMILY, "", 11)
        pdf.cell(0, 7, competition.name, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "B", 24)
        pdf.cell(0, 14, "사업계획서", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FAMILY, "B", 15)
        pdf.multi_cell(0, 8, proposal.title)
        pdf.ln(4)
        total = Decimal(proposal.national_subsidy or 0) + Decimal(proposal.local_matching or 0)
        self.facts(
            [
                ("접수번호", proposal.reference or "—"),
                ("사업 유형", proposal.track.display_name),
                ("지자체", f"{proposal.applicant.name} ({proposal.applicant.province})"),
                ("사업명", proposal.title),
                ("접수일", _date(proposal.submitted_on)),
                (
                    "총사업비",
                    f"{_amount(total)} (국비 {_amount(proposal.national_subsidy)}, 지방비 {_amount(proposal.local_matching)})",
                ),
            ]
        )
        pdf.ln(4)
        self.paragraph(NOTE, size=9.5)

        self.heading("1. 사업 개요")
        self.paragraph(proposal.summary or "지원자 시트에 주요내용이 없습니다.")
        self.heading("2. 대표 솔루션")
        self.paragraph(
            "\n".join(f"· {item}" for item in proposal.solutions) or "지원자 시트에 적힌 솔루션이 없습니다."
        )
        self.heading("3. 참여기관")
        self.paragraph(
            "\n".join(f"· {item}" for item in proposal.partners) or "지원자 시트에 적힌 참여기관이 없습니다."
        )
        pdf.add_page()
        self.heading("4. 재원 계획")
        self.facts(
            [
                ("국비", _amount(proposal.national_subsidy)),
                ("지방비", _amount(proposal.local_matching)),
                ("합계", _amount(total)),
            ]
        )
        if criteria:
            self.heading("5. 평가항목별 작성 내용")
            self.paragraph(
                "공모 지침의 서면평가 항목입니다. 실제 사업계획서라면 항목마다 지자체가 작성한 내용이 이어집니다."
            )
            for criterion in criteria:
                self.heading(
                    f"{criterion.code}. {criterion.name} ({plain_number(criterion.max_points)}점)", size=11
                )
                self.paragraph(criterion.description or "—")
        return pdf.page_no() - first + 1


def _date(day) -> str:
    return f"{day.year}. {day.month}. {day.day}." if day else "—"


def demo_plans(competition: Competition) -> dict[str, bytes]:
    """{file name in the zip: PDF} for every proposal with a 접수번호."""
    stage = competition.stages.order_by("order", "pk").first()
    proposals = list(
        competition.proposals.exclude(reference="")
        .select_related("applicant", "track__category")
        .order_by("reference")
    )
    writer = _PlanWriter()
    pages = []
    for proposal in proposals:
        criteria = criteria_for(stage, proposal.track) if stage is not None else []
        pages.append(writer.plan(proposal, competition, criteria))
    reader = PdfReader(io.BytesIO(bytes(writer.pdf.output())))
    plans, start = {}, 0
    for proposal, count in zip(proposals, pages, strict=True):
        single = PdfWriter()
        for index in range(start, start + count):
            single.add_page(reader.pages[index])
        single.add_metadata({"/Title": f"{proposal.reference} 사업계획서 — {proposal.title}"})
        out = io.BytesIO()
        single.write(out)
        plans[f"{proposal.reference}_사업계획서.pdf"] = out.getvalue()
        start += count
    return plans


def demo_zip(plans: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in plans.items():
            info = zipfile.ZipInfo(name, date_time=(2023, 3, 31, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)
    return out.getvalue()


def store_demo_plans(competition: Competition, admin) -> dict:
    """Store the plans as an admin would (a zip: upload, preview, confirm); {} when every plan
    is stored already (a second run of the demo)."""
    content = demo_zip(demo_plans(competition))
    if not plan_bundle(read_members(content), competition).writes:
        return {}
    upload = stage_bundle(competition, "demo-사업계획서.zip", content, admin)
    _upload, summary = confirm_bundle(upload.pk, upload.sha256, admin, REASON)
    return summary["counts"]
