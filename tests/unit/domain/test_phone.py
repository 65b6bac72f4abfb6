from __future__ import annotations

import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from returns.result import Success

from wa_crm.domain.model.errors import InvalidChatId, InvalidPhone
from wa_crm.domain.model.phone import ChatId, ChatKind, Phone

CANONICAL = "+5511999998888"
LEGACY = "+551199998888"


def parsed(text: str, region: str = "BR") -> Phone:
    result = Phone.parse(text, region)
    phone = result.value_or(None)
    assert phone is not None, result
    return phone


def parse_error(text: str, region: str = "BR") -> InvalidPhone:
    result = Phone.parse(text, region)
    error = result.swap().value_or(None)
    assert isinstance(error, InvalidPhone), result
    return error


def chat(raw: str) -> ChatId:
    result = ChatId.parse(raw)
    chat_id = result.value_or(None)
    assert chat_id is not None, result
    return chat_id


def chat_error(raw: str) -> InvalidChatId:
    result = ChatId.parse(raw)
    error = result.swap().value_or(None)
    assert isinstance(error, InvalidChatId), result
    return error


def is_valid(e164: str) -> bool:
    return bool(phonenumbers.is_valid_number(phonenumbers.parse(e164)))


# Written independently of the implementation: Brazil's area codes (DDD) per Anatel.
VALID_DDDS = [
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 24, 27, 28, 31, 32, 33, 34, 35, 37, 38, 41, 42,
    43, 44, 45, 46, 47, 48, 49, 51, 53, 54, 55, 61, 62, 63, 64, 65, 66, 67, 68, 69, 71, 73, 74,
    75, 77, 79, 81, 82, 83, 84, 85, 86, 87, 88, 89, 91, 92, 93, 94, 95, 96, 97, 98, 99,
]  # fmt: skip
# What a phone keyboard in CJK mode types: U+FF0B, U+FF10..U+FF19.
FULL_WIDTH = str.maketrans({char: chr(ord(char) + 0xFEE0) for char in "+0123456789"})

EXAMPLE_NUMBERS = sorted(
    phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    for region in phonenumbers.SUPPORTED_REGIONS
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    if (number := phonenumbers.example_number_for_type(region, kind)) is not None
    and phonenumbers.is_valid_number(number)
)


# --- Phone: examples -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "+55 (11) 99999-8888",
        "5511999998888",
        "+5511999998888",
        "011 99999 8888",
        "(11) 99999-8888",
        "11 9 9999-8888",
        "0 15 11 99999 8888",  # carrier selection code
        "+55.11.99999.8888",
        "+55 11 99999 8888".translate(FULL_WIDTH),
    ],
)
def test_parse_normalizes_usual_writings(text: str) -> None:
    assert parsed(text).e164 == CANONICAL


@pytest.mark.parametrize("text", ["+55 11 9999-8888", "551199998888", "(11) 9999-8888"])
def test_legacy_brazilian_mobile_gets_the_ninth_digit(text: str) -> None:
    assert parsed(text) == parsed(CANONICAL)


def test_legacy_mobile_that_phonenumbers_calls_valid_still_gets_the_ninth_digit() -> None:
    # phonenumbers accepts 8-digit numbers starting with 7 as mobiles (old trunked radio ranges).
    assert phonenumbers.is_valid_number(phonenumbers.parse("+551179998888"))
    assert parsed("+55 11 7999-8888").e164 == "+5511979998888"


@pytest.mark.parametrize("text", ["+55 11 3333-4444", "+55 11 2345-6789", "+55 21 5555-1234"])
def test_brazilian_landlines_do_not_get_a_nine(text: str) -> None:
    phone = parsed(text)
    assert phone.e164 == "+55" + re.sub(r"\D", "", text)[2:]
    assert phone.variants() == (phone.e164,)


def test_other_countries() -> None:
    assert parsed("+1 650 253 0000").e164 == "+16502530000"
    assert parsed("(650) 253-0000", "US").e164 == "+16502530000"
    assert parsed("+44 20 7946 0958").e164 == "+442079460958"
    assert parsed("+351 912 345 678").variants() == ("+351912345678",)


def test_brazilian_mobile_variants_canonical_first() -> None:
    assert parsed(CANONICAL).variants() == (CANONICAL, LEGACY)
    # Without the 9 this one would read as the landline +55 11 1234-5678 (invalid anyway).
    assert parsed("+55 11 91234-5678").variants() == ("+5511912345678",)


def test_region_is_case_insensitive() -> None:
    assert parsed("(11) 99999-8888", "br").e164 == CANONICAL


def test_digits_chat_id_and_str() -> None:
    phone = parsed(CANONICAL)
    assert phone.digits == "5511999998888"
    assert phone.chat_id() == "5511999998888@c.us"
    assert str(phone) == CANONICAL


def test_masked() -> None:
    assert parsed(CANONICAL).masked() == "+55*******8888"
    assert parsed("+1 650 253 0000").masked() == "+1******0000"
    assert parsed("+683 4002").masked() == "+683**02"  # Niue: a 4-digit number shows only half


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("abc", "letters"),
        ("call me", "letters"),
        ("(11) 99999-8888 (cel)", "letters"),  # phonenumbers would read letters as keypad digits
        ("55 11 99999 8888 ext. 2", "letters"),
        ("12", "too short"),
        ("+55 11 99999 88889", "too long"),
        ("+99 123", "country code"),
        ("+55 20 99999 8888", "not a valid number"),  # no area code 20
        ("+55 11 1999-8888", "not a valid number"),
        ("99998888", "not a valid number"),  # no area code
        ("-- ..", "does not look like a phone number"),
    ],
)
def test_parse_rejects(text: str, problem: str) -> None:
    assert problem in parse_error(text).message


@pytest.mark.parametrize(
    "text", ["+55 11 99999 888877", "+55 20 99999 8888", "5511999998888123456", "+99 12345678"]
)
def test_errors_echo_at_most_the_last_four_digits(text: str) -> None:
    error = parse_error(text)
    assert not re.search(r"\d{5}", error.message)
    assert re.sub(r"\D", "", text)[-4:] in error.message


# --- Phone: properties ---------------------------------------------------------------------

br_subscriber_tail = st.text(alphabet="0123456789", min_size=7, max_size=7)


@settings(deadline=None)
@given(st.sampled_from(EXAMPLE_NUMBERS), st.integers(0, 9999))
def test_normalization_is_idempotent_across_countries(example: str, last_digits: int) -> None:
    written = f"{example[:-4]}{last_digits:04d}"
    e164 = phonenumbers.format_number(
        phonenumbers.parse(written), phonenumbers.PhoneNumberFormat.E164
    )
    if not is_valid(e164):
        return  # changing the last digits left the number plan; nothing to check
    phone = parsed(written, "ZZ")
    assert phone.e164 == e164
    assert Phone.parse(phone.e164) == Success(phone)
    for variant in phone.variants():
        assert Phone.parse(variant) == Success(phone)


@settings(deadline=None)
@given(st.sampled_from(VALID_DDDS), st.sampled_from("6789"), br_subscriber_tail)
def test_brazilian_mobile_with_and_without_nine_is_one_phone(
    ddd: int, first: str, tail: str
) -> None:
    canonical = f"+55{ddd}9{first}{tail}"
    legacy = f"+55{ddd}{first}{tail}"
    phone = parsed(canonical)
    assert phone.e164 == canonical
    assert parsed(legacy) == phone
    assert parsed(f"({ddd}) {first}{tail[:3]}-{tail[3:]}") == phone
    assert parsed(f"0{ddd} 9{first}{tail}") == phone
    assert parsed(canonical[1:]) == phone
    assert phone.variants() == (canonical, legacy)
    assert Phone.parse(phone.e164) == Success(phone)


@settings(deadline=None)
@given(st.sampled_from(VALID_DDDS), st.sampled_from("2345"), br_subscriber_tail)
def test_brazilian_landlines_are_unchanged(ddd: int, first: str, tail: str) -> None:
    e164 = f"+55{ddd}{first}{tail}"
    if not is_valid(e164):
        return  # not every landline range is allocated in every area
    phone = parsed(f"({ddd}) {first}{tail[:3]}-{tail[3:]}")
    assert phone.e164 == e164
    assert phone.variants() == (e164,)
    assert Phone.parse(phone.e164) == Success(phone)


@settings(deadline=None)
@given(st.sampled_from(EXAMPLE_NUMBERS))
def test_masked_shows_country_code_and_at_most_four_trailing_digits(example: str) -> None:
    phone = parsed(example, "ZZ")
    masked = phone.masked()
    country = str(phonenumbers.parse(phone.e164).country_code)
    assert masked.startswith(f"+{country}*")
    assert len(masked) == len(phone.e164)
    shown = re.fullmatch(rf"\+{country}\*+(\d*)", masked)
    assert shown is not None
    assert len(shown[1]) <= 4
    assert phone.e164.endswith(shown[1])


# --- ChatId ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "kind", "user"),
    [
        ("5511999998888@c.us", "5511999998888@c.us", ChatKind.USER, "5511999998888"),
        ("5511999998888@s.whatsapp.net", "5511999998888@c.us", ChatKind.USER, "5511999998888"),
        ("5511999998888:12@s.whatsapp.net", "5511999998888@c.us", ChatKind.USER, "5511999998888"),
        (" 5511999998888@C.US\n", "5511999998888@c.us", ChatKind.USER, "5511999998888"),
        ("123456789012345@lid", "123456789012345@lid", ChatKind.LID, "123456789012345"),
        ("123456789012345:3@LID", "123456789012345@lid", ChatKind.LID, "123456789012345"),
        ("1203630123456789@g.us", "1203630123456789@g.us", ChatKind.GROUP, "1203630123456789"),
        ("5511999998888-1514567890@G.us", "5511999998888-1514567890@g.us", ChatKind.GROUP,
         "5511999998888-1514567890"),
        ("status@broadcast", "status@broadcast", ChatKind.STATUS, "status"),
        ("STATUS@Broadcast", "status@broadcast", ChatKind.STATUS, "status"),
        ("1234567890@broadcast", "1234567890@broadcast", ChatKind.BROADCAST, "1234567890"),
        ("120363025246125486@newsletter", "120363025246125486@newsletter", ChatKind.NEWSLETTER,
         "120363025246125486"),
    ],
)  # fmt: skip
def test_chat_id_parse(raw: str, value: str, kind: ChatKind, user: str) -> None:
    chat_id = chat(raw)
    assert (chat_id.value, chat_id.kind, chat_id.user) == (value, kind, user)
    assert str(chat_id) == value
    assert chat(value) == chat_id


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("", "no '@'"),
        ("   ", "no '@'"),
        ("5511999998888", "no '@'"),
        ("5511999998888@", "unknown server"),
        ("5511999998888@example.com", "unknown server"),
        ("@c.us", "malformed"),
        ("abc@c.us", "malformed"),
        ("55 11@c.us", "malformed"),
        ("+5511999998888@c.us", "malformed"),
        ("5511:ab@s.whatsapp.net", "malformed"),
        ("a@b@c.us", "malformed"),
        ("lid@lid", "malformed"),
        ("group@g.us", "malformed"),
        ("list@broadcast", "malformed"),
        ("status@c.us", "malformed"),
        ("news@newsletter", "malformed"),
    ],
)
def test_chat_id_rejects(raw: str, problem: str) -> None:
    assert problem in chat_error(raw).message


def test_chat_id_errors_do_not_echo_the_number() -> None:
    assert "99998888" not in chat_error("5511999998888@example.com").message
    assert "99998888" not in chat_error("5511999998888x@c.us").message


def test_chat_id_phone() -> None:
    assert chat("5511999998888@c.us").phone == parsed(CANONICAL)
    assert chat("551199998888@s.whatsapp.net").phone == parsed(CANONICAL)  # legacy account
    assert chat("551199998888@c.us").value == "551199998888@c.us"  # replies go to it as-is
    assert chat("123@c.us").phone is None  # not a valid number
    assert chat("5511999998888@lid").phone is None
    assert chat("5511999998888-1514567890@g.us").phone is None


def test_is_direct() -> None:
    assert chat("5511999998888@c.us").is_direct
    assert chat("123456789012345@lid").is_direct
    assert not chat("120363012345678901@g.us").is_direct
    assert not chat("status@broadcast").is_direct
    assert not chat("1234567890@broadcast").is_direct
    assert not chat("120363025246125486@newsletter").is_direct


def test_phone_chat_id_parses_to_its_phone() -> None:
    phone = parsed(CANONICAL)
    assert chat(phone.chat_id()).phone == phone


digits = st.text(alphabet="0123456789", min_size=1, max_size=20)


def mixed_case(text: str) -> st.SearchStrategy[str]:
    return st.tuples(*(st.sampled_from([c.lower(), c.upper()]) for c in text)).map("".join)


raw_chat_ids = st.one_of(
    st.tuples(
        digits,
        st.one_of(st.just(""), digits.map(lambda d: f":{d}")),
        st.sampled_from(["c.us", "s.whatsapp.net", "lid"]).flatmap(mixed_case),
    ).map(lambda t: f"{t[0]}{t[1]}@{t[2]}"),
    st.tuples(digits, st.one_of(st.just(""), digits.map(lambda d: f"-{d}"))).map(
        lambda t: f"{t[0]}{t[1]}@g.us"
    ),
    mixed_case("status@broadcast"),
    digits.map(lambda d: f"{d}@broadcast"),
    digits.map(lambda d: f"{d}@newsletter"),
)


@given(raw_chat_ids, st.sampled_from(["", " ", "\n", "\t "]))
def test_chat_id_round_trips(raw: str, padding: str) -> None:
    chat_id = chat(f"{padding}{raw}{padding}")
    assert chat(chat_id.value) == chat_id
    assert chat(str(chat_id)) == chat_id
    assert chat_id.value == f"{chat_id.user}@{chat_id.value.partition('@')[2]}"
    assert chat_id.value.split("@")[1] != "s.whatsapp.net"


@settings(deadline=None)
@given(st.sampled_from(VALID_DDDS), st.sampled_from("6789"), br_subscriber_tail)
def test_user_chat_ids_of_both_brazilian_forms_find_the_same_phone(
    ddd: int, first: str, tail: str
) -> None:
    with_nine = chat(f"55{ddd}9{first}{tail}@c.us")
    without_nine = chat(f"55{ddd}{first}{tail}@s.whatsapp.net")
    assert with_nine.phone is not None
    assert with_nine.phone == without_nine.phone
    assert without_nine.phone.chat_id() == with_nine.value
