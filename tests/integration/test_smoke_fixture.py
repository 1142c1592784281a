def test_each_test_gets_an_empty_migrated_database(engine):
    from sqlalchemy import text

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM families")).scalar() == 0
