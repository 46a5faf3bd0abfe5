"""The cold-start baseline: the least a FastAPI + Mangum + boto3 Lambda does to answer
GET /api/v1/mail/status/<message id> the way MailPass does, at the same data: GetItem on the API
key's hash (consistent), then Query on the message partition (consistent), answered as JSON.
No settings, no Powertools, no validation, no domain model.

Imported only by bench/_cold_child.py in a fresh process; reproduce with `make bench`."""

from __future__ import annotations

import functools
import hashlib
import os
from typing import Any

import boto3
from fastapi import FastAPI, HTTPException, Request
from mangum import Mangum

app = FastAPI()


@functools.cache  # created on first use, then kept, as any Lambda keeps its clients
def _client() -> Any:
    return boto3.client("dynamodb")


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {name: next(iter(attr.values())) for name, attr in item.items()}


@app.get("/api/v1/mail/status/{message_id:path}")
def status(message_id: str, request: Request) -> dict[str, Any]:
    token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
    key_hash = hashlib.sha256(token.encode()).hexdigest()
    db, table = _client(), os.environ["MAILPASS_TABLE_NAME"]
    key = db.get_item(
        TableName=table,
        Key={"pk": {"S": f"APIKEY#{key_hash}"}, "sk": {"S": "APIKEY"}},
        ConsistentRead=True,
    ).get("Item")
    if key is None:
        raise HTTPException(401)
    items = db.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"MSG#{key['account_id']['S']}#{message_id}"}},
        ConsistentRead=True,
    )["Items"]
    if not items:
        raise HTTPException(404)
    return {"success": True, "data": {"message": _plain(items[0]), "events": []}}


handler = Mangum(app, lifespan="off")
