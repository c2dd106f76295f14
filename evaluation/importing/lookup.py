"""Which proposal a spreadsheet row names (SPEC §5): its ``접수번호``, or its ``트랙`` and ``지자체``
where the file has no references — the one lookup of every importer that names proposals."""

from django.utils.translation import gettext as _

from proposals.importing import cells
from proposals.importing.engine import RowError
from proposals.models import Competition, Proposal


class ProposalLookup:
    """The proposals of one competition, loaded once, found by a row's values."""

    def __init__(self, competition: Competition):
        proposals = list(
            Proposal.objects.filter(competition=competition).select_related("applicant", "track")
        )
        self.by_reference = {p.reference: p for p in proposals if p.reference}
        self.by_track_applicant: dict[tuple[int, str], list[Proposal]] = {}
        self.tracks: dict[str, object] = {}
        for proposal in proposals:
            key = (proposal.track_id, cells.fold(proposal.applicant.name))
            self.by_track_applicant.setdefault(key, []).append(proposal)
            self.tracks[cells.fold(proposal.track.code)] = proposal.track
            self.tracks[cells.fold(proposal.track.name)] = proposal.track

    def find(self, values: dict, present: set[str]) -> Proposal:
        """The proposal ``values`` name; RowError (blaming the column at fault) when none or several.
        ``present``: the column keys the file has."""
        reference = values.get("reference") or ""
        if reference:
            proposal = self.by_reference.get(reference)
            if proposal is None:
                raise RowError(
                    "reference",
                    _("No proposal with this reference in the competition: '%(value)s'")
                    % {"value": cells.shown(reference)},
                )
            return proposal
        track_text, applicant = values.get("track") or "", values.get("applicant") or ""
        if not track_text or not applicant:
            blame = "reference" if "reference" in present else ("track" if not track_text else "applicant")
            raise RowError(blame, _("Enter the reference, or the track and the local government."))
        track = self.tracks.get(cells.fold(track_text))
        if track is None:
            raise RowError(
                "track",
                _("Unknown track: '%(value)s' (one of %(options)s)")
                % {
                    "value": cells.shown(track_text),
                    "options": cells.track_options(
                        sorted({(t.code, t.name) for t in self.tracks.values()}, key=lambda pair: pair[0])
                    ),
                },
            )
        found = self.by_track_applicant.get((track.pk, cells.fold(applicant)), [])
        if not found:
            raise RowError(
                "applicant",
                _("No proposal of this local government in track %(track)s: '%(value)s'")
                % {"track": track.name, "value": cells.shown(applicant)},
            )
        if len(found) > 1:
            raise RowError(
                "applicant",
                _("Several proposals match '%(value)s' in this track; give the reference instead.")
                % {"value": cells.shown(applicant)},
            )
        return found[0]
