"""``make mutate``: mutation testing of the domain modules with mutmut, and a table of the result per module.

mutmut (configured in ``pyproject.toml`` under ``[tool.mutmut]``: the modules, the tests that may kill their
mutants) copies ``src`` and ``tests`` into ``mutants/``, runs each mutant against the tests that cover the
mutated function, and keeps the verdicts there, so a second run only redoes what changed. This script runs
it, reads ``mutmut results --all true`` and prints, per module, how many mutants the suite killed; the same
table is written to ``mutants/report.md``. It exits 1 when less than ``--goal`` per cent of the mutants
checked were killed.
"""

import argparse
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

MUTMUT = Path(sys.executable).with_name("mutmut")
# "apis.core.timeparse.x_parse_apis_time__mutmut_3: survived" (a method: "apis.x.y.xǁClassǁname__mutmut_1").
RESULT = re.compile(r"^\s*(?P<module>[\w.]+?)\.(?:x_|xǁ)\S*__mutmut_\d+: (?P<status>.+)$")
KILLED = {"killed", "timeout"}
UNCHECKED = "not checked"


def results() -> dict[str, Counter]:
    """Verdict counts per module, from the results mutmut keeps in ``mutants/``."""
    listing = subprocess.run([MUTMUT, "results", "--all", "true"], capture_output=True, text=True, check=True)
    per_module: dict[str, Counter] = defaultdict(Counter)
    for line in listing.stdout.splitlines():
        match = RESULT.match(line)
        if match:
            per_module[match["module"]][match["status"].strip()] += 1
    return per_module


def survivors() -> list[str]:
    """The names of the mutants that no test killed (``mutmut show NAME`` prints the change)."""
    listing = subprocess.run([MUTMUT, "results"], capture_output=True, text=True, check=True)
    return [line.split(":")[0].strip() for line in listing.stdout.splitlines() if line.endswith("survived")]


def table(per_module: dict[str, Counter]) -> tuple[str, float]:
    """The Markdown table of the verdicts and the per cent killed of the mutants checked (a run stopped
    early leaves some unchecked; they are counted apart, not as survivors)."""
    rows = [
        "| module | mutants | checked | killed | survived | killed % of checked |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    totals = Counter()
    for module in sorted(per_module):
        counts = per_module[module]
        mutants = sum(counts.values())
        checked = mutants - counts[UNCHECKED]
        killed = sum(counts[status] for status in KILLED)
        score = f"{100 * killed / checked:.1f}" if checked else "–"
        rows.append(f"| `{module}` | {mutants} | {checked} | {killed} | {counts['survived']} | {score} |")
        totals.update(mutants=mutants, checked=checked, killed=killed, survived=counts["survived"])
    score = 100 * totals["killed"] / totals["checked"] if totals["checked"] else 0.0
    rows.append(
        f"| **all** | {totals['mutants']} | {totals['checked']} | {totals['killed']} | {totals['survived']} "
        f"| **{score:.1f}** |"
    )
    return "\n".join(rows), score


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--goal", type=float, default=90.0, help="per cent of mutants to kill (default 90)")
    parser.add_argument("--report-only", action="store_true", help="only print the table of the last run")
    args = parser.parse_args()
    if not args.report_only:
        workers = str(os.cpu_count() or 1)
        subprocess.run([MUTMUT, "run", "--max-children", workers], check=True)
    text, score = table(results())
    report = f"{text}\n\nSurvivors (`mutmut show NAME`):\n" + "".join(f"- `{name}`\n" for name in survivors())
    Path("mutants").mkdir(exist_ok=True)
    Path("mutants/report.md").write_text(report, encoding="utf-8")
    print(report)
    print(f"{score:.1f} % of the mutants killed (goal {args.goal:.0f} %)")
    return 0 if score >= args.goal else 1


if __name__ == "__main__":
    sys.exit(main())
