"""smscli: send SMS through HTTP gateways from the command line."""

__version__ = "0.1.0"
