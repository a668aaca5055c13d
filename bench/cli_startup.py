"""How long the command line takes before it answers: `scorolink --help`, `scorolink -h` of a command,
and `scorolink --version`, each run as a fresh process the way a person runs it.

    .venv/bin/python bench/cli_startup.py [--runs 15] [--exe PATH/TO/scorolink] [--json]

Each case runs `--runs` times (after one warm-up run that fills the OS file cache and writes the
bytecode); reported: median, p90 and max wall time in seconds, the median CPU time (user + system of the
process: what the start costs on an idle machine, far less disturbed when other work shares the cores),
and which scorolink command modules
`scorolink --help` imported (none: the CLI loads a command's module only to run it or show its help).
The target is `scorolink --help` within 0.5 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCOROLINK = ROOT / ".venv" / "bin" / "scorolink"
CASES = {
    "scorolink --help": ["--help"],
    "scorolink --version": ["--version"],
    "scorolink read -h": ["read", "-h"],
    "scorolink replicate -h": ["replicate", "-h"],
}
TARGET = 0.5


def timed(exe: str, args: list[str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([exe, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def loaded_by_help() -> list[str]:
    code = ("import sys; from scorolink.cli import main; sys.argv = ['scorolink', '--help']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('scorolink.commands.')))")
    out = subprocess.run([str(SCOROLINK.parent / "python"), "-c", code], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out.strip().splitlines()[-1].replace("'", '"'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--exe", default=str(SCOROLINK), help="the scorolink executable to time")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = {}
    cases = {"python -c pass (the floor)": (sys.executable, ["-c", "pass"]),
             **{name: (args.exe, argv) for name, argv in CASES.items()}}
    for name, (exe, argv) in cases.items():
        timed(exe, argv)  # warm-up
        runs = [timed(exe, argv) for _ in range(args.runs)]
        times = sorted(w for w, _ in runs)
        results[name] = {"median": round(statistics.median(times), 3),
                         "p90": round(times[int(0.9 * (len(times) - 1))], 3), "max": round(times[-1], 3),
                         "cpu_median": round(statistics.median(c for _, c in runs), 3)}
    report = {"runs": args.runs, "python": sys.version.split()[0], "cases": results,
              "help_imports_commands": loaded_by_help() if args.exe == str(SCOROLINK) else None,
              "target_seconds": TARGET,
              "load_average": [round(x, 1) for x in __import__("os").getloadavg()],
              "help_within_target": results["scorolink --help"]["median"] <= TARGET}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{'case':<28} {'median s':>9} {'p90 s':>7} {'max s':>7} {'cpu s':>7}")
    for name, r in results.items():
        print(f"{name:<28} {r['median']:>9.3f} {r['p90']:>7.3f} {r['max']:>7.3f} {r['cpu_median']:>7.3f}")
    print(f"load average at the end: {report['load_average']}")
    imported = report["help_imports_commands"]
    print(f"command modules imported by --help: {'not checked' if imported is None else imported or 'none'}; "
          f"target {TARGET} s: {'met' if report['help_within_target'] else 'NOT met'}")


if __name__ == "__main__":
    main()
