"""Form fields: every answer checked by its type, every mistake named at once, ID numbers by their checksum."""

from __future__ import annotations

from datetime import date

import pytest

from newsplus import FormField, InvalidFields, clean_fields, normal_phone, valid_id_number

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("11010519491231002X", True),
        ("11010519491231002x", True),  # typed in lower case
        ("110105194912310021", False),  # wrong check character
        ("11010519491331002X", False),  # month 13
        ("11010520300101002X", False),  # born in the future
        ("01010519491231002X", False),  # no region starts with 0
        ("1101051949123100", False),  # too short
        ("110105 19491231002X", False),
    ],
)
def test_resident_id_numbers_are_checked_by_birth_date_and_checksum(number: str, valid: bool) -> None:
    assert valid_id_number(number, today=TODAY) is valid


def test_mobile_numbers_lose_spaces_dashes_and_the_country_code() -> None:
    assert normal_phone("138 0013-8000") == "13800138000"
    assert normal_phone("+8613800138000") == "13800138000"
    assert normal_phone("12800138000") is None and normal_phone("1380013800") is None and normal_phone("") is None


FORM = (
    FormField(name="name", label="姓名", required=True, max_length=10),
    FormField(name="id", label="身份证号", type="id_number", required=True),
    FormField(name="people", label="人数", type="number", min=1, max=10),
    FormField(name="day", label="日期", type="date", when="future"),
    FormField(name="born", label="出生日期", type="date", when="past"),
    FormField(name="kind", label="类型", type="choice", choices=("甲", "乙")),
    FormField(name="phone", label="电话", type="phone"),
    FormField(name="photo", label="照片", type="file", required=True),
)


def test_clean_answers_come_back_typed_and_normalised() -> None:
    answers = {
        "name": " 张三 ",
        "id": "11010519491231002x",
        "people": "3",
        "day": "2026-11-26",
        "born": "1990-01-31",
        "kind": "乙",
        "phone": "138-0013-8000",
        "photo": "token",
        "ignored": "x",
    }
    assert clean_fields(FORM, answers, today=TODAY) == {
        "name": "张三",
        "id": "11010519491231002X",
        "people": 3,
        "day": "2026-11-26",
        "born": "1990-01-31",
        "kind": "乙",
        "phone": "13800138000",
        "photo": "token",
    }
    assert (
        clean_fields(FORM, {"name": "x", "id": "11010519491231002X", "photo": "t", "people": 2.5}, today=TODAY)[
            "people"
        ]
        == 2.5
    )


def test_every_mistake_is_named_at_once_under_its_field() -> None:
    with pytest.raises(InvalidFields) as refused:
        clean_fields(
            FORM,
            {
                "name": "名字实在是太长了超过十个字",
                "id": "110105194912310021",
                "people": "eleven",
                "day": "2026-11-25",
                "born": "2027-01-01",
                "kind": "丙",
                "phone": "110",
            },
            today=TODAY,
            prefix="extra.",
        )
    errors = {name: detail.format(**params) for name, (detail, params) in refused.value.errors.items()}
    assert errors == {
        "extra.name": "姓名 is too long (at most 10 characters)",
        "extra.id": "This is not a valid resident ID number",
        "extra.people": "人数 must be a number",
        "extra.day": "The date cannot be in the past",
        "extra.born": "The date cannot be in the future",
        "extra.kind": "Please choose from the list",
        "extra.phone": "Give an 11-digit mobile number",
        "extra.photo": "照片 is required",
    }
    assert refused.value.status_code == 400 and refused.value.extra == {"field": "extra.name"}
    with pytest.raises(InvalidFields) as out_of_range:
        clean_fields(FORM[2:3], {"people": "0"}, today=TODAY)
    assert out_of_range.value.errors["people"][1] == {"label": "人数", "low": 1, "high": 10}
    for not_a_number in ("nan", "inf", "-Infinity", "1e999"):
        with pytest.raises(InvalidFields):
            clean_fields(FORM[2:3], {"people": not_a_number}, today=TODAY)
    with pytest.raises(InvalidFields):
        clean_fields(FORM[3:4], {"day": "26/11/2026"}, today=TODAY)
