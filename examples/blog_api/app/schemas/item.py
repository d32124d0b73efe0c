"""Schemas for items users share (links with an optional picture)."""
from typing import Optional

from pydantic import BaseModel


class ItemBase(BaseModel):
    name: str
    description: Optional[str] = None
    url: str


class ItemCreate(ItemBase):
    pass


class ItemOut(ItemBase):
    id: int
    owner_id: int
    preview_title: Optional[str] = None
    image_path: Optional[str] = None
    thumbnail_path: Optional[str] = None

    class Config:
        from_attributes = True
