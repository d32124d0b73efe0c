from typing import Annotated

from fastapi import APIRouter, Depends

from app.deps import Database, get_db, get_token

router = APIRouter(prefix="/orders")


@router.post("/{item_id}")
def order_item(
    item_id: int,
    db: Annotated[Database, Depends(get_db)],
    token: Annotated[str, Depends(get_token)],
) -> dict:
    return {"ordered": db.fetch(item_id), "by": token}
