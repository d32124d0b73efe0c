from fastapi import FastAPI

from app.routers import items, orders, search

app = FastAPI()
app.include_router(items.router)
app.include_router(orders.router)
app.include_router(search.router)
