"""The intake adapter kind: an inbound channel for new services. Each configured operation
accepts a canonical message (through the gateway or `Bus.call`) and publishes it as an event,
answering only once the broker holds it — so a citizen portal can hand a request to the
routes that carry it to the legacy systems.

    adapters:
      portal:
        kind: intake
        channels:
          submit-address-change:
            event_type: civic.person.address-change-requested
            model: examples.demo.models:AddressChangeRequest
"""

from adapters.intake._adapter import Accepted, IntakeAdapter, IntakeChannel, IntakeConfig

__all__ = ["Accepted", "IntakeAdapter", "IntakeChannel", "IntakeConfig"]
