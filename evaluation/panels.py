"""Panels (평가위원회) of a stage: creating one, its members from a spreadsheet, the overview.

The command line (``panels``), the administrators' pages (``portal/manage/panels.py``) and a
shell call these functions; the Django admin edits panels directly (audited like every model).
Forming a panel (every member, every proposal of its tracks) is ``assignments.form_panel``; the
draw from the panels is ``assignments.draw_assignments``.

Members spreadsheet (``panels members``, the page's upload): the first sheet, the header in its
first non-empty row, one column ``평가위원|reviewer``* (username or e-mail, as ``import_scores``
identifies reviewers); ``성명|name`` may be there for the reader and is not checked. The reviewers
of the file are added to the panel, all or none; members absent from the file are reported and
kept (removed only in the Django admin, with a reason). Same engine and guarantees as every
import (``proposals.importing.engine``: dry run, idempotent, ``7행 '평가위원': …`` messages).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from proposals import audit
from proposals.importing import cells
from proposals.importing.engine import Column, Importer, RowError, RowStatus
from proposals.models import Competition, Track, audit_context

from .advancement import proposals_in_stage
from .assignments import panels_by_track  # the draw's own reading of the panels
from .models import Panel, Reviewer, Stage

NAME_MAX = Panel._meta.get_field("name").max_length


class PanelError(ValidationError):
    """A panel cannot be created as asked; nothing was written. ``message`` is ready to show."""

    def __init__(self, message: str, code: str):
        super().__init__(message, code=code)

    def __str__(self) -> str:
        return self.message


def tracks_of(competition: Competition, codes) -> list[Track]:
    """The tracks of ``competition`` named by ``codes`` (codes or names), in the order given.
    Raises PanelError naming the unknown ones and the tracks there are."""
    tracks = list(
        Track.objects.filter(category__competition=competition).order_by("category__order", "order", "pk")
    )
    by_key = {}
    for track in tracks:
        by_key.setdefault(cells.fold(track.code), track)
        by_key.setdefault(cells.fold(track.name), track)
    found, unknown = [], []
    for code in codes:
        code = code.strip()
        if not code:
            continue
        track = by_key.get(cells.fold(code))
        if track is None:
            unknown.append(code)
        elif track not in found:
            found.append(track)
    if unknown:
        raise PanelError(
            _("Competition %(slug)s has no track %(unknown)s (tracks: %(tracks)s).")
            % {
                "slug": competition.slug,
                "unknown": ", ".join(f"'{code}'" for code in unknown),
                "tracks": cells.track_options((t.code, t.name) for t in tracks) or "—",
            },
            code="unknown_track",
        )
    if not found:
        raise PanelError(_("Name at least one track the panel reviews."), code="no_track")
    return found


@transaction.atomic
def create_panel(stage: Stage, name: str, tracks: list[Track], actor=None) -> Panel:
    """A new panel of ``stage`` reviewing ``tracks`` (of the stage's competition), no members yet.
    Refused (PanelError, nothing written) for an empty or too long name, a name the stage's
    panels already use, no track, or a track of another competition."""
    name = " ".join((name or "").split())
    if not name:
        raise PanelError(_("Give the panel a name."), code="no_name")
    if len(name) > NAME_MAX:
        raise PanelError(
            _("The panel's name is longer than %(max)s characters (%(length)s).")
            % {"max": NAME_MAX, "length": len(name)},
            code="long_name",
        )
    if not tracks:
        raise PanelError(_("Name at least one track the panel reviews."), code="no_track")
    foreign = [t for t in tracks if t.category.competition_id != stage.competition_id]
    if foreign:
        raise PanelError(
            _("Track %(track)s is not a track of this competition.") % {"track": foreign[0].name},
            code="foreign_track",
        )
    if stage.panels.filter(name=name).exists():
        raise PanelError(
            _("Stage %(stage)s already has a panel named '%(name)s'.") % {"stage": stage.name, "name": name},
            code="duplicate",
        )
    with audit_context(actor, _("panel %(name)s created") % {"name": name}):
        panel = Panel.objects.create(stage=stage, name=name)
        panel.tracks.set(tracks)
    return panel


def panel_named(stage: Stage, name: str) -> Panel:
    panel = stage.panels.filter(name=" ".join((name or "").split())).first()
    if panel is None:
        names = ", ".join(stage.panels.order_by("name").values_list("name", flat=True)) or "—"
        raise PanelError(
            _("Stage %(stage)s has no panel named '%(name)s' (panels: %(names)s).")
            % {"stage": stage.name, "name": name, "names": names},
            code="no_panel",
        )
    return panel


@transaction.atomic
def add_members(panel: Panel, reviewers, actor=None, reason: str = "") -> list[Reviewer]:
    """Add ``reviewers`` to the panel (audited: the membership change names the actor and the
    reason); those already members are left alone. Returns the reviewers added."""
    current = set(panel.members.values_list("pk", flat=True))
    added = [reviewer for reviewer in reviewers if reviewer.pk not in current]
    if added:
        with audit_context(actor, reason or _("members added to panel %(name)s") % {"name": panel.name}):
            panel.members.add(*added)
    return added


# --- Members from a spreadsheet ----------------------------------------------------------------


class PanelMemberImporter(Importer):
    kind = "panel members"
    columns = (
        Column(
            "reviewer", ("평가위원", "reviewer"), cells.name(254), required=True, help="아이디 또는 이메일"
        ),
        Column("name", ("성명", "name"), cells.name(60), help="확인용 (읽기만 합니다)"),
    )

    def __init__(self, panel: Panel, actor=None):
        super().__init__(actor=actor)
        self.panel = panel

    def lock(self) -> None:
        Panel.objects.select_for_update().filter(pk=self.panel.pk).exists()

    def prepare(self) -> None:
        self.reviewers: dict[str, Reviewer] = {}
        for reviewer in Reviewer.objects.select_related("user").order_by("pk"):
            self.reviewers.setdefault(reviewer.email.lower(), reviewer)
            self.reviewers.setdefault(reviewer.user.username.lower(), reviewer)
        self.members = {reviewer.pk: reviewer for reviewer in self.panel.members.all()}
        self.matched: set[int] = set()

    def build(self, values: dict, number: int) -> Reviewer:
        reviewer = self.reviewers.get(values["reviewer"].lower())
        if reviewer is None:
            raise RowError(
                "reviewer",
                _("Unknown reviewer (no username or e-mail): '%(value)s'")
                % {"value": cells.shown(values["reviewer"])},
            )
        return reviewer

    def key_of(self, planned: Reviewer):
        return ("reviewer", planned.pk), "reviewer"

    def label_of(self, planned: Reviewer) -> str:
        return f"{planned.name} <{planned.email}>"

    def compare(self, planned: Reviewer):
        self.matched.add(planned.pk)
        return (RowStatus.UNCHANGED if planned.pk in self.members else RowStatus.NEW), []

    def claim(self, values: dict, planned) -> None:
        reviewer = planned or self.reviewers.get((values.get("reviewer") or "").lower())
        if reviewer is not None:
            self.matched.add(reviewer.pk)

    def missing_labels(self) -> list[str]:
        return [
            f"{reviewer.name} <{reviewer.email}>"
            for pk, reviewer in sorted(self.members.items())
            if pk not in self.matched
        ]

    def write(self, plans: list, report) -> None:
        added = add_members(
            self.panel,
            [planned for status, planned in plans if status == RowStatus.NEW],
            self.actor,
            report.filename,
        )
        audit.record_many(
            [
                self.applied_entry(
                    report,
                    "panel",
                    self.panel.pk,
                    competition=self.panel.stage.competition,
                    panel=self.panel.name,
                    added=[reviewer.pk for reviewer in added],
                )
            ]
        )


# --- The overview: a competition's panels per stage ---------------------------------------------


@dataclass
class StagePanels:
    stage: Stage
    panels: list[Panel]
    proposals: dict[int, int] = field(default_factory=dict)  # track id → proposals in the stage
    uncovered: list[tuple[Track, int]] = field(default_factory=list)  # (track, proposals): no panel


def competition_panels(competition: Competition) -> list[StagePanels]:
    """Each stage of ``competition`` with its panels (tracks and members loaded) and the tracks
    whose proposals in the stage no panel covers."""
    tracks = {t.pk: t for t in Track.objects.filter(category__competition=competition)}
    result = []
    for stage in competition.stages.order_by("order", "pk"):
        panels = list(stage.panels.prefetch_related("tracks", "members").order_by("name", "pk"))
        covered = {track.pk for panel in panels for track in panel.tracks.all()}
        counts: dict[int, int] = {}
        for track_id in proposals_in_stage(stage).values_list("track_id", flat=True):
            counts[track_id] = counts.get(track_id, 0) + 1
        uncovered = [(tracks[pk], counts[pk]) for pk in sorted(counts) if pk not in covered]
        result.append(StagePanels(stage, panels, counts, uncovered))
    return result


@dataclass
class TrackCoverage:
    """One track of a stage as the draw sees it: its proposals in the stage and the panels (and
    their members, each once) it draws from; no panel: its proposals are not assigned."""

    track: Track
    proposals: int
    panels: list[Panel]
    members: int


def panels_by_track_of(stage: Stage) -> list[TrackCoverage]:
    """The stage's tracks that have proposals in it, each with the panels covering it."""
    covering = panels_by_track(stage)
    counts: dict[int, int] = {}
    for track_id in proposals_in_stage(stage).values_list("track_id", flat=True):
        counts[track_id] = counts.get(track_id, 0) + 1
    tracks = Track.objects.filter(pk__in=counts).order_by("category__order", "order", "pk")
    return [
        TrackCoverage(
            track,
            counts[track.pk],
            covering.get(track.pk, []),
            len({r.pk for panel in covering.get(track.pk, []) for r in panel.members.all()}),
        )
        for track in tracks
    ]
