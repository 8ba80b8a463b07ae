"""Labelled extraction items for ``bench_extraction.py``: (schema, text, expected object).

Written for this benchmark (no download): people, orders with prices, enums,
booleans, nested objects, lists, dates, and the seeds' examples (GameResult,
SortResult, a nested list of Person, UserDetails).  An item counts as right
when every field of the parsed reply equals its label exactly.

Example::

    >>> from extraction_items import ITEMS
    >>> len(ITEMS) >= 60
    True
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, List, Tuple, Type

from pydantic import BaseModel, Field


class Person(BaseModel):
    name: str
    age: int
    city: str


class Order(BaseModel):
    item: str
    quantity: int
    unit_price: float = Field(description="price of one item in dollars")


class Sentiment(str, Enum):
    positive = "positive"
    negative = "negative"
    neutral = "neutral"


class Review(BaseModel):
    sentiment: Sentiment


class Stock(BaseModel):
    product: str
    in_stock: bool


class Address(BaseModel):
    city: str
    country: str


class Contact(BaseModel):
    name: str
    address: Address


class ShoppingList(BaseModel):
    items: List[str]


class Event(BaseModel):
    event: str
    date: str = Field(description="YYYY-MM-DD")


class GameResult(BaseModel):
    winner: str
    loser: str
    score: str


class SortResult(BaseModel):
    numbers: List[int] = Field(description="the numbers sorted in ascending order")


class PersonAge(BaseModel):
    name: str
    age: int


class People(BaseModel):
    people: List[PersonAge]


class UserDetails(BaseModel):
    name: str
    age: int


Item = Tuple[Type[BaseModel], str, Dict[str, Any]]

ITEMS: List[Item] = [
    # people
    (Person, "Ana Costa is 41 years old and lives in Porto.", {"name": "Ana Costa", "age": 41, "city": "Porto"}),
    (Person, "Jason is 30 years old. He lives in Boston.", {"name": "Jason", "age": 30, "city": "Boston"}),
    (Person, "Maria Lopez, 25, moved to Madrid last year.", {"name": "Maria Lopez", "age": 25, "city": "Madrid"}),
    (Person, "Tom Becker lives in Berlin. Tom is 52.", {"name": "Tom Becker", "age": 52, "city": "Berlin"}),
    (Person, "Yuki Sato is a 33-year-old engineer from Tokyo.", {"name": "Yuki Sato", "age": 33, "city": "Tokyo"}),
    (Person, "Paul, aged 67, has lived in Paris all his life.", {"name": "Paul", "age": 67, "city": "Paris"}),
    (Person, "Priya Shah (28) works in London.", {"name": "Priya Shah", "age": 28, "city": "London"}),
    (Person, "The 19-year-old student Lucas Silva lives in Lisbon.", {"name": "Lucas Silva", "age": 19, "city": "Lisbon"}),
    (Person, "Emma Brown is 45 and her home is in Dublin.", {"name": "Emma Brown", "age": 45, "city": "Dublin"}),
    (Person, "Omar lives in Cairo. He turned 36 this year.", {"name": "Omar", "age": 36, "city": "Cairo"}),
    # orders with prices
    (Order, "I'd like 3 notebooks at $2.50 each.", {"item": "notebooks", "quantity": 3, "unit_price": 2.5}),
    (Order, "Please send 2 lamps; one lamp costs $45.99.", {"item": "lamps", "quantity": 2, "unit_price": 45.99}),
    (Order, "Order: 10 pencils, $0.75 per pencil.", {"item": "pencils", "quantity": 10, "unit_price": 0.75}),
    (Order, "We need 4 chairs. Each chair is $120.", {"item": "chairs", "quantity": 4, "unit_price": 120.0}),
    (Order, "Buy 1 laptop for $899.", {"item": "laptop", "quantity": 1, "unit_price": 899.0}),
    (Order, "Add 6 mugs to the cart at $8.25 apiece.", {"item": "mugs", "quantity": 6, "unit_price": 8.25}),
    (Order, "5 tickets, $12 per ticket.", {"item": "tickets", "quantity": 5, "unit_price": 12.0}),
    (Order, "I want 2 pizzas, $15.50 for each pizza.", {"item": "pizzas", "quantity": 2, "unit_price": 15.5}),
    # enums
    (Review, "Review: I love this phone, it is fantastic!", {"sentiment": "positive"}),
    (Review, "Review: Terrible service, I will never come back.", {"sentiment": "negative"}),
    (Review, "Review: The package arrived on Tuesday.", {"sentiment": "neutral"}),
    (Review, "Review: Great food and friendly staff, highly recommended.", {"sentiment": "positive"}),
    (Review, "Review: The product broke after one day. Awful.", {"sentiment": "negative"}),
    (Review, "Review: It is a blue shirt made of cotton.", {"sentiment": "neutral"}),
    # booleans
    (Stock, "The red bicycle is in stock.", {"product": "red bicycle", "in_stock": True}),
    (Stock, "Sorry, the headphones are out of stock.", {"product": "headphones", "in_stock": False}),
    (Stock, "We have plenty of umbrellas in stock.", {"product": "umbrellas", "in_stock": True}),
    (Stock, "The coffee maker is sold out and not in stock.", {"product": "coffee maker", "in_stock": False}),
    (Stock, "Yes, the guitar is available in stock today.", {"product": "guitar", "in_stock": True}),
    # nested objects
    (Contact, "Ana Costa lives in Porto, Portugal.", {"name": "Ana Costa", "address": {"city": "Porto", "country": "Portugal"}}),
    (Contact, "John Smith's home is in Toronto, Canada.", {"name": "John Smith", "address": {"city": "Toronto", "country": "Canada"}}),
    (Contact, "Li Wei lives in Shanghai, China.", {"name": "Li Wei", "address": {"city": "Shanghai", "country": "China"}}),
    (Contact, "Sofia Rossi lives in Rome, Italy.", {"name": "Sofia Rossi", "address": {"city": "Rome", "country": "Italy"}}),
    (Contact, "Hans Muller has an address in Munich, Germany.", {"name": "Hans Muller", "address": {"city": "Munich", "country": "Germany"}}),
    (Contact, "Carlos Diaz lives in Lima, Peru.", {"name": "Carlos Diaz", "address": {"city": "Lima", "country": "Peru"}}),
    # lists
    (ShoppingList, "Buy milk, eggs and bread.", {"items": ["milk", "eggs", "bread"]}),
    (ShoppingList, "We need apples and bananas.", {"items": ["apples", "bananas"]}),
    (ShoppingList, "Get rice, beans, onions and garlic.", {"items": ["rice", "beans", "onions", "garlic"]}),
    (ShoppingList, "Pick up coffee.", {"items": ["coffee"]}),
    (ShoppingList, "Shopping list: soap, towels.", {"items": ["soap", "towels"]}),
    # dates
    (Event, "The concert takes place on 2025-07-14.", {"event": "concert", "date": "2025-07-14"}),
    (Event, "Our wedding is on 2024-09-21.", {"event": "wedding", "date": "2024-09-21"}),
    (Event, "The conference starts 2026-03-02.", {"event": "conference", "date": "2026-03-02"}),
    (Event, "The meeting was held on 2023-11-30.", {"event": "meeting", "date": "2023-11-30"}),
    (Event, "Date of the marathon: 2025-04-06.", {"event": "marathon", "date": "2025-04-06"}),
    (Event, "The exam is scheduled for 2025-01-15.", {"event": "exam", "date": "2025-01-15"}),
    # GameResult
    (GameResult, "The Lakers beat the Celtics 102-98.", {"winner": "Lakers", "loser": "Celtics", "score": "102-98"}),
    (GameResult, "Spain defeated France 2-1 in the final.", {"winner": "Spain", "loser": "France", "score": "2-1"}),
    (GameResult, "Arsenal won 3-0 against Chelsea.", {"winner": "Arsenal", "loser": "Chelsea", "score": "3-0"}),
    (GameResult, "The Yankees beat the Red Sox 5-4.", {"winner": "Yankees", "loser": "Red Sox", "score": "5-4"}),
    # SortResult
    (SortResult, "Sort these numbers: 42, 7, 19", {"numbers": [7, 19, 42]}),
    (SortResult, "Sort these numbers: 5, 3, 8, 1", {"numbers": [1, 3, 5, 8]}),
    (SortResult, "Sort these numbers: 100, 20, 60", {"numbers": [20, 60, 100]}),
    (SortResult, "Sort these numbers: 9, 2", {"numbers": [2, 9]}),
    # a nested list of Person
    (People, "Alice is 31 years old. Bob is 45 years old.", {"people": [{"name": "Alice", "age": 31}, {"name": "Bob", "age": 45}]}),
    (People, "Mia is 27. Leo is 35.", {"people": [{"name": "Mia", "age": 27}, {"name": "Leo", "age": 35}]}),
    (People, "Sam is 12 years old.", {"people": [{"name": "Sam", "age": 12}]}),
    (People, "Eva is 60, Noah is 58 and Zoe is 22.", {"people": [{"name": "Eva", "age": 60}, {"name": "Noah", "age": 58}, {"name": "Zoe", "age": 22}]}),
    # UserDetails (instructor's example)
    (UserDetails, "Jason is 25 years old.", {"name": "Jason", "age": 25}),
    (UserDetails, "Extract: Sarah is 38 years old.", {"name": "Sarah", "age": 38}),
    (UserDetails, "My name is David and I am 44.", {"name": "David", "age": 44}),
    (UserDetails, "Nina, 29 years old, signed up today.", {"name": "Nina", "age": 29}),
]

SYSTEM_PROMPT = "Extract the information from the user's text as JSON."


def messages_for(text: str) -> List[Dict[str, str]]:
    """The chat messages of one item (the same for every engine)."""
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": text}]


def is_right(parsed: Any, expected: Dict[str, Any]) -> bool:
    """Every field exact (a pydantic object is compared through its JSON-mode dump)."""
    if isinstance(parsed, BaseModel):
        parsed = parsed.model_dump(mode="json")
    return parsed == expected
