"""The officials' analysis page (issue 13): reviewer leniency, agreement, outlier sheets,
decision stability and margins of the 2023 demo, with server-rendered SVG charts beside their
tables; officials only. And the pure geometry of the charts (``portal.official.charts``)."""

import re
import time
from io import StringIO

import pytest
from django.urls import reverse
from django.utils.translation import gettext

from accounts.roles import Role
from evaluation import analysis
from evaluation.models import Stage
from evaluation.stage_scores import stage_results
from portal.official import analysis_views, charts
from proposals.models import Competition, Proposal
from tests.letters import lettered, letters_official  # noqa: F401  (fixtures)

SLUG = "smartcity-2023"


@pytest.fixture
def demo(db):
    from evaluation.demo import run_demo

    run_demo(StringIO())


@pytest.mark.django_db
def test_the_official_sees_the_analysis_of_the_2023_demo(demo, client, user_factory):
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    started = time.perf_counter()
    response = client.get(reverse("official:analysis", args=[SLUG]))
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < 3  # ≈ 0.5 s here; generous for a loaded CI machine
    html = response.content.decode()
    # Advisory, said at the top.
    notice = html.index('id="advisory-notice"')
    assert notice < html.index('id="stage-document"')
    assert gettext("Advisory analysis: the published scores are unchanged.") in html
    # A section per stage with the reviewers' table, agreement and outliers.
    for code in ("document", "presentation"):
        assert f'id="stage-{code}"' in html
        assert f'id="leniency-{code}-title"' in html
    assert "reviewer01@example.com" in html
    assert "ICC(1)" in html
    # Two decimals as the analysis reports them; stability with three.
    assert re.search(r'<td class="num">-?\d+\.\d{2}</td>', html)
    assert re.search(r'<td class="num">[01]\.\d{3}</td>', html)
    # The rounds and seed are the competition's settings (defaults 1,000 and the recorded seed), stated.
    assert (response.context["rounds"], response.context["seed"]) == (1000, analysis.DEFAULT_SEED)
    assert "1000" in html and f"{analysis.DEFAULT_SEED}" in html
    # Margins per selection group.
    for group in ("hub/hub", "small/climate", "small/depopulation"):
        assert f'<th scope="row">{group}</th>' in html
    assert response.context["light_matches_engine"] is True


@pytest.mark.django_db
def test_the_charts_are_inline_svg_with_titles_and_captions(demo, client, user_factory):
    client.force_login(user_factory(Role.ADMIN, "admin-analyst"))
    html = client.get(reverse("official:analysis", args=[SLUG])).content.decode()
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 5  # per stage (2) leniency and sheet totals, and stability
    for svg in svgs:
        assert 'role="img"' in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
        assert f'<title id="{labelled}">' in svg
        assert "style=" not in svg and "<script" not in svg  # the CSP allows neither
        assert "<rect " in svg
    main = html.split("<main", 1)[-1].split("</main>", 1)[0]
    assert "style=" not in main and "<script" not in main
    assert gettext("Reviewer leniency") in svgs[0]
    assert gettext("Sheet totals per proposal") in svgs[1]
    assert gettext("Selected share per proposal") in svgs[4]
    assert html.count('<figcaption class="chart-caption">') == 5
    # A table beside each chart (reviewers per stage, stability), plus outliers and margins.
    assert html.count("<table ") >= 4
    # The stability chart has a bar per proposal of the demo.
    stability = client.get(reverse("official:analysis", args=[SLUG])).context["stability"]
    assert svgs[4].count("<rect ") == len(stability) == 24


@pytest.mark.django_db
def test_the_ranking_links_to_the_analysis(demo, client, user_factory):
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    html = client.get(reverse("official:ranking", args=[SLUG])).content.decode()
    link = reverse("official:analysis", args=[SLUG])
    assert f'href="{link}">{gettext("Evaluation analysis (advisory)")}</a>' in html


@pytest.mark.django_db
def test_a_reviewer_may_not_open_the_analysis(competition, client, user_factory):
    client.force_login(user_factory(Role.REVIEWER, "rev-analysis"))
    assert client.get(reverse("official:analysis", args=[competition.slug])).status_code == 403
    client.logout()
    assert client.get(reverse("official:analysis", args=[competition.slug])).status_code == 302


@pytest.mark.django_db
def test_an_empty_competition_has_an_empty_analysis(competition, client, user_factory):
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    response = client.get(reverse("official:analysis", args=[competition.slug]))
    assert response.status_code == 200
    assert gettext("Advisory analysis: the published scores are unchanged.") in response.content.decode()


# --- The chart geometry (pure) --------------------------------------------------------------------


def test_bars_run_from_the_zero_line_to_their_value():
    chart = charts.bar_chart(
        [("a", 5, "5.00", False), ("b", -10, "-10.00", True), ("c", None, "—", False)], low=-10, high=10
    )
    left, right = charts.LABEL_WIDTH, charts.WIDTH - charts.VALUE_WIDTH
    middle = (left + right) / 2
    assert chart.zero == middle
    a, b, c = chart.bars
    assert (a.x, a.width) == (middle, (right - left) / 4)
    assert (b.x, b.width) == (left, (right - left) / 2) and b.marked and b.negative
    assert c.width == 0 and c.x == middle and not c.negative
    # One row each, top to bottom, the label's baseline inside the bar.
    assert a.y < b.y < c.y and b.y - a.y == charts.ROW
    assert a.y < a.label_y < a.y + a.height
    assert chart.plot_bottom == charts.TOP + 3 * charts.ROW
    assert chart.height == chart.plot_bottom + charts.AXIS
    assert chart.view_box == f"0 0 {charts.WIDTH} {chart.height}"


def test_values_beyond_the_scale_are_clamped():
    chart = charts.bar_chart([("a", 2, "2", False), ("b", -1, "-1", False)], low=0, high=1)
    right = charts.WIDTH - charts.VALUE_WIDTH
    assert chart.bars[0].x + chart.bars[0].width == right
    assert chart.bars[1].width == 0
    with pytest.raises(ValueError):
        charts.bar_chart([], low=1, high=1)


def test_the_leniency_scale_is_symmetric_and_holds_the_threshold():
    chart = charts.leniency_chart([("r1", "3.50", False), ("r2", "-12.25", True), ("r3", None, False)], 10)
    left, right = charts.LABEL_WIDTH, charts.WIDTH - charts.VALUE_WIDTH
    assert chart.zero == (left + right) / 2
    ticks = [line for line in chart.lines if line.kind == "tick"]
    assert [t.text for t in ticks] == ["-20", "-10", "0", "+10", "+20"]
    references = sorted(line.x for line in chart.lines if line.kind == "reference")
    assert references == [left + (right - left) / 4, left + 3 * (right - left) / 4]  # ±10 of ±20
    r1, r2, r3 = chart.bars
    assert r1.x == chart.zero and r1.width == round(3.5 / 40 * (right - left), 2)
    assert r2.x + r2.width == chart.zero and r2.marked
    assert r3.value_text == "—" and r3.width == 0
    # A small threshold and small deviations still give a scale of at least ±1.
    small = charts.leniency_chart([("r1", "0.10", False)], 0.2)
    assert [t.text for t in small.lines if t.kind == "tick"][-1] == "+2"


def test_the_stability_bars_are_shares_of_the_width():
    chart = charts.stability_chart([("P-1", "1.000", False), ("P-2", "0.250", True), ("P-3", "0.000", False)])
    left, right = charts.LABEL_WIDTH, charts.WIDTH - charts.VALUE_WIDTH
    assert [bar.width for bar in chart.bars] == [right - left, (right - left) / 4, 0]
    assert all(bar.x == left for bar in chart.bars)
    assert [bar.value_text for bar in chart.bars] == ["1.000", "0.250", "0.000"]
    assert chart.bars[1].marked
    assert [line.text for line in chart.lines if line.kind == "tick"] == ["0", "0.25", "0.5", "0.75", "1"]


def test_the_page_threshold_is_the_analysis_default():
    assert analysis.DEFAULT_THRESHOLD_SHARE * 100 == 10


def test_the_chart_template_draws_the_geometry_and_marks_flagged_bars():
    from django.template.loader import render_to_string

    chart = charts.leniency_chart([("r1", "12.50", True), ("r2", "-1.00", False)], 10)
    html = render_to_string(
        "portal/official/_bar_chart.html",
        {"chart": chart, "id": "t", "title": "Leniency", "caption": "The caption", "marked_text": "flagged"},
    )
    assert '<svg class="bar-chart" viewBox="0 0 640 ' in html and 'aria-labelledby="t-title"' in html
    assert '<title id="t-title">Leniency</title>' in html
    assert '<figcaption class="chart-caption">The caption</figcaption>' in html
    first = chart.bars[0]
    assert f'<rect class="chart-bar" x="{first.x}" y="{first.y}" width="{first.width}"' in html
    assert '<g class="chart-row marked">' in html and "12.50 ▲ flagged" in html
    assert '<g class="chart-row negative">' in html
    assert html.count('class="chart-reference"') == 2


# --- Each proposal's sheet totals as dots, the dropped ones marked ---------------------------------


def _section(html: str, code: str) -> str:
    start = html.index(f'id="dots-{code}"')
    return html[start : html.index("</section>", start)]


@pytest.mark.django_db
def test_the_sheet_totals_mark_the_dropped_sheets_beside_a_table(demo, client, user_factory):
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    html = client.get(reverse("official:analysis", args=[SLUG])).content.decode()
    stage = Stage.objects.get(competition__slug=SLUG, code="document")
    results = stage_results(stage)
    references = dict(Proposal.objects.filter(pk__in=results).values_list("pk", "reference"))
    section = _section(html, "document")
    svg = re.search(r'<svg class="dot-chart".*?</svg>', section, re.S).group(0)
    assert 'role="img"' in svg and '<title id="dots-chart-document-title">' in svg
    assert gettext("Sheet totals per proposal") in svg
    # A row per proposal; a filled circle per kept sheet, a hollow square per dropped one.
    kept = sum(len(result.kept) for result in results.values())
    dropped = sum(len(result.dropped_high) + len(result.dropped_low) for result in results.values())
    assert dropped > 0
    assert svg.count('<g class="chart-row">') == len(results) == 24
    assert svg.count('<circle class="chart-dot"') == kept
    assert svg.count('<rect class="chart-dropped"') == dropped
    assert svg.count('<line class="chart-score"') == len(results)
    # The table beside it: the reference, the totals highest first with the dropped ones marked in
    # words, and the stage score; highest score first.
    assert '<figcaption class="chart-caption">' in section and "<table " in section
    best_id = max(results, key=lambda pk: (results[pk].score, -pk))
    best = results[best_id]
    totals = sorted(
        [(total, "") for _id, total in best.kept]
        + [(total, "dropped") for _id, total in best.dropped_high + best.dropped_low],
        key=lambda item: -item[0],
    )
    cells = ", ".join(
        f'<span class="sheet-dropped">{gettext("%(total)s (dropped)") % {"total": f"{total:.2f}"}}</span>'
        if mark
        else f"{total:.2f}"
        for total, mark in totals
    )
    body = section.split("<tbody>", 1)[1]
    assert body.lstrip().startswith(f'<tr><th scope="row">{references[best_id]}</th>')  # highest first
    assert f'<td>{cells}</td><td class="num">{analysis.two(best.score)}</td></tr>' in section
    assert section.count(gettext("%(total)s (dropped)") % {"total": ""}) >= dropped


@pytest.mark.django_db
def test_the_page_runs_the_competitions_rounds_and_seed_and_says_so(demo, client, user_factory):
    Competition.objects.filter(slug=SLUG).update(analysis_rounds=50, analysis_seed=4242)
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    response = client.get(reverse("official:analysis", args=[SLUG]))
    assert (response.context["rounds"], response.context["seed"]) == (50, 4242)
    html = response.content.decode()
    assert "(seed 4242)" in html or "시드 4242" in html
    assert "50" in html.split('id="stability"', 1)[1]
    assert "analysis_rounds, analysis_seed" in html


@pytest.mark.django_db
def test_the_sheet_totals_come_in_pages_of_a_bounded_size(demo, client, user_factory, monkeypatch):
    monkeypatch.setattr(analysis_views, "DOT_ROWS", 10)
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    url = reverse("official:analysis", args=[SLUG])
    first = _section(client.get(url).content.decode(), "document")
    assert re.search(r'<svg class="dot-chart".*?</svg>', first, re.S).group(0).count("chart-row") == 10
    assert first.count('<th scope="row">') == 10
    assert 'href="?dots=2#dots-document"' in first and "?dots=0" not in first
    last = _section(client.get(url, {"dots": "3"}).content.decode(), "document")
    assert last.count('<th scope="row">') == 4
    assert 'href="?dots=2#dots-document"' in last and "?dots=4" not in last
    # A page number out of range or not a number shows a page that exists.
    assert (
        _section(client.get(url, {"dots": "x"}).content.decode(), "document").count('<th scope="row">') == 10
    )


@pytest.mark.django_db
def test_the_page_reads_the_database_in_a_bounded_number_of_queries(
    demo, client, user_factory, django_assert_max_num_queries
):
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    with django_assert_max_num_queries(24):  # 20 here: the session and user, the inputs, a query per stage
        assert client.get(reverse("official:analysis", args=[SLUG])).status_code == 200


def test_the_dots_sit_on_a_scale_from_zero_to_the_stage_maximum():
    chart = charts.dot_chart(
        [("P-1", "80.00", [("100.00", "high"), ("80.00", ""), ("60.00", "low")]), ("P-2", None, [])], 100
    )
    left, right = charts.LABEL_WIDTH, charts.WIDTH - charts.VALUE_WIDTH
    one, two = chart.rows
    assert [dot.x for dot in one.dots] == [right, left + 0.8 * (right - left), left + 0.6 * (right - left)]
    assert [dot.dropped for dot in one.dots] == [True, False, True]
    assert one.score_x == left + 0.8 * (right - left) and one.value_text == "80.00"
    assert two.score_x is None and two.value_text == "—" and two.dots == []
    assert two.y - one.y == charts.ROW and one.y - charts.ROW / 2 == charts.TOP
    assert [line.text for line in chart.lines] == ["0", "25", "50", "75", "100"]
    assert chart.height == charts.TOP + 2 * charts.ROW + charts.AXIS
    with pytest.raises(ValueError):
        charts.dot_chart([], 0)


def test_the_dot_template_draws_dropped_sheets_as_hollow_squares():
    from django.template.loader import render_to_string

    chart = charts.dot_chart([("P-1", "70.00", [("90.00", "high"), ("70.00", ""), ("50.00", "low")])], 100)
    html = render_to_string(
        "portal/official/_dot_chart.html", {"chart": chart, "id": "d", "title": "Totals", "caption": "Cap"}
    )
    assert '<svg class="dot-chart" viewBox="0 0 640 ' in html and 'aria-labelledby="d-title"' in html
    assert '<title id="d-title">Totals</title>' in html and "Cap</figcaption>" in html
    assert html.count('<rect class="chart-dropped"') == 2 and html.count('<circle class="chart-dot"') == 1
    square = chart.rows[0].dots[0]
    assert f'x="{square.square_x}" y="{chart.rows[0].square_y}" width="9" height="9"' in html
    assert '<line class="chart-score" x1="416.0"' in html and "style=" not in html


@pytest.mark.django_db
def test_the_bootstrap_runs_once_per_change_of_the_records(demo, client, user_factory, monkeypatch):
    """A large competition's bootstrap takes seconds: the page keeps its analysis until anything
    it depends on changes (the audit chain's head moves), like the ranking it shows."""
    from evaluation import analysis
    from evaluation.analysis_service import recent_analyses

    recent_analyses.clear()
    runs = []
    original = analysis.analyze
    monkeypatch.setattr(analysis, "analyze", lambda *a, **k: runs.append(k["rounds"]) or original(*a, **k))
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    url = reverse("official:analysis", args=[SLUG])
    assert client.get(url).status_code == 200
    assert client.get(url + "?dots=2").status_code == 200
    assert runs == [1000]
    competition = Competition.objects.get(slug=SLUG)
    competition.analysis_rounds = 30
    competition.save()  # audited: the chain's head moves
    assert client.get(url).context["rounds"] == 30
    assert runs == [1000, 30]


@pytest.mark.django_db
def test_an_outlier_sheet_links_to_where_the_official_asks_for_reconsideration(lettered, client):
    """Issue 13: from an outlier sheet the official asks the reviewer to reconsider — the reopen
    with a reason on the proposal's page."""
    client.force_login(lettered["official"])
    response = client.get(reverse("official:analysis", args=[lettered["publication"].competition.slug]))
    html = response.content.decode()
    second = lettered["proposals"][2]
    target = (
        reverse("official:proposal", args=[second.competition.slug, "test-written", second.pk]) + "#reopen"
    )
    assert f'<a href="{target}">' in html
    assert "위원 E 평가표 재개(사유 기록)" in html


@pytest.mark.django_db
def test_agreement_is_shown_per_panel(demo, client, user_factory):
    """The 2023 demo's 서면평가 has two panels (거점형; 기후위기·지역소멸 대응형): each with its ICC(1)."""
    client.force_login(user_factory(Role.OFFICIAL, "analyst"))
    response = client.get(reverse("official:analysis", args=[SLUG]))
    (document,) = [s for s in response.context["sections"] if s["code"] == "document"]
    assert [(p["tracks"], p["reviewers"], p["sheets"], p["value"]) for p in document["panel_agreement"]] == [
        (["거점형"], 7, 69, "0.85"),
        (["기후위기 대응형", "지역소멸 대응형"], 8, 112, "0.83"),
    ]
    html = response.content.decode()
    assert "<caption>서면평가 평가위원회별 일치도</caption>" in html
