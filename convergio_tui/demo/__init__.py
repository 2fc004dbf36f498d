"""The built-in demo: a throw-away project, simulated agents and a three-wave plan."""
