"""The hub's services. Each subpackage is one service; they share only `shared`."""
