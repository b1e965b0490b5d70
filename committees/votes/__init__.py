"""Owners' votes (业主大会表决): who holds a vote and with what area, the count, ballots
online and on paper, the close, and the contracts a passed vote decided."""
