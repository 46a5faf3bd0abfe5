"""Idempotency-Key on the send endpoints, through Powertools Idempotency on its DynamoDB table.

The record's key is the account plus the client's key (one account never sees another's), and
the request body's hash is checked on every repeat: the same key with another body is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mailpass.errors import IdempotencyConflict, IdempotencyInProgress

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig


class _OneMinute:
    def get_remaining_time_in_millis(self) -> int:
        return 60_000


class PowertoolsIdempotency:
    def __init__(self, table: str, client: Callable[[], Any], hours: int) -> None:
        self._table = table
        self._client = client
        self._hours = hours
        self._config: IdempotencyConfig | None = None
        self._functions: dict[str, Callable[..., dict[str, Any]]] = {}

    def _function(self, scope: str) -> Callable[..., dict[str, Any]]:
        # Powertools is imported on the first request that carries a key, not on cold start.
        found = self._functions.get(scope)
        if found is not None:
            return found
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        if self._config is None:
            self._config = IdempotencyConfig(
                event_key_jmespath="[account, key]",
                payload_validation_jmespath="body",
                expires_after_seconds=self._hours * 3600,
                raise_on_no_idempotency_key=True,
            )
        persistence = DynamoDBPersistenceLayer(table_name=self._table, boto3_client=self._client())

        def call(request: dict[str, str], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
            return work()

        wrapped: Callable[..., dict[str, Any]] = idempotent_function(
            call,
            data_keyword_argument="request",
            persistence_store=persistence,
            config=self._config,
            key_prefix=f"mailpass#{scope}",
        )
        self._functions[scope] = wrapped
        return wrapped

    def run(
        self,
        scope: str,
        account_id: str,
        key: str,
        body: bytes,
        work: Callable[[], dict[str, Any]],
        lambda_context: Any = None,
    ) -> dict[str, Any]:
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        call = self._function(scope)
        if self._config is not None:
            # An in-flight record expires with the invocation, so a crashed one frees its key.
            # Outside Lambda (uvicorn) a request is given a minute.
            context: Any = lambda_context or _OneMinute()
            self._config.register_lambda_context(context)
        request = {"account": account_id, "key": key, "body": hashlib.sha256(body).hexdigest()}
        try:
            return call(request=request, work=work)
        except IdempotencyValidationError:
            raise IdempotencyConflict() from None
        except IdempotencyAlreadyInProgressError:
            raise IdempotencyInProgress() from None
