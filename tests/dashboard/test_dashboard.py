"""The web dashboard in a real headless Chromium against a real broker,
worker and jobq CLI (issue 19, item 5).

Each test starts a fresh browser with no session; the broker and its
worker (conftest.py) serve every test of the file, so each test uses its
own queue or its own jobs. After each test the browser's console must hold
no SEVERE entry but the refusals the test provoked on purpose.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from conftest import ADMIN_TOKEN, READ_TOKEN, WORKER_NAME, Cluster
from dashboard_browser import Dashboard
from jobq_cluster import wait_until

# ---- The CLI's view, to check the page against.


def cli(cluster: Cluster, *args: str) -> str:
    done = cluster.broker.run_cli(*args)
    assert done.returncode == 0, f"jobq {' '.join(args)} failed ({done.returncode}): {done.stderr}"
    return done.stdout


def submit(cluster: Cluster, *args: str) -> str:
    """`jobq submit ARGS`; the new job's id."""
    return json.loads(cli(cluster, "submit", *args).splitlines()[0])["id"]


def job(cluster: Cluster, job_id: str) -> dict[str, Any]:
    return json.loads(cli(cluster, "job", job_id, "--json"))


def wait_state(cluster: Cluster, job_id: str, *states: str) -> dict[str, Any]:
    return wait_until(
        lambda: (lambda j: j if j["state"] in states else None)(job(cluster, job_id)),
        what=f"job {job_id} to be {' or '.join(states)}",
    )


def cli_queue(cluster: Cluster, name: str) -> dict[str, Any] | None:
    queues = json.loads(cli(cluster, "queues", "--json")).get("queues", [])
    return next((q for q in queues if q["name"] == name), None)


# ---- The page's view.


def queue_state(dashboard: Dashboard, name: str) -> str:
    badge = dashboard.find(f'tr[data-queue="{name}"] .col-state .badge')
    return badge.text if badge else ""


def row_button(dashboard: Dashboard, row_css: str, label: str):
    row = dashboard.wait_for(row_css)
    return dashboard.wait(lambda: dashboard.button(label, row), f"the {label} button in {row_css}")


def admin_buttons_are_disabled_with_a_reason(dashboard: Dashboard) -> None:
    buttons = [b for b in dashboard.driver.find_elements("css selector", "#view button.action, #view button.danger")]
    assert buttons, "no action buttons on the page"
    for button in buttons:
        assert not button.is_enabled(), f"{button.text!r} is usable in a read session"
        assert "admin token" in button.get_attribute("title"), button.get_attribute("title")


def number(text: str) -> int:
    """A figure as the page prints it ("1,234"); -1 when it is not one yet ("-")."""
    digits = text.replace(",", "")
    return int(digits) if digits.isdigit() else -1


# ---- Tests


def test_a_read_token_logs_in_and_sees_the_worker_and_queues(cluster: Cluster, dashboard: Dashboard) -> None:
    dashboard.open()
    dashboard.wait_for("#login-token", "the login form")
    assert dashboard.find("#nav").is_displayed() is False
    dashboard.screenshot("login")

    # An unknown token: refused with a message, the form stays (the 401 is
    # the console's one expected error).
    dashboard.expect_console(r"/api/login .*401")
    dashboard.find("#login-token").send_keys("not-a-token-of-this-broker")
    dashboard.find("#login-form button[type=submit]").click()
    error = dashboard.wait_text("#login-error", bool, "the login error")
    assert error.is_displayed()

    assert dashboard.login(READ_TOKEN) == "read"
    # The totals strip counts the worker; the session cookie is HttpOnly.
    dashboard.wait_text('[data-total="workers"]', lambda text: text == "1", "1 worker in the totals")
    assert "jobq_session" not in dashboard.driver.execute_script("return document.cookie")

    dashboard.go("#/workers")
    row = dashboard.wait_for(f'tr[data-worker="{WORKER_NAME}"]', "the worker's row")
    assert "mail" in row.text and "io" in row.text, row.text
    admin_buttons_are_disabled_with_a_reason(dashboard)

    dashboard.go("#/queues")
    for name in ("default", "web", "mail", "reports"):
        dashboard.wait_for(f'tr[data-queue="{name}"]', f"queue {name}'s row")
    workers = dashboard.find('tr[data-queue="mail"] .col-workers')
    dashboard.wait(lambda: workers.text == "1", "queue mail served by 1 worker")
    admin_buttons_are_disabled_with_a_reason(dashboard)

    # A reload keeps the session (the cookie), and logging out ends it.
    dashboard.open("#/queues")
    assert dashboard.wait_text("#role", bool, "the role").text.lower() == "read"
    dashboard.find("#logout").click()
    dashboard.wait(lambda: dashboard.find("#login-token").is_displayed(), "the login form after logging out")
    dashboard.open("#/queues")
    dashboard.wait(lambda: dashboard.find("#login-token").is_displayed(), "the login form after a reload")


def test_a_job_submitted_by_the_cli_appears(cluster: Cluster, dashboard: Dashboard) -> None:
    job_id = submit(cluster, "echo", "--queue", "web", "--arg", "greeting=hello from the CLI")
    dashboard.open("#/jobs")
    dashboard.login(READ_TOKEN)
    dashboard.wait_for(f'tr[data-job="{job_id}"]', "the CLI's job in the jobs list")

    # Filtered by queue and task through the form: still there.
    dashboard.find("#filter-queue").send_keys("web")
    dashboard.find("#filter-task").send_keys("echo")
    dashboard.button("Filter").click()
    dashboard.wait(lambda: "queue=web" in dashboard.driver.current_url, "the filter in the address")
    row = dashboard.wait_for(f'tr[data-job="{job_id}"]', "the job under the filter")

    # Its page follows it to the end and shows its result.
    row.find_element("css selector", "a").click()
    dashboard.wait_text('[data-field="state"]', lambda text: text == "succeeded", "the job to succeed")
    result = dashboard.wait_for('[data-field="result"]', "the result")
    assert "hello from the CLI" in result.text
    assert dashboard.find('[data-event="submitted"]') is not None
    assert dashboard.find('[data-event="finished"]') is not None


def test_an_admin_pauses_purges_and_resumes_a_queue(cluster: Cluster, dashboard: Dashboard) -> None:
    dashboard.open("#/queues")
    assert dashboard.login(ADMIN_TOKEN) == "admin"
    row = '[data-queue="mail"]'
    dashboard.wait(lambda: queue_state(dashboard, "mail") == "active", "queue mail active")

    row_button(dashboard, f"tr{row}", "Pause").click()
    dashboard.wait(lambda: queue_state(dashboard, "mail") == "paused", "queue mail paused on the page")
    assert cli_queue(cluster, "mail")["paused"] is True
    assert "paused" in cli(cluster, "queues")

    # A paused queue keeps what it gets; purge cancels it after a confirmation.
    ids = [submit(cluster, "echo", "--queue", "mail", "--arg", f"n={n}") for n in range(3)]
    queued = dashboard.find(f"tr{row} .col-queued")
    dashboard.wait(lambda: queued.text == "3", "3 jobs queued on the paused queue")
    row_button(dashboard, f"tr{row}", "Purge").click()
    dialog = dashboard.wait_for("dialog#confirm[open]", "the purge confirmation")
    assert "mail" in dialog.text
    dashboard.find("#confirm-cancel").click()  # first: no, nothing happens
    dashboard.wait(lambda: dashboard.find("dialog#confirm[open]") is None, "the dialog to close")
    assert all(job(cluster, i)["state"] == "queued" for i in ids)
    dashboard.screenshot("queues-paused")
    row_button(dashboard, f"tr{row}", "Purge").click()
    dashboard.wait_for("dialog#confirm[open]", "the purge confirmation")
    dashboard.find("#confirm-ok").click()
    dashboard.wait_text(".notice.ok", lambda text: "3 jobs cancelled" in text, "the purge's answer")
    dashboard.wait(lambda: queued.text == "0", "no job queued after the purge")
    assert all(job(cluster, i)["state"] == "cancelled" for i in ids)

    row_button(dashboard, f"tr{row}", "Resume").click()
    dashboard.wait(lambda: queue_state(dashboard, "mail") == "active", "queue mail active again")
    assert cli_queue(cluster, "mail")["paused"] is False


def test_dead_letters_retried_from_the_page_succeed(cluster: Cluster, dashboard: Dashboard) -> None:
    # `test -e FLAG` fails until FLAG exists: two attempts, then dead.
    flag = cluster.directory / "dead-letters-may-succeed"
    flag.unlink(missing_ok=True)
    ids = [
        submit(cluster, "exec", "--queue", "reports", "--arg", f'argv=["test","-e","{flag}"]',
               "--retries", "1", "--backoff", "10ms")
        for _ in range(3)
    ]  # fmt: skip
    for job_id in ids:
        wait_state(cluster, job_id, "dead")
    flag.touch()

    dashboard.open("#/dead?queue=reports")
    dashboard.login(ADMIN_TOKEN)
    for job_id in ids:
        dashboard.wait_for(f'tr[data-job="{job_id}"]', f"dead job {job_id}")
    assert "exit_status" in dashboard.find(f'tr[data-job="{ids[0]}"] .col-error').text

    # Retry one: it leaves the dead letters and succeeds.
    row_button(dashboard, f'tr[data-job="{ids[0]}"]', "Retry").click()
    dashboard.wait_text(".notice.ok", lambda text: "Retried 1 of 1" in text, "the retry's answer")
    dashboard.wait(lambda: dashboard.find(f'tr[data-job="{ids[0]}"]') is None, "the retried job to leave the list")
    assert wait_state(cluster, ids[0], "succeeded")["attempts"] == 3

    # Retry all on the page (after a confirmation).
    dashboard.button("Retry all on this page").click()
    dashboard.wait_for("dialog#confirm[open]", "the confirmation")
    dashboard.find("#confirm-ok").click()
    dashboard.wait_text(".notice.ok", lambda text: "Retried 2 of 2" in text, "retry all's answer")
    for job_id in ids[1:]:
        wait_state(cluster, job_id, "succeeded")

    # The job's page shows it succeeded, after its failed attempts.
    dashboard.go(f"#/jobs/{ids[0]}")
    dashboard.wait_text('[data-field="state"]', lambda text: text == "succeeded", "the job's page to say succeeded")
    assert dashboard.find('[data-field="attempts"]').text.startswith("3")


def test_a_read_sessions_action_is_refused(cluster: Cluster, dashboard: Dashboard) -> None:
    dashboard.open("#/queues")
    dashboard.login(READ_TOKEN)
    pause = row_button(dashboard, 'tr[data-queue="web"]', "Pause")
    assert not pause.is_enabled()
    assert "admin token" in pause.get_attribute("title")

    # The broker refuses it anyway, with the session's own CSRF token.
    dashboard.expect_console(r"/api/queues/web/pause .*403")
    answer = dashboard.post_from_page("/api/queues/web/pause", {})
    assert answer["status"] == 403, answer
    assert answer["body"] and answer["body"].get("error"), answer
    assert cli_queue(cluster, "web")["paused"] is False
    # And so is a retry through the job API.
    dashboard.expect_console(r"/api/jobs/retry .*403")
    assert dashboard.post_from_page("/api/jobs/retry", {"ids": ["00000000-0000-0000-0000-000000000000"]})["status"] == 403


def test_markup_in_a_task_name_or_an_error_shows_as_text(cluster: Cluster, dashboard: Dashboard) -> None:
    message = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"><b>bold</b>'
    failed = submit(cluster, "fail", "--queue", "web", "--arg", f"message={message}")
    task = "<script>window.__xss = 3</script>"
    unknown = submit(cluster, task, "--queue", "web")
    wait_state(cluster, failed, "failed")
    wait_state(cluster, unknown, "failed")

    dashboard.open(f"#/jobs/{failed}")
    dashboard.login(READ_TOKEN)
    shown = dashboard.wait_for(".error-message", "the error's message")
    assert shown.text == message
    dashboard.go(f"#/jobs/{unknown}")
    dashboard.wait_text('[data-field="task"]', lambda text: text == task, "the task name as text")
    dashboard.go("#/jobs?queue=web&state=failed")
    dashboard.wait_for(f'tr[data-job="{failed}"]', "the failed job in the list")
    cell = dashboard.find(f'tr[data-job="{unknown}"] .col-task')
    assert cell.text == task
    # Nothing of it became markup, and nothing ran.
    assert dashboard.driver.execute_script("return document.querySelectorAll('#view script, #view img, #view b').length") == 0
    assert dashboard.driver.execute_script("return window.__xss === undefined")


def test_bad_addresses_show_the_brokers_message(cluster: Cluster, dashboard: Dashboard) -> None:
    """Hand-edited routes: the broker's 400 or 404 shows as a message; the page keeps working."""
    dashboard.open("#/nowhere")
    dashboard.login(READ_TOKEN)
    dashboard.wait_text("#view h1", lambda text: text == "Not found", "the page's own not-found")

    dashboard.expect_console(r"/api/jobs\?state=bogus\S* .*400")
    dashboard.go("#/jobs?state=bogus")
    dashboard.wait_text(".notice.error", lambda text: "state" in text, "the broker's word on the state")

    dashboard.expect_console(r"/api/jobs\?limit=100000\S* .*400")
    dashboard.go("#/jobs?limit=100000")
    dashboard.wait_text(".notice.error", lambda text: "limit" in text, "the broker's word on the limit")

    dashboard.expect_console(r"/api/jobs/not-a-job-id .*400")
    dashboard.go("#/jobs/not-a-job-id")
    dashboard.wait_text(".notice.error", lambda text: "not-a-job-id" in text, "the broker's word on the id")

    unknown = "0190f0e0-0000-7000-8000-000000000000"
    dashboard.expect_console(rf"/api/jobs/{unknown} .*404")
    dashboard.go(f"#/jobs/{unknown}")
    dashboard.wait_for(".notice.error", "the broker's word on an unknown job")

    # And the pages still work.
    dashboard.go("#/queues")
    dashboard.wait_for('tr[data-queue="default"]', "the queues after the errors")


def test_the_dag_is_layered_by_longest_path(cluster: Cluster, dashboard: Dashboard) -> None:
    """The layering itself, in the browser (the page's own module)."""
    dashboard.open()
    dashboard.login(READ_TOKEN)
    layers = dashboard.driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        import('/assets/dag.js').then(({ layers }) => {
          const nodes = [
            {name: 'd', after: ['a', 'c']}, {name: 'a', after: []}, {name: 'b', after: ['a']},
            {name: 'c', after: ['b']}, {name: 'e', after: ['outside']},
          ];
          done(Object.fromEntries(layers(nodes)));
        });
        """
    )
    assert layers == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 0}


WORKFLOW = {
    "name": "nightly-report",
    "nodes": [
        {"name": "extract", "task": "echo", "args": {"step": "extract"}},
        {"name": "clean-orders", "task": "echo", "after": ["extract"]},
        {"name": "clean-users", "task": "echo", "after": ["extract"]},
        {"name": "enrich", "task": "sleep", "args": {"seconds": 0.1}, "after": ["clean-orders"]},
        {"name": "join", "task": "echo", "after": ["enrich", "clean-users", "extract"]},
        {"name": "check", "task": "fail", "args": {"message": "row count 0 < 1"}, "after": ["join"]},
        {"name": "publish", "task": "echo", "after": ["check"]},
        {"name": "archive", "task": "echo", "after": ["join"]},
    ],
}


def test_every_page_renders_and_is_captured(cluster: Cluster, dashboard: Dashboard, tmp_path: Path) -> None:
    """Each page with data in it; the screenshots the README shows."""
    # A schedule, a limited queue, a workflow, jobs of several tasks.
    cli(cluster, "schedule", "add", "heartbeat", "--every", "2s", "echo", "--arg", "beat=1")
    cli(cluster, "schedule", "add", "nightly-cleanup", "--cron", "30 2 * * *", "echo", "--queue", "reports")
    cli(cluster, "limit", "mail", "--rate", "2/s", "--burst", "1")
    workflow_file = tmp_path / "workflow.json"
    workflow_file.write_text(json.dumps(WORKFLOW))
    workflow_id = json.loads(cli(cluster, "workflow", "submit", str(workflow_file), "--json").splitlines()[0])["id"]

    dashboard.open()
    dashboard.login(ADMIN_TOKEN)
    # Work while the overview watches: a burst, failures, a limited queue.
    lines = [json.dumps({"task": "sleep", "args": {"seconds": 0.05}}) for _ in range(400)]
    lines += [
        json.dumps({"task": "fail", "args": {"message": f"upstream timeout after 30 s (call {n})"}, "retries": 1, "backoff": "10ms"})
        for n in range(20)
    ]
    lines += [json.dumps({"task": "echo", "queue": "mail", "args": {"to": f"user{n}@example.com"}}) for n in range(12)]
    done = cluster.broker.run_cli("submit", "--file", "-", "--wait", input="\n".join(lines) + "\n", timeout=120)
    assert done.returncode == 1, done.stderr  # 1: the fail jobs failed, as meant
    dashboard.wait_text('[data-total="succeeded"]', lambda text: number(text) >= 400, "the burst in the totals")
    dashboard.wait(
        lambda: dashboard.driver.execute_script(
            "return [...document.querySelectorAll('.legend .value')].some((n) => n.textContent !== '-')"
        ),
        "the charts' legends",
    )
    # The picture over the last minute: the five-minute window holds only its end.
    dashboard.driver.execute_script(
        "const s = document.getElementById('chart-window'); s.value = '60000'; s.dispatchEvent(new Event('change'))"
    )
    dashboard.screenshot("overview")

    # Work in progress for the pictures: jobs running, and a queue held by
    # its limit: one token a minute, the first job took it, the rest wait.
    for _ in range(12):
        submit(cluster, "sleep", "--arg", "seconds=2")
    cli(cluster, "limit", "reports", "--rate", "1/min", "--burst", "1")
    for n in range(3):
        submit(cluster, "echo", "--queue", "reports", "--arg", f"report={n}")
    limited = wait_until(
        lambda: (lambda q: q if q and q["limited"] and int(q["next_token_ms"]) > 0 else None)(cli_queue(cluster, "reports")),
        what="queue reports limited by its rate",
    )
    next_token = time.strftime("%H:%M:%S", time.gmtime(int(limited["next_token_ms"]) / 1000))
    pages = {
        "queues": 'tr[data-queue="mail"]',
        "workers": f'tr[data-worker="{WORKER_NAME}"]',
        "jobs": "table.jobs tbody tr[data-job]",
        "dead": "table.jobs tbody tr[data-job]",
        "tasks": 'tr[data-task="sleep"]',
        "schedules": 'tr[data-schedule="heartbeat"]',
        "limits": 'tr[data-limit-queue="mail"]',
        "workflows": f'tr[data-workflow="{workflow_id}"]',
    }
    for page, css in pages.items():
        dashboard.go(f"#/{page}")
        dashboard.wait_for(css, f"the {page} page's content")
        if page == "queues":
            dashboard.wait(lambda: queue_state(dashboard, "reports").startswith(f"limited until {next_token}"),
                           "queue reports limited until its next token")
        if page == "limits":
            state = dashboard.wait_for('tr[data-limit-queue="reports"] .col-state', "the reports limit")
            dashboard.wait(lambda: state.text.startswith(f"limited until {next_token}"), "the limit's next token")
        dashboard.screenshot(page)

    # A job with a progress report and a failed one, each on its page.
    dead = cli(cluster, "jobs", "--state", "dead", "--task", "fail", "--json", "--limit", "1")
    failed_id = json.loads(dead.splitlines()[0])["id"]
    dashboard.go(f"#/jobs/{failed_id}")
    dashboard.wait_text('[data-field="error"]', lambda text: "upstream timeout" in text, "the job's error")
    dashboard.screenshot("job-failed")
    slow = submit(cluster, "sleep", "--queue", "web", "--arg", "seconds=0.5")
    dashboard.go(f"#/jobs/{slow}")
    dashboard.wait_text('[data-field="state"]', lambda text: text == "succeeded", "the sleep job to succeed")
    dashboard.screenshot("job")

    # The workflow's DAG: every node drawn, coloured by state, in layers.
    wait_until(
        lambda: json.loads(cli(cluster, "workflow", "show", workflow_id, "--json"))["state"] != "running",
        what="the workflow to finish",
    )
    dashboard.go(f"#/workflows/{workflow_id}")
    dashboard.wait_text('[data-field="state"]', lambda text: text == "failed", "the workflow to show failed")
    nodes = dashboard.driver.execute_script(
        """
        return Object.fromEntries([...document.querySelectorAll('svg.dag a.node')].map((a) =>
          [a.dataset.node, {x: Number(a.querySelector('rect').getAttribute('x')),
                            state: [...a.classList].find((c) => c.startsWith('state-'))}]));
        """
    )
    assert set(nodes) == {node["name"] for node in WORKFLOW["nodes"]}
    x = {name: node["x"] for name, node in nodes.items()}
    # Longest path: join waits for enrich (layer 2), so it is in layer 3 although extract is its parent too.
    assert x["extract"] < x["clean-orders"] == x["clean-users"] < x["enrich"] < x["join"] < x["check"] == x["archive"] < x["publish"]
    assert nodes["check"]["state"] == "state-failed"
    assert nodes["extract"]["state"] == "state-succeeded"
    assert nodes["publish"]["state"] == "state-cancelled"
    dashboard.screenshot("workflow")

    cli(cluster, "schedule", "remove", "heartbeat")
    cli(cluster, "schedule", "remove", "nightly-cleanup")
    cli(cluster, "limit", "mail", "--clear")
    cli(cluster, "limit", "reports", "--clear")
