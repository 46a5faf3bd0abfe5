"""mailpass-admin: accounts, API keys, providers and sender domains, on AWS or locally.

It uses the same settings as the functions: MAILPASS_TABLE_NAME (or --table-name, or --stack to
read the table from a deployed stack's Outputs), MAILPASS_SECRETS_PREFIX, and the standard AWS
variables (profile, region, AWS_ENDPOINT_URL_* for the local stack)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from mailpass.errors import MailPassError
from mailpass.models import ProviderKind, SmtpSecurity

if TYPE_CHECKING:
    from mailpass.container import Container


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


NEEDS_SECRET = {"sendgrid", "mailgun", "mailpass"}


def _password(args: argparse.Namespace, *, needed: bool | None = None) -> str | None:
    if needed is None:
        needed = bool(getattr(args, "username", None))
    if not needed and not args.password_env and not args.password_stdin:
        return None
    if args.password_env:
        value = os.environ.get(args.password_env)
        if not value:
            raise SystemExit(f"${args.password_env} is empty")
        return value
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return getpass.getpass("Password or API key: ")


def _provider_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The provider fields given on the command line (None: not given)."""
    names = ["name", "host", "port", "security", "username", "region", "configuration_set"]
    names += ["from_email", "from_name", "hourly_limit", "daily_limit"]
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


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
        case "domain", "add":
            if args.verified:
                # Single-tenant installs: the operator verified the name in SES already.
                _print(container.domains.add_verified(args.account, args.name).public())
            else:
                _print(container.domains.create(args.account, args.name))
            return
        case "domain", "list":
            _print(container.domains.list_all(args.account))
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
        case "key", "list":
            _print(admin.list_api_keys(args.account))
        case "key", "revoke":
            admin.revoke_api_key(args.account, args.key)
            _print({"key_id": args.key, "revoked": True})
        case "provider", _:
            _provider(container, args)
        case _:
            raise SystemExit("unknown command")


def _provider(container: Container, args: argparse.Namespace) -> None:
    match args.action:
        case "add" | "add-smtp" | "add-ses":
            from mailpass.provider_schemas import ProviderCreate

            kind = {"add-smtp": "smtp", "add-ses": "ses"}.get(args.action) or args.kind
            fields = _provider_fields(args)
            needed = kind in NEEDS_SECRET or bool(fields.get("username"))
            password = None if kind == "ses" else _password(args, needed=needed)
            request = ProviderCreate.model_validate(
                {
                    **fields,
                    "kind": kind,
                    "name": fields.get("name") or kind,
                    "make_default": args.default,
                    **({"password": password} if password else {}),
                }
            )
            _print(container.providers.create(args.account, request))
        case "update":
            from mailpass.provider_schemas import ProviderUpdate

            fields = _provider_fields(args)
            for limit in args.clear or []:
                fields[limit] = None
            password = _password(args, needed=False)
            if password:
                fields["password"] = password
            change = ProviderUpdate.model_validate(fields)
            _print(container.providers.update(args.account, args.provider, change))
        case "delete":
            _print(container.providers.delete(args.account, args.provider))
        case "set-default":
            container.providers.set_default(args.account, args.provider)
            _print({"account_id": args.account, "default_provider_id": args.provider})
        case "fallbacks":
            _print(container.providers.set_fallbacks(args.account, args.providers))
        case "test":
            _print(container.providers.test(args.account, args.provider))
        case "list":
            _print(container.providers.list_all(args.account))
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

    kl = key.add_parser("list", help="an account's keys (prefixes only)")
    kl.add_argument("--account", required=True)
    kr = key.add_parser("revoke", help="revoke a key: it stops working at once")
    kr.add_argument("--account", required=True)
    kr.add_argument("--key", required=True, help="the key_id")

    prov = sub.add_parser("provider").add_subparsers(dest="action", required=True)

    def fields(cmd: argparse.ArgumentParser, *, secret: bool = True) -> None:
        cmd.add_argument("--account", required=True)
        cmd.add_argument("--name")
        cmd.add_argument("--host")
        cmd.add_argument("--port", type=int)
        cmd.add_argument("--security", choices=[s.value for s in SmtpSecurity])
        cmd.add_argument("--username")
        if secret:
            src = cmd.add_mutually_exclusive_group()
            src.add_argument("--password-env", metavar="VAR", help="the password/API key in $VAR")
            src.add_argument("--password-stdin", action="store_true", help="read it from stdin")
        cmd.add_argument("--region", help="SES region; for mailgun: eu or us")
        cmd.add_argument("--configuration-set")
        cmd.add_argument("--from-email")
        cmd.add_argument("--from-name")
        cmd.add_argument("--hourly-limit", type=int, metavar="N", help="sends per UTC hour")
        cmd.add_argument("--daily-limit", type=int, metavar="N", help="sends per UTC day")

    add = prov.add_parser("add", help="add a provider of any kind (presets fill in the relay)")
    add.add_argument("--kind", required=True, choices=[k.value for k in ProviderKind])
    fields(add)
    add.add_argument("--default", action="store_true", help="make it the account's default")
    for name, what in (("add-smtp", "an SMTP server"), ("add-ses", "Amazon SES")):
        cmd = prov.add_parser(name, help=f"add {what} (same as add --kind ...)")
        fields(cmd, secret=name == "add-smtp")
        cmd.add_argument("--default", action="store_true")
    up = prov.add_parser("update", help="change a provider; only what is given changes")
    fields(up)
    up.add_argument("--provider", required=True)
    up.add_argument("--clear", nargs="+", choices=["hourly_limit", "daily_limit"])
    for name, what in (
        ("delete", "delete a provider (and its secret)"),
        ("set-default", "make a provider the account's default"),
        ("test", "connect to the provider for real and report each step"),
    ):
        cmd = prov.add_parser(name, help=what)
        cmd.add_argument("--account", required=True)
        cmd.add_argument("--provider", required=True)
    fb = prov.add_parser("fallbacks", help="the providers to try, in order, after the default")
    fb.add_argument("--account", required=True)
    fb.add_argument("--providers", nargs="*", default=[], metavar="ID")

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

    domain = sub.add_parser("domain").add_subparsers(dest="action", required=True)
    da = domain.add_parser(
        "add", help="add a sender domain (pending: prints the DNS records to publish)"
    )
    da.add_argument("--account", required=True)
    da.add_argument("name", help="the domain, e.g. mail.acme.com")
    da.add_argument(
        "--verified",
        action="store_true",
        help="mark it verified now, without DNS checks: for a single-tenant install whose "
        "operator verified the domain in SES already",
    )
    dl = domain.add_parser("list", help="an account's sender domains and their status")
    dl.add_argument("--account", required=True)
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
