"""Provider credentials in AWS Secrets Manager, read through Powertools Parameters (cached)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.parameters import SecretsProvider
    from mypy_boto3_secretsmanager import SecretsManagerClient


class SecretsManagerStore:
    # Takes a factory: the client is only built when a provider actually has a credential.
    def __init__(self, client: Callable[[], SecretsManagerClient], cache_seconds: int) -> None:
        self._client_factory = client
        self._cache_seconds = cache_seconds
        self._provider: SecretsProvider | None = None

    def get(self, secret_id: str) -> str:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SecretsProvider

            self._provider = SecretsProvider(boto3_client=self._client_factory())
        value = self._provider.get(secret_id, max_age=self._cache_seconds)
        if not isinstance(value, str):
            raise TypeError(f"secret {secret_id} is not a string")
        return value

    def put(self, name: str, value: str) -> str:
        client = self._client_factory()
        try:
            client.create_secret(Name=name, SecretString=value)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=name, SecretString=value)
        return name

    def delete(self, secret_id: str) -> None:
        client = self._client_factory()
        # At once: the provider that named it is gone, and a recovery window would block reuse
        # of the name by a provider recreated under the same id.
        with contextlib.suppress(client.exceptions.ResourceNotFoundException):
            client.delete_secret(SecretId=secret_id, ForceDeleteWithoutRecovery=True)
        if self._provider is not None:
            self._provider.clear_cache()  # type: ignore[no-untyped-call]
