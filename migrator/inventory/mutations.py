"""What changes an object, and what only reads it: one table for the scanner and the codemods.

`extract.py` reads `MUTATING_METHODS` to tell a change from a read; `value_flows.py` reads the
rest to follow a value of a container through a function; the codemods read the same names to
decide what to rewrite. Nothing here knows about a particular codemod or detector.
"""

from __future__ import annotations

# Methods that change the object they are called on, by the built-in type that has them.
MUTATING_METHODS_BY_TYPE: dict[str, frozenset[str]] = {
    "list": frozenset(
        "append extend insert remove pop clear sort reverse __setitem__ __delitem__ __iadd__".split()
    ),
    "dict": frozenset("pop popitem clear update setdefault __setitem__ __delitem__".split()),
    "set": frozenset(
        """add discard remove pop clear update difference_update intersection_update
        symmetric_difference_update""".split()
    ),
    "deque": frozenset("appendleft popleft extendleft rotate".split()),
    "Counter": frozenset({"subtract"}),
    "queue": frozenset("put put_nowait get_nowait".split()),
}
MUTATING_METHODS = frozenset().union(*MUTATING_METHODS_BY_TYPE.values())
# Methods that add to a list or set: what `+=` / `|=` on such a value also does.
GROWING_METHODS = frozenset({"append", "extend", "add", "update", "insert", "appendleft"})
# Functions that change their argument in place, by the position of that argument.
MUTATING_FUNCTIONS: dict[str, int] = {
    "bisect.insort": 0,
    "bisect.insort_left": 0,
    "bisect.insort_right": 0,
    "heapq.heappush": 0,
    "heapq.heappop": 0,
    "heapq.heappushpop": 0,
    "heapq.heapreplace": 0,
    "heapq.heapify": 0,
    "random.shuffle": 0,
}
# Builtins that take a whole container and only read it (the container keeps working as a
# mapping of the store: `json.dumps(S)` does not, as the store is not a dict).
WHOLE_READERS = frozenset(
    """len list sorted set frozenset tuple dict iter enumerate any all bool sum min max next
    isinstance""".split()
)
# Calls whose answer depends on their arguments without holding on to them.
PURE_READERS = frozenset(
    """len str repr ascii format int float complex bool bytes hash id isinstance issubclass
    type abs round divmod pow hex oct bin ord chr callable hasattr print sum any all
    json.dumps json.dump copy.deepcopy dataclasses.asdict dataclasses.astuple pprint.pformat
    pprint.pprint flask.jsonify flask.render_template flask.render_template_string flask.abort
    flask.redirect flask.url_for flask.flash flask.make_response flask.json.dumps quart.jsonify
    quart.render_template fastapi.responses.JSONResponse fastapi.responses.HTMLResponse
    fastapi.responses.PlainTextResponse fastapi.responses.ORJSONResponse
    starlette.responses.JSONResponse starlette.responses.HTMLResponse
    starlette.responses.PlainTextResponse django.http.JsonResponse django.http.HttpResponse
    django.shortcuts.render django.template.loader.render_to_string aiohttp.web.json_response
    aiohttp.web.Response sanic.response.json sanic.response.text bottle.template
    tornado.escape.json_encode html.escape hmac.compare_digest secrets.compare_digest
    bisect.bisect bisect.bisect_left bisect.bisect_right time.strftime""".split()
)
# Modules whose functions all take plain data and keep none of it.
PURE_MODULES = (
    "logging.",
    "math.",
    "statistics.",
    "re.",
    "os.path.",
    "hashlib.",
    "base64.",
    "urllib.parse.",
    "textwrap.",
    "string.",
    "operator.",
)
# Calls whose answer holds the parts of their argument (a shallow copy, a view, an iterator).
COPIERS = frozenset(
    """list tuple set frozenset dict sorted reversed iter enumerate zip map filter copy.copy
    heapq.nlargest heapq.nsmallest itertools.chain itertools.islice itertools.groupby""".split()
)
# Calls whose answer is one part of their argument.
PICKERS = frozenset({"min", "max", "next", "random.choice"})
# Methods of any object that read their arguments and keep nothing: loggers, writers, sockets.
PURE_READER_METHODS = frozenset(
    """debug info warning warn error exception critical log join format write writelines
    send sendall send_json send_text send_bytes send_str write_message emit publish render
    render_string finish dumps dump hexdigest compare_digest count index startswith endswith
    set_header add_header set_cookie jsonify render_template TemplateResponse get pop remove
    discard __contains__ __getitem__""".split()
)
# Methods whose first argument is a key, read to find an entry (the store's own included).
KEY_METHODS = frozenset(
    "get pop setdefault edit augment incr decr hit __contains__ __getitem__ __delitem__".split()
)
# Methods of a value that return a part of it, or something holding its parts.
PART_METHODS = frozenset({"get", "__getitem__"})
HOLDER_METHODS = frozenset({"values", "items", "copy"})
# Methods of plain data (dict, list, set, str, bytes, numbers, dates) that change nothing.
READ_ONLY_METHODS = frozenset(
    """keys count index isdisjoint issubset issuperset union intersection difference
    symmetric_difference most_common total elements __len__ __contains__ strip lstrip rstrip
    lower upper title capitalize casefold swapcase split rsplit splitlines startswith endswith
    join format format_map encode decode replace find rfind partition rpartition zfill center
    ljust rjust expandtabs translate removeprefix removesuffix isdigit isalpha isalnum isspace
    islower isupper isnumeric isdecimal isidentifier istitle isascii hex bit_length to_bytes
    is_integer as_integer_ratio conjugate isoformat timestamp strftime date time astimezone
    weekday isoweekday isocalendar utcoffset tzname toordinal ctime timetuple total_seconds
    quantize""".split()
)
# Methods that put their argument into the object they are called on.
STORING_METHODS = frozenset(
    "append extend insert add update setdefault put put_nowait appendleft extendleft".split()
)
# Methods of a container that answer with one of its values (a part to follow).
VALUE_METHODS = frozenset({"get", "setdefault"})
CONTAINER_HOLDER_METHODS = frozenset({"values", "items"})


def is_pure_reader(callee: str) -> bool:
    """Whether a call of the qualified name `callee` only reads its arguments."""
    return callee in PURE_READERS or callee.startswith(PURE_MODULES)
