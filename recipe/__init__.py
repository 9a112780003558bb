"""The recipe's plumbing, under train_grpo.py and evaluate.py: what the scripts call but a user rarely edits.

config (settings, `--NAME=value`, errors), data (datasets into chat samples), models (loading, templates,
precision, saving), checks (backend, vLLM, precision and CPU-mode refusals), generation (the evaluation's
generators and token budgets), callbacks (what runs inside training: metrics file, health warnings,
completion log), documents (reward plot, model card, comparison report), runs (a run's identity and
resuming), statistics (intervals and paired tests). The rewards, the prompts and the judge are not here:
they sit at the root (rewards.py, prompts.py) and in judge/.
"""
