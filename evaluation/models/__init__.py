from .panel import Assignment, Conflict, Panel, SecurityPledge
from .reviewer import PastAffiliation, Reviewer
from .scoresheet import Score, Scoresheet
from .stage import Criterion, Rubric, Stage

__all__ = [
    "Assignment",
    "Conflict",
    "Criterion",
    "Panel",
    "PastAffiliation",
    "Reviewer",
    "Rubric",
    "Score",
    "Scoresheet",
    "SecurityPledge",
    "Stage",
]
