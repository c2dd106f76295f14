"""Each page of a browser journey: a full-page screenshot, no script error or content security
policy violation, and an axe-core scan with no serious or critical WCAG 2.1 A/AA violation
(KWCAG 2.2, the Korean standard for public websites, follows WCAG 2.1 AA).

axe-core is the vendored copy in vendor/axe-core/ (from the npm registry). The page loads it from
a same-origin URL that Playwright answers with that file, so the site's content security policy
(script-src 'self', no inline script or style) stays in force: the pages are scanned as users get
them, and a policy violation anywhere in the journey fails the test.

Besides violations, axe reports results it could not decide ("incomplete"). Serious or critical
ones fail too (e.g. an aria-describedby naming an id that is not on the page), except that for
color-contrast — which axe cannot measure over a background image such as the arrow of KRDS's
select, or under an overlapping element — the contrast is measured here instead, against the
nearest background colour, and fails below 4.5:1 (3:1 for large text). Everything axe reported is
kept in test-artifacts/browser/axe-report.json.
"""

import json
from pathlib import Path

AXE_JS = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_PATH = "/__browser-tests__/axe.min.js"  # answered by Playwright, never by Django
FONT_LOADED = """async () => {
  await document.fonts.ready;
  const faces = await document.fonts.load('1rem "Pretendard GOV"', "평가");
  return faces.length > 0 && faces.every((face) => face.status === "loaded");
}"""
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}

# preload: false — axe would copy the stylesheets into <style> elements (for the
# css-orientation-lock rule), which the policy refuses. No stylesheet of the site uses an
# orientation media query (portal/static), so that rule has nothing to find.
RUN_AXE = """async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations", "incomplete"],
    preload: false,
  });
  const rules = (list) => list.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    helpUrl: rule.helpUrl,
    nodes: rule.nodes.map((node) => ({
      target: node.target.join(" "),
      html: node.html,
      summary: node.failureSummary
        || [...node.any, ...node.all, ...node.none].map((check) => check.message).join("\\n"),
      contrast: rule.id === "color-contrast" ? measureContrast(node.target) : undefined,
    })),
  }));
  return {violations: rules(results.violations), incomplete: rules(results.incomplete)};

  // WCAG 1.4.3 by hand, for the nodes axe leaves undecided: the text colour against the nearest
  // opaque background colour, each composited over the one below (background images ignored).
  function measureContrast(target) {
    const element = target.length === 1 ? document.querySelector(target[0]) : null;
    if (!element) return null;
    const parse = (text) => {
      const [r, g, b, a = 1] = text.match(/[\\d.]+/g).map(Number);
      return {r, g, b, a};
    };
    const over = (top, below) => ({
      r: top.r * top.a + below.r * (1 - top.a),
      g: top.g * top.a + below.g * (1 - top.a),
      b: top.b * top.a + below.b * (1 - top.a),
      a: 1,
    });
    const layers = [];
    for (let node = element; node; node = node.parentElement) {
      const colour = parse(getComputedStyle(node).backgroundColor);
      if (colour.a > 0) layers.push(colour);
      if (colour.a === 1) break;
    }
    const background = layers.reduceRight((below, top) => over(top, below), {r: 255, g: 255, b: 255, a: 1});
    const style = getComputedStyle(element);
    const text = over(parse(style.color), background);
    const luminance = ({r, g, b}) => {
      const [R, G, B] = [r, g, b].map((v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * R + 0.7152 * G + 0.0722 * B;
    };
    const [light, dark] = [luminance(text), luminance(background)].sort((x, y) => y - x);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    return {ratio: Math.round(((light + 0.05) / (dark + 0.05)) * 100) / 100, required: large ? 3 : 4.5};
  }
}"""


def describe(rules: list[dict]) -> str:
    """Rule id, impact, help and each node's selector and failure summary, for a failure message."""
    lines = []
    for rule in rules:
        lines.append(f"- {rule['id']} ({rule['impact']}): {rule['help']} — {rule['helpUrl']}")
        for node in rule["nodes"]:
            lines.append(f"    {node['target']}: {node['html'][:200]}")
            for summary_line in (node["summary"] or "").splitlines():
                lines.append(f"      {summary_line}")
    return "\n".join(lines)


def failing(results: dict) -> list[dict]:
    """Serious or critical violations, undecided results of other rules than color-contrast, and
    undecided color-contrast nodes whose measured contrast is too low."""
    problems = [rule for rule in results["violations"] if rule["impact"] in FAILING_IMPACTS]
    for rule in results["incomplete"]:
        if rule["impact"] not in FAILING_IMPACTS:
            continue
        if rule["id"] != "color-contrast":
            problems.append({**rule, "help": f"{rule['help']} (axe could not decide: fix or check it)"})
            continue
        low = [
            node
            for node in rule["nodes"]
            if node["contrast"] is None or node["contrast"]["ratio"] < node["contrast"]["required"]
        ]
        if low:
            problems.append(
                {**rule, "help": f"{rule['help']} (measured: {[n['contrast'] for n in low]})", "nodes": low}
            )
    return problems


class Journey:
    """Checks and records every page the journey visits, in order: ``journey.check(page, name)``."""

    def __init__(self, artifacts: Path, base_url: str):
        self.artifacts = artifacts
        self.base_url = base_url
        self.count = 0
        self.report: dict[str, dict] = {}
        self.scanned: set[str] = set()
        self.console_errors: list[str] = []

    def open(self, context):
        """Prepare a browser context: serve axe-core, collect script and policy errors."""
        context.route(
            f"{self.base_url}{AXE_PATH}",
            lambda route: route.fulfill(path=AXE_JS, content_type="text/javascript; charset=utf-8"),
        )
        context.on("page", self._watch)
        context.set_default_timeout(10_000)
        return context

    def _watch(self, page):
        page.on("pageerror", lambda error: self.console_errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda message: (
                self.console_errors.append(f"{page.url}: {message.text}") if message.type == "error" else None
            ),
        )

    def check(self, page, name: str, *, once: str | None = None, status: int | None = None):
        """Screenshot the page, then fail on console errors and on serious or critical
        accessibility problems. Pages checked with the same ``once`` key are scanned once (the
        same page shown to each person, e.g. the login page). ``status``: the page was answered
        with this error status on purpose (a refused form), which the browser logs as an error."""
        self.count += 1
        label = f"{self.count:02d}-{name}"
        # The machine has no Korean system font: the page's own webfont must have loaded (else the
        # screenshot shows empty boxes and a reader sees them too).
        page.wait_for_load_state("load")
        assert page.evaluate(FONT_LOADED), f"{label}: the Korean webfont (Pretendard GOV) did not load"
        page.screenshot(path=self.artifacts / f"{label}.png", full_page=True)
        expected = f"{page.url}: Failed to load resource: the server responded with a status of {status} "
        errors = [error for error in self.console_errors if not (status and error.startswith(expected))]
        self.console_errors.clear()
        assert not errors, f"{label}: errors in the browser console:\n" + "\n".join(errors)
        if once is not None:
            if once in self.scanned:
                return
            self.scanned.add(once)

        page.add_script_tag(url=f"{self.base_url}{AXE_PATH}")
        results = page.evaluate(RUN_AXE, WCAG_TAGS)
        self.report[label] = {"url": page.url, **results}
        (self.artifacts / "axe-report.json").write_text(
            json.dumps(self.report, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        problems = failing(results)
        assert not problems, (
            f"{label} ({page.url}): serious or critical accessibility problems (axe-core):\n"
            + describe(problems)
        )
        errors = list(self.console_errors)
        assert not errors, f"{label}: errors in the browser console during the scan:\n" + "\n".join(errors)
