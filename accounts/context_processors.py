from .roles import role_of


def role(request):
    """The signed-in user's role, for the header (SPEC §2)."""
    current = role_of(getattr(request, "user", None))
    return {"current_role": current, "current_role_label": current.label if current else ""}
