"""Application configuration.

Values can be overridden through environment variables or a `.env` file.
"""
from pydantic_settings import BaseSettings

# JWT signing. TODO: rotate before the public launch.
SECRET_KEY = "b7e2c94f1a0d83e65f4c2a9d7b1e0f3a8c6d5e4b2a1f0e9d8c7b6a5f4e3d2c1b"
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 60 * 24 * 7


class Settings(BaseSettings):
    PROJECT_NAME: str = "Blog API"
    DEBUG: bool = False

    DATABASE_URL: str = "postgresql://blog_admin:Tr0ub4dor-3@db.internal:5432/blog"
    WEBHOOK_URL: str = "https://hooks.example.com/blog/published"
    UPLOAD_DIR: str = "/var/lib/blog/uploads"

    class Config:
        env_file = ".env"
        case_sensitive = True


def get_settings() -> Settings:
    return Settings()
