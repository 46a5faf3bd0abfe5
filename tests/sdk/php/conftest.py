"""The PHP SDK's suite runs against the same local stack as tests/integration, with its fixtures."""

from tests.integration.conftest import account, api, env, services, sink

__all__ = ["account", "api", "env", "services", "sink"]
