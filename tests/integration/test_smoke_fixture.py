def test_each_test_gets_an_empty_migrated_database(engine, owner_engine):
    from sqlalchemy import text

    with owner_engine.connect() as conn:  # every family's rows: the app's engine would see none unscoped
        assert conn.execute(text("SELECT count(*) FROM families")).scalar() == 0
