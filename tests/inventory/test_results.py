"""What a function returns and stores by key, as the runtime's codec sees it (`results.py`)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from migrator.inventory.results import OK, Results, function_results

IMPORTS = {"json": "json", "re": "re", "Product": "shop.models.Product", "t": "typing"}


def results_of(source: str) -> Results:
    function = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef))

    def resolve(chain: str) -> str:
        root, dot, rest = chain.partition(".")
        return IMPORTS[root] + dot + rest if root in IMPORTS else chain

    return function_results(function, resolve)


@pytest.mark.parametrize(
    "source",
    [
        "def f(x):\n    return x.strip().lower()",
        "def f(x):\n    return f'{x}!'",
        "def f(x):\n    return '%s!' % x",
        "def f(x):\n    return {'n': len(x), 'ok': x is None, 'pair': (1, 2.0)}",
        "def f(x):\n    rows = [1, 2]\n    return tuple(sorted(rows, key=lambda r: -r))",
        "def f(x):\n    return json.loads(x)",
        "def f(u):\n    return get(u).json()",
        "def f(x):\n    if x:\n        return None\n    return",
        "def f(x):\n    value = {'a': [1]}\n    value = {'b': []}\n    return value",
    ],
)
def test_plain_data_is_storable(source: str) -> None:
    assert set(results_of(source).returns) == {OK}


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("def f(x):\n    yield x", "generator"),
        ("async def f(x):\n    return 1", "coroutine"),
        ("def f(x):\n    return (i for i in x)", "generator"),
        ("def f(x):\n    return re.compile(x)", "re.Pattern"),
        ("def f(x):\n    return Product(name=x)", "Product"),
        ("def f(x):\n    return {'p': Link(x)}", "Link"),
        ("def f(x):\n    return x.items()", "dict view"),
        ("def f(x):\n    return lambda: x", "function"),
        ("def f(x):\n    items = []\n    items += [Product(x)]\n    return items", "Product"),
    ],
)
def test_objects_are_not_storable_and_named(source: str, what: str) -> None:
    assert ("no", what) in results_of(source).returns


@pytest.mark.parametrize(
    ("source", "verdict"),
    [
        ("def f(x):\n    return x.name", ("unknown", "x.name")),
        ("def f(x):\n    return helper(x)", ("calls", "helper")),
        ("def f(x):\n    return [helper(x)]", ("unknown", "helper(...)")),
        ("def f(x):\n    for row in x:\n        pass\n    return row", ("unknown", "row")),
        ("def f(x):\n    n = 0\n    n = n + 1\n    return n", ("unknown", "n")),
        ("def f(x):\n    n = 0\n    n += x.amount\n    return n", ("unknown", "x.amount")),
    ],
)
def test_what_cannot_be_followed_is_unknown_or_left_to_the_project(
    source: str, verdict: tuple[str, str]
) -> None:
    assert results_of(source).returns == (verdict,)


@pytest.mark.parametrize(
    ("annotation", "verdict"),
    [
        ("dict[str, t.Any]", OK),
        ("'Optional[list[int]]'", OK),
        ("Literal['a', 'b']", OK),
        ("int | None", OK),
        ("Any", ("unknown", "Any")),
        ("Iterator[str]", ("no", "Iterator")),
        ("Optional['Product']", ("no", "Product")),
    ],
)
def test_the_return_annotation_is_read(annotation: str, verdict: tuple[str, str]) -> None:
    assert results_of(f"def f(x) -> {annotation}:\n    return x").annotation == verdict


def test_what_is_stored_by_key_is_read_per_container() -> None:
    results = results_of(
        """
        def fill(key):
            value = json.loads(key)
            _CACHE[key] = value
            self.objects.setdefault(key, Product(key))
            return _CACHE[key]
        """
    )
    assert results.stores == (("_CACHE", OK), ("self.objects", ("no", "Product")))
    assert results.returns == (OK,)  # `_CACHE[key]` is what was stored there


def test_what_goes_into_a_containers_values_is_read_through_locals_and_nesting() -> None:
    results = results_of(
        """
        def touch(sid, user):
            session = SESSIONS.get(sid) or {}
            session["user"] = user.profile
            SESSIONS[sid]["seen"].append(len(user.name))
            cart = self.carts.setdefault(sid, [])
            cart.append(Product(sid))
            other = {}
            other["x"] = Product(sid)
        """
    )
    assert results.stores == (
        ("SESSIONS", ("unknown", "user.profile")),
        ("SESSIONS", OK),
        ("self.carts", OK),  # the empty list `setdefault` puts
        ("self.carts", ("no", "Product")),
        ("other", ("no", "Product")),
    )
