from actions.helpers import (
    clean_first_name,
    find_reference,
    parse_choice,
    parse_service,
    says_no_phone,
    yes_or_no,
)


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


def test_ordinals_pick_from_the_list_in_nine_languages() -> None:
    """Issue 9: "le premier", "the first one", "الأول" were refused as "not in the list"."""
    cases = {"le premier": 1, "la deuxième svp": 2, "the first one": 1, "the last one": 5, "de tweede": 2,
             "el tercero": 3, "die zweite bitte": 2, "первый": 1, "второе": 2, "последний": 5, "ikincisi": 2,
             "ilk": 1, "il secondo": 2, "l'ultimo": 5, "الأول": 1, "الثاني": 2, "الأخير": 5, "2": 2, "n°3": 3}
    for text, want in cases.items():
        assert parse_choice(text, 5) == want, text
    assert parse_choice("the fifth", 3) is None          # not in a list of three
    assert parse_choice("my first appointment was cancelled yesterday", 5) is None  # a sentence
    assert parse_choice("first or second", 5) is None    # two different ones
    assert parse_choice("6", 5) is None


def test_no_phone_is_understood_in_nine_languages_and_a_number_never_is() -> None:
    """Issue 9: "j'ai pas de téléphone" looped on "write a phone number"."""
    for text in ("j'ai pas de téléphone", "sans numéro", "ik heb geen gsm", "I don't have a phone", "no phone",
                 "no tengo teléfono", "ich habe kein Handy", "нет телефона", "у меня нет номера", "telefonum yok",
                 "non ho il telefono", "ليس عندي هاتف", "ماعنديش تلفون"):
        assert says_no_phone(text), text
    for text in ("0470 12 34 56", "my phone is +32 470 12 34 56", "Amina", "non", "phone"):
        assert not says_no_phone(text), text


def test_yes_or_no_reads_the_numbered_answer_and_one_word() -> None:
    assert [yes_or_no(t) for t in ("1", "2.", "oui", "Non!", "evet", "hayır", "نعم", "لا", "да", "nee")] == [
        "yes", "no", "yes", "no", "yes", "no", "yes", "no", "yes", "no"]
    assert yes_or_no("3") is None and yes_or_no("yes please") is None and yes_or_no("") is None
