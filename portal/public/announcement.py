"""The result announced in the ministry's style (보도자료 문체), from a publication's outcome: pure
text, Korean in either language (particles: ``proposals.korean``)."""

from proposals.korean import attach


def _and_list(names: list[str]) -> str:
    """``A과 B``, ``A, B와 C``."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join([*names[:-2], attach(names[-2], "과/와") + " " + names[-1]])


def _selected(names: list[str]) -> str:
    """The selected local governments in rank order, each once: one holding several of the
    selected proposals (SPEC §8.1) with their number, e.g. ``신안군(3곳), 고흥군, 고성군(경남, 2곳)``."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(name if count == 1 else _with_count(name, count) for name, count in counts.items())


def _with_count(name: str, count: int) -> str:
    """``신안군(3곳)``; a name already shown with its 광역 gets one parenthesis: ``고성군(경남, 2곳)``."""
    if name.endswith(")") and "(" in name:
        return f"{name[:-1]}, {count}곳)"
    return f"{name}({count}곳)"


def announcement(category: dict) -> str:
    """The category's result as the ministry announces it, e.g. «거점형은 총 10곳의 지자체가 신청해
    5:1의 경쟁률을 보였으며, 울산광역시, 고양시 2곳이 선정되었다.» Korean in either language: it is
    the text of the Korean announcement (particles: proposals/korean.py).

    ``category``: ``name``, ``applicants``, ``ratio`` (``"5:1"`` or None) and ``tracks``, each with
    ``name`` and ``selected`` (applicant names in rank order); ``several_per_applicant`` where a
    local government holds several of the proposals (SPEC §8.1): ``applicants`` then counts
    proposals, not local governments, and the text says «총 187건이 접수돼 …», «선정된 사업은 없다»."""
    name, applicants, ratio = category["name"], category["applicants"], category.get("ratio")
    tracks = category["tracks"]
    if category.get("several_per_applicant"):
        applied = f"총 {applicants}건이 " + (
            f"접수돼 {ratio}의 경쟁률을 보였으며," if ratio else "접수됐으며,"
        )
        none, none_in = "선정된 사업은 없다.", "선정된 사업이 없다."
    else:
        applied = f"총 {applicants}곳의 지자체가 " + (
            f"신청해 {ratio}의 경쟁률을 보였으며," if ratio else "신청했으며,"
        )
        none, none_in = "선정된 지자체는 없다.", "선정된 지자체가 없다."
    if len(tracks) <= 1:
        selected = tracks[0]["selected"] if tracks else []
        head = f"{attach(name, '은/는')} {applied}"
        if selected:
            return f"{head} {_selected(selected)} {len(selected)}곳이 선정되었다."
        return f"{head} {none}"
    kinds = _and_list([track["name"] for track in tracks])
    head = f"{attach(name, '은/는')} {kinds} {len(tracks)}개 유형에 {applied}"
    chosen = [track for track in tracks if track["selected"]]
    empty = [track for track in tracks if not track["selected"]]
    parts = [
        f"{attach(track['name'], '은/는')} {attach(_selected(track['selected']), '이/가')}"
        for track in chosen
    ]
    text = f"{head} {', '.join(parts)} 선정되었다." if parts else f"{head} {none}"
    if parts and empty:
        text += f" {attach(_and_list([track['name'] for track in empty]), '은/는')} {none_in}"
    return text
