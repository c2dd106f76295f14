"""Pages anyone may read without signing in (SPEC §2: published results only).

The results page reads the current publication's frozen snapshot and nothing else: never the
live tables, never personal data (contacts) or reviewers."""

from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation.integrity import with_chain_head
from evaluation.models import Publication
from proposals.models import Competition

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


def results(request, slug):
    """The current publication of a competition, from its snapshot alone, with the chain head
    recorded when it was published (one query)."""
    publication = (
        with_chain_head(Publication.objects.filter(competition__slug=slug))
        .select_related("competition")
        .order_by("-number")
        .first()
    )
    if publication is None:
        raise Http404
    snapshot = publication.snapshot
    context = {
        "publication": publication,
        "competition": snapshot["competition"],
        "published_at": timezone.localtime(publication.published_at, SEOUL),
        "categories": result_sections(snapshot["outcome"]),
        "total": _amounts(snapshot["outcome"]["totals"]["all"]),
        "corrections": correction_notes(snapshot),
        "corrects": (snapshot.get("supersedes") or {}).get("number"),
    }
    return render(request, "portal/public/results.html", context)


# --- From the snapshot's outcome to what the page shows (pure) ---------------------------------


def format_eok(value) -> str:
    """An amount in 억원 with thousands separators: ``1,200억원``, ``200.5억원``."""
    amount = Decimal(value).quantize(Decimal("0.01"))
    whole = amount == amount.to_integral_value()
    text = f"{int(amount):,}" if whole else format(amount.normalize(), ",f")
    return f"{text}억원"


def _amounts(totals: dict) -> dict:
    return {
        "selected": totals["selected"],
        "national_subsidy": format_eok(totals["national_subsidy"]),
        "local_matching": format_eok(totals["local_matching"]),
    }


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


# --- The announcement in the ministry's style (pure) -------------------------------------------

_DIGIT_BATCHIM = {
    "0": True,
    "1": True,
    "2": False,
    "3": True,
    "4": False,
    "5": False,
    "6": True,
    "7": True,
    "8": True,
    "9": False,
}


def _has_batchim(word: str) -> bool | None:
    """Whether the word's last syllable ends in a consonant (받침); None when unknown."""
    word = word.rstrip(" )]」』")
    if not word:
        return None
    last = word[-1]
    if "가" <= last <= "힣":
        return (ord(last) - ord("가")) % 28 != 0
    return _DIGIT_BATCHIM.get(last)


def josa(word: str, with_batchim: str, without: str) -> str:
    """``word`` with the particle its last syllable takes: 은/는, 이/가, 과/와."""
    ending = _has_batchim(word)
    if ending is None:
        return f"{word}{with_batchim}({without})"
    return f"{word}{with_batchim if ending else without}"


def _and_list(names: list[str]) -> str:
    """``A과 B``, ``A, B와 C``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join([*names[:-2], josa(names[-2], "과", "와") + " " + names[-1]])


def announcement(category: dict) -> str:
    """The category's result as the ministry announces it, e.g. «거점형은 총 10곳의 지자체가 신청해
    5:1의 경쟁률을 보였으며, 울산광역시, 고양시 2곳이 선정되었다.»

    ``category``: ``name``, ``applicants``, ``ratio`` (``"5:1"`` or None) and ``tracks``, each with
    ``name`` and ``selected`` (applicant names in rank order)."""
    name, applicants, ratio = category["name"], category["applicants"], category.get("ratio")
    tracks = category["tracks"]
    if len(tracks) <= 1:
        selected = tracks[0]["selected"] if tracks else []
        head = f"{josa(name, '은', '는')} 총 {applicants}곳의 지자체가 "
        head += f"신청해 {ratio}의 경쟁률을 보였으며," if ratio else "신청했으며,"
        if selected:
            return f"{head} {', '.join(selected)} {len(selected)}곳이 선정되었다."
        return f"{head} 선정된 지자체는 없다."
    kinds = _and_list([track["name"] for track in tracks])
    head = f"{josa(name, '은', '는')} {kinds} {len(tracks)}개 유형에 총 {applicants}개 지자체가 지원하여"
    head += f" {ratio}의 경쟁률을 보였으며," if ratio else "으며,"
    chosen = [track for track in tracks if track["selected"]]
    empty = [track for track in tracks if not track["selected"]]
    parts = [
        f"{josa(track['name'], '은', '는')} {josa(', '.join(track['selected']), '이', '가')}"
        for track in chosen
    ]
    text = f"{head} {', '.join(parts)} 선정되었다." if parts else f"{head} 선정된 지자체는 없다."
    if parts and empty:
        text += f" {josa(_and_list([track['name'] for track in empty]), '은', '는')} 선정된 지자체가 없다."
    return text
