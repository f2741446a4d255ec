from __future__ import annotations

import copy
import pickle
import re

import pytest
from avro_ingest.exceptions import InvalidIdentifier, InvalidLiteral
from avro_ingest.hive.naming import MAX_TABLE_NAME, to_table_name
from avro_ingest.hive.quoting import (
    SqlFragment,
    compose,
    identifier,
    join,
    number_literal,
    qualified,
    string_literal,
)

INJECTIONS = [
    "a`b",
    "a`; DROP TABLE x; --",
    "x'",
    'x"',
    "a;b",
    "a--b",
    "a/*c*/b",
    "a\nb",
    "a\rb",
    "a\x00b",
    "é",
    "名前",
    "",
    " ",
    "a b",
    "1abc",
    "a" * 129,
    "a.b",
    "${hiveconf:x}",
    "a\u2028b",
]


@pytest.mark.parametrize("bad", INJECTIONS, ids=repr)
def test_identifier_rejects_anything_but_plain_names(bad):
    with pytest.raises(InvalidIdentifier) as info:
        identifier(bad)
    assert repr(bad)[:50] in str(info.value)
    assert info.value.value == bad


@pytest.mark.parametrize("name", ["a", "_x", "Select", "table_1", "a" * 128])
def test_identifier_quotes_and_lowercases(name):
    assert identifier(name).sql == f"`{name.lower()}`"


def test_identifier_rejects_non_strings():
    for bad in (None, 1, b"abc", ["a"]):
        with pytest.raises(InvalidIdentifier):
            identifier(bad)


def test_qualified():
    assert qualified("Lake", "events").sql == "`lake`.`events`"
    with pytest.raises(InvalidIdentifier):
        qualified("lake", "ev`ents")


@pytest.mark.parametrize(
    ("value", "sql"),
    [
        ("/data/in/x.avro", "'/data/in/x.avro'"),
        ("it's", "'it\\'s'"),
        ("back\\slash", "'back\\\\slash'"),
        ("trailing\\", "'trailing\\\\'"),
        ("'; DROP TABLE x; --", "'\\'; DROP TABLE x; --'"),
        ('a/*c*/b`"', "'a/*c*/b`\"'"),
        ("hdfs://nn:8020/schemas/é名.avsc", "'hdfs://nn:8020/schemas/é名.avsc'"),
        ("", "''"),
    ],
)
def test_string_literal_escapes(value, sql):
    assert string_literal(value).sql == sql


def test_string_literal_cannot_be_closed_early():
    # After escaping, every quote inside the literal is preceded by an odd run of backslashes.
    for value in ["'", "\\'", "\\\\'", "a\\", "\\", "'\\'"]:
        body = string_literal(value).sql[1:-1]
        for match in re.finditer("'", body):
            run = len(body[: match.start()]) - len(body[: match.start()].rstrip("\\"))
            assert run % 2 == 1, (value, body)
        assert not body.endswith("\\") or (len(body) - len(body.rstrip("\\"))) % 2 == 0


@pytest.mark.parametrize(
    "bad", ["a\nb", "a\rb", "a\x00b", "a\tb", "a\x1bb", "a\x7fb", "a\u2028b", "${env:HOME}"]
)
def test_string_literal_rejects_control_characters_and_substitution(bad):
    with pytest.raises(InvalidLiteral) as info:
        string_literal(bad)
    assert repr(bad) in str(info.value)


def test_string_literal_length_cap_and_type():
    string_literal("x" * 4000)
    with pytest.raises(InvalidLiteral, match="longer than 4000"):
        string_literal("x" * 4001)
    with pytest.raises(InvalidLiteral):
        string_literal(b"bytes")


def test_number_literal():
    assert number_literal(-12).sql == "-12"
    for bad in (True, 1.5, "1", None):
        with pytest.raises(InvalidLiteral):
            number_literal(bad)


def test_sql_fragment_is_not_a_str_and_cannot_be_built_directly():
    assert not isinstance(identifier("a"), str)
    with pytest.raises(TypeError):
        SqlFragment("DROP TABLE x")
    frag = identifier("a")
    with pytest.raises(AttributeError):
        frag._sql = "x"  # type: ignore[misc]
    assert copy.deepcopy(frag) == frag and pickle.loads(pickle.dumps(frag)) == frag
    assert hash(frag) == hash(identifier("A"))


def test_compose_and_join_accept_only_fragments():
    assert compose("CAST({x} AS INT)", x=identifier("a")).sql == "CAST(`a` AS INT)"
    with pytest.raises(TypeError, match="part 'x'"):
        compose("CAST({x} AS INT)", x="a; DROP TABLE t")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        compose("{x} {y}", x=identifier("a"))
    with pytest.raises(ValueError):
        compose("{x}", x=identifier("a"), y=identifier("b"))
    assert join([identifier("a"), identifier("b")]).sql == "`a`, `b`"
    with pytest.raises(TypeError):
        join([identifier("a"), "b"])  # type: ignore[list-item]


# --- naming -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("events.avro", "events_avro"),
        ("Sales-2024.01", "sales_2024_01"),
        ("2024_events", "t_2024_events"),
        ("__a__b__", "a_b"),
        ("Café Crème", "cafe_creme"),
        ("a`; DROP TABLE x; --", "a_drop_table_x"),
        ("a/*c*/b\n\x00", "a_c_b"),
    ],
)
def test_to_table_name(text, name):
    assert to_table_name(text) == name
    identifier(to_table_name(text))


@pytest.mark.parametrize("text", ["", "名前", "🙂", "---", "\x00"])
def test_to_table_name_of_nothing_usable_is_hashed(text):
    name = to_table_name(text)
    assert re.fullmatch(r"t_[0-9a-f]{8}", name)
    identifier(name)


def test_to_table_name_long_names_are_cut_with_a_hash():
    a, b = "x" * 200 + "a", "x" * 200 + "b"
    assert len(to_table_name(a)) == MAX_TABLE_NAME
    assert to_table_name(a) != to_table_name(b)
    assert to_table_name(a) == to_table_name(a)
    assert re.fullmatch(r"x+_[0-9a-f]{8}", to_table_name(a))
    assert len(to_table_name("y" * 64)) == 64 and to_table_name("y" * 64) == "y" * 64
