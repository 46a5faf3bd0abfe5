from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from mailpass_dev.stack import LocalStack


@pytest.fixture(autouse=True)
def _clean_powertools_state() -> Iterator[None]:
    """Metrics and the Parameters cache are process-wide in Powertools; keep tests independent."""
    yield
    from aws_lambda_powertools.utilities import parameters
    from mailpass.observability import metrics

    metrics.clear_metrics()
    parameters.clear_caches()  # type: ignore[no-untyped-call]


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """The real local parts, started once per session (tests/integration and tests/contract)."""
    from mailpass_dev.stack import LocalStack

    outbox = tmp_path_factory.mktemp("outbox")
    with LocalStack(outbox=outbox, stack_name="mailpass-test") as running:
        yield running
