import os
import subprocess

import fastapi as f
import httpx
from fastapi import Cookie, File, Form, HTTPException, Security, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app import crud
from app.api import deps
from app.config import get_settings
from app.models.item import Item
from app.schemas.item import ItemCreate, ItemOut

router = f.APIRouter()

LEGACY_CLIENT_TOKEN = "mob-2019-4c1f8e2a9b7d"


async def verify_token(x_token: str = f.Header(None, alias="X-Token")):
    # Old mobile clients still send a static token instead of a bearer token.
    if x_token is not None and x_token != LEGACY_CLIENT_TOKEN:
        raise HTTPException(status_code=400, detail="X-Token header invalid")


@router.get("/", response_model=list[ItemOut], dependencies=[f.Depends(verify_token)])
async def list_items(
    owner_id: int | None = None,
    db: Session = f.Depends(deps.get_db),
    current_user=Security(deps.get_current_user, scopes=["items:read"]),
):
    owner = owner_id if owner_id is not None else current_user.id
    return db.query(Item).filter(Item.owner_id == owner).all()


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_item(
    name: str = Form(...),
    url: str = Form(...),
    description: str | None = Form(None),
    image: UploadFile = File(...),
    db: Session = f.Depends(deps.get_db),
    current_user=f.Depends(deps.get_current_active_user),
):
    item_in = ItemCreate(name=name, url=url, description=description)
    contents = await image.read()
    path = os.path.join(get_settings().UPLOAD_DIR, f"{current_user.id}-{image.filename}")
    try:
        with open(path, "wb") as fh:
            fh.write(contents)
    except OSError as e:
        raise HTTPException(status_code=500, detail=str(e))
    item = Item(**item_in.model_dump(), image_path=path, owner_id=current_user.id)
    db.add(item)
    db.commit()
    db.refresh(item)
    return item


@router.get("/{item_id}", response_model=ItemOut)
def read_item(item_id: int, db: Session = f.Depends(deps.get_db)):
    item = crud.item.get_item(db, item_id)
    if item is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item


@router.post("/{item_id}/thumbnail")
async def make_thumbnail(item_id: int, visitor_id: str | None = Cookie(None), db: Session = f.Depends(deps.get_db)):
    item = crud.item.get_item(db, item_id)
    if item is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    if not item.image_path:
        raise HTTPException(status_code=409, detail="Item has no image")
    thumb_path = f"{item.image_path}.thumb.jpg"
    # ImageMagick ships in the container image
    subprocess.run(
        ["convert", item.image_path, "-resize", "256x256", thumb_path],
        check=True,
        capture_output=True,
    )
    item.thumbnail_path = thumb_path
    db.commit()
    return {"item_id": item.id, "thumbnail": thumb_path, "requested_by": visitor_id}


@router.post("/{item_id}/preview", response_model=ItemOut)
async def refresh_preview(item_id: int, db: Session = f.Depends(deps.get_db)):
    item = await run_in_threadpool(crud.item.get_item, db, item_id)
    if item is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Item not found")
    with httpx.Client(timeout=5, follow_redirects=True) as client:
        page = client.get(item.url)
    title = None
    if "<title>" in page.text:
        title = page.text.split("<title>", 1)[1].split("</title>", 1)[0].strip()
    return await run_in_threadpool(crud.item.set_preview_title, db, item, title)
