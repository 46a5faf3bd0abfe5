"""boto3 clients: created on first use, then reused for the life of the process (warm Lambdas).

Endpoints come from the standard AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables, so the
local stack needs no branch in this code."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sesv2 import SESV2Client

_lock = threading.Lock()
_clients: dict[tuple[str, str | None], Any] = {}


def client(service: str, region: str | None = None) -> Any:
    key = (service, region)
    found = _clients.get(key)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(key)
        if found is None:
            # Imported here: boto3 costs tens of milliseconds, paid only by code that calls AWS.
            import boto3
            from botocore.config import Config

            config = Config(
                connect_timeout=3,
                read_timeout=10,
                retries={"mode": "standard", "max_attempts": 3},
                tcp_keepalive=True,
                max_pool_connections=32,
            )
            session: Any = boto3.session.Session()
            found = session.client(service, region_name=region, config=config)
            _clients[key] = found
    return found


def dynamodb() -> DynamoDBClient:
    return client("dynamodb")  # type: ignore[no-any-return]


def secretsmanager() -> SecretsManagerClient:
    return client("secretsmanager")  # type: ignore[no-any-return]


def sesv2(region: str | None) -> SESV2Client:
    return client("sesv2", region)  # type: ignore[no-any-return]


def reset_clients() -> None:
    """For tests that point the process at a different endpoint."""
    with _lock:
        _clients.clear()
