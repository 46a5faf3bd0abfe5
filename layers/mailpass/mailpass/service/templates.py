"""Message templates: stored per account, rendered when a message is accepted.

The engine is Jinja2's `SandboxedEnvironment`, restricted to `{{ variable }}`:
  - maintained (Pallets, with security releases for the sandbox), where chevron, the Python
    Mustache renderer, has had no release since 2021;
  - its parser gives the syntax tree, so a template is checked when it is saved: anything but
    literal text and bare `{{ name }}` placeholders (attributes, filters, calls, blocks,
    loops, includes) is a 400. What is left is as logic-less as Mustache, and the sandbox
    stays as a second wall: nothing in a template can run code or read a Python attribute;
  - the same tree names the variables a template uses, so a missing one is a 400 that names
    it (StrictUndefined would stop at the first);
  - autoescaping escapes values in `html` and leaves `subject` and `text` as given.

Jinja2 is imported on the first template rendered or saved, never on a cold start.

Rendering takes place when a message is accepted (/send, each /send-batch message): the
rendered subject, html and text are what is queued, so editing or deleting a template never
changes a message already accepted. The message keeps `template_id` for its status."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from mailpass.errors import NotFound, ValidationFailed
from mailpass.ids import new_id
from mailpass.models import Template, iso, utcnow
from mailpass.ports_account import TemplateStore
from mailpass.schemas import MAX_SUBJECT_CHARS, MessageFields, clean_header_text

if TYPE_CHECKING:
    from jinja2 import Template as Compiled
    from jinja2.sandbox import SandboxedEnvironment

    from mailpass.template_schemas import TemplateCreate, TemplateUpdate

PARTS = ("subject", "html", "text")


@cache
def _env(autoescape: bool) -> SandboxedEnvironment:
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        autoescape=autoescape,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        # Jinja's line statements and comments stay off: `#` and `##` are ordinary text.
        line_statement_prefix=None,
        line_comment_prefix=None,
    )


def variables_of(source: str, part: str = "template") -> set[str]:
    """The variables `source` uses. ValidationFailed (naming `part`) for a syntax error or
    anything beyond text and `{{ name }}`."""
    from jinja2 import TemplateSyntaxError, nodes

    try:
        tree = _env(False).parse(source)
    except TemplateSyntaxError as exc:
        raise ValidationFailed(
            f"{part}: {exc.message} (line {exc.lineno})",
            details=[{"field": part, "message": exc.message or "syntax error", "type": "syntax"}],
        ) from None
    names: set[str] = set()
    for output in tree.body:
        if not isinstance(output, nodes.Output):
            raise _not_allowed(part, output)
        for node in output.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            if isinstance(node, nodes.Name) and node.ctx == "load":
                names.add(node.name)
                continue
            raise _not_allowed(part, node)
    return names


def _not_allowed(part: str, node: Any) -> ValidationFailed:
    what = type(node).__name__.lower()
    message = f"only {{{{ variable }}}} placeholders are allowed (found a {what})"
    return ValidationFailed(
        f"{part}: {message} on line {node.lineno}",
        details=[{"field": part, "message": message, "type": "template"}],
    )


@lru_cache(maxsize=256)
def _compiled(source: str, autoescape: bool) -> Compiled:
    """A batch sends one template many times: it is compiled once."""
    return _env(autoescape).from_string(source)


def _value(item: Any) -> str:
    """As JSON would write a scalar, not as Python would (True, None)."""
    if item is None:
        return ""
    if isinstance(item, bool):
        return "true" if item else "false"
    return str(item)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    html: str | None
    text: str | None


def render(template: Template, variables: dict[str, Any]) -> Rendered:
    """ValidationFailed naming every variable the template uses and `variables` lacks."""
    sources = {p: getattr(template, p) for p in PARTS if getattr(template, p)}
    needed = set().union(*(variables_of(src, p) for p, src in sources.items()))
    missing = sorted(needed - variables.keys())
    if missing:
        raise ValidationFailed(
            "The template uses variables the request does not give: " + ", ".join(missing),
            details=[
                {
                    "field": f"variables.{name}",
                    "message": "required by the template",
                    "type": "missing",
                }
                for name in missing
            ],
        )
    values = {k: _value(v) for k, v in variables.items() if k in needed}
    out = {p: _compiled(src, p == "html").render(values) for p, src in sources.items()}
    subject = out["subject"]
    try:
        clean_header_text(subject)
    except ValueError as exc:
        raise ValidationFailed(
            f"The rendered subject {exc}",
            details=[{"field": "subject", "message": str(exc), "type": "value_error"}],
        ) from None
    if len(subject) > MAX_SUBJECT_CHARS:
        raise ValidationFailed(f"The rendered subject is over {MAX_SUBJECT_CHARS} characters")
    # A template's text "" is its opt-out of the generated text part, kept as is.
    return Rendered(subject, out.get("html"), out.get("text", template.text))


def template_dict(t: Template) -> dict[str, Any]:
    return {
        "template_id": t.template_id,
        "name": t.name,
        "subject": t.subject,
        "html": t.html,
        "text": t.text,
        "variables": sorted(
            set().union(*(variables_of(getattr(t, p), p) for p in PARTS if getattr(t, p)))
        ),
        "created_at": iso(t.created_at),
        "updated_at": iso(t.updated_at),
    }


class TemplateService:
    def __init__(self, store: TemplateStore) -> None:
        self._store = store

    def create(self, account_id: str, body: TemplateCreate) -> dict[str, Any]:
        template = Template(
            account_id=account_id,
            template_id=new_id("tpl"),
            name=body.name,
            subject=body.subject,
            html=body.html,
            text=body.text,
            created_at=utcnow(),
        )
        _check(template)
        self._store.create_template(template)
        return template_dict(template)

    def list_all(self, account_id: str) -> dict[str, Any]:
        return {"templates": [template_dict(t) for t in self._store.list_templates(account_id)]}

    def get(self, account_id: str, template_id: str) -> dict[str, Any]:
        return template_dict(self._get(account_id, template_id))

    def update(self, account_id: str, template_id: str, body: TemplateUpdate) -> dict[str, Any]:
        current = self._get(account_id, template_id)
        changes = {k: getattr(body, k) for k in body.model_fields_set}
        template = replace(current, **changes, updated_at=utcnow())
        if not template.html and not template.text:
            raise ValidationFailed("A template needs html or text")
        from mailpass.template_schemas import MAX_TEMPLATE_BODY_BYTES

        size = sum(len(v.encode()) for v in (template.html, template.text) if v)
        if size > MAX_TEMPLATE_BODY_BYTES:
            raise ValidationFailed(
                f"html and text together may be at most {MAX_TEMPLATE_BODY_BYTES} bytes"
            )
        _check(template)
        self._store.replace_template(template)
        return template_dict(template)

    def delete(self, account_id: str, template_id: str) -> dict[str, Any]:
        self._store.delete_template(account_id, template_id)
        return {"deleted": template_id}

    def apply[F: MessageFields](self, account_id: str, fields: F) -> F:
        """A message given as template_id + variables, rendered: subject, html and text set,
        variables dropped (the rendered text is what is kept), template_id kept for the
        record. Messages without a template come back as they are."""
        if fields.template_id is None:
            return fields
        template = self._get(account_id, fields.template_id)
        rendered = render(template, fields.variables or {})
        return fields.model_copy(
            update={
                "subject": rendered.subject,
                "html": rendered.html,
                "text": rendered.text,
                "variables": None,
            }
        )

    def _get(self, account_id: str, template_id: str) -> Template:
        template = self._store.get_template(account_id, template_id)
        if template is None:
            raise NotFound(f"No template {template_id} in this account")
        return template


def _check(template: Template) -> None:
    for part in PARTS:
        source = getattr(template, part)
        if source:
            variables_of(source, part)
