"""Publishing a competition's result (issue 4 §5): the checks, the frozen snapshot with its
SHA-256, and verification of a stored publication from its own inputs.

The snapshot holds ``inputs`` — the rules and settings, stages, categories and tracks, proposals
(no contact data), every counted sheet total by reviewer code (A, B, C… per proposal and stage,
as ``evaluation.reviewer_codes`` letters them; never a name), the tie-break criterion averages,
adjustments and draws — ``outcome`` — the ranking document of SPEC §6 and the totals of the
selected — and ``changes``: for a correction, what changed since the publication it supersedes
(``evaluation.corrections``; None for a first publication). ``outcome_from_inputs`` recomputes
the outcome from the inputs alone with the pure rules of ``evaluation.rules``; ``verify`` compares
it and the digest with what is stored. Nothing here reads the live tables once a publication
exists. Publishing also closes the evaluation: see ``evaluation.sheets``."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from accounts.roles import Role, require_role
from proposals import canonical
from proposals.models import Competition, Proposal, audit_context, audit_transaction

from . import integrity, rules
from .assignments import record_unrecorded_conflicts, unrecorded_conflicts
from .corrections import snapshot_changes
from .exporting import ranking_groups
from .models import Adjustment, Assignment, Conflict, Criterion, Draw, Publication, Score
from .queries import counted_sheets
from .ranking import ELIMINATED, INELIGIBLE, WITHDRAWN, rank_competition, ranking_document
from .reviewer_codes import stage_reviewer_codes

# 2: reviewer codes per proposal and stage (``evaluation.reviewer_codes``) and the correction's
# ``changes`` (``evaluation.corrections``). 3: a correction's ``correction_reason`` (정정 사유).
SNAPSHOT_FORMAT = 3


class PublicationRefused(Exception):
    """Publishing was refused; ``messages`` lists every failed check."""

    def __init__(self, messages: list[str], codes=()):
        super().__init__("\n".join(messages))
        self.messages = list(messages)
        self.codes = set(codes)  # the failed checks' codes (e.g. "sheets", "draws")


# --- Canonical form and digest -----------------------------------------------------------------


def _text(value) -> str | None:
    """A Decimal (or number) as the snapshot stores it: a string, exact; None stays None."""
    if value is None:
        return None
    return format(Decimal(value), "f")


def canonical_json(snapshot) -> str:
    """The canonical serialisation the digest is computed over (sorted keys, no spaces, UTF-8)."""
    return canonical.canonical_json(snapshot)


def snapshot_digest(snapshot) -> str:
    return canonical.digest(snapshot)


# --- Checks ------------------------------------------------------------------------------------


@dataclass
class Check:
    """One precondition of publishing, for the page and the command."""

    code: str
    label: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    overridden: bool = False  # failed, but an official gave a written reason


def outstanding_sheets(competition) -> list[tuple]:
    """(stage name, reference, applicant) of every assigned, non-conflicted sheet of an eligible
    proposal that is not submitted, in stage order (one query)."""
    conflicted = Conflict.objects.filter(
        proposal_id=OuterRef("proposal_id"), reviewer_id=OuterRef("reviewer_id")
    )
    return list(
        Assignment.objects.filter(stage__competition=competition, proposal__status=Proposal.Status.SUBMITTED)
        .exclude(Exists(conflicted))
        .exclude(sheet__status="submitted")
        .order_by("stage__order", "stage__code", "proposal__reference", "proposal_id", "pk")
        .values_list("stage__name", "proposal__reference", "proposal__applicant__name")
    )


def publication_checks(competition, ranking=None, override_reason: str = "") -> list[Check]:
    """Every check of publishing, passing or failing (SPEC §2, issue 4 §5)."""
    if ranking is None:
        ranking = rank_competition(competition)
    override_reason = (override_reason or "").strip()
    checks = []

    stages_problems = [] if ranking.stages else [_("No evaluation stage is set up for this competition.")]
    checks.append(
        Check("stages", _("The competition has evaluation stages"), not stages_problems, stages_problems)
    )

    by_stage = defaultdict(list)
    for stage_name, reference, applicant in outstanding_sheets(competition):
        by_stage[stage_name].append(f"{applicant} ({reference})" if reference else applicant)
    sheet_problems = []
    for stage_name, names in by_stage.items():
        shown = ", ".join(dict.fromkeys(names[:5]))
        more = len(names) - 5
        sheet_problems.append(
            _(
                "%(count)s assigned scoresheets of %(stage)s are not submitted (%(proposals)s%(more)s). "
                "Publish when every sheet is submitted, or give a written reason to publish anyway."
            )
            % {
                "count": len(names),
                "stage": stage_name,
                "proposals": shown,
                "more": (_(" and %(count)s more") % {"count": more}) if more > 0 else "",
            }
        )
    checks.append(
        Check(
            "sheets",
            _("Every assigned scoresheet is submitted"),
            not sheet_problems,
            sheet_problems,
            overridden=bool(sheet_problems and override_reason),
        )
    )

    conflict_problems = [
        _(
            "%(reviewer)s → %(proposal)s (%(stage)s): %(reason)s No conflict records this 제척, so "
            "the reviewer's sheet would still count. Publishing records it (the sheet then leaves "
            "the scores) and stops, so that the changed ranking can be checked before publishing again."
        )
        % {
            "reviewer": found.assignment.reviewer.name,
            "proposal": found.proposal_label,
            "stage": found.assignment.stage.name,
            "reason": found.conflict.reason,
        }
        for found in unrecorded_conflicts(competition)
    ]
    checks.append(
        Check(
            "conflicts",
            _("No assignment is disqualified by an affiliation without a recorded conflict"),
            not conflict_problems,
            conflict_problems,
        )
    )

    draw_problems = [
        _(
            "%(group)s: %(applicants)s share a rank at the last slot and no rule separates them. "
            "Record a draw before publishing."
        )
        % {"group": tie.name, "applicants": ", ".join(row.applicant for row in tie.rows)}
        for tie in unresolved_ties(ranking)
    ]
    checks.append(Check("draws", _("No unresolved tie at the last slot"), not draw_problems, draw_problems))
    return checks


@dataclass
class Tie:
    """Proposals of one ranking (a track, or a category pooling its slots) that share a rank
    across its last slot and that no rule separates (``draw_required``, SPEC §4.6)."""

    key: str  # unique within the competition: the ranking's key and the rank
    name: str  # the ranking's name ("거점형", "강소형 · 기후위기 대응형")
    rank: int
    rows: list = field(default_factory=list)  # the ranking's rows (``RankedProposal``)


def unresolved_ties(ranking) -> list[Tie]:
    """Every tie that needs a draw, in the order of the rankings: what the draw page offers and
    what the publication check refuses, from this one function."""
    ties: dict[str, Tie] = {}
    for group in ranking_groups(ranking):
        for row in group.rows:
            if row.status == rules.DRAW_REQUIRED:
                key = f"{group.key}-{row.rank}"
                ties.setdefault(key, Tie(key, group.name, row.rank)).rows.append(row)
    return list(ties.values())


def _failures(checks: list[Check]) -> list[str]:
    return [
        problem for check in checks if not check.passed and not check.overridden for problem in check.problems
    ]


def check_publishable(competition, override_reason: str = "") -> list[str]:
    """The messages of every failed check; empty when the competition may be published. Missing
    sheets pass when an official gives a written ``override_reason``."""
    return _failures(publication_checks(competition, override_reason=override_reason))


# --- Publishing --------------------------------------------------------------------------------


def correction_reason_missing(previous: Publication) -> str:
    """What publishing a correction without its reason is told (the page, the command, a shell)."""
    return _(
        "This publication would correct publication no. %(number)s: write the reason for the "
        "correction (정정 사유). It is published with the result and kept under its SHA-256. "
        "Nothing was published."
    ) % {"number": previous.number}


def _correction_refusal(competition, previous: Publication) -> PublicationRefused:
    """Why a correction without a reason is refused: nothing to correct (a double click, the same
    state published again) or the missing reason; records that do not verify come first, as in
    ``publish``. Reads only (the competition as stored, as ``publish`` reads it)."""
    competition = Competition.objects.get(pk=competition.pk)
    _refuse_unless_verified(competition, previous)
    ranking = rank_competition(competition)
    inputs = snapshot_inputs(competition, ranking)
    if _unchanged_since(previous, inputs, outcome_of(ranking, inputs)):
        return _unchanged_refusal(previous)
    return PublicationRefused([correction_reason_missing(previous)], ["correction_reason"])


def _unchanged_refusal(previous: Publication) -> PublicationRefused:
    # A double click, or a second official publishing the same state: a correction must correct
    # something.
    return PublicationRefused(
        [
            _(
                "Nothing has changed since publication no. %(number)s (the same scores, "
                "adjustments, draws and result); no correction was published."
            )
            % {"number": previous.number}
        ],
        ["unchanged"],
    )


def publish(competition, user, override_reason: str = "", correction_reason: str = "") -> Publication:
    """Freeze and publish the competition's current result; a later call publishes a correction
    that supersedes the previous publication, and only with a written ``correction_reason``
    (정정 사유), which the snapshot keeps under its digest and the public page shows. Raises
    ``PublicationRefused`` with every failed check; nothing is written then.

    Nothing is published over records that do not verify (``evaluation.integrity``): a broken
    audit chain, a submitted sheet changed in the database after its submission, or an earlier
    publication of the competition — above all the one a correction supersedes — whose snapshot
    no longer hashes to its digest or whose digest is not the one in the chain.

    Concurrency: the competition's row is locked ``FOR UPDATE`` before anything is read, and every
    query below runs after it (READ COMMITTED: each sees all that committed before the lock).
    Saving, submitting and reopening a sheet hold the same row ``FOR SHARE``
    (``evaluation.sheets``), and imports hold it ``FOR UPDATE``, so none of them commits while a
    publication reads: the publication waits for those under way and includes them, and those
    arriving later wait for it. ``FOR UPDATE`` (not ``NO KEY UPDATE``) also holds back every other
    transaction that inserted a row referring to the competition (a stage, a proposal, a pledge):
    its foreign key is checked with ``FOR KEY SHARE`` on this row before it appends to the audit
    chain. The audit entries (the publication's, with its digest, and the competition's status)
    are appended last (``audit_transaction``; lock order in ``evaluation.sheets``)."""
    override_reason = (override_reason or "").strip()
    correction_reason = (correction_reason or "").strip()
    require_role(user, Role.OFFICIAL, Role.ADMIN, action=_("publishing the result"))
    # Before anything is written (the conflicts below): a correction needs its reason.
    previous = current_publication(competition)
    if previous is not None and not correction_reason:
        raise _correction_refusal(competition, previous)
    # An affiliation or a partner changed after an assignment: record the 제척 first (its sheet
    # stops counting, SPEC §3) and stop, so that nobody publishes a ranking they have not seen.
    newly_conflicted = record_unrecorded_conflicts(competition, user)
    if newly_conflicted:
        raise PublicationRefused(
            [
                _(
                    "Conflicts of interest found since the assignments were made have been recorded; "
                    "their sheets no longer count. Check the ranking, then publish again. Nothing was "
                    "published."
                ),
                *(found.message() for found in newly_conflicted),
            ],
            ["conflicts"],
        )
    with audit_transaction():
        competition = Competition.objects.select_for_update().get(pk=competition.pk)
        previous = current_publication(competition)
        _refuse_unless_verified(competition, previous)
        ranking = rank_competition(competition)
        checks = publication_checks(competition, ranking, override_reason)
        failures = _failures(checks)
        if failures:
            raise PublicationRefused(failures, [c.code for c in checks if not c.passed and not c.overridden])
        inputs = snapshot_inputs(competition, ranking)
        outcome = outcome_of(ranking, inputs)
        if outcome_from_inputs(inputs, competition.slug) != _plain(outcome):
            raise PublicationRefused(
                [
                    _(
                        "The result recomputed from the snapshot differs from the ranking; nothing was published."
                    )
                ]
            )
        if previous is not None and _unchanged_since(previous, inputs, outcome):
            raise _unchanged_refusal(previous)
        if previous is not None and not correction_reason:  # published meanwhile by another
            raise PublicationRefused([correction_reason_missing(previous)], ["correction_reason"])
        snapshot = _plain(
            {
                "format": SNAPSHOT_FORMAT,
                "competition": {"slug": competition.slug, "name": competition.name, "year": competition.year},
                "number": previous.number + 1 if previous else 1,
                "supersedes": {"number": previous.number, "digest": previous.digest} if previous else None,
                "override_reason": override_reason,
                # 정정 사유: why this publication corrects the previous one (None for a first).
                "correction_reason": correction_reason if previous else None,
                "inputs": inputs,
                "outcome": outcome,
                # 정정 사항: what changed since the publication this one supersedes (None for a first).
                "changes": snapshot_changes(previous.snapshot, _plain(inputs), _plain(outcome))
                if previous
                else None,
            }
        )
        publication = Publication(
            competition=competition,
            number=snapshot["number"],
            snapshot=snapshot,
            digest=snapshot_digest(snapshot),
            published_by=user,
            supersedes=previous,
            override_reason=override_reason,
        )
        # The "publication.created" entry records the digest in the chain, with the reasons.
        reason = "\n".join(text for text in (snapshot["correction_reason"], override_reason) if text)
        with audit_context(user, reason):
            publication.save()
            Competition.objects.filter(pk=competition.pk).update(status=Competition.Status.PUBLISHED)
        competition.status = Competition.Status.PUBLISHED
    return publication


def _refuse_unless_verified(competition, previous) -> None:
    """Raise ``PublicationRefused`` when the competition's records do not verify."""
    report = integrity.check_integrity(competition)
    if report.ok:
        return
    if previous is not None and any(
        problem.kind == "publication" and problem.record_id == previous.pk for problem in report.problems
    ):
        head = _(
            "Publication no. %(number)s (id %(id)s), which a new publication would supersede, does not "
            "verify; nothing was published."
        ) % {"number": previous.number, "id": previous.pk}
    else:
        head = _(
            "The records of this competition do not verify; nothing was published. Find out what was "
            "changed (python manage.py verify_integrity) before publishing."
        )
    raise PublicationRefused([head, *(problem.message for problem in report.problems[:5])], ["integrity"])


def _unchanged_since(previous: Publication, inputs: dict, outcome: dict) -> bool:
    """True when ``previous`` froze these very inputs and outcome."""
    return canonical_json(previous.snapshot.get("inputs")) == canonical_json(inputs) and canonical_json(
        previous.snapshot.get("outcome")
    ) == canonical_json(outcome)


def _plain(value):
    """JSON-plain data (Decimals as strings), exactly as it is stored and read back."""
    return json.loads(canonical_json(value))


def snapshot_inputs(competition, ranking) -> dict:
    """Everything the outcome depends on, read in a constant number of queries."""
    stages = ranking.stages
    criteria_of = defaultdict(list)
    for stage_id, code in (
        Criterion.objects.filter(rubric__stage__in=stages, tie_break_priority__isnull=False)
        .order_by("rubric__stage_id", "tie_break_priority", "code")
        .values_list("rubric__stage_id", "code")
    ):
        if code not in criteria_of[stage_id]:
            criteria_of[stage_id].append(code)
    proposals = list(
        Proposal.objects.filter(competition=competition)
        .select_related("applicant", "track__category")
        .order_by("pk")
    )
    key_of = {p.pk: p.reference or f"#{p.pk}" for p in proposals}

    # Counted sheets of every stage, in sheet id order, each with its reviewer's code of the
    # proposal in that stage (``evaluation.reviewer_codes``: the letters of the officials' pages).
    sheets = []
    kept_ids_last = defaultdict(list)
    for index, stage in enumerate(stages):
        codes = stage_reviewer_codes(stage)
        rows = list(
            counted_sheets(stage)
            .order_by("assignment__proposal_id", "pk")
            .values_list("pk", "assignment__proposal_id", "assignment__reviewer_id", "total")
        )
        by_proposal = defaultdict(list)
        for sheet_id, proposal_id, reviewer_id, total in rows:
            if proposal_id not in key_of:
                continue
            by_proposal[proposal_id].append((sheet_id, total))
            sheets.append(
                {
                    "stage": stage.code,
                    "proposal": key_of[proposal_id],
                    "reviewer": codes[proposal_id][reviewer_id],
                    "total": _text(total),
                }
            )
        if index == len(stages) - 1:
            for proposal_id, totals in by_proposal.items():
                kept, _high, _low = rules.kept_sheets(
                    [(sid, t) for sid, t in totals if t is not None],
                    competition.trim_min_reviewers,
                    competition.trim_count,
                )
                kept_ids_last[proposal_id] = [sid for sid, _t in kept]

    # Kept-sheet averages of the last stage's tie-break criteria, for every ranked proposal.
    averages = []
    if stages and criteria_of[stages[-1].pk]:
        last = stages[-1]
        wanted = {sid: pk for pk, ids in kept_ids_last.items() for sid in ids}
        sums = defaultdict(lambda: [Decimal(0), 0])
        for sheet_id, code, points in Score.objects.filter(
            sheet__in=counted_sheets(last), criterion__code__in=criteria_of[last.pk]
        ).values_list("sheet_id", "criterion__code", "points"):
            if sheet_id in wanted:
                entry = sums[(wanted[sheet_id], code)]
                entry[0] += points or 0
                entry[1] += 1
        for (proposal_id, code), (total, count) in sorted(
            sums.items(), key=lambda i: (key_of[i[0][0]], i[0][1])
        ):
            if count:
                averages.append(
                    {
                        "stage": last.code,
                        "proposal": key_of[proposal_id],
                        "criterion": code,
                        "average": _text(Decimal(total) / Decimal(count)),
                    }
                )

    adjustments = [
        {"proposal": key_of[pid], "points": _text(points), "reason": reason}
        for pid, points, reason in Adjustment.objects.filter(proposal__competition=competition)
        .order_by("proposal_id", "created_at", "pk")
        .values_list("proposal_id", "points", "reason")
    ]
    draws = [
        {"proposal": key_of[pid], "order": order, "method": method}
        for pid, order, method in Draw.objects.filter(proposal__competition=competition)
        .order_by("proposal_id")
        .values_list("proposal_id", "order", "method")
    ]
    return {
        "rules": {
            "trim_min_reviewers": competition.trim_min_reviewers,
            "trim_count": competition.trim_count,
            "adjustment_cap": _text(competition.adjustment_cap),
            "reserve": competition.reserve,
            "minimum_score": _text(competition.minimum_score),
            "final": competition.final_score,
        },
        "stages": [
            {
                "code": stage.code,
                "name": stage.name,
                "order": stage.order,
                "weight": _text(stage.weight),
                "advance_top_multiple": _text(stage.advance_top_multiple),
                "advance_cutoff": _text(stage.advance_cutoff),
                "tie_break_criteria": criteria_of[stage.pk],
            }
            for stage in stages
        ],
        "categories": [
            {
                "code": category.code,
                "name": category.name,
                "slots": category.slots if category.pooled else None,
                "tracks": [
                    {
                        "code": track.code,
                        "name": track.name,
                        "slots": None if category.pooled else track.slots,
                        "subsidy": _text(track.subsidy),
                        "matching_ratio": _text(track.matching_ratio),
                    }
                    for track in category.tracks
                ],
            }
            for category in ranking.categories
        ],
        "proposals": [
            {
                "key": key_of[p.pk],
                "id": p.pk,
                "reference": p.reference,
                "applicant": p.applicant.name,
                "title": p.title,
                "category": p.track.category.code,
                "track": p.track.code,
                "status": p.status,
                "national_subsidy": _text(p.national_subsidy),
                "local_matching": _text(p.local_matching),
            }
            for p in proposals
        ],
        "sheets": sheets,
        "criterion_averages": averages,
        "adjustments": adjustments,
        "draws": draws,
    }


def outcome_of(ranking, inputs) -> dict:
    """The stored outcome: the SPEC §6 document and the totals of the selected."""
    document = ranking_document(ranking)
    return {"ranking": document, "totals": selected_totals(document, inputs["proposals"])}


def selected_totals(document: dict, proposals: list[dict]) -> dict:
    """Per track, per category and overall: the selected (applicant, title, amounts) and the sums
    of their national subsidy and local matching."""
    by_key = {}
    for p in proposals:
        by_key.setdefault((p["category"], p["track"], p["reference"], p["applicant"]), p)
    grand = {"selected": 0, "national_subsidy": Decimal(0), "local_matching": Decimal(0)}
    categories, tracks = [], []
    for category in document["categories"]:
        sums = {"selected": 0, "national_subsidy": Decimal(0), "local_matching": Decimal(0)}
        for track in category["tracks"]:
            chosen = []
            for row in track["ranking"]:
                if row["status"] != rules.SELECTED:
                    continue
                p = by_key[(category["code"], track["code"], row["reference"], row["applicant"])]
                chosen.append(
                    {
                        "reference": row["reference"],
                        "applicant": row["applicant"],
                        "title": row["title"],
                        "national_subsidy": p["national_subsidy"],
                        "local_matching": p["local_matching"],
                    }
                )
            national = sum((Decimal(c["national_subsidy"]) for c in chosen), Decimal(0))
            local = sum((Decimal(c["local_matching"]) for c in chosen), Decimal(0))
            tracks.append(
                {
                    "category": category["code"],
                    "track": track["code"],
                    "selected": chosen,
                    "national_subsidy": _text(national),
                    "local_matching": _text(local),
                }
            )
            for sums_of in (sums, grand):
                sums_of["selected"] += len(chosen)
                sums_of["national_subsidy"] += national
                sums_of["local_matching"] += local
        categories.append(
            {
                "category": category["code"],
                "selected": sums["selected"],
                "national_subsidy": _text(sums["national_subsidy"]),
                "local_matching": _text(sums["local_matching"]),
            }
        )
    return {
        "tracks": tracks,
        "categories": categories,
        "all": {
            "selected": grand["selected"],
            "national_subsidy": _text(grand["national_subsidy"]),
            "local_matching": _text(grand["local_matching"]),
        },
    }


# --- Recomputing the outcome from a snapshot's inputs (pure: no database) ----------------------


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def outcome_from_inputs(inputs: dict, slug: str | None = None) -> dict:
    """The outcome the snapshot's inputs give under the rules of ``evaluation.rules`` (SPEC §4),
    as JSON-plain data. Mirrors ``evaluation.ranking.rank_competition`` without the database."""
    settings = inputs["rules"]
    stages = inputs["stages"]
    proposals = inputs["proposals"]
    weighted = settings["final"] == Competition.FinalScore.WEIGHTED
    cap = Decimal(settings["adjustment_cap"])
    minimum = _decimal(settings["minimum_score"])

    pooled_slots, track_slots = {}, {}
    for category in inputs["categories"]:
        if category["slots"] is not None:
            pooled_slots[category["code"]] = category["slots"]
        for track in category["tracks"]:
            track_slots[(category["code"], track["code"])] = track["slots"]

    def group_of(p):
        if p["category"] in pooled_slots:
            return ("category", p["category"])
        return ("track", p["category"], p["track"])

    def slots_of(group):
        return pooled_slots[group[1]] if group[0] == "category" else track_slots[(group[1], group[2])]

    key_of_id = {p["id"]: p["key"] for p in proposals}
    totals = defaultdict(list)  # (stage, key) → [total] in sheet order
    for sheet in inputs["sheets"]:
        if sheet["total"] is not None:
            totals[(sheet["stage"], sheet["proposal"])].append(Decimal(sheet["total"]))
    averages = {(a["proposal"], a["criterion"]): Decimal(a["average"]) for a in inputs["criterion_averages"]}
    adjustments = defaultdict(list)
    for adjustment in inputs["adjustments"]:
        adjustments[adjustment["proposal"]].append(Decimal(adjustment["points"]))
    draws = {d["proposal"]: d["order"] for d in inputs["draws"]}

    eligible = [p["key"] for p in proposals if p["status"] == Proposal.Status.SUBMITTED]
    by_key = {p["key"]: p for p in proposals}
    rows = {p["key"]: {"score": None, "rank": None, "status": "", "tie_break": None} for p in proposals}
    stage_scores = defaultdict(dict)

    alive = set(eligible)
    for index, stage in enumerate(stages):
        scores = {}
        for key in alive:
            score = rules.trimmed_mean(
                totals.get((stage["code"], key), []), settings["trim_min_reviewers"], settings["trim_count"]
            )
            stage_scores[key][stage["code"]] = score
            scores[key] = score
        if index < len(stages) - 1:
            by_group = defaultdict(dict)
            for key, score in scores.items():
                if score is not None:
                    by_group[group_of(by_key[key])][key] = score
            advancing = set()
            for group, group_scores in by_group.items():
                advancing |= rules.advancing(
                    group_scores,
                    slots_of(group),
                    _decimal(stage["advance_top_multiple"]),
                    _decimal(stage["advance_cutoff"]),
                )
            alive = advancing
    if not stages:
        alive = set()
    for key in set(eligible) - alive:
        rows[key]["status"] = ELIMINATED
    ranked = []
    for key in alive:
        base = rules.final_score(
            [(stage_scores[key].get(s["code"]), _decimal(s["weight"])) for s in stages], weighted
        )
        if base is None:
            rows[key]["status"] = ELIMINATED
            continue
        adjustment = rules.capped_adjustment([sum(adjustments.get(key, []), Decimal(0))], cap)
        rows[key]["score"] = base + adjustment
        ranked.append(key)

    tie_criteria = stages[-1]["tie_break_criteria"] if stages else []
    groups = defaultdict(list)
    for key in ranked:
        groups[group_of(by_key[key])].append(key)
    for group, keys in groups.items():
        contenders = [
            rules.Contender(
                key=by_key[key]["id"],
                score=rows[key]["score"],
                criteria=tuple((code, averages.get((key, code))) for code in tie_criteria),
                subsidy=Decimal(by_key[key]["national_subsidy"]),
                draw=draws.get(key),
            )
            for key in keys
        ]
        placed = rules.rank_contenders(contenders)
        statuses = rules.select(placed, slots_of(group) or 0, settings["reserve"], minimum)
        for item in placed:
            row = rows[key_of_id[item.contender.key]]
            row["rank"], row["tie_break"] = item.rank, item.tie_break
            row["status"] = statuses[item.contender.key]
    for p in proposals:
        row = rows[p["key"]]
        if p["status"] == Proposal.Status.INELIGIBLE:
            row["status"] = INELIGIBLE
        elif p["status"] == Proposal.Status.WITHDRAWN:
            row["status"] = WITHDRAWN
        if row["status"] in (ELIMINATED, INELIGIBLE, WITHDRAWN):
            row["score"] = row["rank"] = row["tie_break"] = None

    tail = [ELIMINATED, INELIGIBLE, WITHDRAWN]

    def order_key(key):
        row, p = rows[key], by_key[key]
        if row["rank"] is not None:
            return (0, row["rank"], p["reference"], p["id"])
        return (1, tail.index(row["status"]) if row["status"] in tail else 5, p["reference"], p["id"])

    def shown(row):
        return {
            "rank": row["rank"],
            "score": None if row["score"] is None else f"{rules.round_half_up(row['score']):.2f}",
            "status": row["status"],
            "tie_break": row["tie_break"],
        }

    categories = []
    for category in inputs["categories"]:
        pooled = category["slots"] is not None
        entry_tracks, applicants_total = [], 0
        slots_total = category["slots"] or 0
        for track in category["tracks"]:
            keys = [
                p["key"]
                for p in proposals
                if p["category"] == category["code"] and p["track"] == track["code"]
            ]
            applicants = sum(1 for key in keys if by_key[key]["status"] != Proposal.Status.WITHDRAWN)
            applicants_total += applicants
            if not pooled:
                slots_total += track["slots"] or 0
            entry_tracks.append(
                {
                    "code": track["code"],
                    "name": track["name"],
                    "applicants": applicants,
                    "slots": None if pooled else track["slots"],
                    "ratio": None if pooled else rules.competition_ratio(applicants, track["slots"]),
                    "ranking": [
                        {
                            "reference": by_key[key]["reference"],
                            "applicant": by_key[key]["applicant"],
                            "title": by_key[key]["title"],
                            **shown(rows[key]),
                        }
                        for key in sorted(keys, key=order_key)
                    ],
                }
            )
        categories.append(
            {
                "code": category["code"],
                "name": category["name"],
                "applicants": applicants_total,
                "slots": slots_total,
                "ratio": rules.competition_ratio(applicants_total, slots_total),
                "tracks": entry_tracks,
            }
        )
    document = {"competition": slug, "categories": categories}
    return _plain({"ranking": document, "totals": selected_totals(document, proposals)})


def verify(publication: Publication) -> tuple[bool, list[str]]:
    """Recompute the outcome from the snapshot's inputs and the digest of the stored snapshot,
    and check the digest against the audit chain (``evaluation.integrity``); say whether each
    matches what was published."""
    snapshot = publication.snapshot
    messages, ok = [], True
    try:
        stored = snapshot["outcome"]
        recomputed = outcome_from_inputs(snapshot["inputs"], stored["ranking"].get("competition"))
        outcome_ok = recomputed == stored
    except (KeyError, TypeError, ValueError, ArithmeticError, IndexError) as error:
        outcome_ok = False
        messages.append(_("The snapshot cannot be read: %(error)s") % {"error": repr(error)})
    if outcome_ok:
        messages.append(
            _("Outcome: match — the result recomputed from the snapshot's inputs is the published one.")
        )
    else:
        ok = False
        messages.append(
            _(
                "Outcome: MISMATCH — the result recomputed from the snapshot's inputs differs from the published one."
            )
        )
    digest = snapshot_digest(snapshot)
    if digest == publication.digest:
        messages.append(_("Digest: match (SHA-256 %(digest)s).") % {"digest": digest})
    else:
        ok = False
        messages.append(
            _("Digest: MISMATCH — stored %(stored)s, computed %(computed)s.")
            % {"stored": publication.digest, "computed": digest}
        )
    # A snapshot rewritten with a recomputed digest still matches itself: the chain holds the
    # digest as published.
    chain_ok, chain_messages = integrity.verify_publication_chain(publication)
    return ok and chain_ok, messages + chain_messages


def current_publication(competition) -> Publication | None:
    """The publication in force: the latest, which no other supersedes."""
    return Publication.objects.filter(competition=competition).order_by("-number").first()


__all__ = [
    "Check",
    "PublicationRefused",
    "Tie",
    "canonical_json",
    "check_publishable",
    "correction_reason_missing",
    "current_publication",
    "outcome_from_inputs",
    "publication_checks",
    "publish",
    "snapshot_digest",
    "unresolved_ties",
    "verify",
]
