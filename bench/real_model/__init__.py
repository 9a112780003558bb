"""The SmolLM2 experiment: does GRPO through the unchanged recipe teach a real model (README.md here).

design (settings, names, the dev-split rules), tasks (the problems), run (training and answering:
`python bench/real_model/run.py`), report (the summary from the stored completions), results/.
"""
