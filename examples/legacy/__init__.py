"""Stand-ins for legacy systems: real protocol stacks the demo and the tests talk to."""
