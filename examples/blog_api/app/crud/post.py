from sqlalchemy import or_
from sqlalchemy.orm import Session

from app.models.post import Post
from app.schemas.post import PostCreate, PostUpdate


def get_post(db: Session, post_id: int) -> Post | None:
    return db.get(Post, post_id)


def get_posts(
    db: Session,
    *,
    q: str | None = None,
    published: bool | None = None,
    skip: int = 0,
    limit: int = 100,
) -> list[Post]:
    query = db.query(Post)
    if q:
        pattern = f"%{q}%"
        query = query.filter(or_(Post.title.ilike(pattern), Post.body.ilike(pattern)))
    if published is not None:
        query = query.filter(Post.published == published)
    return query.order_by(Post.created_at.desc()).offset(skip).limit(limit).all()


def get_posts_by_author(db: Session, author_id: int, q: str | None = None) -> list[Post]:
    query = db.query(Post).filter(Post.author_id == author_id)
    if q:
        query = query.filter(Post.title.ilike(f"%{q}%"))
    return query.all()


def create_post(db: Session, data: PostCreate, author_id: int) -> Post:
    post = Post(**data.model_dump(), author_id=author_id)
    db.add(post)
    db.commit()
    db.refresh(post)
    return post


def update_post(db: Session, post: Post, data: PostUpdate) -> Post:
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(post, field, value)
    db.commit()
    db.refresh(post)
    return post


def delete_post(db: Session, post: Post) -> None:
    db.delete(post)
    db.commit()
