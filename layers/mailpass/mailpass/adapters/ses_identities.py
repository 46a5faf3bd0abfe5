"""SES domain identities (Easy DKIM) for sender domains.

Created and deleted through sesv2. The DKIM tokens and status are read with SES's
GetIdentityDkimAttributes, which reads the same identities (SES v1 and v2 share them), takes up
to 100 names in one request (a re-check of many domains is one call), and is answered by moto,
whose sesv2 GetEmailIdentity returns no tokens for an Easy DKIM identity."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from mailpass.ports_account import DkimState

# SES v1's DkimVerificationStatus -> sesv2's DkimAttributes.Status spelling, used throughout.
_STATUS = {
    "Pending": "PENDING",
    "Success": "SUCCESS",
    "Failed": "FAILED",
    "TemporaryFailure": "TEMPORARY_FAILURE",
    "NotStarted": "NOT_STARTED",
}


class SesIdentities:
    """Implements ports_account.SesIdentities."""

    def __init__(self, sesv2: Callable[[], Any], ses: Callable[[], Any]) -> None:
        self._sesv2 = sesv2
        self._ses = ses

    def create(self, name: str) -> DkimState:
        client = self._sesv2()
        try:
            out = client.create_email_identity(EmailIdentity=name)
            tokens = tuple(out.get("DkimAttributes", {}).get("Tokens") or ())
            if tokens:
                return DkimState(str(out["DkimAttributes"].get("Status", "PENDING")), tokens)
        except client.exceptions.AlreadyExistsException:
            pass  # another account added the name first: the identity (and DKIM) is shared
        return self.dkim([name]).get(name) or DkimState("NOT_STARTED")

    def dkim(self, names: list[str]) -> dict[str, DkimState]:
        out: dict[str, DkimState] = {}
        for start in range(0, len(names), 100):
            got = self._ses().get_identity_dkim_attributes(Identities=names[start : start + 100])
            for name, attrs in got.get("DkimAttributes", {}).items():
                status = _STATUS.get(attrs.get("DkimVerificationStatus", ""), "NOT_STARTED")
                out[name] = DkimState(status, tuple(attrs.get("DkimTokens") or ()))
        return out

    def delete(self, name: str) -> None:
        client = self._sesv2()
        with contextlib.suppress(client.exceptions.NotFoundException):
            client.delete_email_identity(EmailIdentity=name)
