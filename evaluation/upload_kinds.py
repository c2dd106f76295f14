"""The web upload of reviewer and score spreadsheets (``proposals.importing.uploads``): the
importers of those kinds, registered when the app is ready (proposals may not import evaluation)."""

from django.utils.translation import gettext as _

from proposals.importing.uploads import UploadRefused, register_importer
from proposals.models import ImportUpload

from .importing.reviewers import ReviewerImporter
from .importing.scores import ScoreImporter
from .models import Stage


def reviewer_importer(upload: ImportUpload, actor) -> ReviewerImporter:
    """The reviewer pool is shared; the upload's competition narrows "not in the file"."""
    return ReviewerImporter(upload.competition, actor=actor)


def score_importer(upload: ImportUpload, actor) -> ScoreImporter:
    stage = Stage.objects.filter(competition=upload.competition, code=upload.stage_code).first()
    if stage is None:
        raise UploadRefused(
            _("The stage '%(code)s' no longer exists in this competition. Nothing was imported.")
            % {"code": upload.stage_code}
        )
    return ScoreImporter(stage, actor=actor)


def register() -> None:
    register_importer(ImportUpload.Kind.REVIEWERS, reviewer_importer)
    register_importer(ImportUpload.Kind.SCORES, score_importer)
