from actions.helpers import clean_first_name, find_reference, parse_choice, parse_service


def test_choice_accepts_plain_and_decorated_numbers_within_the_list() -> None:
    assert parse_choice("2", 5) == 2
    assert parse_choice(" 3. ", 5) == 3
    assert parse_choice("n°4", 5) == 4
    assert parse_choice("6", 5) is None
    assert parse_choice("vendredi", 5) is None


def test_service_in_several_languages() -> None:
    assert parse_service("1") == "social"
    assert parse_service("2") == "legal"
    assert parse_service("la permanence juridique") == "legal"
    assert parse_service("avocat svp") == "legal"
    assert parse_service("sociaal") == "social"
    assert parse_service("юрист") == "legal"
    assert parse_service("محامي") == "legal"
    assert parse_service("Hukuk") == "legal"
    assert parse_service("banana") is None


def test_reference_is_found_in_a_sentence() -> None:
    assert find_reference("annuler K7P2QX svp") == "K7P2QX"
    assert find_reference("cancel k7p2qx") == "K7P2QX"
    assert find_reference("cancel my appointment") is None  # words are not references


def test_first_name_or_initials_only() -> None:
    assert clean_first_name("Ahmed") == "Ahmed"
    assert clean_first_name("M.K.") == "M.K."
    assert clean_first_name("Olena") == "Olena"
    assert clean_first_name("0470123456") is None
