"""Message templates: the fake and the DynamoDB adapter (on DynamoDB Local) keep the same
contract. Built here rather than in conftest's Stores: only these tests use the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from mailpass.errors import Conflict, NotFound
from mailpass.ids import new_id
from mailpass.models import Template
from mailpass.ports_account import TemplateStore

from tests.contract.conftest import NOW, Stores, message, new_account
from tests.fakes.templates import InMemoryTemplates


@pytest.fixture(params=["fake", pytest.param("dynamodb", marks=pytest.mark.integration)])
def store(request: pytest.FixtureRequest) -> TemplateStore:
    if request.param == "fake":
        return InMemoryTemplates()
    from mailpass.adapters.dynamodb import Table
    from mailpass.adapters.dynamodb.templates import DynamoTemplates

    stack: Any = request.getfixturevalue("stack")
    stack.apply_env()
    return DynamoTemplates(Table(stack.client("dynamodb"), stack.table_name))


def template(account_id: str, **kw: Any) -> Template:
    values: dict[str, Any] = {
        "name": "Welcome",
        "subject": "Hi {{ name }}",
        "html": "<p>안녕 {{ name }}</p>",
        "text": None,
        "created_at": NOW,
        **kw,
    }
    return Template(account_id, new_id("tpl"), **values)


def test_a_template_round_trips_and_is_the_accounts_own(store: TemplateStore) -> None:
    account, other = new_id("acct"), new_id("acct")
    t = template(account, text="")  # "" (HTML only) is kept apart from None (generate)
    store.create_template(t)
    assert store.get_template(account, t.template_id) == t
    assert store.get_template(other, t.template_id) is None
    assert store.list_templates(other) == []
    with pytest.raises(Conflict):
        store.create_template(t)


def test_list_is_oldest_first(store: TemplateStore) -> None:
    account = new_id("acct")
    later = template(account, created_at=NOW + timedelta(minutes=1), html=None, text="t")
    first = template(account)
    store.create_template(later)
    store.create_template(first)
    assert store.list_templates(account) == [first, later]


def test_replace_and_delete_need_the_template(store: TemplateStore) -> None:
    account = new_id("acct")
    t = template(account)
    with pytest.raises(NotFound):
        store.replace_template(t)
    store.create_template(t)
    changed = replace(t, subject="New", html=None, text="x", updated_at=NOW + timedelta(hours=1))
    store.replace_template(changed)
    assert store.get_template(account, t.template_id) == changed
    store.delete_template(account, t.template_id)
    assert store.get_template(account, t.template_id) is None
    with pytest.raises(NotFound):
        store.delete_template(account, t.template_id)
    with pytest.raises(NotFound):
        store.replace_template(changed)


def test_a_message_keeps_the_template_it_was_rendered_from(stores: Stores) -> None:
    account = new_account(stores)
    rendered, plain = message(account, template_id="tpl_1"), message(account)
    stores.messages.put_messages([rendered, plain])
    got = stores.messages.get_message(account, rendered.message_id)
    assert got is not None
    assert got[0].template_id == "tpl_1"
    other = stores.messages.get_message(account, plain.message_id)
    assert other is not None
    assert other[0].template_id is None
