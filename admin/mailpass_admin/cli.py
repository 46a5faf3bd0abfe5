"""mailpass-admin: accounts, API keys and providers, against real AWS or the local stack alike.

It uses the same settings as the functions: MAILPASS_TABLE_NAME (or --table-name, or --stack to
read the table from a deployed stack's Outputs), MAILPASS_SECRETS_PREFIX, and the standard AWS
variables (profile, region, AWS_ENDPOINT_URL_* for the local stack)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import Any

from mailpass.errors import MailPassError
from mailpass.models import SmtpSecurity


def _stack_outputs(stack: str) -> dict[str, str]:
    import boto3

    out = boto3.client("cloudformation").describe_stacks(StackName=stack)
    return {o["OutputKey"]: o["OutputValue"] for o in out["Stacks"][0].get("Outputs", [])}


def _configure(args: argparse.Namespace) -> None:
    if args.stack:
        outputs = _stack_outputs(args.stack)
        os.environ["MAILPASS_TABLE_NAME"] = outputs["MailTableName"]
        os.environ.setdefault("MAILPASS_QUEUE_URL", outputs["SendQueueUrl"])
        os.environ.setdefault("MAILPASS_DEAD_LETTER_QUEUE_URL", outputs["SendDeadLetterQueueUrl"])
        os.environ.setdefault("MAILPASS_SECRETS_PREFIX", outputs["SecretsPrefix"])
    if args.table_name:
        os.environ["MAILPASS_TABLE_NAME"] = args.table_name
    if not os.environ.get("MAILPASS_TABLE_NAME"):
        raise SystemExit("set MAILPASS_TABLE_NAME, or pass --table-name or --stack")


def _password(args: argparse.Namespace) -> str | None:
    if not args.username:
        return None
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise SystemExit(f"${args.password_env} is empty")
        return value
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("SMTP password: ")


def _print(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def run(args: argparse.Namespace) -> None:
    _configure(args)
    from mailpass.container import get_container

    container = get_container()
    match args.command, getattr(args, "action", None):
        case "queue", "stats":
            _print(container.operations.stats())
            return
        case "queue", "redrive":
            report = container.operations.redrive(
                limit=args.max, include_unknown=args.include_unknown
            )
            _print(report.as_dict())
            return
        case _:
            pass
    admin = container.admin
    match args.command, getattr(args, "action", None):
        case "account", "create":
            account = admin.create_account(args.name)
            _print({"account_id": account.account_id, "name": account.name})
        case "key", "create":
            issued = admin.create_api_key(args.account, args.permissions, test=args.test)
            _print(
                {
                    "key_id": issued.key_id,
                    "api_key": issued.api_key,
                    "permissions": sorted(issued.permissions),
                    "note": "Store this key now: it is not shown again.",
                }
            )
        case "provider", "add-smtp":
            provider = admin.add_smtp_provider(
                args.account,
                name=args.name,
                host=args.host,
                port=args.port,
                security=SmtpSecurity(args.security),
                username=args.username,
                password=_password(args),
                from_email=args.from_email,
                from_name=args.from_name,
                make_default=args.default,
            )
            _print(provider.public())
        case "provider", "add-ses":
            provider = admin.add_ses_provider(
                args.account,
                name=args.name,
                region=args.region,
                configuration_set=args.configuration_set,
                from_email=args.from_email,
                from_name=args.from_name,
                make_default=args.default,
            )
            _print(provider.public())
        case "provider", "set-default":
            admin.set_default_provider(args.account, args.provider)
            _print({"account_id": args.account, "default_provider_id": args.provider})
        case "provider", "list":
            default, providers = admin.list_providers(args.account)
            _print([{**p.public(), "default": p.provider_id == default} for p in providers])
        case _:
            raise SystemExit("unknown command")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mailpass-admin", description=__doc__.split("\n")[0])
    p.add_argument("--table-name", help="DynamoDB table (default: $MAILPASS_TABLE_NAME)")
    p.add_argument("--stack", help="read the table name from this CloudFormation stack")
    sub = p.add_subparsers(dest="command", required=True)

    account = sub.add_parser("account").add_subparsers(dest="action", required=True)
    create = account.add_parser("create", help="create an account")
    create.add_argument("--name", required=True)

    key = sub.add_parser("key").add_subparsers(dest="action", required=True)
    kc = key.add_parser("create", help="create an API key (printed once)")
    kc.add_argument("--account", required=True)
    kc.add_argument("--permissions", nargs="+", default=["mail"], choices=["mail", "settings"])
    kc.add_argument("--test", action="store_true", help="an mp_test_ key: never reaches a provider")

    prov = sub.add_parser("provider").add_subparsers(dest="action", required=True)
    smtp = prov.add_parser("add-smtp", help="add an SMTP provider")
    smtp.add_argument("--account", required=True)
    smtp.add_argument("--name", default="SMTP")
    smtp.add_argument("--host", required=True)
    smtp.add_argument("--port", type=int, default=587)
    smtp.add_argument("--security", choices=[s.value for s in SmtpSecurity], default="starttls")
    smtp.add_argument("--username")
    src = smtp.add_mutually_exclusive_group()
    src.add_argument("--password-env", metavar="VAR", help="read the password from $VAR")
    src.add_argument("--password-stdin", action="store_true", help="read it from stdin")
    smtp.add_argument("--from-email")
    smtp.add_argument("--from-name")
    smtp.add_argument("--default", action="store_true", help="make it the account's default")

    ses = prov.add_parser("add-ses", help="add an Amazon SES provider")
    ses.add_argument("--account", required=True)
    ses.add_argument("--name", default="Amazon SES")
    ses.add_argument("--region", required=True)
    ses.add_argument("--configuration-set")
    ses.add_argument("--from-email")
    ses.add_argument("--from-name")
    ses.add_argument("--default", action="store_true")

    sd = prov.add_parser("set-default", help="make a provider the account's default")
    sd.add_argument("--account", required=True)
    sd.add_argument("--provider", required=True)

    queue = sub.add_parser("queue").add_subparsers(dest="action", required=True)
    queue.add_parser("stats", help="messages waiting, in flight and dead-lettered")
    rd = queue.add_parser("redrive", help="move dead-lettered messages back to the send queue")
    rd.add_argument("--max", type=int, default=1000, help="at most this many")
    rd.add_argument(
        "--include-unknown",
        action="store_true",
        help="also messages whose hand-off was interrupted (may already have been delivered)",
    )

    pl = prov.add_parser("list", help="list an account's providers (secrets masked)")
    pl.add_argument("--account", required=True)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        run(args)
    except MailPassError as exc:
        print(f"error: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
