"""Speed of train_grpo.py's data step on an OpenR1-Math-220k-sized dataset (94,000 rows).

    python bench/data_bench.py            # twice: the second run reads the datasets cache
    python bench/data_bench.py --fresh    # drop the cache first

Writes 94,000 synthetic rows in the OpenR1-Math-220k schema (long problems, LaTeX answers) to a
parquet file once, then times exactly what train_grpo.build_train_dataset does: load, map to
problem/answer (dropping empty and repeated rows), hold out EVAL_SIZE, render every prompt with the
chat template, tokenize it with a fast tokenizer and drop the longest 10%. The datasets cache keys
each step by its inputs, so a second run with the same data and settings is near-instant.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import train_grpo  # noqa: E402
from recipe import models  # noqa: E402

ROWS = 94_000
CACHE = Path.home() / ".cache" / "grpo-math-recipe" / "data_bench"
ANSWERS = [r"\frac{{{a}}}{{{b}}}", r"{a}\sqrt{{{b}}}", "{a}", r"\left[{a}, {b}\right)", r"\{{{a}, {b}\}}", r"{a}\pi"]


def write_rows(path: Path) -> None:
    import datasets

    rng = random.Random(0)
    words = [
        "let",
        "triangle",
        "ABC",
        "be",
        "such",
        "that",
        "the",
        "sum",
        "of",
        "angles",
        "integer",
        "prime",
        "number",
        "sequence",
        "find",
        "all",
        "real",
        "x",
        "with",
    ]

    def row(i: int) -> dict:
        body = " ".join(rng.choice(words) for _ in range(rng.randint(40, 400)))
        problem = f"Problem {i}. {body} $x^{{{rng.randint(2, 9)}}} + \\frac{{{i}}}{{7}} = {rng.randint(1, 99)}$?"
        answer = rng.choice(ANSWERS).format(a=rng.randint(1, 999), b=rng.randint(2, 99))
        return {"problem": problem, "solution": f"Long worked solution {body[:200]}", "answer": answer}

    datasets.Dataset.from_list([row(i) for i in range(ROWS)]).to_parquet(str(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="delete the cached data and map results first")
    args = parser.parse_args()
    if args.fresh and CACHE.exists():
        shutil.rmtree(CACHE)
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / "openr1_like.parquet"
    if not path.exists():
        start = time.perf_counter()
        write_rows(path)
        print(f"wrote {ROWS} rows to {path} in {time.perf_counter() - start:.1f} s (not part of the timing)")

    tokenizer = models.build_tiny_tokenizer()
    cfg = {**train_grpo.CONFIG, "DATASET_NAME": str(path), "DATASET_CONFIG": None}
    start = time.perf_counter()
    train, _, longest = train_grpo.build_train_dataset(cfg, tokenizer)
    seconds = time.perf_counter() - start
    print(f"data step: {ROWS} rows -> {len(train)} training prompts (<= {longest} tokens) in {seconds:.1f} s")


if __name__ == "__main__":
    main()
