"""Every result letter of a publication in one PDF (A4, the Korean font of
``proposals.documents.pdf``), each from a new page: the letters in force as issued, a preview of
what the others would say. For the officials' bulk download and ``manage.py letters export``.
Written in the site's language (Korean), whatever the page language of who asks."""

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from proposals.documents.pdf import FAMILY, korean_pdf
from proposals.models import Proposal

from .letters import LetterBatch, content_deadline_text, letter_content
from .models import ResultLetter
from .ranking import proposal_key


def published_proposals(publication) -> list[dict]:
    """The proposals of the publication, as its snapshot names them, in order of key."""
    rows = [
        {
            "id": proposal["id"],
            "key": proposal["key"],
            "reference": proposal["reference"],
            "applicant": proposal["applicant"],
            "title": proposal["title"],
        }
        for proposal in publication.snapshot["inputs"]["proposals"]
    ]
    rows.sort(key=lambda row: (row["reference"] == "", row["reference"], row["id"]))
    return rows


def letter_contents(publication) -> list[tuple[dict, bool]]:
    """[(content, is_preview)] of every proposal of the publication, in the list's order: the
    letters in force (one query), previews for the others (one ranking for all of them)."""
    rows = published_proposals(publication)
    in_force = dict(
        ResultLetter.objects.filter(publication=publication, revoked_at__isnull=True).values_list(
            "proposal_id", "content"
        )
    )
    missing = [row["id"] for row in rows if row["id"] not in in_force]
    previews = {}
    if missing:
        proposals = list(Proposal.objects.filter(pk__in=missing))
        batch = LetterBatch.of(publication, proposals)
        for proposal in proposals:
            if proposal_key(proposal.pk, proposal.reference) in batch.outcome.rows:
                previews[proposal.pk] = letter_content(publication, proposal, batch)
    found = []
    for row in rows:
        if row["id"] in in_force:
            found.append((in_force[row["id"]], False))
        elif row["id"] in previews:
            found.append((previews[row["id"]], True))
    return found


class _LetterPDF:
    """Writes letters into one ``korean_pdf`` (A4, the Korean font), each from a new page."""

    WIDTH = 180  # mm between the margins

    def __init__(self):
        self.pdf = korean_pdf(format="A4", unit="mm")
        self.pdf.set_auto_page_break(True, margin=15)
        self.pdf.set_margins(15, 15, 15)

    def text(self, value, size=10, style="", height=5.5):
        self.pdf.set_font(FAMILY, style, size)
        value = str(value)
        if "\n" not in value and self.pdf.get_string_width(value) < self.WIDTH - 2:
            # One line: a cell, without multi_cell's line breaking (most of a letter's time).
            self.pdf.cell(self.WIDTH, height, value, new_x="LMARGIN", new_y="NEXT")
        else:
            self.pdf.multi_cell(self.WIDTH, height, value, new_x="LMARGIN", new_y="NEXT")

    def heading(self, value, size=12):
        self.pdf.ln(2)
        self.text(value, size=size, style="B", height=7)

    def row(self, cells, widths, style=""):
        self.pdf.set_font(FAMILY, style, 9)
        for value, width in zip(cells, widths, strict=True):
            self.pdf.cell(width, 6, str(value), border=1)
        self.pdf.ln(6)

    def letter(self, content: dict, preview: bool):
        pdf = self.pdf
        pdf.add_page()
        if preview:
            self.text(_("Preview — not issued (미발송 미리보기)"), size=10, style="B")
        self.text(content["competition"]["organization"], size=10)
        self.text(_("Result letter (평가결과 통보서)"), size=18, style="B", height=10)
        proposal, result = content["proposal"], content["result"]
        publication = content["publication"]
        facts = [
            (_("Competition"), content["competition"]["name"]),
            (_("Reference number"), proposal["reference"] or "—"),
            (_("Applicant"), proposal["applicant"]),
            (_("Project title"), proposal["title"]),
            (_("Track"), f"{proposal['category']} / {proposal['track']}"),
            (_("Publication no."), f"{publication['number']} ({publication['published_at'][:10]})"),
        ]
        for label, value in facts:
            pdf.set_font(FAMILY, "B", 10)
            pdf.cell(40, 6, str(label))
            pdf.set_font(FAMILY, "", 10)
            pdf.multi_cell(self.WIDTH - 40, 6, str(value), new_x="LMARGIN", new_y="NEXT")
        self.heading(_("Result"))
        rank = "—" if result["rank"] is None else f"{result['rank']} / {result['group_size']}"
        ratio = "—" if result["ratio"] is None else str(result["ratio"])
        self.row(
            [_("Final score"), _("Rank"), _("Status"), _("Competition ratio")], [45, 45, 45, 45], style="B"
        )
        self.row([result["score"] or "—", rank, result["status_label"], ratio], [45, 45, 45, 45])
        if result.get("adjustment"):
            self.text(
                _("bonus or penalty points included: %(points)s") % {"points": result["adjustment"]}, size=9
            )
        for adjustment in content.get("adjustments", []):
            self.text(f"· {adjustment['points']}: {adjustment['reason']}", size=9)
        for stage in content["stages"]:
            self.heading(f"{stage['name']} — {stage['score'] or '—'}", size=11)
            if stage["sheets"]:
                self.text(
                    _("Evaluator totals by code, highest first (× not counted by the trimmed mean)"), size=9
                )
                self.text(
                    "   ".join(
                        f"{sheet['code']} {sheet['total']}{' ×' if sheet['dropped'] else ''}"
                        for sheet in stage["sheets"]
                    ),
                    size=10,
                )
            if stage["criteria"]:
                self.row([_("Criterion"), _("Maximum"), _("Average")], [120, 30, 30], style="B")
                for criterion in stage["criteria"]:
                    self.row(
                        [
                            f"{criterion['code']} {criterion['name']}"[:60],
                            criterion["max"],
                            criterion["average"] or "—",
                        ],
                        [120, 30, 30],
                    )
            comments = stage["comments"]
            if comments["overall"] or comments["criteria"]:
                self.text(_("Evaluators' comments"), size=10, style="B")
                for text in comments["overall"]:
                    self.text(f"· {text}", size=9)
                for criterion in comments["criteria"]:
                    self.text(f"{criterion['code']} {criterion['name']}", size=9, style="B")
                    for text in criterion["comments"]:
                        self.text(f"· {text}", size=9)
        self.pdf.ln(3)
        self.text(
            _("An appeal may be filed through the letter's link until %(deadline)s.")
            % {"deadline": content_deadline_text(content)},
            size=9,
        )

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def letters_pdf_bytes(contents) -> bytes:
    """The PDF of ``letter_contents``."""
    with translation.override(settings.LANGUAGE_CODE):
        return _pdf_bytes(contents)


def _pdf_bytes(contents) -> bytes:
    writer = _LetterPDF()
    for content, preview in contents:
        writer.letter(content, preview)
    if not contents:
        writer.pdf.add_page()
        writer.text(_("No letter."))
    return writer.output()
