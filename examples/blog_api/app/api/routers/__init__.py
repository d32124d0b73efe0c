"""API routers, one module per resource."""
from fastapi import APIRouter

# Created here rather than in admin.py so that plugins can register admin
# endpoints without importing the core admin module.
admin_router = APIRouter(prefix="/admin", tags=["admin"])
