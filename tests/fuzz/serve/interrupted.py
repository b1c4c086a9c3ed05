#!/usr/bin/python3
"""The serve harness keeps its deadlines through signals.

libFuzzer's -timeout sends SIGALRM to the fuzzing thread every timeout/2 + 1
seconds, without SA_RESTART. The serve harness once took a poll() that such a
signal interrupted for an answer that never came (about one request in a few
thousand to 30,000 while fuzzing, more on a loaded machine). This replays the
committed seed corpus through fuzz_serve while SIGALRM hits its main thread
every few milliseconds: every request must still get its answer, and the
harness must end by itself with exit 0. It also checks that the harness
ignores SIGPIPE, as `tars serve` does: its in-process server writes to
connections the harness may have closed (a fuzzing run died of it, exit 141).

Usage: tests/fuzz/serve/interrupted.py BUILD_DIR   (a -DTARS_FUZZ=ON build)
"""
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time

RUNS = 3  # each seed input this many times
SIGNAL_EVERY_S = 0.002
DEADLINE_S = 240  # the whole replay, on a busy machine under ASan
MIN_SIGNALS = 50  # fewer would not be a test

HERE = os.path.dirname(os.path.abspath(__file__))
SYS_TGKILL = 234  # x86_64
libc = ctypes.CDLL(None, use_errno=True)


def signal_set(pid, field, sig):
    """Whether sig is in the mask field (SigCgt, SigIgn) of /proc/PID/status."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1], 16) & (1 << (sig - 1)) != 0
    except OSError:
        pass
    return False


def main():
    if len(sys.argv) != 2:
        print("usage: interrupted.py BUILD_DIR", file=sys.stderr)
        return 3
    binary = os.path.join(sys.argv[1], "tests", "fuzz", "fuzz_serve")
    if not os.access(binary, os.X_OK):
        print(f"interrupted: {binary} is not built", file=sys.stderr)
        return 1
    corpus = os.path.join(HERE, "corpus")
    inputs = sorted(os.path.join(corpus, f) for f in os.listdir(corpus))
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("LSAN_OPTIONS", "suppressions=" + os.path.join(HERE, "..", "..", "lsan.supp"))
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([binary, "-timeout=10", f"-runs={RUNS}"] + inputs,
                                stdout=log, stderr=subprocess.STDOUT, env=env)
        start = time.monotonic()
        sent = 0
        sigpipe_ignored = False
        while proc.poll() is None and time.monotonic() - start < DEADLINE_S:
            # before its SIGALRM handler is installed the signal would kill it
            if signal_set(proc.pid, "SigCgt", signal.SIGALRM):
                sigpipe_ignored = sigpipe_ignored or signal_set(proc.pid, "SigIgn",
                                                                signal.SIGPIPE)
                # tgkill: to the main thread, where the harness waits
                if libc.syscall(SYS_TGKILL, proc.pid, proc.pid, signal.SIGALRM) == 0:
                    sent += 1
            time.sleep(SIGNAL_EVERY_S)
        timed_out = proc.poll() is None
        if timed_out:
            proc.kill()
        rc = proc.wait()
        log.seek(0)
        out = log.read().decode(errors="replace")
    ran = out.count("Executed ")
    problems = []
    if timed_out:
        problems.append(f"fuzz_serve did not end within {DEADLINE_S} s")
    if rc != 0:
        problems.append(f"fuzz_serve exited {rc}")
    if "no answer" in out:
        problems.append("a request got no answer")
    if ran != len(inputs):
        problems.append(f"{ran} of {len(inputs)} inputs ran")
    if not sigpipe_ignored:
        problems.append("fuzz_serve does not ignore SIGPIPE (a write by its server to a "
                        "connection it closed would kill it, exit 141)")
    if sent < MIN_SIGNALS:
        problems.append(f"only {sent} signals were sent (at least {MIN_SIGNALS} needed)")
    took = time.monotonic() - start
    if problems:
        print(out[-6000:], file=sys.stderr)
        print("interrupted: FAIL: " + "; ".join(problems), file=sys.stderr)
        return 1
    print(f"interrupted: {len(inputs)} inputs x {RUNS} answered under {sent} SIGALRMs "
          f"in {took:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
