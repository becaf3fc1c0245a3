"""jobq.Executor with the C++ worker: results, map, options, the standard library's helpers."""

from __future__ import annotations

import concurrent.futures
import math

import jobq
import pytest
from jobq_cluster import Broker, start_cpp_worker, wait_until


@pytest.fixture
def executor(broker: Broker, cpp_worker: object) -> jobq.Executor:
    with jobq.Executor(broker.frontend) as executor:
        yield executor


def test_it_is_a_concurrent_futures_executor(executor: jobq.Executor) -> None:
    assert isinstance(executor, concurrent.futures.Executor)
    future = executor.submit("noop")
    assert isinstance(future, concurrent.futures.Future)
    assert future.result(30) is None


def test_builtin_tasks_return_what_the_cpp_worker_computes(executor: jobq.Executor) -> None:
    squares = executor.submit("sum_squares", n=1000)
    factorial = executor.submit("factorial", n=25)
    slept = executor.submit("sleep", seconds=0.05)
    assert squares.result(30) == {"n": 1000, "sum": str(sum(i * i for i in range(1000)))}
    assert factorial.result(30)["value"] == str(math.factorial(25))
    assert factorial.result(30)["digits"] == len(str(math.factorial(25)))
    assert slept.result(30) == {"slept": 0.05}
    for future in (squares, factorial, slept):
        assert future.state == "succeeded"
        assert future.attempts == 1
        assert len(future.job_id) == 36


def test_kwargs_items_let_map_call_keyword_tasks(executor: jobq.Executor) -> None:
    results = list(executor.map("sum_squares", [jobq.Kwargs(n=n) for n in range(50)]))
    assert [int(r["sum"]) for r in results] == [sum(i * i for i in range(n)) for n in range(50)]


def test_map_returns_results_in_submit_order(executor: jobq.Executor) -> None:
    # echo returns its payload, the keyword arguments.
    results = list(executor.map("echo", [jobq.Kwargs(i=i, s=str(i)) for i in range(3000)]))
    assert results == [{"i": i, "s": str(i)} for i in range(3000)]


def test_positional_arguments_to_a_cpp_task_fail_clearly(executor: jobq.Executor) -> None:
    # C++ tasks read a JSON object; positional arguments travel as a Python call.
    with pytest.raises(jobq.RemoteError) as caught:
        executor.submit("echo", 1, 2).result(30)
    assert caught.value.type == "bad_args"
    assert "application/vnd.jobq.call+json" in caught.value.message


def test_a_decorated_function_is_submitted_by_its_task_name(executor: jobq.Executor) -> None:
    @jobq.task(name="sum_squares")
    def squares_of(n: int) -> dict[str, object]:
        raise AssertionError("runs on the worker, not here")

    assert executor.submit(squares_of, n=3).result(30) == {"n": 3, "sum": "5"}


def test_as_completed_over_10000_futures(executor: jobq.Executor) -> None:
    futures = {executor.submit("echo", i=i): i for i in range(10_000)}
    seen = set()
    for future in concurrent.futures.as_completed(futures, timeout=300):
        assert future.result() == {"i": futures[future]}
        seen.add(futures[future])
    assert seen == set(range(10_000))


def test_wait_first_completed_and_all_completed(executor: jobq.Executor) -> None:
    slow = executor.submit("sleep", seconds=30)
    quick = executor.submit("noop")
    done, not_done = concurrent.futures.wait([slow, quick], timeout=30, return_when="FIRST_COMPLETED")
    assert done == {quick}
    assert not_done == {slow}
    assert slow.cancel()
    done, not_done = concurrent.futures.wait([slow, quick], timeout=30)
    assert done == {slow, quick} and not not_done


def test_map_timeout_raises_and_cancels_the_rest(executor: jobq.Executor) -> None:
    results = executor.map("sleep", [jobq.Kwargs(seconds=30)] * 3, timeout=0.5)
    with pytest.raises(TimeoutError):
        next(results)


def test_options_view_shares_the_connection_and_sets_job_fields(broker: Broker, cpp_worker: object) -> None:
    with jobq.Executor(broker.frontend) as executor:
        urgent = executor.options(queue="elsewhere", priority=7, retries=2, timeout=30)
        assert urgent.client is executor.client
        assert urgent.job_options.queue == "elsewhere"
        assert executor.job_options.queue == ""
        parked = urgent.submit("noop")
        # No worker serves "elsewhere": the job waits there with the options given.
        wait_until(lambda: parked.job_id, what="the job's ack")
        [job] = broker.all_jobs()
        assert job["id"] == parked.job_id
        assert (job["queue"], job["priority"], job["max_attempts"], job["state"]) == ("elsewhere", 7, 3, "queued")
        assert executor.submit("noop").result(30) is None
        assert not parked.done()
        executor.shutdown(cancel_futures=True)
        assert parked.cancelled()
    with pytest.raises(RuntimeError, match="after shutdown"):
        urgent.submit("noop")


def test_options_are_checked_when_given(executor: jobq.Executor) -> None:
    with pytest.raises(TypeError, match="unknown job option"):
        executor.options(prio=1)
    with pytest.raises(ValueError, match="timeout"):
        executor.options(timeout=-1)
    with pytest.raises(ValueError, match="retries"):
        executor.options(retries=10**7)
    with pytest.raises(ValueError, match="kind"):
        executor.options(kind="gpu")


def test_a_small_broker_batch_limit_splits_batches_without_losing_jobs(tmp_path: object) -> None:
    broker = Broker.start(tmp_path / "small", "--batch-max", "100")
    start_cpp_worker(broker, "--io-threads", "8")
    with jobq.Executor(broker.frontend) as executor:
        results = list(executor.map("echo", [jobq.Kwargs(i=i) for i in range(5000)]))
    assert results == [{"i": i} for i in range(5000)]
    assert len(broker.all_jobs()) == 5000


def test_a_small_window_still_runs_everything(broker: Broker, cpp_worker: object) -> None:
    with jobq.Executor(broker.frontend, window=50, batch_max=20) as executor:
        futures = [executor.submit("echo", i=i) for i in range(2000)]
        assert [f.result(60)["i"] for f in futures] == list(range(2000))


def test_a_done_callback_may_submit_even_with_the_window_full(broker: Broker, cpp_worker: object) -> None:
    # Callbacks run on the client's I/O thread, which must not wait for its own acks.
    with jobq.Executor(broker.frontend, window=5) as executor:
        follow_ups: list[concurrent.futures.Future] = []

        def chain(done: concurrent.futures.Future) -> None:
            follow_ups.extend(executor.submit("echo", i=i) for i in range(50))

        executor.submit("noop").add_done_callback(chain)
        wait_until(lambda: len(follow_ups) == 50, what="the follow-up submits")
        assert [f.result(60) for f in follow_ups] == [{"i": i} for i in range(50)]
