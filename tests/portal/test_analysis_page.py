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
from portal.official import charts
from portal.official.analysis_views import PAGE_ROUNDS, PAGE_SEED

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
    # The rounds and seed are stated.
    assert f"{PAGE_ROUNDS}" in html and f"{PAGE_SEED}" in html
    # Margins per selection group.
    for group in ("hub/hub", "small/climate", "small/depopulation"):
        assert f'<th scope="row">{group}</th>' in html
    assert response.context["light_matches_engine"] is True


@pytest.mark.django_db
def test_the_charts_are_inline_svg_with_titles_and_captions(demo, client, user_factory):
    client.force_login(user_factory(Role.ADMIN, "admin-analyst"))
    html = client.get(reverse("official:analysis", args=[SLUG])).content.decode()
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 3  # leniency per stage (2) and stability
    for svg in svgs:
        assert 'role="img"' in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1)
        assert f'<title id="{labelled}">' in svg
        assert "style=" not in svg and "<script" not in svg  # the CSP allows neither
        assert "<rect " in svg
    assert gettext("Reviewer leniency") in svgs[0]
    assert gettext("Selected share per proposal") in svgs[2]
    assert html.count('<figcaption class="chart-caption">') == 3
    # A table beside each chart (reviewers per stage, stability), plus outliers and margins.
    assert html.count("<table ") >= 4
    # The stability chart has a bar per proposal of the demo.
    stability = client.get(reverse("official:analysis", args=[SLUG])).context["stability"]
    assert svgs[2].count("<rect ") == len(stability) == 24


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
