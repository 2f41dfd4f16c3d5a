"""Payment providers, registered by name when this module is imported."""

from __future__ import annotations

from collections.abc import Callable

PaymentFunc = Callable[[str, float], str]

PAYMENT_PROVIDERS: dict[str, PaymentFunc] = {}


def provider(name: str) -> Callable[[PaymentFunc], PaymentFunc]:
    """Register the decorated function as the provider called `name`."""

    def register(func: PaymentFunc) -> PaymentFunc:
        PAYMENT_PROVIDERS[name] = func
        return func

    return register


@provider("invoice")
def pay_by_invoice(order_number: str, amount: float) -> str:
    return f"INV-{order_number}"


@provider("card")
def pay_by_card(order_number: str, amount: float) -> str:
    # The card gateway sandbox answers with the order number as the reference.
    return f"CARD-{order_number}-{int(amount * 100)}"
