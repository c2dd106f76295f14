"""Recording what an official adds to the ranking (SPEC §4.4–§4.5): bonus/penalty points (가점/감점)
and the drawn order (추첨) of proposals no other rule separates.

Both are written through audited models inside ``audit_context(actor, reason)``, so the audit
trail says who, when, and why. Nothing is written when a check fails.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.roles import Role, require_role
from proposals.models import audit_context, audit_transaction

from . import rules
from .models import Adjustment, AdjustmentItem, Draw
from .models.result import POINTS_LIMIT


def adjustment_total(points: list[Decimal], cap: Decimal) -> tuple[Decimal, Decimal]:
    """(sum as entered, the capped total added to the final score)."""
    total = sum(points, Decimal(0))
    return total, rules.capped_adjustment(points, cap)


def checked_points(points, *, item: AdjustmentItem | None) -> Decimal:
    """``points`` as stored (two decimals), or ValidationError: a free entry is non-zero, an
    item's value lies in its range."""
    if (
        points is None
        or not points.is_finite()
        or (points == 0 and item is None)
        or abs(points) > POINTS_LIMIT
        or points != points.quantize(Decimal("0.01"))
    ):
        if item is None:
            message = _("Enter the points as a non-zero number with at most two decimals, e.g. 1.5 or -2.")
        else:
            message = _("Enter the points as a number with at most two decimals, e.g. 1.5 or -2.")
        raise ValidationError(message, code="points")
    points = points.quantize(Decimal("0.01"))
    if item is not None:
        problem = item.problem(points)
        if problem:
            raise ValidationError(problem, code="item_range")
    return points


def record_adjustment(proposal, points: Decimal, reason: str, actor, item: AdjustmentItem | None = None):
    """가점 (points > 0) or 감점 (points < 0) on ``proposal`` with a required reason: an official's
    free entry, or the value of a typed item (SPEC §8.4) in the item's range — the proposal's one
    value for that item, replacing the one recorded before (audited as a change)."""
    require_role(actor, Role.OFFICIAL, Role.ADMIN, action=_("recording a bonus or penalty"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Write the reason for the bonus or penalty."), code="reason")
    if item is not None and item.competition_id != proposal.competition_id:
        raise ValidationError(_("This item belongs to another competition."), code="item_competition")
    points = checked_points(points, item=item)
    with transaction.atomic(), audit_context(actor, reason):
        existing = (
            Adjustment.objects.select_for_update().filter(proposal=proposal, item=item).first()
            if item is not None
            else None
        )
        if existing is None:
            return Adjustment.objects.create(
                proposal=proposal, item=item, points=points, reason=reason, recorded_by=actor
            )
        existing.points, existing.reason, existing.recorded_by = points, reason, actor
        existing.save(update_fields=["points", "reason", "recorded_by"])
        return existing


def delete_adjustment(adjustment: Adjustment, reason: str, actor) -> None:
    """Delete a mistaken bonus or penalty (SPEC §8.4). The reason is required and kept in the audit
    trail with the deleted values; a published result then needs a correction, which lists the
    removal (``evaluation.corrections``)."""
    require_role(actor, Role.OFFICIAL, Role.ADMIN, action=_("deleting a bonus or penalty"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Write why this bonus or penalty is deleted."), code="reason")
    with transaction.atomic(), audit_context(actor, reason):
        adjustment.delete()


def record_draw(orders: dict, method: str, actor) -> list[Draw]:
    """The drawn order of tied proposals: ``orders`` maps each proposal to 1, 2, … n (1 ranks
    first); ``method`` says how the draw was made. A proposal drawn before gets the new order."""
    require_role(actor, Role.OFFICIAL, Role.ADMIN, action=_("recording a draw"))
    method = (method or "").strip()
    if not method:
        raise ValidationError(_("Write how the draw was made."), code="method")
    values = sorted(orders.values())
    if len(orders) < 2 or values != list(range(1, len(orders) + 1)):
        raise ValidationError(
            _("Give each proposal a different order from 1 to %(count)s.") % {"count": len(orders)},
            code="order",
        )
    drawn = []
    reason = _("Draw: %(method)s") % {"method": method}
    with audit_transaction(), audit_context(actor, reason):  # entries appended last
        existing = {draw.proposal_id: draw for draw in Draw.objects.filter(proposal__in=list(orders))}
        for proposal, order in orders.items():
            draw = existing.get(proposal.pk)
            if draw is None:
                draw = Draw.objects.create(proposal=proposal, order=order, method=method, recorded_by=actor)
            else:
                draw.order, draw.method, draw.recorded_by = order, method, actor
                draw.save()
            drawn.append(draw)
    return drawn
