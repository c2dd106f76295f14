"""Database-side computations for pages and commands (annotate/aggregate, not row loops)."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from proposals.models import Competition, Proposal, Track

from .rules import competition_ratio


@dataclass
class TrackOverview:
    track: Track
    applicants: int
    slots: int | None  # None where the category pools its slots
    ratio: str | None


@dataclass
class CategoryOverview:
    code: str
    name: str
    applicants: int
    slots: int
    ratio: str | None
    pooled: bool
    tracks: list[TrackOverview] = field(default_factory=list)


def tracks_with_applicants(competition: Competition):
    """Tracks of the competition, each annotated with ``applicants``: proposals not withdrawn."""
    return (
        Track.objects.filter(category__competition=competition)
        .select_related("category")
        .annotate(applicants=Count("proposals", filter=~Q(proposals__status=Proposal.Status.WITHDRAWN)))
        .order_by("category__order", "category__code", "order", "code")
    )


def competition_overview(competition: Competition) -> list[CategoryOverview]:
    """Applicants, slots and competition ratio per category and track (SPEC §4.7), one query."""
    categories: dict[int, CategoryOverview] = {}
    for track in tracks_with_applicants(competition):
        category = track.category
        overview = categories.get(category.pk)
        if overview is None:
            overview = categories[category.pk] = CategoryOverview(
                code=category.code,
                name=category.name,
                applicants=0,
                slots=category.slots or 0,
                ratio=None,
                pooled=category.pools_slots,
            )
        overview.applicants += track.applicants
        if not overview.pooled:
            overview.slots += track.slots or 0
        overview.tracks.append(
            TrackOverview(
                track=track,
                applicants=track.applicants,
                slots=None if overview.pooled else track.slots,
                ratio=None if overview.pooled else competition_ratio(track.applicants, track.slots),
            )
        )
    for overview in categories.values():
        overview.ratio = competition_ratio(overview.applicants, overview.slots)
    return list(categories.values())
