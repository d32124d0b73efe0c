from app import models


def _make_post(db, author_id, **overrides):
    post = models.Post(
        title=overrides.get("title", "Hello"),
        body=overrides.get("body", "First post"),
        published=overrides.get("published", True),
        author_id=author_id,
    )
    db.add(post)
    db.commit()
    db.refresh(post)
    return post


def test_create_post(auth_client, user):
    response = auth_client.post("/posts/", json={"title": "Test", "body": "Content"})
    assert response.status_code == 201
    data = response.json()
    assert data["title"] == "Test"
    assert data["author_id"] == user.id


def test_list_posts_filters_by_query(client, db, user):
    _make_post(db, user.id, title="FastAPI tips")
    _make_post(db, user.id, title="Gardening")
    response = client.get("/posts/", params={"q": "fastapi"})
    assert response.status_code == 200
    assert [p["title"] for p in response.json()] == ["FastAPI tips"]


def test_read_missing_post(client):
    response = client.get("/posts/12345")
    assert response.status_code == 404
    assert response.json() == {"detail": "Post not found"}


def test_cannot_delete_someone_elses_post(auth_client, db, user):
    other = models.User(email="mallory@example.com", hashed_password="x$y")
    db.add(other)
    db.commit()
    post = _make_post(db, other.id)
    response = auth_client.delete(f"/posts/{post.id}")
    assert response.status_code == 403
