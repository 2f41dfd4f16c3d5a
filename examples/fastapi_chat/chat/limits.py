"""Request rate limits (slowapi); the limits themselves sit on the routes."""

from slowapi import Limiter
from slowapi.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)
