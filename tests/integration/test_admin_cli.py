"""mailpass-admin against the local stack, end to end: account, key, provider, then a send."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mailpass_admin.cli import main
from mailpass_dev.seed import Seeded
from mailpass_dev.servers import SmtpSink
from mailpass_dev.stack import LocalStack

from tests.integration.conftest import LambdaContext, load_event
from tests.integration.test_send_lambda import invoke

pytestmark = pytest.mark.integration


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_operator_sets_up_an_account_that_can_send(
    env: LocalStack,
    sink: SmtpSink,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    lambda_context: LambdaContext,
) -> None:
    account = run(capsys, "account", "create", "--name", "Acme")
    acct = account["account_id"]
    key = run(capsys, "key", "create", "--account", acct, "--permissions", "mail")
    api_key = key["api_key"]
    assert api_key.startswith("mp_live_")

    monkeypatch.setenv("RELAY_PASSWORD", "not-needed-but-stored")
    provider = run(
        capsys,
        "provider",
        "add-smtp",
        "--account",
        acct,
        "--host",
        "127.0.0.1",
        "--port",
        str(sink.port),
        "--security",
        "none",
        "--username",
        "u",
        "--password-env",
        "RELAY_PASSWORD",
        "--from-email",
        "ops@acme.example.com",
    )
    assert provider["password"] == "********"
    pid = provider["provider_id"]

    # No default yet: the API says so.
    code, err = invoke(load_event("send.json", key=api_key), lambda_context)
    assert code == 422
    assert err["error"]["code"] == "NO_SMTP_PROVIDER"

    run(capsys, "provider", "set-default", "--account", acct, "--provider", pid)
    listed = run(capsys, "provider", "list", "--account", acct)
    assert [p["is_default"] for p in listed["providers"]] == [True]
    assert "not-needed-but-stored" not in json.dumps(listed)

    # aiosmtpd here advertises no AUTH, so the sink refuses the login: a clear SEND_FAILED...
    code, err = invoke(load_event("send.json", key=api_key), lambda_context)
    assert code == 500
    # ...and a provider without credentials sends.
    plain = run(
        capsys,
        "provider",
        "add-smtp",
        "--account",
        acct,
        "--host",
        "127.0.0.1",
        "--port",
        str(sink.port),
        "--security",
        "none",
        "--from-email",
        "ops@acme.example.com",
        "--default",
    )
    assert plain["password"] is None
    code, body = invoke(load_event("send.json", key=api_key), lambda_context)
    assert code == 200
    assert len(sink.find(body["data"]["message_id"])) == 1


def test_errors_are_reported_not_raised(
    env: LocalStack, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["provider", "set-default", "--account", "acct_nope", "--provider", "p"]) == 2
    assert "NOT_FOUND" in capsys.readouterr().err


def test_keys_and_providers_are_managed_from_the_command_line(
    env: LocalStack,
    account: Seeded,
    sink: SmtpSink,
    lambda_context: LambdaContext,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    acct = account.account_id
    made = run(capsys, "key", "create", "--account", acct, "--permissions", "mail", "settings")
    listed = run(capsys, "key", "list", "--account", acct)
    assert made["key_id"] in {k["key_id"] for k in listed}
    assert made["api_key"] not in json.dumps(listed)  # prefixes only
    mine = next(k for k in listed if k["key_id"] == made["key_id"])
    assert made["api_key"].startswith(mine["prefix"])
    assert mine["permissions"] == ["mail", "settings"]

    code, _ = invoke(load_event("send.json", key=made["api_key"]), lambda_context)
    assert code == 200
    run(capsys, "key", "revoke", "--account", acct, "--key", made["key_id"])
    code, err = invoke(load_event("send.json", key=made["api_key"]), lambda_context)
    assert (code, err["error"]["code"]) == (401, "UNAUTHORIZED")  # at once
    assert next(
        k for k in run(capsys, "key", "list", "--account", acct) if k["key_id"] == made["key_id"]
    )["revoked"]

    monkeypatch.setenv("SG_KEY", "SG.secret")
    grid = run(
        capsys,
        "provider",
        "add",
        "--account",
        acct,
        "--kind",
        "sendgrid",
        "--name",
        "SG",
        "--password-env",
        "SG_KEY",
        "--from-email",
        "ops@acme.example.com",
        "--daily-limit",
        "100",
    )
    assert (grid["host"], grid["username"], grid["daily_limit"]) == (
        "smtp.sendgrid.net",
        "apikey",
        100,
    )
    changed = run(
        capsys,
        "provider",
        "update",
        "--account",
        acct,
        "--provider",
        grid["provider_id"],
        "--hourly-limit",
        "10",
        "--clear",
        "daily_limit",
    )
    assert (changed["hourly_limit"], changed["daily_limit"]) == (10, None)
    order = run(
        capsys, "provider", "fallbacks", "--account", acct, "--providers", grid["provider_id"]
    )
    assert order["fallback_provider_ids"] == [grid["provider_id"]]
    report = run(capsys, "provider", "test", "--account", acct, "--provider", account.provider_id)
    assert report["ok"] is True
    gone = run(capsys, "provider", "delete", "--account", acct, "--provider", grid["provider_id"])
    assert gone["deleted"] == grid["provider_id"]
    assert run(capsys, "provider", "list", "--account", acct)["fallback_provider_ids"] == []
