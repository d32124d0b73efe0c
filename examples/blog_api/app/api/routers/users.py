"""User accounts: signup, login and profiles."""
from typing import Annotated, List, Optional

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from app import crud, models, schemas
from app.api import deps
from app.crud.item import get_items_by_owner
from app.security import create_access_token

router = APIRouter()


@router.post("/signup", status_code=status.HTTP_201_CREATED)
def signup(user_in: schemas.User, db: Session = Depends(deps.get_db)):
    if crud.user.get_user_by_email(db, email=user_in.email):
        raise HTTPException(status_code=400, detail="Email already registered")
    user = crud.user.create_user(db, data=user_in)
    return user


@router.post("/login", response_model=schemas.Token)
def login(
    form_data: OAuth2PasswordRequestForm = Depends(),
    db: Session = Depends(deps.get_db),
):
    user = crud.user.authenticate(db, form_data.username, form_data.password)
    if not user:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Incorrect email or password",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return {"access_token": create_access_token(user.id), "token_type": "bearer"}


@router.get("/me", response_model=schemas.User)
def read_me(current_user: models.User = Depends(deps.get_current_active_user)):
    return current_user


@router.put("/me")
def update_me(
    user_in: schemas.User,
    db: Session = Depends(deps.get_db),
    current_user: models.User = Depends(deps.get_current_active_user),
):
    return crud.user.update_user(db, current_user, user_in)


@router.get("/", response_model=List[schemas.User])
def list_users(
    email: Optional[str] = Query(None, description="Exact e-mail address to look for"),
    pagination: deps.Pagination = Depends(),
    db: Session = Depends(deps.get_db),
    current_user: models.User = Depends(deps.get_current_active_superuser),
):
    return crud.user.get_users(db, skip=pagination.skip, limit=pagination.limit, email=email)


@router.get("/{user_id}")
def read_user(user_id: int, db: Session = Depends(deps.get_db), current_user: models.User = Depends(deps.get_current_active_user)):
    user = crud.user.get_user(db, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail="User not found")
    return user


@router.get("/{user_id}/items", response_model=List[schemas.ItemOut])
def read_user_items(
    user_id: int,
    db: Annotated[Session, Depends(deps.get_db)],
    current_user: Annotated[models.User, Depends(deps.get_current_active_user)],
    skip: int = 0,
    limit: int = 50,
):
    return get_items_by_owner(db, owner_id=user_id, skip=skip, limit=limit)
