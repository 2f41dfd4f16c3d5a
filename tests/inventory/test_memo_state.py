"""Memoization is state only where it is: a memo of a pure function is no component; a memo
over changing data moves onto the store only when its results can be stored there, else it is
manual with the type in the finding and in plan.json."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from migrator.inventory import scan_project
from migrator.model import Finding
from migrator.plan.build import build_plan

MODELS = """
from django.db import models


class Product(models.Model):
    name = models.CharField(max_length=80)
"""


def scan(root: Path, files: dict[str, str]) -> dict[str, Finding]:
    (root / "shop").mkdir()
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "models.py").write_text(textwrap.dedent(MODELS))
    for name, source in files.items():
        (root / "shop" / name).write_text(textwrap.dedent(source))
    return {f.symbol: f for f in scan_project(root, use_cache=False).findings}


def test_a_memoised_pure_parser_of_frozen_dataclasses_is_no_component(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        {
            "links.py": """
            import functools
            from dataclasses import dataclass

            import httpx


            @dataclass(frozen=True)
            class Link:
                host: str
                path: str


            @functools.lru_cache(maxsize=256)
            def parse(text: str) -> Link:
                url = httpx.URL(text)  # parses; no request is made
                return Link(url.host, url.path)
            """
        },
    )
    assert "parse" not in found


def test_a_memo_over_the_database_whose_results_are_objects_is_manual_with_the_type(
    tmp_path: Path,
) -> None:
    found = scan(
        tmp_path,
        {
            "catalog.py": """
            import functools
            from dataclasses import dataclass

            from shop.models import Product


            @dataclass(frozen=True)
            class Listing:
                name: str


            @functools.lru_cache(maxsize=64)
            def listing(pid):
                return Listing(Product.objects.get(pk=pid).name)


            @functools.lru_cache(maxsize=64)
            def product(pid) -> Product:
                return Product.objects.get(pk=pid)
            """
        },
    )
    assert found["listing"].automation == "manual"
    assert "its results of type `Listing` cannot be stored" in found["listing"].message
    assert found["product"].automation == "manual"
    assert "its results of type `Product` cannot be stored" in found["product"].message


def test_a_memo_over_changing_data_with_plain_results_keeps_its_codemod(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        {
            "prices.py": """
            import functools
            from typing import Any

            import requests

            from shop.models import Product


            @functools.lru_cache(maxsize=64)
            def price(sku):
                return requests.get("https://prices/" + sku).json()


            @functools.lru_cache(maxsize=64)
            def card(pid) -> dict[str, Any]:
                row = Product.objects.get(pk=pid)
                return {"name": row.name}


            @functools.lru_cache(maxsize=64)
            def names(pid):
                return load(pid)


            def load(pid) -> list[str]:
                return list(Product.objects.filter(pk=pid).values_list("name", flat=True))
            """
        },
    )
    assert found["price"].automation == "codemod"
    assert found["card"].automation == "codemod"
    assert found["names"].automation == "manual"  # `load` is not read: nothing vouches for it
    assert "its results (`load(...)`) cannot be shown to be storable" in found["names"].message


def test_a_dict_memo_of_objects_is_manual_and_one_of_plain_data_is_not(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        {
            "memo.py": """
            import requests

            from shop.models import Product

            _PRODUCT_CACHE = {}
            _PRICE_CACHE = {}


            def product(pid):
                if pid in _PRODUCT_CACHE:
                    return _PRODUCT_CACHE[pid]
                value = Product.objects.get(pk=pid)
                _PRODUCT_CACHE[pid] = value
                return value


            def price(sku):
                if sku not in _PRICE_CACHE:
                    _PRICE_CACHE[sku] = requests.get("https://prices/" + sku).json()
                return _PRICE_CACHE[sku]
            """
        },
    )
    assert found["_PRODUCT_CACHE"].automation == "manual"
    assert "its values (`Product.objects.get(...)`) cannot be shown to be storable" in (
        found["_PRODUCT_CACHE"].message
    )
    assert found["_PRICE_CACHE"].automation == "codemod"


def test_a_pure_memo_made_in_init_is_no_component(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        {
            "pages.py": """
            import os


            class Pages:
                def __init__(self, folder):
                    self.folder = folder
                    self.CACHE = {}

                def get_page(self, name):
                    if name in self.CACHE:
                        return self.CACHE[name]
                    with open(os.path.join(self.folder, name)) as page:
                        self.CACHE[name] = page.read()
                    return self.CACHE[name]


            PAGES = Pages("pages")


            def show(name):
                return PAGES.get_page(name)
            """
        },
    )
    assert "Pages.CACHE" not in found


def test_the_reason_reaches_plan_json(tmp_path: Path) -> None:
    found = scan(
        tmp_path,
        {
            "catalog.py": """
            import functools

            from shop.models import Product


            @functools.lru_cache(maxsize=64)
            def product(pid) -> Product:
                return Product.objects.get(pk=pid)


            def rename(pid, name):
                Product.objects.filter(pk=pid).update(name=name)
                product.cache_clear()
            """
        },
    )
    assert found["product"].automation == "manual"
    result = scan_project(tmp_path, use_cache=False)
    plan = json.dumps(build_plan(result).plan.to_json())
    assert "its results of type `Product` cannot be stored" in plan
