"""Checks the reports of a `scenario-run --report DIR` invocation the way their consumers read
them: junit.xml through junitparser (one test case per run, plus one per compared scenario),
results.json for the count of runs. Prints that count, for the browser check to compare with.

Usage: check-report.py DIR
"""

import json
import sys
from pathlib import Path

from junitparser import JUnitXml


def main(directory: Path) -> int:
    results = json.loads((directory / "results.json").read_text())
    runs = results["scenarios"]
    comparisons = results.get("comparisons", [])
    xml = JUnitXml.fromfile(str(directory / "junit.xml"))
    cases = [case for suite in xml for case in suite]
    compared = [case for case in cases if case.name.endswith(": compare")]
    problems = []
    if len(cases) - len(compared) != len(runs):
        problems.append(f"{len(cases) - len(compared)} run test cases for {len(runs)} runs")
    if len(compared) != len(comparisons):
        problems.append(f"{len(compared)} comparison test cases for {len(comparisons)} comparisons")
    for case in cases:
        if not case.is_passed:
            problems.append(f"{case.name} did not pass: {[r.message for r in case.result]}")
    for comparison in comparisons:
        for figures in comparison["figures"]:
            print(
                f"{comparison['scenario']} {figures['variant']}: stop-the-world "
                f"{figures['stop_the_world_s']} s, paused {figures['paused_s']} s, "
                f"largest gap {figures['largest_gap_s']} s, "
                f"largest latency {figures['largest_latency_ms']} ms",
                file=sys.stderr,
            )
    for problem in problems:
        print(problem, file=sys.stderr)
    print(len(runs))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
