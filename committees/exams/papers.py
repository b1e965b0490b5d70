"""Drawing an exam paper from the question bank (pure Python).

A paper is drawn from a seed, so the same attempt always shows the same paper
(a reload, another device) while two attempts differ: per topic, the blueprint's
number of questions is sampled, the questions are shuffled together, and each
question's options are shuffled, except true/false, which stays 对 / 错.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence


class BlueprintError(ValueError):
    pass


def draw(
    seed: int,
    bank: Mapping[str, Sequence[tuple[int, str, Sequence[int]]]],
    blueprint: Mapping[str, int],
) -> list[dict]:
    """``bank``: topic -> [(question id, kind, option ids)]; ``blueprint``: topic -> how many.

    Returns [{"q": question id, "options": [option ids in display order]}].
    """
    rng = random.Random(seed)
    paper = []
    for topic in sorted(blueprint):
        wanted = blueprint[topic]
        pool = sorted(bank.get(topic, ()), key=lambda item: item[0])
        if wanted > len(pool):
            raise BlueprintError(f"topic {topic!r} has {len(pool)} questions, the blueprint wants {wanted}")
        paper.extend(rng.sample(pool, wanted))
    rng.shuffle(paper)
    drawn = []
    for question_id, kind, options in paper:
        options = list(options)
        if kind != "true_false":
            rng.shuffle(options)
        drawn.append({"q": question_id, "options": options})
    return drawn
