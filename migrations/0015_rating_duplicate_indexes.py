"""Two indexes on rating duplicated the leading column of others: (case_id) of the unique
(case_id, sequence), (department_id) of (department_id, created_at). Every rating paid
for both on insert; lookups and foreign-key checks use the composite ones."""


def up(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "rating_case_id"')
    db.execute_sql('DROP INDEX IF EXISTS "rating_department_id"')


def down(migrator, db):
    db.execute_sql('CREATE INDEX IF NOT EXISTS "rating_case_id" ON "rating" ("case_id")')
    db.execute_sql('CREATE INDEX IF NOT EXISTS "rating_department_id" ON "rating" ("department_id")')
