"""Confinement of agent processes: bubblewrap sandbox, environment allow-list, network relay."""
