"""Speed of check_answer against plain math-verify on ~2,000 realistic completions.

    python bench/rewards_bench.py            # 256 golds x 8 generations = 2,048 completions
    python bench/rewards_bench.py --groups 64
    python bench/rewards_bench.py --baseline 55c4c53 --rounds 5   # check_answer now vs at a git revision

With --baseline, check_answer of the working tree and of the judge at that revision (rewards.py,
prompts.py and the judge's files in that revision's layout: judge.py, its modules at the root, or judge/) are timed in alternating fresh processes on the same batch, and each
round prints both p99s and their ratio.

Three judges score the same batch in one run, each from a cold sympy cache, each completion timed
alone:
  check_answer          the recipe's reward: fast paths, then math-verify under a time limit. A gold
                        is prepared once per process, so the first completion of each group pays for
                        parsing it, as in training where the group shares it.
  math-verify (block)   parse(gold) + parse(answer in the solution block) + verify for every
                        completion, no fast paths: what the reward would cost without them.
  math-verify (open-r1) parse(gold) + parse(whole completion) + verify, as open-r1's accuracy
                        reward does; it finds no anchored answer in this format, so it is fast
                        and credits little: shown for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("REWARDS_BENCH_ROOT", str(ROOT)))  # --baseline: the judge of a revision

from sympy.core.cache import clear_cache  # noqa: E402

import judge  # noqa: E402
import rewards  # noqa: E402
from prompts import REASONING_END, SOLUTION_END, SOLUTION_START  # noqa: E402

GENERATIONS = 8  # completions per gold, like NUM_GENERATIONS


def make_gold(rng: random.Random) -> tuple[str, list[str], list[str]]:
    """A gold answer with equivalent spellings and wrong answers of the same kind."""
    kind = rng.choice(["int", "int", "int", "frac", "sqrt", "pi", "interval", "poly"])
    a, b = rng.randint(2, 999), rng.randint(2, 97)
    if kind == "int":
        right = [str(a), f"x = {a}", rf"\boxed{{{a}}}", f"{a} apples", f"{a}.0"]
        return str(a), right, [str(a + 1), str(-a), f"{a} or {a + 1}", str(a * 2)]
    if kind == "frac":
        right = [rf"\frac{{{a}}}{{{b}}}", f"{a}/{b}", rf"\dfrac{{{a * 2}}}{{{b * 2}}}"]
        return rf"\frac{{{a}}}{{{b}}}", right, [rf"\frac{{{b}}}{{{a}}}", f"{a / b + 1:.3f}"]
    if kind == "sqrt":
        right = [rf"{b}\sqrt{{2}}", rf"\sqrt{{{2 * b * b}}}"]
        return rf"{b}\sqrt{{2}}", right, [rf"{b}\sqrt{{3}}", rf"\sqrt{{{b}}}"]
    if kind == "pi":
        right = [rf"\frac{{{b}\pi}}{{3}}", rf"\frac{{{b}}}{{3}}\pi"]
        return rf"\frac{{{b}\pi}}{{3}}", right, [rf"\frac{{{b}\pi}}{{4}}", f"{b}"]
    if kind == "interval":
        lo, hi = sorted((a, b))
        right = [f"[{lo}, {hi})", f"[{lo},{hi})"]
        return f"[{lo},{hi})", right, [f"({lo}, {hi})", f"[{lo}, {hi}]"]
    right = [f"x^2+{2 * b}x+{b * b}", f"(x+{b})^2"]
    return f"(x+{b})^2", right, [f"(x-{b})^2", f"x^2+{b * b}"]


def make_completion(rng: random.Random, answer: str) -> str:
    reasoning = " ".join(
        rng.choice(["We", "compute", "so", "then", "2+3=5", r"\frac{a}{b}", "thus"])
        for _ in range(rng.randint(20, 120))
    )
    shape = rng.random()
    if shape < 0.75:
        return f"{reasoning}{REASONING_END}{SOLUTION_START}{answer}{SOLUTION_END}"
    if shape < 0.85:
        return f"{reasoning} so the answer is {answer}."  # no block
    if shape < 0.92:
        return f"{reasoning}{REASONING_END}{SOLUTION_START}{answer}"  # unterminated
    return f"{reasoning}{REASONING_END}{SOLUTION_START}{answer}{SOLUTION_END}{SOLUTION_START}0{SOLUTION_END}"


def make_batch(groups: int, seed: int = 0) -> list[tuple[str, list[str]]]:
    rng = random.Random(seed)
    batch = []
    for _ in range(groups):
        gold, right, wrong = make_gold(rng)
        answers = [rng.choice(right) if rng.random() < 0.5 else rng.choice(wrong) for _ in range(GENERATIONS)]
        batch.append((gold, [make_completion(rng, a) for a in answers]))
    return batch


def math_verify_block(completion: str, gold: str) -> bool:
    from math_verify import parse, verify

    answer = judge.extract_answer(completion)
    return answer is not None and verify(parse(f"${gold}$"), parse(f"${answer}$"))


def math_verify_open_r1(completion: str, gold: str) -> bool:
    from latex2sympy2_extended import NormalizationConfig
    from math_verify import LatexExtractionConfig, parse, verify

    config = LatexExtractionConfig(
        normalization_config=NormalizationConfig(
            nits=False, malformed_operators=False, basic_latex=True, boxed="all", units=True
        ),
        boxed_match_priority=0,
        try_extract_without_anchor=False,
    )
    gold_parsed = parse(f"${gold}$", extraction_mode="first_match")
    return verify(gold_parsed, parse(completion, extraction_config=[config], extraction_mode="first_match"))


def check_answer_right(completion: str, gold: str) -> bool:
    return rewards.check_answer(None, [completion], [gold])[0] == rewards.ANSWER_EQUIVALENT


def time_judge(judge_fn, batch) -> tuple[list[float], int]:
    """Per-completion milliseconds and number credited, from cold caches."""
    clear_cache()
    judge.prepare_gold.cache_clear()
    ms, credited = [], 0
    for gold, comps in batch:
        for c in comps:
            t = time.perf_counter()
            credited += bool(judge_fn(c, gold))
            ms.append(1000 * (time.perf_counter() - t))
    return ms, credited


def percentiles(ms: list[float]) -> str:
    return f"p50 {statistics.median(ms):7.2f} ms   p99 {p99(ms):7.2f} ms   worst {max(ms):7.2f} ms"


def p99(ms: list[float]) -> float:
    ms = sorted(ms)
    return ms[min(len(ms) - 1, int(0.99 * len(ms)))]


def check_answer_only(groups: int) -> None:
    """Child process of --baseline: check_answer's per-completion ms from cold caches, as JSON."""
    batch = make_batch(groups)
    check_answer_right(f"x{REASONING_END}{SOLUTION_START}1{SOLUTION_END}", r"\sqrt{2}")  # warm up
    ms, credited = time_judge(check_answer_right, batch)
    print(json.dumps({"ms": ms, "credited": credited}))


JUDGE_FILES = ("rewards.py", "prompts.py", "judge.py")  # required; the judge is a package (judge/) from issue 36
JUDGE_MODULES = ("answers.py", "spelling.py", "symbolic.py", "equivalence.py")  # its modules at the root before


def judge_files(revision: str) -> list[str]:
    """The files of `revision` the judge runs from, in whichever layout that revision has."""
    tree = subprocess.run(["git", "ls-tree", "-r", "--name-only", revision], cwd=ROOT, capture_output=True, text=True)
    if tree.returncode != 0:
        sys.exit(f"error: cannot read {revision}: {tree.stderr.strip()}")
    names = set(tree.stdout.split())
    package = sorted(n for n in names if n.startswith("judge/") and n.endswith(".py"))
    missing = [n for n in JUDGE_FILES[:2] if n not in names] + ([] if package or "judge.py" in names else ["judge"])
    if missing:
        sys.exit(f"error: {revision} has no {', '.join(missing)}")
    return [n for n in (*JUDGE_FILES, *JUDGE_MODULES) if n in names] + package


def compare_with_revision(revision: str, groups: int, rounds: int) -> None:
    """check_answer of the working tree and of `revision`, alternating fresh processes, same batch."""
    with tempfile.TemporaryDirectory() as old:
        for name in judge_files(revision):
            text = subprocess.run(["git", "show", f"{revision}:{name}"], cwd=ROOT, capture_output=True, text=True)
            Path(old, name).parent.mkdir(parents=True, exist_ok=True)
            Path(old, name).write_text(text.stdout)
        ratios = []
        for i in range(rounds):
            result = {}
            for label, root in (("now", str(ROOT)), (revision, old)):
                env = {**os.environ, "REWARDS_BENCH_ROOT": root}
                cmd = [sys.executable, __file__, "--groups", str(groups), "--check-answer-only"]
                out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                result[label] = json.loads(out.stdout.splitlines()[-1])
            now, then = p99(result["now"]["ms"]), p99(result[revision]["ms"])
            ratios.append(now / then)
            print(
                f"round {i + 1}: check_answer p99 now {now:.2f} ms (credited {result['now']['credited']}), "
                f"at {revision} {then:.2f} ms (credited {result[revision]['credited']}), ratio {now / then:.2f}x"
            )
        print(f"p99 ratio now / {revision}: median {statistics.median(ratios):.2f}x over {rounds} rounds")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=256)
    parser.add_argument("--baseline", help="a git revision: compare check_answer's p99 with the judge there")
    parser.add_argument("--rounds", type=int, default=3, help="with --baseline: alternating rounds")
    parser.add_argument("--check-answer-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.check_answer_only:
        return check_answer_only(args.groups)
    if args.baseline:
        return compare_with_revision(args.baseline, args.groups, args.rounds)
    batch = make_batch(args.groups)
    n = sum(len(c) for _, c in batch)
    judges = {
        "check_answer": check_answer_right,
        "math-verify (block)": math_verify_block,
        "math-verify (open-r1)": math_verify_open_r1,
    }
    for judge_fn in judges.values():  # warm up: sympy import and grammar loading
        judge_fn(f"x{REASONING_END}{SOLUTION_START}1{SOLUTION_END}", r"\sqrt{2}")

    print(f"{n} completions, {len(batch)} golds x {GENERATIONS} generations")
    totals = {}
    for name, judge_fn in judges.items():
        ms, credited = time_judge(judge_fn, batch)
        totals[name] = sum(ms)
        print(f"{name:22} {percentiles(ms)}   total {sum(ms) / 1000:6.2f} s   credited {credited}")
    clear_cache()
    judge.prepare_gold.cache_clear()
    start = time.perf_counter()
    for gold, comps in batch:
        rewards.check_answer(None, comps, [gold] * len(comps))
    grouped = time.perf_counter() - start
    print(f"check_answer, one call per group of {GENERATIONS} as TRL calls it: total {grouped:.2f} s")
    for name in list(judges)[1:]:
        print(f"speed ratio {name} / check_answer (grouped): {totals[name] / 1000 / grouped:.1f}x")


if __name__ == "__main__":
    main()
