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
    selected proposals (SPEC §8.1) with their number, e.g. ``신안군(3곳), 고흥군``."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(name if count == 1 else f"{name}({count}곳)" for name, count in counts.items())


def announcement(category: dict) -> str:
    """The category's result as the ministry announces it, e.g. «거점형은 총 10곳의 지자체가 신청해
    5:1의 경쟁률을 보였으며, 울산광역시, 고양시 2곳이 선정되었다.» Korean in either language: it is
    the text of the Korean announcement (particles: proposals/korean.py).

    ``category``: ``name``, ``applicants``, ``ratio`` (``"5:1"`` or None) and ``tracks``, each with
    ``name`` and ``selected`` (applicant names in rank order)."""
    name, applicants, ratio = category["name"], category["applicants"], category.get("ratio")
    tracks = category["tracks"]
    competed = f"신청해 {ratio}의 경쟁률을 보였으며," if ratio else "신청했으며,"
    if len(tracks) <= 1:
        selected = tracks[0]["selected"] if tracks else []
        head = f"{attach(name, '은/는')} 총 {applicants}곳의 지자체가 {competed}"
        if selected:
            return f"{head} {_selected(selected)} {len(selected)}곳이 선정되었다."
        return f"{head} 선정된 지자체는 없다."
    kinds = _and_list([track["name"] for track in tracks])
    head = f"{attach(name, '은/는')} {kinds} {len(tracks)}개 유형에 총 {applicants}곳의 지자체가 {competed}"
    chosen = [track for track in tracks if track["selected"]]
    empty = [track for track in tracks if not track["selected"]]
    parts = [
        f"{attach(track['name'], '은/는')} {attach(_selected(track['selected']), '이/가')}"
        for track in chosen
    ]
    text = f"{head} {', '.join(parts)} 선정되었다." if parts else f"{head} 선정된 지자체는 없다."
    if parts and empty:
        text += f" {attach(_and_list([track['name'] for track in empty]), '은/는')} 선정된 지자체가 없다."
    return text
