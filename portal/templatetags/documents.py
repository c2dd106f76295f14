"""``{% official_documents proposal %}``: the documents section of the officials' proposal page —
the documents with a link to each, who read them and when (the reading log), and their uploads,
replacements and removals — as one include, so the page's own view needs nothing for it."""

from django import template

from accounts.roles import Role, role_of
from evaluation.documents import document_history, reading_log
from proposals.audit_display import action_label

register = template.Library()


@register.inclusion_tag("portal/official/_documents.html", takes_context=True)
def official_documents(context, proposal):
    names = role_of(context["request"].user) == Role.ADMIN  # officials see reviewer codes only
    history = [
        {
            "entry": entry,
            "label": action_label(entry.action),
            "name": (entry.after or {}).get("original_name")
            or (entry.before or {}).get("original_name")
            or "",
            "sha256": (entry.after or {}).get("sha256") or (entry.before or {}).get("sha256") or "",
        }
        for entry in document_history(proposal)
    ]
    return {
        "request": context["request"],
        "proposal": proposal,
        "competition": proposal.competition,
        "documents": list(proposal.documents.all()),
        "readings": reading_log(proposal, names=names),
        "history": history,
    }
