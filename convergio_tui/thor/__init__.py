"""Thor: the ten quality gates, per-task and per-wave review, rounds and escalation.

Public entry points (see docs/architecture.md): :mod:`thor.review` (``review_task``,
``review_wave``), :mod:`thor.rounds` (``accept_task``, ``reject_task``, ``reject_wave``)
and :mod:`thor.escalations` (``pending``, ``decide``). Nothing here imports Textual.
"""
