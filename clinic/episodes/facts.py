"""The facts the workflow gates look at, asked of the capabilities that own them.

Each capability answers for its own tables through its service; a new gate
input is one more line here, and one more field on ``EpisodeFacts``.
"""

from __future__ import annotations

from typing import Any

from clinic.episodes.models import Episode
from clinic.episodes.rules import EpisodeFacts


def gather_facts(episode: Episode) -> EpisodeFacts:
    from clinic.assessments.service import assessment_facts
    from clinic.goals.service import goal_facts
    from clinic.programs.service import program_facts

    facts: dict[str, Any] = {}
    facts.update(assessment_facts(episode.id))
    facts.update(goal_facts(episode.id))
    facts.update(program_facts(episode.id))
    return EpisodeFacts(**facts)
