"""The reference's producer/consumer with a sentinel, across machines.

The producer puts items into a queue ("py", where the examples' Python
workers take from) and then a sentinel: every worker of that queue finishes
what is ahead of the sentinel and exits, the way the reference's consumer
stops at ``None``.
"""

import os

import jobq
from tasks import consume

broker = os.environ.get("JOBQ_BROKER", "tcp://127.0.0.1:5555")
queue = os.environ.get("JOBQ_EXAMPLE_QUEUE", "py")

with jobq.Client(broker) as client:
    with jobq.Executor(client=client, queue=queue) as executor:
        futures = [executor.submit(consume, f"item_{i}") for i in range(5)]
        client.sentinel(queue)  # behind the five items: the workers drain, then stop
        for future in futures:
            print(f"   {future.result()}")
    print(f"   sentinel sent: the consumers of '{queue}' stop once the queue is drained")
