"""Two partial indexes of ratings by time, for the month's analyses: the ratings of level 3
and below (the problem analysis reads their labels and comments, about an eighth of a
month's ratings) and the system default ratings (主动评价好评率 and 未评率 leave them out;
none exist unless ratings.default_rating_days is set)."""


def up(migrator, db):
    db.execute_sql('CREATE INDEX IF NOT EXISTS "rating_low_created_at" ON "rating" ("created_at") WHERE "level" <= 3')
    db.execute_sql(
        'CREATE INDEX IF NOT EXISTS "rating_default_created_at" ON "rating" ("created_at") '
        "WHERE \"channel\" = 'default'"
    )


def down(migrator, db):
    db.execute_sql('DROP INDEX IF EXISTS "rating_low_created_at"')
    db.execute_sql('DROP INDEX IF EXISTS "rating_default_created_at"')
