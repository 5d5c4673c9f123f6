def test_import():
    import bot.rating
