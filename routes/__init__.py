"""Routes: the enterprise integration patterns that connect adapters.

A route takes messages from a channel through steps — validate, translate, filter, choice,
split, aggregate, enrich, wire tap, throttle, delay, call, to, recipients — to channels or
legacy operations. Routes are declared in YAML files or built in Python; both make a `Route`.
"""

from routes._expr import Expression, ExpressionError
from routes._message import Message, Runtime
from routes._model import (
    ErrorPolicy,
    From,
    Route,
    RouteFile,
    Target,
)
from routes._pipeline import CompiledRoute

__all__ = [
    "CompiledRoute",
    "ErrorPolicy",
    "Expression",
    "ExpressionError",
    "From",
    "Message",
    "Route",
    "RouteFile",
    "Runtime",
    "Target",
]
