"""Checks the reports of a `scenario-run --report DIR` invocation the way their consumers read
them: junit.xml through junitparser (one test case per run, plus one per compared scenario),
results.json for the runs and the orderings. The counts are checked against what the
invocation asked for, so an empty or truncated report fails instead of agreeing with itself,
and every ordering must have been judged and have held. Prints the count of runs, for the
browser check to compare with.

Usage: check-report.py DIR --runs N --comparisons N
"""

import argparse
import json
import sys
from pathlib import Path

from junitparser import JUnitXml


def main(directory: Path, expected_runs: int, expected_comparisons: int) -> int:
    try:
        results = json.loads((directory / "results.json").read_text())
        xml = JUnitXml.fromfile(str(directory / "junit.xml"))
    except (OSError, ValueError, SyntaxError) as error:
        print(f"{directory}: the report is not readable: {error}", file=sys.stderr)
        return 1
    runs = results.get("scenarios", [])
    comparisons = results.get("comparisons", [])
    cases = [case for suite in xml for case in suite]
    compared = [case for case in cases if case.name.endswith(": compare")]
    problems = []
    if expected_runs < 1:
        problems.append("the invocation asked for no run: nothing would be checked")
    if len(runs) != expected_runs:
        problems.append(f"results.json has {len(runs)} runs, the invocation asked for {expected_runs}")
    if len(comparisons) != expected_comparisons:
        problems.append(
            f"results.json has {len(comparisons)} comparisons, the invocation asked for "
            f"{expected_comparisons}"
        )
    for comparison in comparisons:
        if not comparison["orderings"]:
            problems.append(f"{comparison['scenario']}: a comparison without orderings")
        for ordering in comparison["orderings"]:
            if ordering["held"] != "yes":
                problems.append(
                    f"{comparison['scenario']} line {ordering['line']}: {ordering['ordering']} "
                    f"{'did not hold' if ordering['held'] == 'no' else 'was not judged'} "
                    f"({ordering['detail']})"
                )
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--runs", type=int, required=True, help="runs the invocation asked for")
    parser.add_argument(
        "--comparisons", type=int, required=True, help="scenarios with variants it asked for"
    )
    arguments = parser.parse_args()
    sys.exit(main(arguments.directory, arguments.runs, arguments.comparisons))
