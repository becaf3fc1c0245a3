"""A headless Chromium on the broker's dashboard, driven by Selenium.

Debian's chromium and chromium-driver (scripts/setup.sh installs them) and
python3-selenium. Waiting is WebDriverWait on a condition with a deadline
(scaled by JOBQ_TEST_TIME_SCALE), never a sleep. The browser's console is
read after each test: any SEVERE entry fails it unless the test said it
expected that entry (a refused request it made on purpose).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any, Callable

from jobq_cluster import SOURCE_DIR, time_scale
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DEADLINE = 30.0
WINDOW = (1360, 900)


def missing_browser() -> str | None:
    """Why no browser can run here, or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            return f"{path} is missing: install chromium and chromium-driver (scripts/setup.sh)"
    return None


class Dashboard:
    """One browser on one broker's dashboard at ``base_url`` (http://HOST:PORT)."""

    def __init__(self, base_url: str, profile_dir: Path, shots_dirs: list[Path], log_path: Path):
        self.base_url = base_url.rstrip("/")
        self.shots_dirs = shots_dirs
        self.expected_console: list[re.Pattern[str]] = []
        self.console: list[dict[str, Any]] = []
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for argument in (
            "--headless=new",
            # Root (CI, containers) cannot use Chromium's sandbox.
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--no-first-run",
            "--disable-extensions",
            "--force-color-profile=srgb",
            "--hide-scrollbars",
            f"--window-size={WINDOW[0]},{WINDOW[1]}",
            f"--user-data-dir={profile_dir}",
        ):
            options.add_argument(argument)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        service = Service(CHROMEDRIVER, log_path=str(log_path))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.driver.set_window_size(*WINDOW)

    # ---- Waiting

    def wait(self, condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
        """The first truthy value of condition(); fails naming ``what`` after the deadline."""

        def check(_driver: Any) -> Any:
            try:
                return condition()
            except StaleElementReferenceException:
                return None  # a live table replaced the row: look again

        return WebDriverWait(self.driver, timeout * time_scale(), poll_frequency=0.05).until(
            check, message=f"waiting for {what} on {self.driver.current_url}"
        )

    def find(self, css: str, within: WebElement | None = None) -> WebElement | None:
        found = (within or self.driver).find_elements(By.CSS_SELECTOR, css)
        return found[0] if found else None

    def wait_for(self, css: str, what: str | None = None, timeout: float = DEADLINE) -> WebElement:
        return self.wait(lambda: self.find(css), what or css, timeout)

    def wait_text(self, css: str, predicate: Callable[[str], bool], what: str) -> WebElement:
        def matching() -> WebElement | None:
            node = self.find(css)
            return node if node is not None and predicate(node.text) else None

        return self.wait(matching, what)

    def button(self, label: str, within: WebElement | None = None) -> WebElement | None:
        for node in (within or self.driver).find_elements(By.TAG_NAME, "button"):
            if node.text.strip() == label:
                return node
        return None

    # ---- Pages

    def open(self, route: str = "#/") -> None:
        """Loads the dashboard afresh at ``route`` (a hash route such as "#/queues")."""
        self.driver.get(f"{self.base_url}/{route}")

    def go(self, route: str) -> None:
        """Another page of the loaded dashboard (hash navigation, no reload)."""
        self.driver.execute_script("location.hash = arguments[0]", route)

    def login(self, token: str) -> str:
        """Logs in through the form; the role the page then shows."""
        field = self.wait_for("#login-token", "the login form")
        self.wait(lambda: field.is_displayed(), "the login form to show")
        field.clear()
        field.send_keys(token)
        self.find("#login-form button[type=submit]").click()
        # (Shown in capitals by the stylesheet, which WebDriver's text applies.)
        role = self.wait_text("#role", lambda text: text.lower() in ("read", "admin"), "the session's role")
        return role.text.lower()

    def session_csrf(self) -> str:
        """The CSRF token of this browser's session, as the page reads it."""
        return self.driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            fetch('/api/session').then((r) => r.json()).then((s) => done(s.csrf || ''));
            """
        )

    def post_from_page(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A POST made by the page's own origin with its session and CSRF token:
        {"status": ..., "body": ...}."""
        return self.driver.execute_async_script(
            """
            const [path, body, done] = arguments;
            fetch('/api/session').then((r) => r.json()).then((s) =>
              fetch(path, {method: 'POST', body: JSON.stringify(body),
                           headers: {'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf}}))
              .then(async (r) => done({status: r.status, body: await r.json().catch(() => null)}))
              .catch((e) => done({status: -1, body: String(e)}));
            """,
            path,
            body,
        )

    # ---- Evidence

    def screenshot(self, name: str) -> None:
        """PNG of the window into every screenshot directory (build dir, JOBQ_DASHBOARD_SCREENSHOTS)."""
        self.driver.execute_script("document.activeElement && document.activeElement.blur()")
        png = self.driver.get_screenshot_as_png()
        for directory in self.shots_dirs:
            directory.mkdir(parents=True, exist_ok=True)
            (directory / f"{name}.png").write_bytes(png)

    def expect_console(self, pattern: str) -> None:
        """A SEVERE console entry matching ``pattern`` is expected (a refusal provoked on purpose)."""
        self.expected_console.append(re.compile(pattern))

    def console_errors(self) -> list[str]:
        """SEVERE entries of the console so far that no expect_console() pattern matches."""
        self.console += self.driver.get_log("browser")
        return [
            entry["message"]
            for entry in self.console
            if entry["level"] == "SEVERE"
            and not any(p.search(entry["message"]) for p in self.expected_console)
        ]

    def quit(self) -> None:
        try:
            self.driver.quit()
        except WebDriverException:
            pass


def screenshot_dirs(default: Path) -> list[Path]:
    """Where screenshots go: the build's directory, and JOBQ_DASHBOARD_SCREENSHOTS when set."""
    directories = [Path(os.environ.get("JOBQ_DASHBOARD_BUILD_SCREENSHOTS") or default)]
    extra = os.environ.get("JOBQ_DASHBOARD_SCREENSHOTS")
    if extra:
        # Relative to the source tree: ctest runs the tests in the build's.
        directories.append(SOURCE_DIR / extra)
    return directories


def clean_profile(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path
