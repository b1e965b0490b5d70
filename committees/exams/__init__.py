"""The pre-filing exam (业主委员会备案前培训考试): the question bank, sittings, papers,
marking, certificates and the trainings a filing needs."""
