"""Ports: the protocols the domain needs from the outside world, one module per port."""
