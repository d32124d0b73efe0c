from .item import ItemCreate, ItemOut
from .post import PostCreate, PostRead, PostUpdate
from .user import Token, User

__all__ = [
    "ItemCreate",
    "ItemOut",
    "PostCreate",
    "PostRead",
    "PostUpdate",
    "Token",
    "User",
]
