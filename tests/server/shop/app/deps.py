"""The shop's dependencies: its database and the caller's token."""
from typing import Annotated

from fastapi import Header


class Database:
    """Items kept in memory, as a stand-in for a real store."""

    def __init__(self) -> None:
        self.items = {1: {"id": 1, "name": "kettle"}, 2: {"id": 2, "name": "teapot"}}

    def fetch(self, item_id: int) -> dict | None:
        return self.items.get(item_id)

    def search(self, text: str | None) -> list[dict]:
        return [item for item in self.items.values() if not text or text in item["name"]]


def get_db() -> Database:
    return Database()


def get_token(x_token: Annotated[str, Header()]) -> str:
    return x_token
