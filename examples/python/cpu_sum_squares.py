"""The reference's CPU-bound example: sequential, then on the workers'
process pools (what multiprocessing.Pool / ProcessPoolExecutor did).
"""

import os
import time

import jobq
from tasks import cpu_intensive_task, factorial

broker = os.environ.get("JOBQ_BROKER", "tcp://127.0.0.1:5555")
n = int(os.environ.get("JOBQ_EXAMPLE_N", "3000000"))

with jobq.Executor(broker, queue=os.environ.get("JOBQ_EXAMPLE_QUEUE", "py")) as executor:
    start = time.time()
    sequential = [executor.submit(cpu_intensive_task, n).result() for _ in range(4)]
    one_by_one = time.time() - start
    print(f"   4 x cpu_intensive_task({n}), one after another: {one_by_one:.2f} s")

    start = time.time()
    parallel = list(executor.map(cpu_intensive_task, [n] * 4))
    at_once = time.time() - start
    print(f"   the same 4 at once on the process pools: {at_once:.2f} s "
          f"(speed-up {one_by_one / at_once:.2f} x)")
    assert parallel == sequential

    numbers = [1000, 1001, 1002, 1003, 1004]
    digits = [len(text) for text in executor.map(factorial, numbers)]
    print(f"   factorial of {numbers}: {digits} digits")
