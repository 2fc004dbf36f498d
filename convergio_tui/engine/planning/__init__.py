"""Plans from a goal (``convergio plan new``): a planning agent drafts, the plan validator
judges, errors go back for two more rounds. See docs/plan-format.md#drafting-a-plan-from-a-goal.

- ``prompt``: the planning prompt, its format section generated from the plan schema;
- ``repo_view``: the compact view of the repository the prompt shows;
- ``extract``: the YAML in the agent's answer;
- ``dispatch``: one planning run through the engine's dispatch path, read-only;
- ``draft``: the rounds;
- ``preview``: where each drafted task would go, before import;
- ``template``: the commented example plan.
"""
