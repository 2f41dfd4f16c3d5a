"""The library constructors whose objects hold state, by what they hold."""

from __future__ import annotations

CONTAINER_CTORS = frozenset(
    """dict list set collections.defaultdict collections.OrderedDict collections.Counter
    collections.deque collections.ChainMap weakref.WeakValueDictionary weakref.WeakKeyDictionary
    weakref.WeakSet typing.Dict traitlets.Dict traitlets.List traitlets.Set""".split()
)
QUEUE_CTORS = frozenset(
    """queue.Queue queue.LifoQueue queue.PriorityQueue queue.SimpleQueue asyncio.Queue
    asyncio.LifoQueue asyncio.PriorityQueue multiprocessing.Queue multiprocessing.JoinableQueue""".split()
)
LOCK_CTORS = frozenset(
    """threading.Lock threading.RLock threading.Semaphore threading.BoundedSemaphore
    threading.Condition asyncio.Lock asyncio.Semaphore asyncio.BoundedSemaphore asyncio.Condition
    multiprocessing.Lock multiprocessing.RLock""".split()
)
CACHE_CTORS = frozenset(
    """cachetools.TTLCache cachetools.LRUCache cachetools.LFUCache cachetools.FIFOCache
    cachetools.RRCache cachetools.TLRUCache cachetools.Cache cachelib.SimpleCache
    cachelib.simple.SimpleCache werkzeug.contrib.cache.SimpleCache""".split()
)
KNOWN_STATE_CTORS = CONTAINER_CTORS | QUEUE_CTORS | LOCK_CTORS | CACHE_CTORS
