"""Database access for users."""
from __future__ import annotations

from typing import List, Optional

from sqlalchemy.orm import Session

from app import models, schemas
from app.security import hash_password, verify_password


def get_user(db: Session, user_id: int) -> Optional[models.User]:
    return db.query(models.User).filter(models.User.id == user_id).first()


def get_user_by_email(db: Session, email: str) -> Optional[models.User]:
    return db.query(models.User).filter(models.User.email == email.lower()).first()


def get_users(db: Session, skip: int = 0, limit: int = 100, email: Optional[str] = None) -> List[models.User]:
    query = db.query(models.User)
    if email:
        query = query.filter(models.User.email == email.lower())
    return query.order_by(models.User.id).offset(skip).limit(limit).all()


def create_user(db: Session, data: schemas.User) -> models.User:
    if not data.password:
        raise ValueError("password is required")
    user = models.User(
        email=data.email.lower(),
        full_name=data.full_name,
        hashed_password=hash_password(data.password),
        is_active=True,
        is_superuser=False,
    )
    db.add(user)
    db.commit()
    db.refresh(user)
    return user


def update_user(db: Session, user: models.User, data: schemas.User) -> models.User:
    changes = data.model_dump(exclude_unset=True, exclude={"id", "hashed_password", "is_superuser"})
    for field, value in changes.items():
        if field == "password":
            if value:
                user.hashed_password = hash_password(value)
        else:
            setattr(user, field, value)
    db.commit()
    db.refresh(user)
    return user


def authenticate(db: Session, email: str, password: str) -> Optional[models.User]:
    user = get_user_by_email(db, email)
    if user is None or not verify_password(password, user.hashed_password):
        return None
    return user
