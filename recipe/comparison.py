"""The before/after comparison, pure: each completion judged by the reward's own judge, each model's
metrics with intervals, the paired tests and the headline against the base model at its best prompt.
Tested on fixed completions; evaluate.py generates them.
"""

from __future__ import annotations

import judge
import rewards

from . import statistics


def judge_completion(completion: str, gold: str) -> dict:
    """The reward's verdict on one completion: strict verdict and correctness (the solution block),
    lenient correctness (the answer wherever a grader would look), exact format, and whether the
    judge ran out of its CPU budget and judged again with a larger one (`rejudged`)."""
    verdict, rejudged = judge.judge_patiently(judge.extract_answer(completion), gold)
    lenient = verdict == judge.EQUIVALENT
    if not lenient:
        lenient_verdict, lenient_rejudged = judge.judge_patiently(judge.lenient_answer(completion), gold)
        lenient, rejudged = lenient_verdict == judge.EQUIVALENT, rejudged or lenient_rejudged
    exact = rewards.match_format_exactly(None, [completion])[0] == rewards.FORMAT_EXACT
    return {
        "verdict": verdict,
        "correct": verdict == judge.EQUIVALENT,
        "lenient": lenient,
        "exact_format": exact,
        "rejudged": rejudged,
    }


def pass_at_ks(num_samples: int, configured) -> list[int]:
    """The k values reported for n samples: the configured ones up to n, or 1, 2, 4, ... up to n."""
    if configured is not None:
        return sorted({k for k in configured if 1 <= k <= num_samples})
    return sorted({2**i for i in range(num_samples.bit_length()) if 2**i <= num_samples} | {num_samples})


def model_metrics(records: list[dict], pass_k=None) -> dict:
    """Counts and rates of one model: greedy strict and lenient accuracy, exact-format and truncation
    rate (each with its Wilson interval), mean completion tokens, and with samples pass@1 / pass@k."""
    n = len(records)
    greedy = [r["judged"][0] for r in records]

    def rate(successes: int) -> dict:
        low, high = statistics.wilson_interval(successes, n)
        return {"value": successes / n, "low": low, "high": high, "count": successes, "n": n}

    result = {
        "strict_accuracy": rate(sum(j["correct"] for j in greedy)),
        "lenient_accuracy": rate(sum(j["lenient"] for j in greedy)),
        "format_rate": rate(sum(j["exact_format"] for j in greedy)),
        "truncation_rate": rate(sum(r["truncated"][0] for r in records)),
        "mean_tokens": {"value": sum(r["tokens"][0] for r in records) / n},
    }
    samples = len(records[0]["judged"]) - 1
    if samples > 1:
        for kind, key in (("strict", "correct"), ("lenient", "lenient")):
            right = [sum(j[key] for j in r["judged"][1:]) for r in records]
            for k in pass_at_ks(samples, pass_k):
                value = sum(statistics.pass_at_k(samples, c, k) for c in right) / n
                result[f"{kind}_pass@{k}"] = {"value": value}
    return result


def build_report(cfg: dict, problems, runs: dict, setup: dict) -> dict:
    """Per-problem records for each model, metrics per model, what was compared (`setup`, completed here
    with the budget and timing lines), and the paired tests."""
    per_problem = []
    for i, (problem, gold) in enumerate(zip(problems["problem"], problems["answer"], strict=True)):
        entry = {"problem": problem, "gold": gold}
        for name, records in runs.items():
            record = records[i]
            record["judged"] = [judge_completion(c, gold) for c in record["completions"]]
            entry[name] = record
        per_problem.append(entry)
    judged = [j for p in per_problem for name in runs for j in p[name]["judged"]]
    report = {
        "judge": {  # answers whose judgement ran out of CPU budget once, and those still undecided after
            "rejudged": sum(j["rejudged"] for j in judged),
            "undecided": sum(j["verdict"] == judge.TIMEOUT for j in judged),
            "retry_budget_scale": judge.RETRY_BUDGET_SCALE,
        },
        "setup": {
            **setup,
            "prompts past the budget": budget_line(cfg, per_problem),
            "generation time": generation_times(runs),
        },
        "metrics": {name: model_metrics([p[name] for p in per_problem], cfg["PASS_AT_K"]) for name in runs},
        "config": dict(cfg),
        "problems": per_problem,
    }
    report["headline"] = headline(report["metrics"], per_problem)
    if "trained" in runs:
        for kind, key in (("strict", "correct"), ("lenient", "lenient")):
            before = [p["base"]["judged"][0][key] for p in per_problem]
            after = [p["trained"]["judged"][0][key] for p in per_problem]
            test = statistics.paired_test(before, after)
            report.setdefault("paired", {})[kind] = {**test, "sentence": f"{kind}: {statistics.describe_paired(test)}"}
            if kind == "strict":
                report["fixed"] = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if a and not b]
                report["broken"] = [i for i, (b, a) in enumerate(zip(before, after, strict=True)) if b and not a]
    return report


def headline(metrics_by_name: dict, per_problem: list[dict]) -> dict:
    """The trained model against the base model at its best: the base prompt with the highest lenient
    accuracy (a tie goes to the earlier prompt in the report), with the exact paired test on lenient
    verdicts against that prompt. Picking the best prompt on these same problems favours the base, so
    a gain that survives it is not an artefact of a prompt that cripples the base model."""
    bases = [name for name in metrics_by_name if name != "trained"]
    best = max(bases, key=lambda name: (metrics_by_name[name]["lenient_accuracy"]["count"], -bases.index(name)))
    base_rate = metrics_by_name[best]["lenient_accuracy"]
    result = {"base_prompt": best, "base_lenient": base_rate["value"]}
    if "trained" not in metrics_by_name:
        result["sentence"] = (
            f"Base model at its best: {best}, lenient {statistics.rate_with_interval(base_rate['count'], base_rate['n'])}."
        )
        return result
    before = [p[best]["judged"][0]["lenient"] for p in per_problem]
    after = [p["trained"]["judged"][0]["lenient"] for p in per_problem]
    test = statistics.paired_test(before, after)
    trained_rate = metrics_by_name["trained"]["lenient_accuracy"]
    result.update(trained_lenient=trained_rate["value"], paired=test)
    result["sentence"] = (
        f"Headline, trained vs the base model at its best prompt ({best}), lenient accuracy: "
        f"{statistics.rate_with_interval(trained_rate['count'], trained_rate['n'])} vs "
        f"{statistics.rate_with_interval(base_rate['count'], base_rate['n'])}; {statistics.describe_paired(test)}."
    )
    return result


def generation_times(runs: dict) -> str:
    """Each run's generation pass in seconds: what every extra base prompt costs."""
    return ", ".join(f"{name} {records[0].get('seconds', 0.0):.1f} s" for name, records in runs.items() if records)


def budget_line(cfg: dict, per_problem: list[dict]) -> str:
    """How many prompts leave less than MAX_NEW_TOKENS (or no room at all) before MAX_SEQ_LENGTH."""
    if not all("budget" in p["base"] for p in per_problem):
        return "not recorded"
    budgets = [p["base"]["budget"] for p in per_problem]
    short = sum(0 < b < cfg["MAX_NEW_TOKENS"] for b in budgets)
    none = sum(b == 0 for b in budgets)
    return (
        f"{short} of {len(budgets)} prompts leave fewer than {cfg['MAX_NEW_TOKENS']} new tokens before "
        f"MAX_SEQ_LENGTH={cfg['MAX_SEQ_LENGTH']} (their budget is cut to fit), {none} leave none (no completion)"
    )
