from app.crud import item, post, user  # noqa: F401
