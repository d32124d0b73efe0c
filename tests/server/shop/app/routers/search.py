from fastapi import APIRouter, Query

from app.deps import Database

router = APIRouter(prefix="/search")


@router.get("/")
def list_items(
    q: str = Query(None, max_length=50),  # what the name contains
    limit: int = Query(10, ge=1),
) -> list[dict]:
    return Database().search(q)[:limit]
