"""The reference's ThreadPoolExecutor example, on jobq workers.

Only the executor line changed: ``ThreadPoolExecutor(max_workers=5)``
became ``jobq.Executor(broker)``. fetch_url runs on the workers' thread
pools, wherever they are.
"""

import os
import sys
import time
from concurrent.futures import as_completed

import jobq
from tasks import fetch_url

broker = os.environ.get("JOBQ_BROKER", "tcp://127.0.0.1:5555")
url = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/"
urls = [url] * 10

start = time.time()
with jobq.Executor(broker, queue=os.environ.get("JOBQ_EXAMPLE_QUEUE", "py")) as executor:
    future_to_url = {executor.submit(fetch_url, url): url for url in urls}
    for future in as_completed(future_to_url):
        url = future_to_url[future]
        try:
            url, size = future.result()
            print(f"   {url}: {size} bytes")
        except Exception as exc:
            print(f"   {url} generated an exception: {exc}")
print(f"   10 fetches in {time.time() - start:.2f} s")
