"""The civic demo behind `make run` (`civicbus run --demo`): a population register (SOAP), a
benefits database (SQL) and a tax office (fixed-width batch files in folders), connected by
the routes in `routes/` and the settings in `civicbus.yaml`, with a scripted citizen portal
calling the gateway so messages keep flowing."""

from examples.demo._launcher import CivicDemo

__all__ = ["CivicDemo"]
