"""Phone numbers (E.164) and WhatsApp chat ids.

Brazil complicates phones: since 2012-2016 mobile numbers carry a ninth digit
(``+55 11 9xxxx-xxxx``), but accounts registered before may still be known to WhatsApp, and to
the association's spreadsheets, under the legacy eight-digit form (``+55 11 xxxx-xxxx``).
``Phone`` always stores the form with the ninth digit, so both forms find the same patient, and
``Phone.variants`` lists every form the line may arrive under.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, ValidationResult
from returns.result import Failure, Result, Success

from wa_crm.domain.model.errors import InvalidChatId, InvalidPhone

_BRAZIL = 55
# First digit of an eight-digit subscriber number that was a mobile before the ninth digit;
# landlines start with 2-5 and must never get a 9.
_LEGACY_MOBILE_FIRST_DIGITS = frozenset("6789")

_PARSE_ERRORS = {
    NumberParseException.INVALID_COUNTRY_CODE: "has an unknown or missing country code",
    NumberParseException.NOT_A_NUMBER: "does not look like a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "is too short",
    NumberParseException.TOO_SHORT_NSN: "is too short",
    NumberParseException.TOO_LONG: "is too long",
}
_POSSIBILITY_ERRORS = {
    ValidationResult.INVALID_COUNTRY_CODE: "has an unknown or missing country code",
    ValidationResult.TOO_SHORT: "is too short",
    ValidationResult.TOO_LONG: "is too long",
    ValidationResult.INVALID_LENGTH: "has the wrong length for its country",
}


class ChatKind(StrEnum):
    USER = "user"
    LID = "lid"
    GROUP = "group"
    STATUS = "status"
    BROADCAST = "broadcast"
    NEWSLETTER = "newsletter"


@dataclass(frozen=True)
class Phone:
    """A valid phone number in canonical E.164 form; build it with ``Phone.parse``."""

    e164: str

    @classmethod
    def parse(cls, text: str, default_region: str = "BR") -> Result[Phone, InvalidPhone]:
        """Normalize a number written any usual way; ``default_region`` applies without ``+``."""
        if not text.strip():
            return Failure(InvalidPhone("phone number is empty"))
        # phonenumbers turns letters into keypad digits ("0800 FLOWERS"), which would make a
        # typo or a note like "(cel)" into a different, possibly valid, number.
        if any(char.isalpha() for char in text):
            return Failure(InvalidPhone("phone number must not contain letters"))
        try:
            number = phonenumbers.parse(text, default_region.upper())
        except NumberParseException as error:
            return Failure(_invalid(text, _PARSE_ERRORS.get(error.error_type, "is not valid")))
        number = _with_ninth_digit(number)
        reason = phonenumbers.is_possible_number_with_reason(number)
        if reason in _POSSIBILITY_ERRORS:
            return Failure(_invalid(text, _POSSIBILITY_ERRORS[reason]))
        if not phonenumbers.is_valid_number(number):
            return Failure(_invalid(text, "is not a valid number for its country and area"))
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return Success(cls(e164))

    @property
    def digits(self) -> str:
        """The international digits without ``+``, as WhatsApp writes user ids."""
        return self.e164[1:]

    def variants(self) -> tuple[str, ...]:
        """Every E.164 form this line may arrive under, canonical first.

        A Brazilian mobile also has its legacy form without the 9, when that form starts with
        6-9: a legacy form starting with 2-5 would be a landline's, another line.
        """
        national = self.digits[2:]  # after +55, when Brazilian
        if (
            self.digits.startswith(str(_BRAZIL))
            and len(national) == 11
            and national[2] == "9"
            and national[3] in _LEGACY_MOBILE_FIRST_DIGITS
        ):
            return (self.e164, f"+{_BRAZIL}{national[:2]}{national[3:]}")
        return (self.e164,)

    def masked(self) -> str:
        """For logs: the country code and at most the last 4 digits (fewer for short numbers)."""
        country = str(phonenumbers.parse(self.e164).country_code)
        national = self.digits[len(country) :]
        shown = min(4, len(national) // 2)
        return f"+{country}{'*' * (len(national) - shown)}{national[len(national) - shown :]}"

    def chat_id(self) -> str:
        """The ``@c.us`` chat id; a legacy Brazilian account may instead be known without the 9."""
        return f"{self.digits}@c.us"

    def __str__(self) -> str:
        return self.e164


def _with_ninth_digit(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    """A legacy eight-digit Brazilian mobile with its ninth digit, when that form is valid.

    phonenumbers judges most legacy forms invalid (and some valid, e.g. 7xxx-xxxx), so the 9 is
    added before validating; anything else passes through unchanged.
    """
    national = phonenumbers.national_significant_number(number)
    if (
        number.country_code != _BRAZIL
        or len(national) != 10
        or national[2] not in _LEGACY_MOBILE_FIRST_DIGITS
    ):
        return number
    candidate = phonenumbers.parse(f"+{_BRAZIL}{national[:2]}9{national[2:]}")
    return candidate if phonenumbers.is_valid_number(candidate) else number


def _invalid(text: str, problem: str) -> InvalidPhone:
    """An error naming the problem; only the last 4 digits are echoed (phones are personal)."""
    digits = "".join(char for char in text if char.isdigit())
    return InvalidPhone(f"phone number ending in {digits[-4:]} {problem}")


_DIGITS = re.compile(r"(?P<user>[0-9]+)")
# Multi-device ids name the device after ':' ("5511999998888:12@s.whatsapp.net"); it is dropped.
_PERSON = re.compile(r"(?P<user>[0-9]+)(?::[0-9]+)?")
# Per server (case-insensitive), the shapes of the part before '@' and the kind each means.
_SERVERS: dict[str, tuple[tuple[re.Pattern[str], ChatKind], ...]] = {
    "c.us": ((_PERSON, ChatKind.USER),),
    "s.whatsapp.net": ((_PERSON, ChatKind.USER),),
    "lid": ((_PERSON, ChatKind.LID),),
    "g.us": ((re.compile(r"(?P<user>[0-9]+(?:-[0-9]+)?)"), ChatKind.GROUP),),
    "broadcast": (
        (re.compile(r"(?P<user>status)"), ChatKind.STATUS),
        (_DIGITS, ChatKind.BROADCAST),
    ),
    "newsletter": ((_DIGITS, ChatKind.NEWSLETTER),),
}
_CANONICAL_SERVER = {
    ChatKind.USER: "c.us",
    ChatKind.LID: "lid",
    ChatKind.GROUP: "g.us",
    ChatKind.STATUS: "broadcast",
    ChatKind.BROADCAST: "broadcast",
    ChatKind.NEWSLETTER: "newsletter",
}


@dataclass(frozen=True)
class ChatId:
    """A WhatsApp chat id in canonical form (``@s.whatsapp.net`` becomes ``@c.us``)."""

    value: str
    kind: ChatKind
    user: str

    @classmethod
    def parse(cls, raw: str) -> Result[ChatId, InvalidChatId]:
        # Errors name the server but never the user part: it is usually a phone number.
        user, at, server = raw.strip().lower().rpartition("@")
        if not at:
            return Failure(InvalidChatId("chat id has no '@'"))
        if server not in _SERVERS:
            return Failure(InvalidChatId(f"chat id has an unknown server {server[:40]!r}"))
        for pattern, kind in _SERVERS[server]:
            if match := pattern.fullmatch(user):
                user = match["user"]
                return Success(cls(f"{user}@{_CANONICAL_SERVER[kind]}", kind, user))
        return Failure(InvalidChatId(f"chat id has a malformed user part for @{server}"))

    @property
    def phone(self) -> Phone | None:
        """The phone behind a user id (its digits are international, without '+')."""
        if self.kind is not ChatKind.USER:
            return None
        return Phone.parse(f"+{self.user}").value_or(None)

    @property
    def is_direct(self) -> bool:
        """A one-to-one chat with a person (phone id or privacy lid)."""
        return self.kind in (ChatKind.USER, ChatKind.LID)

    def __str__(self) -> str:
        return self.value
