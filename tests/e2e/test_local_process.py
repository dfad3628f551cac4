"""``leadwire local`` as a process: it stops promptly when a process manager asks it to."""

import signal
import subprocess
import time

from .conftest import CLOCK_START, LEADWIRE, WRITE_KEY, Local, free_port


def test_sigterm_stops_leadwire_local_within_seconds():
    port = free_port()
    process = subprocess.Popen(
        [str(LEADWIRE), "local", "--port", str(port), "--write-key", WRITE_KEY, "--clock", CLOCK_START],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        server = Local(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if server.request("GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert process.wait(timeout=10) == 0
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
