"""Loading route files into a running bus, and reloading them when they change (development:
`civicbus run --reload`). A set of files that does not load or check is refused whole and
the routes already running go on untouched."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import structlog
import watchfiles

from routes._check import check_routes
from routes._host import RouteHost
from routes._loader import load_routes
from routes._model import Route
from routes._problems import Problem, RouteFileError
from routes._world import World

log = structlog.get_logger("civicbus.routes")


def checked_routes(paths: list[Path], world: World) -> list[Route]:
    """The routes of `paths`, loaded and checked against `world`; RouteFileError with every
    problem when any is found, so nothing is half-loaded."""
    loaded = load_routes(paths)
    problems = check_routes(loaded, world)
    if problems:
        raise RouteFileError(problems)
    return [item.route for item in loaded]


class RouteReloader:
    """Watches `paths` and swaps the changed routes into `host`."""

    def __init__(self, host: RouteHost, paths: list[Path], world: Callable[[], World]) -> None:
        self.host = host
        self.paths = paths
        self.world = world
        self._thread: threading.Thread | None = None

    def start(self, stop: threading.Event) -> None:
        self._thread = threading.Thread(
            target=self._watch, args=(stop,), name="route-reloader", daemon=True
        )
        self._thread.start()

    def reload(self) -> bool:
        """Load, check and swap in the routes now; False (and logged) when refused."""
        try:
            routes = checked_routes(self.paths, self.world())
        except RouteFileError as error:
            log.error(
                "routes_reload_refused",
                problems=[_line(problem) for problem in error.problems],
                hint="the routes already running go on; fix the files and save again",
            )
            return False
        self.host.reload(routes)
        return True

    def _watch(self, stop: threading.Event) -> None:
        folders = [path if path.is_dir() else path.parent for path in self.paths]
        for changes in watchfiles.watch(*folders, stop_event=stop, raise_interrupt=False):
            if any(_is_route_file(Path(changed)) for _, changed in changes):
                try:
                    self.reload()
                except Exception:  # a failed reload must not end reloading
                    log.exception("routes_reload_failed")


def _is_route_file(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml")


def _line(problem: Problem) -> str:
    return str(problem)
