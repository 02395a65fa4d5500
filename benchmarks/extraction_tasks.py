"""Fifty short texts, each describing one person, and what a reader extracts from each: a
pydantic model with required fields, an enum, numbers and a list (``benchmarks/extraction.py``).

The texts are written from five sentence shapes over varied people, so that the fields appear in
different orders and wordings; every expected value is stated in its text.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pydantic import BaseModel


class Role(enum.Enum):
    ENGINEER = "engineer"
    TEACHER = "teacher"
    DOCTOR = "doctor"
    CHEF = "chef"
    ARTIST = "artist"


class Person(BaseModel):
    name: str
    age: int
    city: str
    role: Role
    languages: list[str]


@dataclass(frozen=True, slots=True)
class Extraction:
    text: str
    expected: Person


_PEOPLE = [
    ("Maria", 34, "Lisbon", Role.TEACHER, ["Portuguese", "English"]),
    ("Kenji", 41, "Osaka", Role.ENGINEER, ["Japanese"]),
    ("Amara", 29, "Lagos", Role.DOCTOR, ["English", "Yoruba"]),
    ("Lars", 52, "Bergen", Role.CHEF, ["Norwegian", "German"]),
    ("Sofia", 23, "Milan", Role.ARTIST, ["Italian", "French"]),
    ("Omar", 38, "Cairo", Role.ENGINEER, ["Arabic", "English"]),
    ("Chloe", 45, "Lyon", Role.DOCTOR, ["French"]),
    ("Diego", 31, "Bogota", Role.CHEF, ["Spanish"]),
    ("Priya", 27, "Pune", Role.TEACHER, ["Hindi", "Marathi", "English"]),
    ("Tomas", 60, "Prague", Role.ARTIST, ["Czech", "German"]),
]

_SHAPES = [
    "{name} is a {age}-year-old {role} from {city} who speaks {languages}.",
    "Meet {name}, {age}, a {role} living in {city}. Languages: {languages}.",
    "{city} is home to {name}, a {role}. {name} is {age} years old and speaks {languages}.",
    "Our new {role}, {name} ({age}), moved here from {city} and speaks {languages}.",
    "Name: {name}. Age: {age}. Works as a {role} in {city}. Speaks {languages}.",
]


def _listed(languages: list[str]) -> str:
    if len(languages) == 1:
        return languages[0]
    return ", ".join(languages[:-1]) + " and " + languages[-1]


def _tasks() -> list[Extraction]:
    """Each person in each shape; ages moved by the shape, so no two texts say the same."""
    tasks = []
    for shape_index, shape in enumerate(_SHAPES):
        for name, age, city, role, languages in _PEOPLE:
            years = age + 2 * shape_index
            text = shape.format(
                name=name, age=years, city=city, role=role.value, languages=_listed(languages)
            )
            expected = Person(name=name, age=years, city=city, role=role, languages=languages)
            tasks.append(Extraction(text, expected))
    return tasks


TASKS = _tasks()
