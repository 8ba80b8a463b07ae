"""Synthetic conversations for the micro model: the package's main jobs, rendered as the runtime renders them.

Every example is a chat (messages, optional tools) and the assistant's reply.
Prompts are rendered by llama-native's own chat formatter with the micro
model's template, and the structured-output prompt additions (schema skeleton,
tool listing) come from the same functions the runtime calls, so the model is
trained on exactly the text it sees at inference.  Replies are written as the
grammars force them: compact JSON in schema order, Hermes-style tool calls.

Jobs, with the share of examples (``MIX``):

* ``extract``: fields named by a schema from a short text ("Jason is 30 years
  old" -> name, age), flat, nested, lists of people, dates and places, with or
  without the schema skeleton in the system prompt;
* ``json_mode``: a JSON object with the keys the user names in quotes;
* ``tool_call``: the right function and arguments for a request, from one to
  four tools, forced or by the model's own choice;
* ``tool_answer``: a short answer built from a tool's result;
* ``chat``: short plain replies (greetings, repeat-after-me, questions over a
  given context as LlamaIndex's query engine asks them).

The generator is deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

FIRST = ("Jason Maria Alice Bob Carol David Emma Frank Grace Henry Irene Jack Julia Kevin Laura Mike Nina Oscar "
         "Paula Quinn Rosa Sam Tina Umar Vera Walter Xenia Yusuf Zoe Liam Olivia Noah Ava Lucas Mia Ethan Sofia "
         "Mateo Chloe Arjun Priya Wei Mei Hiro Yuki Omar Leila Ivan Olga Pierre Amelie Hans Greta Diego Lucia "
         "Kwame Amara Ahmed Fatima Sven Ingrid Tom Anna Ben Clara Leo Elena Max Sara Raj Ana Luis Ines").split()
LAST = ("Smith Lopez Chen Novak Garcia Brown Khan Rossi Muller Silva Kim Tanaka Dubois Jensen Okafor Ivanova "
        "Martin Weber Costa Nakamura Patel Haddad Larsen Moreau Becker Santos Park Schmidt Ali Nguyen").split()
UNICODE_NAMES = ("你好啊集团 こんにちは株式会社 北京科技 東京商事 Müller GmbH Café Zoë Łukasz Wójcik Søren Ærø José Peña "
                 "Ελένη Σοφία Дмитрий Иванов 서울전자 Ångström AB Île Verte São Paulo Ltda 上海银行 大阪物産").split(" ")
CITIES = [("Paris", "France"), ("Berlin", "Germany"), ("Madrid", "Spain"), ("Rome", "Italy"), ("Tokyo", "Japan"),
          ("London", "UK"), ("Lisbon", "Portugal"), ("Vienna", "Austria"), ("Oslo", "Norway"), ("Cairo", "Egypt"),
          ("Lagos", "Nigeria"), ("Toronto", "Canada"), ("Chicago", "USA"), ("Boston", "USA"), ("Seoul", "South Korea"),
          ("Mumbai", "India"), ("Sydney", "Australia"), ("Lima", "Peru"), ("Dublin", "Ireland"), ("Prague", "Czechia"),
          ("Warsaw", "Poland"), ("Athens", "Greece"), ("Nairobi", "Kenya"), ("Denver", "USA"), ("Zurich", "Switzerland"),
          ("San Francisco, CA", "USA"), ("New York, NY", "USA"), ("Austin, TX", "USA"), ("Kyoto", "Japan"),
          ("Munich", "Germany"), ("Lyon", "France"), ("Porto", "Portugal"), ("Hamburg", "Germany")]
JOBS = ("engineer teacher doctor nurse designer chef pilot lawyer writer farmer baker painter dentist "
        "architect accountant plumber student manager scientist musician").split()
COMPANIES = "Acme Globex Initech Umbrella Stark Wayne Hooli Vandelay Contoso Fabrikam Northwind Tyrell".split()
DOMAINS = "example.com mail.org company.net acme.io web.de post.fr".split()
MONTHS = "January February March April May June July August September October November December".split()
EVENTS = ("team meeting|concert|wedding|conference|birthday party|job interview|football match|dinner|workshop|"
          "product launch|city marathon|book club").split("|")
TOPICS = "cats dogs computers coffee pirates robots the ocean birds math pizza trains the moon".split()
STYLES = "Pirate Shakespearean cowboy robot formal friendly royal sleepy poetic excited".split()


def _date(rng: random.Random) -> str:
    y, m, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
    return rng.choice([f"{MONTHS[m - 1]} {d}, {y}", f"{y}-{m:02d}-{d:02d}", f"{d} {MONTHS[m - 1]} {y}"])


@dataclass
class PersonFacts:
    name: str
    age: int
    city: str
    country: str
    email: str
    job: str
    company: str
    birthday: str

    @classmethod
    def make(cls, rng: random.Random) -> "PersonFacts":
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = rng.choice([first, f"{first} {last}"])
        city, country = rng.choice(CITIES)
        email = f"{first.lower()}{rng.choice(['', '.' + last.lower(), str(rng.randint(1, 99))])}@{rng.choice(DOMAINS)}"
        return cls(name, rng.randint(2, 95), city, country, email, rng.choice(JOBS), rng.choice(COMPANIES), _date(rng))


# field -> (key synonyms, JSON schema type, sentence templates mentioning it)
PERSON_FIELDS: Dict[str, Tuple[List[str], str, List[str]]] = {
    "name": (["name", "full_name", "person_name"], "string", []),
    "age": (["age", "age_years", "years_old"], "integer",
            ["{n} is {age} years old.", "{n} is {age}.", "{n}, aged {age}, is here.", "{n} turned {age} this year."]),
    "city": (["city", "location", "hometown"], "string",
             ["{n} lives in {city}.", "{n} is from {city}.", "{n} moved to {city}.", "{n} is based in {city}."]),
    "country": (["country", "nation"], "string", ["{n} comes from {country}.", "{n} lives in {country}."]),
    "email": (["email", "email_address", "contact_email"], "string",
              ["You can reach {n} at {email}.", "{n}'s email is {email}.", "Write to {n} at {email}.",
               "{n} uses {email} for mail."]),
    "job": (["job", "occupation", "profession"], "string",
            ["{n} works as a {job}.", "{n} is a {job}.", "By profession {n} is a {job}."]),
    "company": (["company", "employer", "organization"], "string",
                ["{n} works at {company}.", "{n} is employed by {company}.", "{n} joined {company} last year."]),
    "birthday": (["birthday", "date_of_birth", "birth_date"], "string",
                 ["{n} was born on {birthday}.", "{n}'s birthday is {birthday}."]),
}
DESCRIPTIONS = {
    "name": "the person's name", "age": "age in years", "city": "the city where the person lives",
    "country": "the country", "email": "email address", "job": "the person's job",
    "company": "the employer", "birthday": "date of birth as written",
}


def _person_text(rng: random.Random, p: PersonFacts, fields: List[str]) -> str:
    pieces = []
    rest = [f for f in fields if f != "name"]
    rng.shuffle(rest)
    if rest and rest[0] == "age" and rng.random() < 0.3:
        pieces.append(rng.choice(["{n} ({age})", "{n}, {age},"]).format(n=p.name, age=p.age) + " " +
                      rng.choice(["is here.", "called today.", "signed up."]))
        rest = rest[1:]
    for f in rest:
        template = rng.choice(PERSON_FIELDS[f][2])
        pieces.append(template.format(n=p.name if not pieces or rng.random() < 0.5 else rng.choice(["They", p.name]),
                                      **{k: getattr(p, k) for k in PERSON_FIELDS}))
    if not pieces:
        pieces.append(rng.choice(["This is {n}.", "{n} said hello.", "Meet {n}.", "{n} is new here."]).format(n=p.name))
    return " ".join(pieces)


def _prop(kind: str, description: Optional[str], nullable: bool) -> Dict[str, Any]:
    prop: Dict[str, Any] = {"type": kind}
    if nullable:
        prop = {"anyOf": [{"type": kind}, {"type": "null"}]}
    if description:
        prop["description"] = description
    return prop


def _person_schema(rng: random.Random, fields: List[str], absent: List[str], title: str) -> Tuple[Dict[str, Any], Dict[str, str]]:
    keys = {f: rng.choice(PERSON_FIELDS[f][0]) if f != "name" or rng.random() < 0.2 else "name" for f in fields + absent}
    if rng.random() < 0.7:
        keys = {f: PERSON_FIELDS[f][0][0] for f in keys}
    described = rng.random() < 0.5
    props = {keys[f]: _prop(PERSON_FIELDS[f][1], DESCRIPTIONS[f] if described else None, f in absent) for f in keys}
    return {"title": title, "type": "object", "properties": props, "required": list(props)}, keys


def _person_value(p: Optional[PersonFacts], fields: List[str], keys: Dict[str, str]) -> Dict[str, Any]:
    return {keys[f]: (getattr(p, f) if p is not None and f in fields else None) for f in keys}


@dataclass
class Example:
    """One conversation: what the runtime receives, and the reply the model should write."""

    job: str
    messages: List[Dict[str, Any]]
    reply: str
    tools: Optional[List[Dict[str, Any]]] = None
    schema: Optional[Dict[str, Any]] = None
    schema_prompt: bool = False
    meta: Dict[str, Any] = field(default_factory=dict)


def compact(value: Any) -> str:
    """JSON as the grammars write it: no spaces, UTF-8 kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


EXTRACT_ASKS = ["", "Extract the person's details: ", "Extract the fields from this text: ", "Text: ",
                "Get the information from: ", "Parse this: ", "Extract structured data.\n\n"]
SYSTEMS = ["You are a helpful assistant.", "You extract structured information from text.",
           "Answer with JSON only.", "You are a precise data extraction system."]


def _extract(rng: random.Random) -> Example:
    kind = rng.random()
    optional = [f for f in PERSON_FIELDS if f != "name"]
    if kind < 0.5:  # one flat person
        fields = ["name"] + rng.sample(optional, rng.randint(1, 4))
        absent = rng.sample([f for f in optional if f not in fields], rng.randint(0, 1)) if rng.random() < 0.25 else []
        order = fields + absent
        rng.shuffle(order)
        order.remove("name")
        order.insert(0 if rng.random() < 0.8 else rng.randint(0, len(order)), "name")
        p = PersonFacts.make(rng)
        schema, keys = _person_schema(rng, [f for f in order if f in fields], [f for f in order if f in absent],
                                      rng.choice(["Person", "User", "Contact", "Customer"]))
        keys = {f: keys[f] for f in order}
        schema["properties"] = {keys[f]: schema["properties"][keys[f]] for f in order}
        schema["required"] = list(schema["properties"])
        text = _person_text(rng, p, fields)
        value: Any = _person_value(p, fields, keys)
    elif kind < 0.75:  # a list of people
        fields = ["name"] + rng.sample(optional, rng.randint(1, 3))
        people = [PersonFacts.make(rng) for _ in range(rng.choice([1, 2, 2, 3, 3, 4]))]
        names = [p.name for p in people]
        if len(set(names)) < len(names):
            return _extract(rng)
        item, keys = _person_schema(rng, fields, [], "Person")
        list_key = rng.choice(["people", "persons", "contacts", "users", "members"])
        schema = {"title": rng.choice(["People", "Team", "Group"]), "type": "object",
                  "properties": {list_key: {"type": "array", "items": item}}, "required": [list_key]}
        text = " ".join(_person_text(rng, p, fields) for p in people)
        value = {list_key: [_person_value(p, fields, keys) for p in people]}
    elif kind < 0.88:  # nested: a person with an address
        p = PersonFacts.make(rng)
        fields = ["name"] + rng.sample(["age", "email", "job"], rng.randint(0, 2))
        top, keys = _person_schema(rng, fields, [], "Person")
        addr_fields = ["city", "country"]
        address = {"type": "object", "properties": {"city": {"type": "string"}, "country": {"type": "string"}},
                   "required": ["city", "country"]}
        top["properties"]["address"] = address
        top["required"] = list(top["properties"])
        text = _person_text(rng, p, fields) + " " + rng.choice(
            ["{n} lives in {city}, {country}.", "{n}'s home is in {city}, {country}.", "{n} moved to {city} in {country}."]
        ).format(n=p.name.split()[0], city=p.city, country=p.country)
        value = {**_person_value(p, fields, keys), "address": {f: getattr(p, f) for f in addr_fields}}
        schema = top
    else:  # an event: what, when, where
        event, date, (city, _) = rng.choice(EVENTS), _date(rng), rng.choice(CITIES)
        time = f"{rng.randint(7, 21)}:{rng.choice(['00', '15', '30', '45'])}"
        order = rng.sample(["event", "date", "place", "time"], rng.randint(2, 4))
        if "event" in order:
            order.remove("event")
            order.insert(0, "event")
        text = rng.choice([
            "The {event} will take place in {place} on {date} at {time}.",
            "Join us for the {event} on {date} at {time} in {place}.",
            "Reminder: {event} in {place}, {date}, starting at {time}.",
            "On {date} at {time} there is a {event} in {place}.",
        ]).format(event=event, place=city, date=date, time=time)
        facts = {"event": event, "date": date, "place": city, "time": time}
        schema = {"title": "Event", "type": "object", "properties": {k: {"type": "string"} for k in order},
                  "required": order}
        value = {k: facts[k] for k in order}
    messages: List[Dict[str, Any]] = []
    if rng.random() < 0.2:
        messages.append({"role": "system", "content": rng.choice(SYSTEMS)})
    messages.append({"role": "user", "content": rng.choice(EXTRACT_ASKS) + text})
    return Example("extract", messages, compact(value), schema=schema, schema_prompt=rng.random() < 0.4)


JOKES = {
    t: [(f"Why did the {w} love {t}?", f"Because {t} always {v}!") for w, v in
        [("teacher", "had class"), ("robot", "kept it running"), ("chef", "had good taste"), ("cat", "purred back")]]
    for t in TOPICS
}


def _json_mode(rng: random.Random) -> Example:
    if rng.random() < 0.5:
        topic = rng.choice(TOPICS)
        setup, punchline = rng.choice(JOKES[topic])
        keys = rng.choice([("setup", "punchline"), ("question", "answer"), ("joke", "explanation")])
        ask = rng.choice([
            "Tell me a joke about {t}. Return the result as a JSON with '{a}' and '{b}' keys. Return nothing other than JSON.",
            "Give me a joke about {t} as JSON with the keys '{a}' and '{b}'.",
            "A joke about {t}, please, in JSON with '{a}' and '{b}'.",
        ]).format(t=topic, a=keys[0], b=keys[1])
        value = {keys[0]: setup, keys[1]: punchline}
    else:
        p = PersonFacts.make(rng)
        fields = ["name"] + rng.sample([f for f in PERSON_FIELDS if f != "name"], rng.randint(1, 2))
        keys = {f: PERSON_FIELDS[f][0][0] for f in fields}
        quoted = " and ".join(f"'{keys[f]}'" for f in fields)
        ask = rng.choice(["Return a JSON object with the keys {q} for this text: {x}",
                          "{x}\nReply with JSON with {q} keys.", "From '{x}' make JSON with keys {q}."]).format(
            q=quoted, x=_person_text(rng, p, fields))
        value = _person_value(p, fields, keys)
    return Example("json_mode", [{"role": "user", "content": ask}], compact(value),
                   schema={"type": "object"}, meta={"json_mode": True})


def _tool(name: str, description: str, params: Dict[str, str], required: Optional[List[str]] = None) -> Dict[str, Any]:
    props = {k: {"type": v} for k, v in params.items()}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "properties": props, "required": list(params) if required is None else required, "type": "object"}}}


@dataclass
class ToolTask:
    tool: Dict[str, Any]
    make: Callable[[random.Random], Tuple[str, Dict[str, Any], str]]  # -> (request, arguments, result)


def _tool_tasks() -> List[ToolTask]:
    def magic(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        x = rng.randint(-50, 999)
        ask = rng.choice(["What is the value of magic_function({x})? Use the tool.", "Apply the magic function to {x}.",
                          "Compute magic_function({x}).", "Use the tool on the input {x}."]).format(x=x)
        return ask, {"input": x}, str(x + 2)

    def weather(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        city = rng.choice(CITIES)[0]
        ask = rng.choice(["What is the weather in {c}?", "How is the weather in {c} today?", "Is it raining in {c}?",
                          "Weather for {c}, please."]).format(c=city)
        return ask, {"location": city}, rng.choice(["It's sunny.", "Rain, 12 degrees.", "Cloudy and windy.", "Snow."])

    def customer(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        name = rng.choice(UNICODE_NAMES + [f"{rng.choice(COMPANIES)} {rng.choice(['Inc', 'Ltd', 'Group'])}"])
        desc = rng.choice(["a Chinese technology company", "a Japanese company", "a small bakery", "a bank",
                           "a trading company", "a German car maker", "an online shop"])
        ask = rng.choice(["Create a customer named '{n}' - {d}", "Create a customer named '{n}' (new client) - {d}",
                          "Add the customer '{n}', {d}."]).format(n=name, d=desc)
        return ask, {"customer_name": name, "description": desc}, f"Created customer: {name} - {desc}"

    def greeting(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        style = rng.choice(STYLES)
        ask = rng.choice(["Using the tool, generate a {s} greeting.", "Make a greeting in {s} style.",
                          "Generate a {s} greeting with the tool."]).format(s=style)
        return ask, {"answer_style": style}, "Ahoy there!" if style == "Pirate" else f"Hello, in {style} style."

    def arithmetic(op: str, word: str, fn: Callable[[int, int], int]) -> Callable[[random.Random], Tuple[str, Dict[str, Any], str]]:
        def make(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
            a, b = rng.randint(0, 500), rng.randint(0, 500)
            ask = rng.choice(["What is {a} {op} {b}?", "{w} {a} and {b}.", "Use the tool to {w2} {a} and {b}."]).format(
                a=a, b=b, op=op, w=word.capitalize(), w2=word)
            return ask, {"a": a, "b": b}, str(fn(a, b))
        return make

    def search(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        q = rng.choice(["best pizza in " + rng.choice(CITIES)[0], "python tutorials", "news about " + rng.choice(TOPICS),
                        "flights to " + rng.choice(CITIES)[0], "how to bake bread"])
        ask = rng.choice(["Search the web for {q}.", "Look up {q}.", "Find {q}."]).format(q=q)
        return ask, {"query": q}, f"Found 3 results for {q}."

    def email(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        p = PersonFacts.make(rng)
        subject = rng.choice(["Meeting tomorrow", "Invoice", "Hello", "Project update", "Lunch"])
        ask = rng.choice(["Send an email to {e} with the subject '{s}'.", "Email {e} about '{s}'."]).format(e=p.email, s=subject)
        return ask, {"to": p.email, "subject": subject}, "Email sent."

    def stock(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        t = rng.choice(["AAPL", "MSFT", "GOOG", "TSLA", "NVDA", "AMZN", "IBM"])
        return rng.choice(["What is the price of {t}?", "Get the stock price for {t}."]).format(t=t), {"ticker": t}, \
            f"{t}: {rng.randint(10, 900)}.{rng.randint(10, 99)} USD"

    def convert(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        amount, a, b = rng.randint(1, 5000), *rng.sample(["USD", "EUR", "JPY", "GBP", "CHF"], 2)
        return f"Convert {amount} {a} to {b}.", {"amount": amount, "from_currency": a, "to_currency": b}, \
            f"{amount} {a} is {amount * 2} {b}."

    def flight(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        (o, _), (d, _) = rng.sample(CITIES, 2)
        date = _date(rng)
        return rng.choice(["Book a flight from {o} to {d} on {t}.", "I need a flight {o} to {d}, {t}."]).format(
            o=o, d=d, t=date), {"origin": o, "destination": d, "date": date}, "Flight booked."

    return [
        ToolTask(_tool("magic_function", "Apply a magic function to an input.", {"input": "integer"}), magic),
        ToolTask(_tool("get_weather", "Get the weather at a location.", {"location": "string"}), weather),
        ToolTask(_tool("unicode_customer", "Tool for creating a customer with Unicode name.",
                       {"customer_name": "string", "description": "string"}), customer),
        ToolTask(_tool("greeting_generator", "Generate a greeting in a particular style of speaking.",
                       {"answer_style": "string"}), greeting),
        ToolTask(_tool("add", "Add two integers.", {"a": "integer", "b": "integer"}), arithmetic("+", "add", lambda a, b: a + b)),
        ToolTask(_tool("multiply", "Multiply two integers.", {"a": "integer", "b": "integer"}),
                 arithmetic("*", "multiply", lambda a, b: a * b)),
        ToolTask(_tool("web_search", "Search the web.", {"query": "string"}), search),
        ToolTask(_tool("send_email", "Send an email.", {"to": "string", "subject": "string"}), email),
        ToolTask(_tool("get_stock_price", "Get the current price of a stock.", {"ticker": "string"}), stock),
        ToolTask(_tool("convert_currency", "Convert an amount between currencies.",
                       {"amount": "integer", "from_currency": "string", "to_currency": "string"}), convert),
        ToolTask(_tool("book_flight", "Book a flight.", {"origin": "string", "destination": "string", "date": "string"}), flight),
    ]


VERBS = "get set find create delete update check lookup fetch list count open close start stop".split()
NOUNS = "user order item file note task city color song book ticket room account device report".split()
WORDS = "red blue green alpha beta gamma river stone apple orange violin tiger falcon maple cedar amber".split()


def _synthetic_tool(rng: random.Random) -> ToolTask:
    """A made-up tool whose request names each argument's value (teaches copying arguments in general)."""
    verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
    name = f"{verb}_{noun}"
    params: Dict[str, str] = {}
    for _ in range(rng.randint(1, 3)):
        params[rng.choice([f"{noun}_name", f"{noun}_id", "count", "label", "color", "owner", "priority", "title", "size"])] = ""
    for key in params:
        params[key] = "integer" if key in ("count", f"{noun}_id", "priority", "size") else "string"
    tool = _tool(name, f"{verb.capitalize()} a {noun}.", params)

    def make(rng: random.Random) -> Tuple[str, Dict[str, Any], str]:
        args: Dict[str, Any] = {}
        for key, kind in params.items():
            if kind == "integer":
                args[key] = rng.randint(0, 999)
            else:
                args[key] = rng.choice(WORDS + FIRST[:20] + [rng.choice(UNICODE_NAMES)])
        spoken = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in args.items())
        ask = rng.choice(["Please {verb} the {noun} with {s}.", "{Verb} {noun}: {s}.", "Can you {verb} a {noun}? {s}"]).format(
            verb=verb, Verb=verb.capitalize(), noun=noun, s=spoken)
        return ask, args, rng.choice(["Done.", "OK", f"{noun} {verb} finished."])

    return ToolTask(tool, make)


TASKS = _tool_tasks()


def _tools_and_task(rng: random.Random) -> Tuple[List[Dict[str, Any]], ToolTask]:
    task = rng.choice(TASKS) if rng.random() < 0.7 else _synthetic_tool(rng)
    others = [t.tool for t in rng.sample(TASKS, rng.randint(0, 3)) if t.tool["function"]["name"] != task.tool["function"]["name"]]
    tools = others + [task.tool]
    rng.shuffle(tools)
    return tools, task


def _call(name: str, args: Dict[str, Any]) -> str:
    return "<tool_call>" + compact({"name": name, "arguments": args}) + "</tool_call>"


def _tool_call(rng: random.Random) -> Example:
    tools, task = _tools_and_task(rng)
    ask, args, _ = task.make(rng)
    messages: List[Dict[str, Any]] = []
    if rng.random() < 0.15:
        messages.append({"role": "system", "content": rng.choice(SYSTEMS)})
    messages.append({"role": "user", "content": ask})
    return Example("tool_call", messages, _call(task.tool["function"]["name"], args), tools=tools)


def _tool_answer(rng: random.Random) -> Example:
    tools, task = _tools_and_task(rng)
    ask, args, result = task.make(rng)
    call_id = f"call_{rng.randint(0, 10**8)}"
    messages = [
        {"role": "user", "content": ask},
        {"role": "assistant", "content": None, "tool_calls": [{"id": call_id, "type": "function", "function": {
            "name": task.tool["function"]["name"], "arguments": json.dumps(args, ensure_ascii=False)}}]},
        {"role": "tool", "tool_call_id": call_id, "content": result},
    ]
    reply = rng.choice(["{r}", "The result is: {r}", "Here is the result: {r}"]).format(r=result)
    return Example("tool_answer", messages, reply, tools=tools)


GREETINGS = {
    "Hello": "Hello! How can I help you today?", "Hi": "Hi! How can I help?", "Hey there": "Hey! What can I do for you?",
    "Good morning": "Good morning! How can I help?", "How are you?": "I'm fine, thank you. How can I help you?",
    "Thank you": "You're welcome!", "Thanks!": "You're welcome!", "Bye": "Goodbye!", "Goodbye": "Goodbye! Have a nice day.",
    "Who are you?": "I am a tiny demo model shipped with llama-native.",
    "What can you do?": "I extract fields from short texts as JSON, call tools, and give short replies.",
    "What is your name?": "I am the llama-native micro model.",
    "Tell me about yourself.": "I am a tiny model trained to extract data as JSON and to call tools.",
    "Write a story about a cat.": "A cat sat in the sun. It slept all day. The end.",
    "Tell me a joke.": "Why did the robot cross the road? To get to the other byte!",
}
QA_SYSTEM = ("You are an expert Q&A system that is trusted around the world.\n"
             "Always answer the query using the provided context information, and not prior knowledge.\n"
             "Some rules to follow:\n1. Never directly reference the given context in your answer.\n"
             "2. Avoid statements like 'Based on the context, ...' or 'The context information ...' or anything along those lines.")


def _chat(rng: random.Random) -> Example:
    kind = rng.random()
    if kind < 0.35:
        ask = rng.choice(list(GREETINGS))
        variant = rng.choice([ask, ask.lower(), ask + "!", ask.rstrip("?!.")])
        messages = [{"role": "user", "content": variant}]
        reply = GREETINGS[ask]
        tools = None
        if rng.random() < 0.3:  # tools offered but none needed: plain reply
            tools, _ = _tools_and_task(rng)
        return Example("chat", messages, reply, tools=tools)
    if kind < 0.55:
        phrase = rng.choice([" ".join(rng.sample(WORDS, rng.randint(1, 4))), _person_text(rng, PersonFacts.make(rng), ["name", "age"])])
        ask = rng.choice(["Repeat after me: {p}", "Say '{p}'", "Please repeat: {p}"]).format(p=phrase)
        return Example("chat", [{"role": "user", "content": ask}], phrase)
    # a question over a context, as LlamaIndex's query engine asks it
    people = [PersonFacts.make(rng) for _ in range(rng.randint(1, 4))]
    facts = []
    for p in people:
        for f in rng.sample(["age", "city", "job", "company", "email"], 2):
            facts.append((p, f, rng.choice(PERSON_FIELDS[f][2]).format(n=p.name, **{k: getattr(p, k) for k in PERSON_FIELDS})))
    rng.shuffle(facts)
    p, f, sentence = rng.choice(facts)
    question = {"age": "How old is {n}?", "city": "Where does {n} live?", "job": "What is {n}'s job?",
                "company": "Where does {n} work?", "email": "What is {n}'s email?"}[f].format(n=p.name)
    context = "\n".join(s for _, _, s in facts)
    user = ("Context information is below.\n---------------------\n" + context + "\n---------------------\n"
            "Given the context information and not prior knowledge, answer the query.\nQuery: " + question + "\nAnswer: ")
    messages = ([{"role": "system", "content": QA_SYSTEM}] if rng.random() < 0.7 else []) + [{"role": "user", "content": user}]
    return Example("chat", messages, sentence)


MIX: List[Tuple[str, float, Callable[[random.Random], Example]]] = [
    ("extract", 0.36, _extract),
    ("json_mode", 0.08, _json_mode),
    ("tool_call", 0.30, _tool_call),
    ("tool_answer", 0.08, _tool_answer),
    ("chat", 0.18, _chat),
]


def examples(seed: int, count: int) -> List[Example]:
    """``count`` examples drawn with ``MIX``'s shares, deterministically for ``seed``."""
    rng = random.Random(seed)
    makers = [m for _, _, m in MIX]
    weights = [w for _, w, _ in MIX]
    return [rng.choices(makers, weights)[0](rng) for _ in range(count)]


def render(example: Example, formatter: Any) -> Tuple[str, str]:
    """(prompt, reply text) exactly as the runtime would see them, with the end token after the reply."""
    from llama_native.chat.completion import _with_system_text
    from llama_native.schema import schema_system_prompt

    messages = example.messages
    if example.schema_prompt and example.schema is not None:
        messages = _with_system_text(messages, schema_system_prompt(example.schema))
    prompt = formatter(messages=messages, tools=example.tools).prompt
    return prompt, example.reply + "<|im_end|>"
