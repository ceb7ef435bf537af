"""The class's report, report.md and report.html: a histogram of the scores, the pass rate of each
check, and the most common failure messages (their first line, which names the bug)."""

import html
from collections import Counter

from trainer.teaching.assignments.checks import Result

BINS = 10  # histogram bars, each a tenth of the maximum score
COMMON = 8  # failure messages listed
NOT_RUN = "not run:"  # a check after one that stopped the process: its cause is listed already


def summary(graded: dict[str, list[Result]], max_score: float) -> dict:
    scores = [sum(result.score for result in results) for results in graded.values()]
    counts = [0] * BINS
    for score in scores:
        counts[min(int(BINS * score / max_score), BINS - 1) if max_score else BINS - 1] += 1
    checks: dict[str, list[bool]] = {}
    failures: Counter = Counter()
    for results in graded.values():
        for result in results:
            checks.setdefault(result.name, []).append(result.passed)
            if not result.passed and not result.output.startswith(NOT_RUN):
                failures[(result.name, _gist(result.output))] += 1
    return {"scores": scores, "histogram": counts, "checks": checks, "failures": failures.most_common(COMMON)}


def _gist(text: str) -> str:
    """The line of a check's output that says what failed: a train check's first FAIL or Why, else the
    first line (with the next one when it ends in a colon, as a config's list of problems does)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()] or ["(no message)"]
    line = next((line for line in lines if line.startswith(("Why:", "FAIL"))), lines[0])
    if line.endswith(":") and len(lines) > 1:
        line = f"{line} {lines[1]}"
    return line if len(line) <= 240 else line[:237] + "..."


def _bin_label(number: int, max_score: float) -> str:
    low, high = number * max_score / BINS, (number + 1) * max_score / BINS
    return f"{low:g}-{high:g}" + ("]" if number == BINS - 1 else ")")


def markdown(title: str, graded: dict[str, list[Result]], max_score: float) -> str:
    facts = summary(graded, max_score)
    scores = facts["scores"]
    mean = sum(scores) / len(scores) if scores else 0.0
    lines = [f"# {title}: the class's report", "", f"{len(scores)} submissions, mean score {mean:.3g} / {max_score:g}.",
             "", "## Scores", "", "```"]  # fmt: skip
    for number, count in enumerate(facts["histogram"]):
        lines.append(f"{_bin_label(number, max_score):>14} | {'#' * count} {count}")
    lines += ["```", "", "## Pass rate per check", "", "| check | passed | rate |", "|---|---|---|"]
    for name, passed in facts["checks"].items():
        lines.append(f"| {name} | {sum(passed)} of {len(passed)} | {sum(passed) / len(passed):.0%} |")
    lines += ["", "## The most common failures", "", "| check | students | message |", "|---|---|---|"]
    for (name, message), count in facts["failures"]:
        lines.append(f"| {name} | {count} | {message.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def html_page(title: str, graded: dict[str, list[Result]], max_score: float) -> str:
    facts = summary(graded, max_score)
    tallest = max(facts["histogram"]) or 1
    bars = "".join(
        f'<div class="bar"><i>{html.escape(_bin_label(number, max_score))}</i>'
        f'<span style="height:{150 * count // tallest}px"></span><b>{count}</b></div>'
        for number, count in enumerate(facts["histogram"])
    )
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{sum(p)} of {len(p)}</td><td>{sum(p) / len(p):.0%}</td></tr>"
        for name, p in facts["checks"].items()
    )
    failures = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{count}</td><td>{html.escape(message)}</td></tr>"
        for (name, message), count in facts["failures"]
    )
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto}.hist{display:flex;align-items:flex-end;"
        "gap:4px;height:200px}.bar{display:flex;flex-direction:column-reverse;align-items:center;width:4.5em}"
        ".bar span{background:#4a7fb5;width:100%;display:block}.bar i{font-size:70%}"
        "td,th{border-bottom:1px solid #ccc;padding:4px;text-align:left}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(title)}: the class's report</h1>"
        f"<p>{len(facts['scores'])} submissions, out of {max_score:g} points.</p>"
        f"<h2>Scores</h2><div class='hist'>{bars}</div>"
        f"<h2>Pass rate per check</h2><table><tr><th>check</th><th>passed</th><th>rate</th></tr>{rows}</table>"
        f"<h2>The most common failures</h2><table><tr><th>check</th><th>students</th><th>message</th></tr>"
        f"{failures}</table></body></html>\n"
    )
