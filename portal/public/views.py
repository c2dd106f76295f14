"""Pages anyone may read without signing in (SPEC §2: published results only).

The results page reads the current publication's frozen snapshot and nothing else: never the
live tables, never personal data (contacts) or reviewers."""

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max
from django.db.models.fields.json import KeyTransform
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation.appeals import deadline_text, state_of, with_open_appeals
from evaluation.integrity import with_chain_head
from evaluation.models import Publication
from proposals.models import Competition

from .announcement import announcement
from .open_data import open_data, open_data_csv

SEOUL = ZoneInfo("Asia/Seoul")


def landing(request):
    """Competitions announced to the public; drafts being set up stay private. Those with a
    publication link to their results."""
    competitions = (
        Competition.objects.exclude(status=Competition.Status.DRAFT)
        .annotate(latest_publication=Max("publications__number"))
        .order_by("-year", "name")
    )
    return render(request, "portal/public/landing.html", {"competitions": competitions})


# The parts of a snapshot the results page shows: its ``inputs`` (every sheet total, 2.5 MB at
# 2,000 proposals) are never read for it. The database extracts these from the stored JSON.
SHOWN_PARTS = ("competition", "outcome", "changes", "supersedes", "correction_reason")


def _publication_in_force(slug, with_state=False):
    """The current publication of a competition with the parts of its snapshot the public reads
    (``SHOWN_PARTS``, extracted by the database: never the inputs) and the chain head recorded
    when it was published — with ``with_state`` also the number of its open appeals
    (``evaluation.appeals.with_open_appeals``) — in one query; 404 without one."""
    publications = Publication.objects.filter(competition__slug=slug)
    if with_state:
        publications = with_open_appeals(publications)
    publication = (
        with_chain_head(publications)
        .defer("snapshot")
        .annotate(**{f"shown_{part}": KeyTransform(part, "snapshot") for part in SHOWN_PARTS})
        .select_related("competition")
        .order_by("-number")
        .first()
    )
    if publication is None:
        raise Http404
    return publication, {part: getattr(publication, f"shown_{part}") for part in SHOWN_PARTS}


def results(request, slug):
    """The current publication of a competition, from its snapshot alone, and where it stands in
    the appeal procedure (이의신청 기간, 심사 중, 확정): the window and the state, never an appeal's
    details (the number of open appeals is not shown either)."""
    publication, snapshot = _publication_in_force(slug, with_state=True)
    state = state_of(publication)
    context = {
        "publication": publication,
        "competition": snapshot["competition"],
        "organization_name": publication.competition.organization_name,  # SPEC §8.5
        "published_at": timezone.localtime(publication.published_at, SEOUL),
        "categories": result_sections(snapshot["outcome"]),
        "provinces": snapshot["outcome"]["ranking"].get("provinces"),  # SPEC §8.7, where recorded
        "total": _amounts(snapshot["outcome"]["totals"]["all"]),
        "corrections": correction_notes(snapshot),
        "corrects": (snapshot.get("supersedes") or {}).get("number"),
        "correction_reason": snapshot["correction_reason"],
        "appeal_state": state,
        "appeal_deadline": deadline_text(state.deadline),
    }
    return render(request, "portal/public/results.html", context)


def _open_data(request, slug) -> dict:
    publication, snapshot = _publication_in_force(slug)
    page = request.build_absolute_uri(reverse("public-results", args=[slug]))
    return open_data(publication, snapshot, page, timezone.localtime(publication.published_at, SEOUL))


def results_json(request, slug):
    """The publication in force as open data (JSON, ``portal.public.open_data``), at a stable
    address: always the latest publication of the competition."""
    document = _open_data(request, slug)
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Disposition"] = f'inline; filename="{slug}-results.json"'
    return response


def results_csv(request, slug):
    """The selected of the publication in force as open data (CSV)."""
    content = open_data_csv(_open_data(request, slug))
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-results.csv"'
    return response


def privacy(request):
    """개인정보처리방침: what personal data the system holds, why, who sees it, how long (KRDS footer)."""
    return render(request, "portal/public/privacy.html")


# --- From the snapshot's outcome to what the page shows (pure) ---------------------------------


def format_eok(value) -> str:
    """An amount given in 억원, as the reader's language writes it: ``1,200억원``, ``200.5억원`` in
    Korean; ``KRW 120 billion``, ``KRW 20.05 billion`` in English (1억원 = KRW 0.1 billion)."""
    amount = Decimal(value).quantize(Decimal("0.01"))
    if not (translation.get_language() or "ko").startswith("ko"):
        return f"KRW {_grouped(amount / 10)} billion"
    return f"{_grouped(amount)}억원"


def _grouped(amount: Decimal) -> str:
    """Thousands separators, no trailing zeros: ``1,200``, ``200.5``."""
    if amount == amount.to_integral_value():
        return f"{int(amount):,}"
    return format(amount.normalize(), ",f")


def _amounts(totals: dict) -> dict:
    return {
        "selected": totals["selected"],
        "national_subsidy": format_eok(totals["national_subsidy"]),
        "local_matching": format_eok(totals["local_matching"]),
    }


def _several_per_applicant(category: dict) -> bool:
    """Whether a name holds several of the category's ranked proposals (SPEC §8.1; two local
    governments of one name in different 광역 count too: the proposals' wording is then still true)."""
    names = [row["applicant"] for track in category["tracks"] for row in track["ranking"]]
    return len(set(names)) < len(names)


def result_sections(outcome: dict) -> list[dict]:
    """Per category: applicants, slots, ratio, the announcement, and per track the selected with
    their titles and national subsidy and the totals — from the stored outcome only."""
    track_totals = {(t["category"], t["track"]): t for t in outcome["totals"]["tracks"]}
    category_totals = {c["category"]: c for c in outcome["totals"]["categories"]}
    sections = []
    for category in outcome["ranking"]["categories"]:
        tracks = []
        for track in category["tracks"]:
            totals = track_totals[(category["code"], track["code"])]
            tracks.append(
                {
                    "code": track["code"],
                    "name": track["name"],
                    "applicants": track["applicants"],
                    "slots": track["slots"],
                    "ratio": track["ratio"],
                    "selected": [
                        {
                            "applicant": row["applicant"],
                            "title": row["title"],
                            "national_subsidy": format_eok(row["national_subsidy"]),
                            "local_matching": format_eok(row["local_matching"]),
                        }
                        for row in totals["selected"]
                    ],
                    "national_subsidy": format_eok(totals["national_subsidy"]),
                    "local_matching": format_eok(totals["local_matching"]),
                }
            )
        sections.append(
            {
                "code": category["code"],
                "name": category["name"],
                "applicants": category["applicants"],
                "slots": category["slots"],
                "ratio": category["ratio"],
                "pooled": all(track["slots"] is None for track in category["tracks"])
                and bool(category["tracks"]),
                "tracks": tracks,
                "totals": _amounts(category_totals[category["code"]]),
                "announcement": announcement(
                    {
                        "name": category["name"],
                        "applicants": category["applicants"],
                        "ratio": category["ratio"],
                        "several_per_applicant": _several_per_applicant(category),
                        "tracks": [
                            {"name": t["name"], "selected": [row["applicant"] for row in t["selected"]]}
                            for t in tracks
                        ],
                    }
                ),
            }
        )
    return sections


# --- 정정 사항 as the public sees them (pure) ----------------------------------------------------

SELECTED = "selected"
CHANGE_COUNTS = (
    ("sheets", gettext_lazy("scoresheets")),
    ("adjustments", gettext_lazy("bonus or penalty points")),
    ("draws", gettext_lazy("draws")),
    ("proposals", gettext_lazy("proposal details")),
    ("rules", gettext_lazy("evaluation rules")),
)


def correction_notes(snapshot: dict) -> list[str]:
    """A correction's changes (``evaluation.corrections``, stored in the snapshot) as far as the
    public result shows them: who was newly selected or is no longer selected, and how many inputs
    changed — never a score, a rank or a reviewer (scores are not published). Empty for a first
    publication."""
    changes = snapshot.get("changes")
    if not changes:
        return []
    tracks = {
        (category["code"], track["code"]): category["name"]
        if category["name"] == track["name"]
        else track["name"]
        for category in snapshot["outcome"]["ranking"]["categories"]
        for track in category["tracks"]
    }
    notes = []
    for row in changes.get("outcome", []):
        was = (row["before"] or {}).get("status") == SELECTED
        now = (row["after"] or {}).get("status") == SELECTED
        if was == now:
            continue
        text = (
            _("%(track)s: newly selected — %(applicant)s")
            if now
            else _("%(track)s: no longer selected — %(applicant)s")
        )
        notes.append(
            text
            % {
                "track": tracks.get((row["category"], row["track"]), row["track"]),
                "applicant": row["applicant"],
            }
        )
    if not notes:
        notes.append(_("The selected applicants are unchanged."))
    counted = [
        _("%(what)s: %(count)s") % {"what": label, "count": len(changes[key])}
        for key, label in CHANGE_COUNTS
        if changes.get(key)
    ]
    if counted:
        notes.append(_("Changed inputs — %(list)s.") % {"list": ", ".join(counted)})
    return notes
