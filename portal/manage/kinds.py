"""The kinds of spreadsheet the import pages serve (applicants, reviewers, scores of a stage), and
the page each kind is uploaded from."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from proposals.models import Competition, ImportUpload

# The kinds of spreadsheet the import pages (preview, confirm, result, error rows) serve.
SPREADSHEET_KINDS = (ImportUpload.Kind.PROPOSALS, ImportUpload.Kind.REVIEWERS, ImportUpload.Kind.SCORES)


@dataclass(frozen=True)
class UploadPage:
    """The page an upload of a kind came from: its title and address, what "not in the file"
    lists and what confirming keeps."""

    title: str
    url: str
    keeps: str


def upload_page(kind: str, competition: Competition) -> UploadPage:
    if kind == ImportUpload.Kind.REVIEWERS:
        return UploadPage(
            _("Import reviewers"),
            reverse("manage:import-reviewers", args=[competition.slug]),
            _("Confirming writes every row above in one step. Reviewers not in the file are kept."),
        )
    if kind == ImportUpload.Kind.SCORES:
        return UploadPage(
            _("Import scores"),
            reverse("manage:import-scores", args=[competition.slug]),
            _(
                "Confirming submits every scoresheet above in one step. Sheets and assignments not in "
                "the file are kept."
            ),
        )
    return UploadPage(
        _("Import applicants"),
        reverse("manage:import-proposals", args=[competition.slug]),
        _("Confirming writes every row above in one step. Existing proposals not in the file are kept."),
    )
