"""Result letters (평가결과 통보서, issue 13): what each applicant is told of their proposal's
evaluation once the result is published, and the link they read it through.

What a letter says comes from the publication it belongs to — the frozen snapshot, ranked again
with the one engine (``engine.rank``), so the score, rank, status and competition ratio are the
published ones — and, for what a snapshot does not hold, from the sheets that counted (closed
by the publication): per-criterion averages of the kept sheets and the reviewers' comments.
``letter_content`` freezes it into the letter when issued; a correction is a new publication
with new letters.

- Evaluator totals are listed by reviewer code in score order (highest first; never the order
  of the roster), each marked where the trimmed mean dropped it (``rules.kept_sheets``).
- Comments are anonymised: no code, no name, sorted by their text, so that none can be linked
  to a total.
- The link: ``secrets.token_urlsafe`` (256 bits); only its SHA-256 is stored, so the link exists
  only in the e-mail (or the page that issued it). It expires ``LINK_DAYS_AFTER_APPEALS`` days
  after the appeal window closes and can be revoked; issuing again revokes the letter in force.
  Every opening is logged (``LetterOpening``).
"""

import hashlib
import logging
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role, require_role
from proposals.models import Proposal, audit_context, audit_transaction

from . import engine, rules
from .models import (
    Criterion,
    LetterOpening,
    Publication,
    ResultLetter,
    Rubric,
    Score,
    Stage,
    appeal_deadline,
    deadline_text,
)
from .publication import current_publication
from .ranking import proposal_key, status_label
from .stage_scores import counted_sheets, criterion_averages, stage_results

logger = logging.getLogger(__name__)

LINK_DAYS_AFTER_APPEALS = 30  # a letter's link opens until this long after the appeal window closes
TOKEN_BYTES = 32


class LetterUnavailable(Exception):
    """A letter that cannot be issued or opened; ``message`` says why, in words for the reader."""

    def __init__(self, message: str, code: str = "unavailable"):
        super().__init__(message)
        self.message = message
        self.code = code


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def letter_link(token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("letter", args=[token])


def content_deadline_text(content: dict) -> str:
    """The last day of appeals as a letter's frozen content gives it ('2023-03-17 24:00')."""
    return deadline_text(datetime.fromisoformat(content["publication"]["appeal_deadline"]))


def publication_deadline(publication: Publication):
    """When appeals against ``publication`` close (``models.appeal_deadline``)."""
    return appeal_deadline(publication.published_at, publication.competition.appeal_days)


# --- What a letter says --------------------------------------------------------------------------


def _groups(outcome: engine.Outcome) -> dict:
    """{proposal key: (category, ranked rows of its selection group)} (SPEC §4.6)."""
    found = {}
    for category in outcome.categories:
        tracks = [category.ranking] if category.pooled else [track.ranking for track in category.tracks]
        for rows in tracks:
            for row in rows:
                found[row.key] = (category, rows)
    return found


def _sheets_by_proposal(inputs: dict) -> dict:
    """{proposal key: {stage code: [(reviewer code, total)]}} of the snapshot's sheets."""
    found = defaultdict(lambda: defaultdict(list))
    for sheet in inputs["sheets"]:
        if sheet["total"] is not None:
            found[sheet["proposal"]][sheet["stage"]].append((sheet["reviewer"], Decimal(sheet["total"])))
    return found


@dataclass
class LetterBatch:
    """What the letters of one publication share, read once: the snapshot ranked again, the
    selection groups, the sheets by proposal, the stages, and ``stage_details`` of the letters'
    proposals — so that issuing 2,000 letters costs a few queries per stage, not per letter."""

    publication: Publication
    outcome: engine.Outcome
    groups: dict
    sheets: dict
    stages: dict
    details: dict
    adjustments: dict

    @classmethod
    def of(cls, publication: Publication, proposals: list) -> "LetterBatch":
        """For the letters of ``proposals`` (a list)."""
        inputs = publication.snapshot["inputs"]
        outcome = engine.rank(inputs)
        stages = {stage.code: stage for stage in Stage.objects.filter(competition=publication.competition_id)}
        adjustments = defaultdict(list)
        for adjustment in inputs["adjustments"]:
            adjustments[adjustment["proposal"]].append(
                {"points": adjustment["points"], "reason": adjustment["reason"]}
            )
        ordered = [stages[stage["code"]] for stage in inputs["stages"] if stage["code"] in stages]
        return cls(
            publication,
            outcome,
            _groups(outcome),
            _sheets_by_proposal(inputs),
            stages,
            stage_details(ordered, proposals),
            adjustments,
        )


def _stage_sheets(found: list, rules_of: dict) -> list[dict]:
    """The stage's sheets by code, highest total first, each with ``dropped``: "high" or "low"
    where the trimmed mean left it out as a highest or a lowest total (``rules.kept_sheets``), ""
    where it counted. Among equal totals a dropped highest comes first and a dropped lowest last."""
    indexed = list(enumerate(total for _code, total in found))
    _kept, high, low = rules.kept_sheets(indexed, rules_of["trim_min_reviewers"], rules_of["trim_count"])
    dropped = {index: "high" for index, _total in high} | {index: "low" for index, _total in low}
    rows = [
        {"code": code, "total": rules.score_text(total), "dropped": dropped.get(index, "")}
        for index, (code, total) in enumerate(found)
    ]
    place = {"high": 0, "": 1, "low": 2}
    rows.sort(key=lambda row: (-Decimal(row["total"]), place[row["dropped"]], len(row["code"]), row["code"]))
    return rows


def _criteria_of_tracks(stage) -> dict:
    """{track id or None: [(code, name, max)]}: the criteria a proposal of each track is scored on
    in ``stage`` (``sheets.criteria_for``: rubrics for every track, or for it), in two queries;
    None gives those of the rubrics for every track."""
    rows = list(
        Criterion.objects.filter(rubric__stage=stage)
        .order_by("rubric_id", "order", "code")
        .values_list("rubric_id", "code", "name", "max_points")
    )
    tracks_of = defaultdict(set)
    for rubric_id, track_id in Rubric.tracks.through.objects.filter(rubric__stage=stage).values_list(
        "rubric_id", "track_id"
    ):
        tracks_of[rubric_id].add(track_id)
    every = {track for tracks in tracks_of.values() for track in tracks}

    def criteria(track_id) -> list:
        found, seen = [], set()
        for rubric_id, code, name, max_points in rows:
            applies = not tracks_of[rubric_id] or track_id in tracks_of[rubric_id]
            if applies and code not in seen:
                seen.add(code)
                found.append((code, name, max_points))
        return found

    return {track_id: criteria(track_id) for track_id in [None, *every]}


def stage_details(stages, proposals) -> dict:
    """{(stage code, proposal id): (criterion averages of the kept sheets, {"overall": [...],
    "criteria": [...]} comments of the counted sheets)} of ``proposals`` — a constant number of
    queries per stage, however many letters."""
    ids = [proposal.pk for proposal in proposals]
    track_of = {proposal.pk: proposal.track_id for proposal in proposals}
    found = {}
    for stage in stages:
        results = stage_results(stage, ids)
        criteria_of = _criteria_of_tracks(stage)
        averages = criterion_averages(sheet for result in results.values() for sheet, _total in result.kept)
        counted = counted_sheets(stage).filter(assignment__proposal_id__in=ids)
        overall = defaultdict(list)
        for proposal_id, text in (
            counted.exclude(comment="").order_by().values_list("assignment__proposal_id", "comment")
        ):
            if text.strip():
                overall[proposal_id].append(text.strip())
        by_criterion = defaultdict(lambda: defaultdict(list))
        for proposal_id, code, text in (
            Score.objects.filter(sheet__in=counted)
            .exclude(comment="")
            .order_by()
            .values_list("sheet__assignment__proposal_id", "criterion__code", "comment")
        ):
            if text.strip():
                by_criterion[proposal_id][code].append(text.strip())
        for proposal_id, track_id in track_of.items():
            criteria = criteria_of.get(track_id, criteria_of[None])
            order = {code: index for index, (code, _name, _max) in enumerate(criteria)}
            names = {code: name for code, name, _max in criteria}
            written = by_criterion[proposal_id]
            found[(stage.code, proposal_id)] = (
                [
                    {
                        "code": code,
                        "name": name,
                        "max": rules.plain_number(max_points),
                        "average": rules.score_text(averages.get((proposal_id, code))),
                    }
                    for code, name, max_points in criteria
                ],
                {
                    "overall": sorted(overall[proposal_id]),
                    "criteria": [
                        {"code": code, "name": names.get(code, code), "comments": sorted(written[code])}
                        for code in sorted(written, key=lambda code: (order.get(code, len(order)), code))
                    ],
                },
            )
    return found


def letter_content(publication: Publication, proposal: Proposal, batch: LetterBatch | None = None) -> dict:
    """What the proposal's letter of ``publication`` says, as JSON-plain data (frozen into the
    letter, in the site's language whatever the issuer's page language). ``batch``: what the
    letters of the publication share (``LetterBatch.of``), when the caller makes many."""
    batch = batch or LetterBatch.of(publication, [proposal])
    with translation.override(settings.LANGUAGE_CODE):
        return _letter_content(publication, proposal, batch)


def _letter_content(publication, proposal, batch: LetterBatch) -> dict:
    inputs = publication.snapshot["inputs"]
    key = proposal_key(proposal.pk, proposal.reference)
    row = batch.outcome.rows.get(key)
    if row is None:
        raise LetterUnavailable(
            _("Proposal %(proposal)s is not in publication no. %(number)s.")
            % {"proposal": key, "number": publication.number},
            "not_published",
        )
    category, group = batch.groups[key]
    track = next(t for t in category.tracks if t.code == row.track)
    stages = [stage for stage in inputs["stages"] if stage["code"] in row.stage_scores]
    sheets = batch.sheets.get(key, {})
    empty = ([], {"overall": [], "criteria": []})
    deadline = publication_deadline(publication)
    return {
        "competition": {
            "slug": publication.competition.slug,
            "name": publication.competition.name,
            "organization": publication.competition.organization,
        },
        "publication": {
            "number": publication.number,
            "digest": publication.digest,
            "published_at": timezone.localtime(publication.published_at).isoformat(),
            "appeal_deadline": timezone.localtime(deadline).isoformat(),
        },
        "proposal": {
            "key": key,
            "reference": proposal.reference,
            "applicant": row.applicant_shown or row.applicant,
            "title": row.title,
            "category": category.name,
            "track": track.name,
        },
        "result": {
            "score": row.shown_score,
            "adjustment": rules.score_text(row.adjustment) if row.adjustment else None,
            "rank": row.rank,
            "group_size": sum(1 for other in group if other.rank is not None),
            "status": row.status,
            "status_label": status_label(row.status),
            "applicants": track.applicants if not category.pooled else category.applicants,
            "slots": track.slots if not category.pooled else category.slots,
            "ratio": track.ratio if not category.pooled else category.ratio,
        },
        "stages": [
            {
                "code": stage["code"],
                "name": stage["name"],
                "score": rules.score_text(row.stage_scores.get(stage["code"])),
                "sheets": _stage_sheets(sheets.get(stage["code"], []), inputs["rules"]),
                "criteria": batch.details.get((stage["code"], proposal.pk), empty)[0],
                "comments": batch.details.get((stage["code"], proposal.pk), empty)[1],
            }
            for stage in stages
        ],
        "adjustments": batch.adjustments.get(key, []),
    }


# --- Issuing, revoking, opening ----------------------------------------------------------------


@dataclass
class IssuedLetter:
    letter: ResultLetter
    link: str  # the only place the link exists besides the e-mail


def _link_expiry(publication: Publication):
    return publication_deadline(publication) + timedelta(days=LINK_DAYS_AFTER_APPEALS)


def issue_letters(competition, user, proposal_ids=None, *, send: bool = True) -> list[IssuedLetter]:
    """Issue the letters of the competition's publication in force — every proposal it ranks, or
    those of ``proposal_ids`` — each with a new link; a letter in force for the same proposal and
    publication is revoked ("issued again"). With ``send`` each goes by e-mail to the proposal's
    contact once the transaction commits (a proposal without an e-mail gets none; its letter is
    printed from the officials' page)."""
    require_role(user, Role.OFFICIAL, Role.ADMIN, action=_("issuing result letters"))
    with audit_transaction():
        publication = current_publication(competition)
        if publication is None:
            raise LetterUnavailable(
                _("%(competition)s has no publication yet: letters follow the published result.")
                % {"competition": competition.name},
                "unpublished",
            )
        publication = Publication.objects.select_related("competition").get(pk=publication.pk)
        keys = {p["id"]: p["key"] for p in publication.snapshot["inputs"]["proposals"]}
        proposals = Proposal.objects.filter(competition=competition, pk__in=list(keys)).select_related(
            "applicant"
        )
        if proposal_ids is not None:
            wanted = set(proposal_ids)
            outside = wanted - set(keys)
            if outside:
                shown = Proposal.objects.filter(pk__in=outside).values_list("pk", "reference")
                raise LetterUnavailable(
                    _("Publication no. %(number)s does not rank %(proposals)s: no letter was issued.")
                    % {
                        "number": publication.number,
                        "proposals": ", ".join(proposal_key(pk, reference) for pk, reference in shown)
                        or ", ".join(f"#{pk}" for pk in sorted(outside)),
                    },
                    "not_published",
                )
            proposals = proposals.filter(pk__in=wanted)
        issued = []
        now = timezone.now()
        reason = _("Result letters of publication no. %(number)s") % {"number": publication.number}
        proposals = list(proposals.order_by("pk"))
        batch = LetterBatch.of(publication, proposals)
        with audit_context(user, reason):
            for proposal in proposals:
                for previous in ResultLetter.objects.filter(
                    publication=publication, proposal=proposal, revoked_at__isnull=True
                ):
                    previous.revoked_at = now
                    previous.revoke_reason = _("Issued again")
                    previous.save(update_fields=["revoked_at", "revoke_reason"])
                token = secrets.token_urlsafe(TOKEN_BYTES)
                letter = ResultLetter.objects.create(
                    publication=publication,
                    proposal=proposal,
                    content=letter_content(publication, proposal, batch),
                    token_sha256=token_digest(token),
                    recipient=proposal.contact_email,
                    issued_by=user,
                    issued_at=now,
                    expires_at=_link_expiry(publication),
                )
                link = letter_link(token)
                issued.append(IssuedLetter(letter, link))
                if send and letter.recipient:
                    transaction.on_commit(partial(deliver_letter, letter.pk, link))
    return issued


def revoke_letter(letter: ResultLetter, user, reason: str) -> ResultLetter:
    """Close the letter's link for good (a wrong recipient, a leaked link), with the reason."""
    require_role(user, Role.OFFICIAL, Role.ADMIN, action=_("revoking a result letter"))
    reason = (reason or "").strip()
    if not reason:
        raise LetterUnavailable(_("Write why the link is revoked."), "reason")
    with audit_transaction(), audit_context(user, reason):
        letter = ResultLetter.objects.select_for_update().get(pk=letter.pk)
        if letter.revoked_at is not None:
            raise LetterUnavailable(_("This letter's link was revoked already."), "revoked")
        letter.revoked_at = timezone.now()
        letter.revoke_reason = reason
        letter.save(update_fields=["revoked_at", "revoke_reason"])
    return letter


def find_letter(token: str) -> ResultLetter:
    """The letter of a link, whatever its state (``LetterUnavailable`` for an unknown link)."""
    letter = (
        ResultLetter.objects.filter(token_sha256=token_digest(token or ""))
        .select_related("publication__competition", "proposal")
        .first()
    )
    if letter is None:
        raise LetterUnavailable(
            _("This link does not lead to a result letter. Check the address in the e-mail."), "unknown"
        )
    return letter


def usable_letter(token: str) -> ResultLetter:
    """The letter of a link that opens (not revoked, not expired), without logging an opening;
    ``LetterUnavailable`` says why not."""
    letter = find_letter(token)
    if letter.revoked_at is not None:
        raise LetterUnavailable(
            _("This link was revoked. Ask the office in charge for a new one."), "revoked"
        )
    if letter.expires_at <= timezone.now():
        raise LetterUnavailable(
            _("This link expired on %(date)s. Ask the office in charge for a new one.")
            % {"date": timezone.localtime(letter.expires_at).strftime("%Y-%m-%d")},
            "expired",
        )
    return letter


def open_letter(token: str, address: str | None = None) -> ResultLetter:
    """The letter of a link that opens (``usable_letter``), its opening logged."""
    letter = usable_letter(token)
    LetterOpening.objects.create(letter=letter, address=address or None)
    return letter


# --- The e-mail --------------------------------------------------------------------------------


def letter_email(letter: ResultLetter, link: str) -> tuple[str, str]:
    """(subject, text) of the e-mail that sends a letter's link: in Korean, what it is, the link,
    until when appeals are received and until when the link opens — never a score."""
    content = letter.content
    with translation.override(settings.LANGUAGE_CODE):
        subject = f"[{content['competition']['name']}] " + _("Result letter (평가결과 통보서)")
        body = render_to_string(
            "evaluation/notices/result_letter.txt",
            {
                "content": content,
                "link": link,
                "deadline": deadline_text(publication_deadline(letter.publication)),
                "expires": timezone.localtime(letter.expires_at),
                "contact_email": getattr(settings, "CONTACT_EMAIL", ""),
            },
        ).strip()
    return subject[:200], body + "\n"


def deliver_letter(letter_id: int, link: str) -> None:
    """Send a letter's link (after its transaction committed) and record whether it went."""
    letter = ResultLetter.objects.select_related("publication__competition").filter(pk=letter_id).first()
    if letter is None or not letter.recipient:
        return
    subject, body = letter_email(letter, link)
    try:
        EmailMessage(subject, body, to=[letter.recipient]).send()
    except Exception as error:  # any backend's failure is recorded for officials, not raised
        logger.exception("Result letter %s to %s was not delivered", letter.pk, letter.recipient)
        with audit_context(None, _("e-mail not delivered")):
            ResultLetter.objects.filter(pk=letter.pk).update(
                delivery=ResultLetter.Delivery.FAILED, delivery_error=str(error)[:1000]
            )
        return
    with audit_context(None, _("e-mail sent")):
        ResultLetter.objects.filter(pk=letter.pk).update(
            delivery=ResultLetter.Delivery.SENT, sent_at=timezone.now(), delivery_error=""
        )
