'''Admin-only maintenance endpoints.'''
import os
import shlex
import time

from fastapi import Depends, HTTPException, params
from sqlalchemy import text
from sqlalchemy.orm import Session

from app import config, models
from app.api import deps
from app.api.routers import admin_router as router

ADMIN_ONLY: list[params.Depends] = [Depends(deps.get_current_active_superuser)]

BACKUP_DIR = '/backups'


@router.get('/ping', response_model=dict[str, str])
async def ping(admin: deps.SuperUser) -> dict[str, str]:
    return {'status': 'ok', 'admin': admin.email}


@router.post('/backup', dependencies=ADMIN_ONLY)
async def backup_database(settings: config.Settings = params.Depends(config.get_settings)):
    target = os.path.join(BACKUP_DIR, f'blog-{int(time.time())}.sql')
    # pg_dump is available in the API container; it writes to the shared volume
    exit_code = os.system(f'pg_dump {shlex.quote(settings.DATABASE_URL)} > {target}')
    return {'file': target, 'exit_code': exit_code}


@router.post('/reindex')
async def reindex_search(
    db: Session = Depends(deps.get_db),
    admin: models.User = Depends(deps.get_current_active_superuser),
):
    db.execute(text('REINDEX TABLE posts'))
    db.commit()
    time.sleep(5)  # give the read replicas a moment to catch up
    return {'reindexed': True, 'by': admin.email}


@router.post('/users/{user_id}/deactivate')
def deactivate_user(
    user_id: int,
    db: Session = Depends(deps.get_db),
    admin: models.User = Depends(deps.get_current_active_superuser),
):
    user = db.get(models.User, user_id)
    if user is None:
        raise HTTPException(status_code=404, detail='User not found')
    if user.id == admin.id:
        raise HTTPException(status_code=400, detail='Admins cannot deactivate themselves')
    user.is_active = False
    db.commit()
    db.refresh(user)
    return user
