from .appeal import Appeal, AppealCommitteeMember, LetterOpening, ResultLetter, appeal_deadline, deadline_text
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
    "Appeal",
    "AppealCommitteeMember",
    "Assignment",
    "Conflict",
    "Criterion",
    "Draw",
    "LetterOpening",
    "Notice",
    "Panel",
    "PastAffiliation",
    "Publication",
    "ResultLetter",
    "Reviewer",
    "ReviewerDraw",
    "Rubric",
    "Score",
    "Scoresheet",
    "SecurityPledge",
    "Stage",
    "appeal_deadline",
    "deadline_text",
]
