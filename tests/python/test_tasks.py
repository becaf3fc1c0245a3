"""@jobq.task and its registry, which the Python worker reads."""

from __future__ import annotations

import jobq
import jobq.tasks
import pytest


def test_bare_decorator_registers_under_the_function_name() -> None:
    @jobq.task
    def resize_image_bare(path: str) -> str:
        return path

    definition = jobq.tasks.registry()["resize_image_bare"]
    assert definition == jobq.TaskDef("resize_image_bare", resize_image_bare, "io", False)
    # The function is returned unchanged: still callable here.
    assert resize_image_bare("a.png") == "a.png"
    assert jobq.tasks.task_name(resize_image_bare) == "resize_image_bare"


def test_decorator_with_arguments() -> None:
    @jobq.task(name="crunch_numbers", kind="cpu")
    def crunch(n: int) -> int:
        return n

    @jobq.task()
    async def fetch_async(url: str) -> str:
        return url

    registry = jobq.tasks.registry()
    assert registry["crunch_numbers"].kind == "cpu" and registry["crunch_numbers"].fn is crunch
    assert registry["fetch_async"].is_async and registry["fetch_async"].kind == "io"
    assert "crunch" not in registry


def test_registry_is_a_snapshot() -> None:
    snapshot = jobq.tasks.registry()
    snapshot["made_up"] = None  # type: ignore[assignment]
    assert "made_up" not in jobq.tasks.registry()


def test_two_functions_cannot_share_a_name() -> None:
    @jobq.task(name="shared_name")
    def first() -> None:
        pass

    with pytest.raises(ValueError, match="two tasks named 'shared_name'"):

        @jobq.task(name="shared_name")
        def second() -> None:
            pass


def test_bad_declarations() -> None:
    with pytest.raises(ValueError, match='"io" or "cpu"'):
        jobq.task(kind="gpu")(lambda: None)
    with pytest.raises(ValueError, match="cannot be kind=\"cpu\""):

        @jobq.task(kind="cpu")
        async def not_on_a_process() -> None:
            pass

    with pytest.raises(TypeError, match="decorates a function"):
        jobq.task(42)
