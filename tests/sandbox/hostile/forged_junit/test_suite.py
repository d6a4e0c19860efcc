def test_ok():
    assert 1 + 1 == 2


def test_bad():
    raise AssertionError("this one fails honestly")
