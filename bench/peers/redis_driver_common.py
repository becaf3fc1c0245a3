# What the producer drivers of the Redis-backed peers (celery/driver.py,
# rq/driver.py) share: their messages, waiting for workers, the latency
# loop and its percentiles, and the subcommand line
#
#   driver.py COMMAND N [ARG]
#
# redis_peer.sh puts this directory on PYTHONPATH.
import sys
import time


class Driver:
    def __init__(self, peer):
        self.peer = peer

    def log(self, *a):
        print(f"{self.peer} driver:", *a, file=sys.stderr, flush=True)

    def fail(self, message):
        sys.exit(f"{self.peer} driver: {message}")

    def wait_workers(self, n, count, poll, timeout=60.0, what="answered"):
        """Returns once count() >= n; fails after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            up = count()
            if up >= n:
                self.log(f"{up} worker(s) up")
                return
            time.sleep(poll)
        self.fail(f"fewer than {n} workers {what} within {timeout:.0f}s")

    def latency(self, n, one, after=None, time_limit=None):
        """Times n calls of one(i), each submitting a job and waiting for it,
        after 20 unmeasured ones; after(what one returned) runs outside the
        timing. Prints lat_p50_us and lat_p99_us."""
        for i in range(20):  # warm up the connections and the result path
            one(i)
        lat = []
        deadline = None if time_limit is None else time.monotonic() + time_limit
        for i in range(n):
            t0 = time.perf_counter()
            r = one(i)
            lat.append(time.perf_counter() - t0)
            if after is not None:
                after(r)
            if deadline is not None and time.monotonic() > deadline:
                self.fail("latency run took too long")
        lat.sort()

        def pct(p):
            return lat[min(len(lat) - 1, int(p / 100.0 * len(lat)))] * 1e6

        self.log(f"latency over {n}: p50 {pct(50):.0f}us p99 {pct(99):.0f}us max {lat[-1] * 1e6:.0f}us")
        print(f"lat_p50_us {pct(50):.0f}")
        print(f"lat_p99_us {pct(99):.0f}")

    def main(self, commands):
        """Runs commands[argv[1]](N, [ARG]): N = int(argv[2]), ARG = argv[3]
        when given (a string; the command has the default)."""
        cmd = sys.argv[1]
        n = int(sys.argv[2])
        if cmd not in commands:
            self.fail(f"unknown command {cmd}")
        commands[cmd](n, *sys.argv[3:4])
