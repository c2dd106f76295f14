from .conflict import Conflict
from .notice import Notice
from .panel import Assignment, Panel, ReviewerDraw, SecurityPledge
from .result import Adjustment, AdjustmentItem, Draw, Publication
from .reviewer import PastAffiliation, Reviewer
from .scoresheet import Score, Scoresheet
from .stage import Criterion, Rubric, Stage

__all__ = [
    "Adjustment",
    "AdjustmentItem",
    "Assignment",
    "Conflict",
    "Criterion",
    "Draw",
    "Notice",
    "Panel",
    "PastAffiliation",
    "Publication",
    "Reviewer",
    "ReviewerDraw",
    "Rubric",
    "Score",
    "Scoresheet",
    "SecurityPledge",
    "Stage",
]
