"""Pydantic schemas for users and authentication."""
from typing import Optional

from pydantic import BaseModel


class User(BaseModel):
    """A user account.

    Used for signup, profile updates and API responses alike.
    """

    id: Optional[int] = None
    email: str
    full_name: Optional[str] = None
    password: Optional[str] = None
    hashed_password: Optional[str] = None
    is_active: bool = True
    is_superuser: bool = False

    class Config:
        from_attributes = True


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
