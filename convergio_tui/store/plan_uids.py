"""Migration step: names that cannot collide across databases, and projects identified
by their path (docs/worktrees.md)."""

from __future__ import annotations

import peewee as pw

from convergio_tui.store import models as m

_PRIVACY_RANK = {"public": 0, "internal": 1, "sensitive": 2}


def _merge_projects_by_path(database: pw.SqliteDatabase) -> None:
    """Rows that share a path are one project: keep the oldest, give it the strictest
    privacy and the intersection of the allow-lists, move the others' plans to it."""
    rows = database.execute_sql(
        "SELECT id, path, privacy, allowed_providers FROM project ORDER BY id"
    ).fetchall()
    groups: dict[str, list[tuple[int, str, str | None]]] = {}
    for pid, path, privacy, allowed in rows:
        groups.setdefault(path, []).append((pid, privacy, allowed))
    for group in (g for g in groups.values() if len(g) > 1):
        keep = group[0][0]
        # An unknown level counts as sensitive: merging must never loosen anything.
        privacy = max((p for _, p, _ in group), key=lambda p: _PRIVACY_RANK.get(p, 2))
        lists = [set(m.JSONField().python_value(a)) for _, _, a in group if a is not None]
        allowed = sorted(set.intersection(*lists)) if lists else None
        database.execute_sql(
            "UPDATE project SET privacy = ?, allowed_providers = ? WHERE id = ?",
            (privacy, m.JSONField().db_value(allowed), keep),
        )
        for pid, _, _ in group[1:]:
            database.execute_sql("UPDATE plan SET project_id = ? WHERE project_id = ?", (keep, pid))
            database.execute_sql("DELETE FROM project WHERE id = ?", (pid,))


def plan_uids_and_identity(database: pw.SqliteDatabase) -> None:
    """Names that cannot collide across databases (see docs/worktrees.md).

    A database identity (``meta.database_id``); a unique ``plan.uid`` naming the plan's
    branches and worktrees: a plan that already named any (a recorded wave or task branch
    or worktree) keeps its id as its uid, so ``convergio/<id>/...`` stays its name; any
    other plan gets a random one. ``plan.privacy`` (the spec's plan-level privacy). A
    project is identified by its path: unique by path, no longer by name.
    """
    database.execute_sql(
        'CREATE TABLE IF NOT EXISTS "meta" ("key" VARCHAR(255) NOT NULL PRIMARY KEY, '
        '"value" TEXT NOT NULL)'
    )
    database.execute_sql(
        "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
        (m.DATABASE_ID_KEY, m.new_uid(16)),
    )
    existing = {c.name for c in database.get_columns("plan")}
    for column in ("uid", "privacy"):
        if column not in existing:
            database.execute_sql(f'ALTER TABLE "plan" ADD COLUMN "{column}" VARCHAR(255)')
    named = {
        row[0]
        for row in database.execute_sql(
            "SELECT plan_id FROM wave WHERE branch IS NOT NULL UNION "
            "SELECT plan_id FROM task WHERE branch IS NOT NULL OR worktree IS NOT NULL"
        ).fetchall()
    }
    for (plan_id,) in database.execute_sql("SELECT id FROM plan WHERE uid IS NULL").fetchall():
        uid = str(plan_id) if plan_id in named else m.new_uid()
        database.execute_sql("UPDATE plan SET uid = ? WHERE id = ?", (uid, plan_id))
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "plan_uid" ON "plan" ("uid")')
    _merge_projects_by_path(database)
    database.execute_sql('DROP INDEX IF EXISTS "project_name"')
    database.execute_sql('CREATE UNIQUE INDEX IF NOT EXISTS "project_path" ON "project" ("path")')
