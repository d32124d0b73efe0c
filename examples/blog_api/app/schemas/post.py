from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PostBase(BaseModel):
    title: str = Field(max_length=200)
    body: str
    cover_image_url: str | None = None


class PostCreate(PostBase):
    published: bool = False


class PostUpdate(BaseModel):
    title: str | None = Field(default=None, max_length=200)
    body: str | None = None
    cover_image_url: str | None = None
    published: bool | None = None


class PostRead(PostBase):
    model_config = ConfigDict(from_attributes=True)

    id: int
    author_id: int
    published: bool
    featured: bool = False
    created_at: datetime
