from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from app.deps import Database, get_db

router = APIRouter(prefix="/items")


@router.get("/{item_id}")
def read_item(item_id: int, db: Annotated[Database, Depends(get_db)]) -> dict:
    item = db.fetch(item_id)
    if item is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return item

