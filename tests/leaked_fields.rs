//! A real FastAPI app with a SQLAlchemy `User` that holds `hashed_password`,
//! before and after `apply --select response-model --unsafe`: the routes
//! that returned the ORM object sent the hash to clients; afterwards they
//! send `UserRead`, and sign-up still works.
//!
//! It needs Python with `fastapi`, `httpx` and `sqlalchemy`; see
//! `common::python_with_fastapi`.

mod common;

const MODELS: &str = r#"
from sqlalchemy import String, create_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

engine = create_engine(
    "sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool
)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    hashed_password: Mapped[str]


Base.metadata.create_all(engine)


def get_db():
    with Session(engine) as session:
        yield session
"#;

const SCHEMAS: &str = r#"
from pydantic import BaseModel, ConfigDict


class UserCreate(BaseModel):
    email: str
    password: str


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
"#;

const ROUTES: &str = r#"
from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import User, get_db
from app.schemas import UserCreate

router = APIRouter(prefix="/users")


@router.post("/", status_code=201)
def sign_up(data: UserCreate, db: Session = Depends(get_db)):
    user = User(email=data.email, hashed_password="hashed:" + data.password)
    db.add(user)
    db.commit()
    db.refresh(user)
    return user


@router.get("/{user_id}")
def read_user(user_id: int, db: Session = Depends(get_db)):
    return db.get(User, user_id)


@router.get("/")
def list_users(db: Session = Depends(get_db)):
    return db.scalars(select(User)).all()
"#;

const MAIN: &str = r#"
from fastapi import FastAPI

from app.routes import router

app = FastAPI()
app.include_router(router)
"#;

/// Signs up, reads the user and lists users; prints each status and body
/// (keys sorted).
const PROBE: &str = r#"
import json
import sys

from fastapi.testclient import TestClient

sys.path.insert(0, sys.argv[1])
from app.main import app

client = TestClient(app)
created = client.post("/users/", json={"email": "ada@example.com", "password": "s3cret!"})
print(created.status_code, json.dumps(created.json(), sort_keys=True))
read = client.get(f"/users/{created.json()['id']}")
print(read.status_code, json.dumps(read.json(), sort_keys=True))
listed = client.get("/users/")
print(listed.status_code, json.dumps(listed.json(), sort_keys=True))
"#;

#[test]
fn hashed_password_leaves_the_responses_after_apply() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    let app = directory.path().join("src/app");
    std::fs::create_dir_all(&app).unwrap();
    for (name, contents) in [
        ("__init__.py", ""),
        ("models.py", MODELS),
        ("schemas.py", SCHEMAS),
        ("routes.py", ROUTES),
        ("main.py", MAIN),
    ] {
        std::fs::write(app.join(name), contents).unwrap();
    }

    let user = r#"{"email": "ada@example.com", "hashed_password": "hashed:s3cret!", "id": 1}"#;
    assert_eq!(
        common::run_probe(&python, directory.path(), PROBE),
        format!("201 {user}\n200 {user}\n200 [{user}]\n"),
        "before apply, every route leaks the hash"
    );

    common::apply_to_src(
        directory.path(),
        &["--select", "response-model", "--unsafe"],
    );
    let routes = std::fs::read_to_string(app.join("routes.py")).unwrap();
    assert!(
        routes.contains("from app.schemas import UserCreate, UserRead\n"),
        "{routes}"
    );
    assert!(
        routes.contains(r#"@router.post("/", status_code=201, response_model=UserRead)"#),
        "{routes}"
    );
    assert!(
        routes.contains(r#"@router.get("/", response_model=list[UserRead])"#),
        "{routes}"
    );

    let public = r#"{"email": "ada@example.com", "id": 1}"#;
    assert_eq!(
        common::run_probe(&python, directory.path(), PROBE),
        format!("201 {public}\n200 {public}\n200 [{public}]\n"),
        "after apply, no route sends the hash and sign-up still accepts a password"
    );
}

const ONE_MODEL_APP: &str = r#"
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

app = FastAPI()


class User(BaseModel):
    """Sign-up, profile and responses alike."""

    id: int | None = None
    email: str
    password: str | None = None
    hashed_password: str | None = None


USERS: dict[int, User] = {}


@app.post("/users", response_model=User, status_code=201)
def sign_up(user: User):
    stored = User(
        id=len(USERS) + 1,
        email=user.email,
        hashed_password="hashed:" + (user.password or ""),
    )
    USERS[stored.id] = stored
    return stored


@app.get("/users/{user_id}", response_model=User)
def read_user(user_id: int):
    if user_id not in USERS:
        raise HTTPException(status_code=404)
    return USERS[user_id]


@app.get("/users", response_model=list[User])
def list_users():
    return list(USERS.values())
"#;

/// Signs up (trying to set the hash too), reads and lists; prints each
/// status and body (keys sorted, `null`s dropped).
const ONE_MODEL_PROBE: &str = r#"
import json
import sys

from fastapi.testclient import TestClient

sys.path.insert(0, sys.argv[1])
from users import app

def show(response):
    body = response.json()
    strip = lambda item: {k: v for k, v in item.items() if v is not None}
    body = [strip(item) for item in body] if isinstance(body, list) else strip(body)
    print(response.status_code, json.dumps(body, sort_keys=True))

client = TestClient(app)
show(client.post("/users", json={"email": "ada@example.com", "password": "s3cret!", "hashed_password": "forged"}))
show(client.get("/users/1"))
show(client.get("/users"))
"#;

#[test]
fn one_model_for_everything_is_split_and_stops_leaking() {
    let python = common::python_with_fastapi();
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(directory.path().join("src")).unwrap();
    let path = directory.path().join("src/users.py");
    std::fs::write(&path, ONE_MODEL_APP).unwrap();

    let leaked = r#"{"email": "ada@example.com", "hashed_password": "hashed:s3cret!", "id": 1}"#;
    assert_eq!(
        common::run_probe(&python, directory.path(), ONE_MODEL_PROBE),
        format!("201 {leaked}\n200 {leaked}\n200 [{leaked}]\n"),
        "before apply, every response carries the hash"
    );

    common::apply_to_src(directory.path(), &["--select", "split-schemas", "--unsafe"]);
    let rewritten = std::fs::read_to_string(&path).unwrap();
    assert!(
        rewritten.contains("def sign_up(user: UserCreate):"),
        "{rewritten}"
    );
    assert!(
        rewritten.contains(r#"@app.get("/users/{user_id}", response_model=UserRead)"#),
        "{rewritten}"
    );
    assert!(rewritten.contains("User = UserInDB"), "{rewritten}");

    let public = r#"{"email": "ada@example.com", "id": 1}"#;
    assert_eq!(
        common::run_probe(&python, directory.path(), ONE_MODEL_PROBE),
        format!("201 {public}\n200 {public}\n200 [{public}]\n"),
        "after apply, no response carries the hash and sign-up still takes a password"
    );
}
