"""The whole local stack as one object: start, point boto3 at it, build resources, stop."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mailpass_dev.dns import LocalDns
from mailpass_dev.servers import Endpoint, SmtpSink, start_dynamodb_local, start_moto
from mailpass_dev.template import (
    LocalNames,
    create_buckets,
    create_queues,
    create_secrets,
    create_tables,
    load,
)

LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


def reset_process_caches() -> None:
    """Settings, wiring and clients are built once per process; a new environment needs new ones."""
    from mailpass.adapters import aws
    from mailpass.container import get_container
    from mailpass.settings import get_settings

    get_settings.cache_clear()
    get_container.cache_clear()
    aws.reset_clients()


@dataclass
class LocalStack:
    outbox: Path
    smtp_port: int = 0
    moto_port: int = 0
    dynamodb_port: int = 0
    stack_name: str = "mailpass-local"
    smtp_credentials: dict[str, str] | None = None
    moto: Endpoint | None = None
    dynamodb: Endpoint | None = None
    smtp: SmtpSink | None = None
    # Sender domains are verified against this authoritative zone, never the internet's DNS.
    dns: LocalDns | None = None
    names: LocalNames | None = None
    env: dict[str, str] = field(default_factory=dict)
    # `make dev` keeps its data here (DynamoDB Local's files, the secrets moto would forget);
    # None keeps everything in memory, as the tests want.
    state_dir: Path | None = None

    def start(self) -> LocalStack:
        try:
            self.moto = start_moto(self.moto_port or None)
            # AWS's DynamoDB Local where Java is present; moto's DynamoDB otherwise.
            kept = self.state_dir / "dynamodb" if self.state_dir else None
            self.dynamodb = start_dynamodb_local(self.dynamodb_port or None, kept)
            if self.dynamodb is None:
                if kept is not None:
                    print("no Java: DynamoDB runs on moto, in memory (not kept)", file=sys.stderr)
                self.dynamodb = Endpoint("moto-dynamodb", self.moto.url)
            self.smtp = SmtpSink(
                self.outbox, port=self.smtp_port, credentials=self.smtp_credentials
            ).start()
            self.dns = LocalDns().start()
            self.names = LocalNames(load(), stack_name=self.stack_name)
            base = {**LOCAL_CREDENTIALS, "AWS_ENDPOINT_URL": self.moto.url}
            os.environ.update(base)
            create_queues(self.names, self.client("sqs"))
            create_secrets(self.names, self.client("secretsmanager"))
            self._restore_secrets()
            create_buckets(self.names, self.client("s3"))
            self.env = {
                **LOCAL_CREDENTIALS,
                "AWS_ENDPOINT_URL": self.moto.url,
                "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb.url,
                # Locally there is no X-Ray daemon, and metrics would only clutter the console.
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                # The local SMTP catcher and webhook receivers are on loopback (plain http).
                "MAILPASS_ALLOW_LOCAL_EGRESS": "true",
                **self.names.function_environment("ApiFunction"),
                **self.names.function_environment("DispatcherFunction"),
                "MAILPASS_DNS_RESOLVER": self.dns.address,
            }
            self.apply_env()
            create_tables(self.names, self.client("dynamodb"))
        except BaseException:
            self.stop()
            raise
        return self

    def apply_env(self) -> None:
        os.environ.update(self.env)
        reset_process_caches()

    def client(self, service: str) -> Any:
        import boto3

        session: Any = boto3.session.Session()
        return session.client(service, region_name="us-east-1")

    @property
    def queue_url(self) -> str:
        return self.env["MAILPASS_QUEUE_URL"]

    @property
    def table_name(self) -> str:
        return self.env["MAILPASS_TABLE_NAME"]

    @property
    def _secrets_file(self) -> Path | None:
        return self.state_dir / "secrets.json" if self.state_dir else None

    def _restore_secrets(self) -> None:
        """moto forgets its secrets when it stops: put back the ones saved at the last stop
        (the tracking key, provider passwords, webhook secrets), so kept data still works."""
        path = self._secrets_file
        if path is None or not path.exists():
            return
        sm = self.client("secretsmanager")
        for name, value in json.loads(path.read_text()).items():
            try:
                sm.create_secret(Name=name, SecretString=value)
            except sm.exceptions.ResourceExistsException:
                sm.put_secret_value(SecretId=name, SecretString=value)

    def save_secrets(self) -> None:
        path = self._secrets_file
        if path is None or self.moto is None or not self.names:
            return
        sm = self.client("secretsmanager")
        saved = {}
        for page in sm.get_paginator("list_secrets").paginate():
            for entry in page["SecretList"]:
                with contextlib.suppress(sm.exceptions.ResourceNotFoundException):
                    value = sm.get_secret_value(SecretId=entry["ARN"]).get("SecretString")
                    if value is not None:
                        saved[entry["Name"]] = value
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.touch(mode=0o600)  # dev secrets, but secrets: readable by this user only
        tmp.write_text(json.dumps(saved, indent=1, sort_keys=True))
        tmp.replace(path)

    def stop(self) -> None:
        if self.state_dir is not None and self.moto is not None and self.moto.process:
            try:
                if self.moto.process.alive():
                    self.save_secrets()
            except Exception as exc:  # stopping must go on whatever happens
                print(f"could not save the local secrets: {exc!r}", file=sys.stderr)
        for part in (self.smtp, self.dns, self.dynamodb, self.moto):
            if part is not None:
                part.stop()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
