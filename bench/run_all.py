"""`make bench`: run every bench, each in its own process, and print one table of
work, target, figure and whether it was met.

Each bench prints its own figures as it goes (kept in bench-results/<name>.log) and one
`BENCH-RESULT {json}` line per target (bench/harness.py). A bench that stops with an error
shows in the table as failed, with its last line. Exit status 1 when any target is missed.

Run: .venv/bin/python bench/run_all.py [name ...]   (names as in BENCHES, e.g. tally ledger)
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import RESULT  # noqa: E402

PG_URL = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432/estate")
PG_SERVER = PG_URL.rsplit("/", 1)[0] + "/postgres"

# name → arguments after the interpreter. PostgreSQL benches make their own throwaway database
# on the server in PG_URL.
BENCHES = {
    "seed_demo": ["bench/seed_demo.py"],
    "first_run": ["bench/first_run.py"],
    "notice_page": ["bench/notice_page.py"],
    "tally": ["bench/tally.py"],
    "billing": ["bench/billing.py"],
    "disclosure_pdf": ["bench/disclosure_pdf.py"],
    "ledger": ["bench/ledger.py"],
    "fund_payout": ["bench/fund_payout.py", "--database-url", PG_URL],
    "import": ["bench/import.py"],
    "hc_import": ["bench/hc_import.py"],
    "notify": ["bench/notify.py", "--database-url", PG_URL],
    "binding_letters": ["bench/binding_letters.py"],
    "dashboard": ["bench/dashboard.py"],
    "load": ["bench/load.py"],
}


def run(name: str, args: list[str], logs: Path) -> list[dict]:
    env = dict(os.environ, PG_URL=PG_SERVER)
    started = time.perf_counter()
    log = logs / f"{name}.log"
    rows = []
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        last = ""
        for line in proc.stdout:
            out.write(line)
            sys.stdout.write(f"  [{name}] {line}")
            sys.stdout.flush()
            if line.startswith(RESULT):
                rows.append(json.loads(line[len(RESULT) :]))
            elif line.strip():
                last = line.strip()
        code = proc.wait()
    took = time.perf_counter() - started
    if code or not rows:
        why = f"exit {code}: {last[:80]}" if code else "printed no result"
        rows.append({"work": name, "target": "-", "value": None, "unit": "", "met": False, "note": why})
    for row in rows:
        row["bench"], row["took"] = name, took
    return rows


def table(rows: list[dict]) -> str:
    head = ("bench", "work", "target", "figure", "met", "note")
    lines = []
    for r in rows:
        figure = "-" if r["value"] is None else f"{r['value']:g} {r['unit']}".strip()
        lines.append((r["bench"], r["work"], r["target"], figure, "yes" if r["met"] else "NO", r.get("note", "")))
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=False)]
    fmt = " | ".join(f"{{:<{w}}}" for w in widths[:-1]) + " | {}"
    out = [fmt.format(*head), "-+-".join("-" * w for w in widths[:-1]) + "-+-" + "-" * 4]
    out += [fmt.format(*line) for line in lines]
    return "\n".join(out)


def main():
    chosen = sys.argv[1:] or list(BENCHES)
    unknown = [n for n in chosen if n not in BENCHES]
    if unknown:
        sys.exit(f"unknown bench: {', '.join(unknown)}; known: {', '.join(BENCHES)}")
    logs = ROOT / "bench-results"
    logs.mkdir(exist_ok=True)
    rows = []
    for name in chosen:
        print(f"== {name} ==", flush=True)
        rows += run(name, BENCHES[name], logs)
    text = table(rows)
    (logs / "table.txt").write_text(text + "\n")
    print("\n" + text)
    sys.exit(0 if all(r["met"] for r in rows) else 1)


if __name__ == "__main__":
    main()
