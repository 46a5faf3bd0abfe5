from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _clean_powertools_state() -> Iterator[None]:
    """Metrics and the Parameters cache are process-wide in Powertools; keep tests independent."""
    yield
    from aws_lambda_powertools.utilities import parameters
    from mailpass.observability import metrics

    metrics.clear_metrics()
    parameters.clear_caches()  # type: ignore[no-untyped-call]
