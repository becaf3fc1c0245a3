"""``jobq.current_job().progress()`` in the Python worker: reports from all
three pools reach the broker through the worker's throttle (the last one
always), ``jobq job`` shows them, bad calls fail the job with a clear
error; the throttle and the message bound on their own."""

from __future__ import annotations

import json

from jobq import wire_pb2
from jobq.worker import progress
from jobq_cluster import Broker
from pyworker import PyWorker, cli, job_info, run, submit, wait_outcome


def _kept(broker: Broker, job_id: str) -> dict:
    return job_info(broker, job_id)["progress"]


def test_a_chatty_tasks_last_report_is_kept(broker: Broker, py_worker: PyWorker) -> None:
    job_id = submit(broker, "chatty", seconds=0.5)
    outcome = wait_outcome(broker, job_id)
    assert outcome["state"] == "succeeded", outcome
    reports = outcome["result"]
    kept = _kept(broker, job_id)
    assert kept["done"] == reports, "the very last report reached the broker"
    assert kept["message"] == f"report {reports}"
    assert kept["attempt"] == 1
    status = json.loads(cli(broker, "status", "--json").stdout)
    assert int(status["counters"]["progress_accepted"]) < reports, "reports were held back"


def test_reports_from_a_cpu_child_and_the_event_loop(broker: Broker, py_worker: PyWorker) -> None:
    for task in ("cpu_counted", "async_counted"):
        job_id = submit(broker, task, steps=7)
        assert wait_outcome(broker, job_id)["result"] == 7
        kept = _kept(broker, job_id)
        assert (kept["done"], kept["total"]) == (7, 7), task
    assert _kept(broker, job_id)["message"] == ""


def test_wait_progress_prints_json_lines_ending_with_the_outcome(
    broker: Broker, py_worker: PyWorker
) -> None:
    job_id = submit(broker, "chatty", seconds=1.0)
    done = cli(broker, "wait", job_id, "--progress")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert lines[-1]["state"] == "succeeded"
    assert any(line.get("state") == "running" and "done" in line for line in lines[:-1]), lines


def test_bad_progress_fails_the_job_naming_the_numbers(broker: Broker, py_worker: PyWorker) -> None:
    outcome = run(broker, "bad_progress", done=5, total=4)
    assert outcome["state"] == "failed"
    assert outcome["error"]["type"] == "exception"
    assert "done 5 is above total 4" in outcome["error"]["message"]
    outcome = run(broker, "bad_progress", done=-1, total=0)
    assert "done must be an int >= 0" in outcome["error"]["message"]


def _report(done: int) -> wire_pb2.ProgressReport:
    return wire_pb2.ProgressReport(id=b"a" * 16, attempt=1, done=done, total=100)


def test_throttle_sends_the_first_holds_the_rest_and_hands_over_the_last() -> None:
    throttle = progress.Throttle(100)
    assert throttle.offer(_report(1), 1000)
    assert not throttle.offer(_report(2), 1010)
    assert not throttle.offer(_report(3), 1050)
    assert throttle.next_due_ms() == 1100
    assert throttle.take_due(1099) == []
    assert [report.done for report in throttle.take_due(1100)] == [3]
    assert throttle.next_due_ms() is None
    assert not throttle.offer(_report(4), 1150)
    held = throttle.finish((b"a" * 16, 1))
    assert held is not None and held.done == 4
    assert len(throttle) == 0


def test_throttle_sends_ten_a_second_of_a_report_every_millisecond() -> None:
    throttle = progress.Throttle(progress.INTERVAL_MS)
    sent = 0
    for now in range(1000):
        sent += throttle.offer(_report(now), now)
        sent += len(throttle.take_due(now))
    assert sent == 10
    last = throttle.finish((b"a" * 16, 1))
    assert last is not None and last.done == 999


def test_messages_are_cut_at_a_character() -> None:
    assert progress.bounded_message("a" * 255 + "é") == "a" * 255
    assert progress.bounded_message("x" * 300) == "x" * 256
    assert progress.bounded_message("lone \ud800 surrogate") == "lone ? surrogate"
