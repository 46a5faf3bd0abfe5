"""Request shapes of the templates API. Kept apart from `schemas` so the API's cold start does
not build them: only the templates routes import this module."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from mailpass.schemas import MAX_SUBJECT_CHARS, HeaderText, clean_header_text

# A DynamoDB item holds 400 KB; this leaves room for the name, subject and keys.
MAX_TEMPLATE_BODY_BYTES = 350 * 1024

Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(clean_header_text)]
Subject = Annotated[HeaderText, Field(min_length=1, max_length=MAX_SUBJECT_CHARS)]


def _body_size(html: str | None, text: str | None) -> None:
    size = sum(len(v.encode()) for v in (html, text) if v)
    if size > MAX_TEMPLATE_BODY_BYTES:
        raise ValueError(f"html and text together may be at most {MAX_TEMPLATE_BODY_BYTES} bytes")


class TemplateCreate(BaseModel):
    """POST /api/v1/templates. `{{ variable }}` placeholders, nothing else; `text` "" sends
    the HTML only (no generated text part), as on /send."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    subject: Subject
    html: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _body(self) -> TemplateCreate:
        if not self.html and not self.text:
            raise ValueError("one of html or text is required")
        _body_size(self.html, self.text)
        return self


class TemplateUpdate(BaseModel):
    """PATCH /api/v1/templates/{id}: only the fields given change; null clears html or text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name | None = None
    subject: Subject | None = None
    html: str | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _not_null(self) -> TemplateUpdate:
        for field in ("name", "subject"):
            if field in self.model_fields_set and getattr(self, field) is None:
                raise ValueError(f"{field} cannot be null")
        return self
