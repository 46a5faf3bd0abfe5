from __future__ import annotations

import sys

import pytest
from mailpass.observability import traced, tracing_enabled


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, False),  # not in Lambda: no X-Ray daemon to talk to
        ({"LAMBDA_TASK_ROOT": "/var/task"}, True),
        ({"LAMBDA_TASK_ROOT": "/var/task", "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({"LAMBDA_TASK_ROOT": "/var/task", "AWS_SAM_LOCAL": "true"}, False),
    ],
)
def test_tracing_follows_powertools_rules(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: bool
) -> None:
    for name in ("LAMBDA_TASK_ROOT", "POWERTOOLS_TRACE_DISABLED", "AWS_SAM_LOCAL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert tracing_enabled() is expected


def test_untraced_handlers_are_untouched_and_xray_is_not_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)

    def handler() -> str:
        return "ok"

    assert traced(handler) is handler
    assert "aws_xray_sdk" not in sys.modules
