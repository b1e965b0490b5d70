"""Benchmark: `make demo` from a fresh clone to the first page, on SQLite.

1. Clone this repository (its committed HEAD) into a temporary folder: no virtualenv, no database.
2. Run the steps `make demo` runs there, as `make -n demo` prints them: the virtualenv and the
   packages (pip may use the machine's wheel cache and local indexes, as any second install
   does), migrate, seed_demo, then the development server. The server is started on a free
   port instead of 8000, so that the bench does not collide with a demo already running.
3. Time until ``GET /`` answers 200, and each step on the way.

Target: at most 180 s from the clone to the first page. One run (a run is minutes long).

Run: .venv/bin/python bench/run_all.py first_run   (or .venv/bin/python bench/first_run.py)
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402

TARGET_SECONDS = 180
SERVER_WAIT = 120  # seconds for the server to answer before the bench gives up


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_steps(clone: Path, env: dict) -> list[str]:
    """The shell commands of `make demo` in ``clone``, in order (the Makefile's own, not a copy)."""
    out = subprocess.run(["make", "-n", "demo"], cwd=clone, env=env, check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if line.strip() and not line.lstrip().startswith("echo ")]


def step_name(command: str) -> str:
    if "manage.py" in command:
        return "manage.py " + command.split("manage.py", 1)[1].split()[0]
    if "pip install" in command:
        return "pip install " + command.split()[-1]
    return command[:40]


def first_page(url: str, deadline: float) -> None:
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 within {SERVER_WAIT} s")


def main() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "DATABASE_URL", "DEBUG", "PYTHONPATH")}
    port = free_port()
    steps: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="first-run-") as tmp:
        clone = Path(tmp) / "estate"
        started = time.perf_counter()
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        steps.append(("clone", time.perf_counter() - started))
        server = None
        try:
            for command in demo_steps(clone, env):
                if "runserver" in command:
                    command = command.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
                    begun = time.perf_counter()
                    server = subprocess.Popen(
                        command,
                        shell=True,
                        cwd=clone,
                        env=env,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                        start_new_session=True,
                    )
                    first_page(f"http://127.0.0.1:{port}/", time.perf_counter() + SERVER_WAIT)
                    steps.append(("runserver to GET / 200", time.perf_counter() - begun))
                    break
                begun = time.perf_counter()
                done = subprocess.run(command, shell=True, cwd=clone, env=env, capture_output=True, text=True)
                if done.returncode:
                    sys.exit(f"{command}\nexit {done.returncode}: {(done.stderr or done.stdout)[-2000:]}")
                steps.append((step_name(command), time.perf_counter() - begun))
            total = time.perf_counter() - started
        finally:
            if server is not None:
                os.killpg(server.pid, signal.SIGTERM)
                server.wait(timeout=30)
    for name, seconds in steps:
        print(f"{name:<42} {seconds:7.1f} s")
    print(f"{'clone to first page':<42} {total:7.1f} s")
    harness.report(
        work="make demo, fresh clone to first page",
        target=f"<= {TARGET_SECONDS}",
        value=total,
        unit="s",
        note="one run; " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in steps),
    )


if __name__ == "__main__":
    main()
