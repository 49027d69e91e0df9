"""Signal evaluation and verdicts: pass, fail or inconclusive, with evidence."""
