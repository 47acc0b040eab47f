"""Who is acting, and what they may do. Every write path in lib/ checks the role here, server side."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Role = Literal["viewer", "editor"]


class PermissionDenied(PermissionError):
    """A viewer tried to change shared data."""


class User(BaseModel):
    """The person behind a session: a name for the audit log and a role."""

    name: str = Field(min_length=1, max_length=120)
    role: Role = "viewer"

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


def require_editor(user: User, action: str) -> None:
    """Refuse a write for anyone but an editor, naming the action."""
    if not user.can_edit:
        raise PermissionDenied(f"{user.name} is a viewer and cannot {action}; sign in as an editor.")
