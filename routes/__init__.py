"""Routes: the enterprise integration patterns that connect adapters.

A route takes messages from a channel through steps — validate, translate, filter, choice,
split, aggregate, enrich, wire tap, throttle, delay, call, to, recipients — to channels or
legacy operations. Routes are declared in YAML files or built in Python; both make a `Route`.
"""

from routes._builder import RouteBuilder, Steps, route, steps
from routes._check import check_routes
from routes._cycles import topic_matches
from routes._expr import Expression, ExpressionError
from routes._host import RouteHost
from routes._loader import LoadedRoute, load_routes
from routes._message import Message, Runtime
from routes._model import (
    ErrorPolicy,
    From,
    Route,
    RouteFile,
    Target,
)
from routes._pipeline import CompiledRoute
from routes._problems import Problem, RouteFileError
from routes._reloader import RouteReloader, checked_routes
from routes._schema import route_file_schema
from routes._world import OperationTypes, World

__all__ = [
    "CompiledRoute",
    "ErrorPolicy",
    "Expression",
    "ExpressionError",
    "From",
    "LoadedRoute",
    "Message",
    "OperationTypes",
    "Problem",
    "Route",
    "RouteBuilder",
    "RouteFile",
    "RouteFileError",
    "RouteHost",
    "RouteReloader",
    "Runtime",
    "Steps",
    "Target",
    "World",
    "check_routes",
    "checked_routes",
    "load_routes",
    "route",
    "route_file_schema",
    "steps",
    "topic_matches",
]
