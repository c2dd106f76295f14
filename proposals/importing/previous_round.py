"""A preliminary round's proposals (SPEC §8.8, 예비 → 본 지정): those an earlier competition's
published result gave the chosen statuses, as the rows of an applicant sheet, so that
``import_proposals --from-competition`` checks and writes them exactly as it would a file — all
or nothing, idempotent, audited, the same report.

The statuses come from the publication in force (the result as announced), read through the
competition's reverse relation: the proposals app imports nothing of the evaluation app."""

from django.utils.translation import gettext as _

from ..models import Competition, Proposal, Track
from .applicants import FIELDS
from .workbook import Sheet, Tally

SELECTED = "selected"  # SPEC §6

# The applicant sheet's columns (SPEC §5) a proposal carries into the next round: those the
# importer compares and writes (the 지자체 by its 광역 and name); its status is not one of them
# (a proposal enters the new round as received, 접수).
HEADER = ("province", *FIELDS)


class PreviousRoundError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def previous_round_sheet(target: Competition, source: Competition, statuses: list[str]) -> Sheet:
    """The rows of the proposals ``source``'s publication in force gave one of ``statuses``, in
    the order of its result; PreviousRoundError says why there are none to take."""
    if source.pk == target.pk:
        raise PreviousRoundError(_("A competition cannot take proposals from itself."))
    publication = source.publications.order_by("-number").first()
    if publication is None:
        raise PreviousRoundError(
            _(
                "The result of '%(name)s' is not published: only the proposals of a published result are taken."
            )
            % {"name": source.name}
        )
    ids = _chosen_ids(publication.snapshot, set(statuses))
    if not ids:
        raise PreviousRoundError(
            _("The published result of '%(name)s' has no proposal with the status %(statuses)s.")
            % {"name": source.name, "statuses": ", ".join(statuses)}
        )
    found = Proposal.objects.filter(competition=source, pk__in=ids).select_related("track", "applicant")
    proposals = sorted(found, key=lambda proposal: ids.index(proposal.pk))
    if len(proposals) < len(ids):
        raise PreviousRoundError(
            _("%(count)s proposal(s) of the published result of '%(name)s' no longer exist.")
            % {"count": len(ids) - len(proposals), "name": source.name}
        )
    codes = set(Track.objects.filter(category__competition=target).values_list("code", flat=True))
    missing = sorted({proposal.track.code for proposal in proposals} - codes)
    if missing:
        raise PreviousRoundError(
            _(
                "This competition has no track with the code %(codes)s (%(count)s of the proposals to "
                "take). Add the track to the competition file, or give it the same code, and run again."
            )
            % {
                "codes": ", ".join(missing),
                "count": sum(1 for proposal in proposals if proposal.track.code in missing),
            }
        )
    rows = [(number, _row(proposal)) for number, proposal in enumerate(proposals, start=2)]
    return Sheet(source.slug, 1, HEADER, iter(rows), Tally(total=len(rows)))


def _chosen_ids(snapshot: dict, statuses: set) -> list[int]:
    """Ids of the proposals whose status in the snapshot's outcome is one of ``statuses``, in the
    outcome's order: the outcome names a proposal by category, track, 접수번호, applicant and
    title; the snapshot's inputs give that proposal's id."""
    id_of = {
        (p["category"], p["track"], p["reference"], p["applicant"], p["title"]): p["id"]
        for p in snapshot["inputs"]["proposals"]
    }
    ids = []
    for category in snapshot["outcome"]["ranking"]["categories"]:
        for track in category["tracks"]:
            for row in track["ranking"]:
                if row["status"] in statuses:
                    key = (category["code"], track["code"], row["reference"], row["applicant"], row["title"])
                    ids.append(id_of[key])
    return ids


def _row(proposal: Proposal) -> tuple:
    values = {
        "province": proposal.applicant.province,
        "track": proposal.track.code,
        "applicant": proposal.applicant.name,
        "solutions": "\n".join(proposal.solutions),
        "partners": "\n".join(proposal.partners),
    }
    return tuple(values[key] if key in values else getattr(proposal, key) for key in HEADER)
