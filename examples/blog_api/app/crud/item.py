from typing import List, Optional

from sqlalchemy.orm import Session

from app.models.item import Item


def get_item(db: Session, item_id: int) -> Optional[Item]:
    return db.query(Item).filter(Item.id == item_id).first()


def get_items_by_owner(db: Session, owner_id: int, skip: int = 0, limit: int = 100) -> List[Item]:
    return (
        db.query(Item)
        .filter(Item.owner_id == owner_id)
        .order_by(Item.id)
        .offset(skip)
        .limit(limit)
        .all()
    )


def set_preview_title(db: Session, item: Item, title: Optional[str]) -> Item:
    item.preview_title = (title or "")[:300] or None
    db.commit()
    db.refresh(item)
    return item
