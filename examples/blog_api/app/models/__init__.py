from app.models.item import Item
from app.models.post import Post
from app.models.user import User

__all__ = ["Item", "Post", "User"]
