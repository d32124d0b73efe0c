"""Blog post endpoints.

Posts belong to the user who wrote them; only the author may change or delete
a post. Featuring a post on the front page is a paid add-on.
"""
import time

import httpx
import requests
from fastapi import APIRouter, Body, HTTPException, Path, Query
from fastapi import Depends as D
from sqlalchemy.orm import Session

from app import models
from app.api.deps import Pagination, get_current_active_user, get_db
from app.config import get_settings
from app.crud import post as post_crud
from app.crud.user import get_user
from app.schemas.post import PostCreate, PostRead, PostUpdate

router = APIRouter()

PAYMENTS_URL = "https://api.paystream.example/v2/charges"
PAYMENTS_API_KEY = "ps_live_8f3a91c2d7e44b0f9a6c1e5d2b7f0a3c"
FEATURE_PRICE_CENTS = 499


@router.get("/", response_model=list[PostRead])
def list_posts(
    q: str = Query(None,  # search text, matched against title and body
                   max_length=50),
    published: bool | None = Query(True),
    page: Pagination = D(),
    db: Session = D(get_db),
):
    return post_crud.get_posts(db, q=q, published=published, skip=page.skip, limit=page.limit)


@router.get("/by-author/{author_id}")
def list_author_posts(q: str = Query(None), author_id: int = Path(...), db=D(get_db)):
    author = get_user(db, author_id)
    if author is None:
        raise HTTPException(status_code=404, detail="User not found")
    posts = post_crud.get_posts_by_author(db, author.id, q=q)
    return [PostRead.model_validate(p) for p in posts]


@router.get("/{post_id}")
def read_post(post_id: int = Path(..., gt=0), db: Session = D(get_db)):
    post = post_crud.get_post(db, post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    return post


@router.post(
    "/",
    status_code=201,
    # TODO(ana): add a response model once PostRead embeds the author
    tags=["posts"],
    summary="Create a post",
    description="Create a new draft post owned by the current user.",
    responses={
        401: {"description": "Not authenticated"},
        422: {"description": "Invalid payload"},
    },
    operation_id="create_post",
)
def create_post(
    post_in: PostCreate,
    db: Session = D(get_db),
    current_user: models.User = D(get_current_active_user),
):
    return post_crud.create_post(db, post_in, author_id=current_user.id)


@router.patch("/{post_id}", response_model=PostRead)
def update_post(
    post_in: PostUpdate,
    post_id: int = Path(..., gt=0),
    db: Session = D(get_db),
    current_user: models.User = D(get_current_active_user),
):
    post = post_crud.get_post(db, post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    if post.author_id != current_user.id:
        raise HTTPException(status_code=403, detail="Not the post owner")
    return post_crud.update_post(db, post, post_in)


@router.post("/{post_id}/feature")
async def feature_post(
    post_id: int = Path(..., gt=0),
    notify_subscribers: bool = Body(..., embed=True),
    db: Session = D(get_db),
    current_user: models.User = D(get_current_active_user),
):
    post = db.get(models.Post, post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    if post.author_id != current_user.id:
        raise HTTPException(status_code=403, detail="Not the post owner")

    # The payment provider rate-limits hard; retry with a small backoff.
    for attempt in range(3):
        resp = requests.post(
            PAYMENTS_URL,
            json={"amount": FEATURE_PRICE_CENTS, "currency": "usd", "customer": current_user.email},
            headers={"Authorization": f"Bearer {PAYMENTS_API_KEY}"},
            timeout=10,
        )
        if resp.status_code != 429:
            break
        time.sleep(2 ** attempt)
    resp.raise_for_status()

    post.featured = True
    db.commit()

    if notify_subscribers:
        async with httpx.AsyncClient(timeout=5) as client:
            await client.post(get_settings().WEBHOOK_URL, json={"post_id": post.id, "title": post.title})
    return {"status": "featured", "post_id": post.id, "charge_id": resp.json().get("id")}


@router.delete("/{post_id}", status_code=204)
def delete_post(
    post_id: int,
    db: Session = D(get_db),  # noqa: FAST002
    current_user: models.User = D(get_current_active_user),
):
    post = post_crud.get_post(db, post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    if post.author_id != current_user.id:
        raise HTTPException(status_code=403, detail="Not the post owner")
    post_crud.delete_post(db, post)
