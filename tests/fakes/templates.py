"""Message templates (ports_account.TemplateStore) in memory."""

from __future__ import annotations

from mailpass.errors import Conflict, NotFound
from mailpass.models import Template

from tests.fakes.memory import Shared


class InMemoryTemplates(Shared):
    def create_template(self, template: Template) -> None:
        mine = self.memory.templates.setdefault(template.account_id, {})
        if template.template_id in mine:
            raise Conflict(f"A template {template.template_id} exists already")
        mine[template.template_id] = template

    def get_template(self, account_id: str, template_id: str) -> Template | None:
        return self.memory.templates.get(account_id, {}).get(template_id)

    def list_templates(self, account_id: str) -> list[Template]:
        mine = self.memory.templates.get(account_id, {}).values()
        return sorted(mine, key=lambda t: (t.created_at, t.template_id))

    def replace_template(self, template: Template) -> None:
        mine = self.memory.templates.get(template.account_id, {})
        if template.template_id not in mine:
            raise NotFound("No such template for this account")
        mine[template.template_id] = template

    def delete_template(self, account_id: str, template_id: str) -> None:
        if self.memory.templates.get(account_id, {}).pop(template_id, None) is None:
            raise NotFound("No such template for this account")
