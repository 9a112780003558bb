"""The real-model benchmark's summary, recomputed from the stored completions with the current judge:
accuracy per family, operation and presentation; the shortcut detector; statistics whose unit is the
problem; the curves and the per-type bar chart. `python bench/real_model/run.py --summary` prints it.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import judge
from real_model import design, tasks
from recipe import callbacks, comparison, documents, statistics


def load(family: str, arm: str, seed: int | None, step: int | None = None) -> dict | None:
    """One stored result with its judgements (evaluate.py's verdicts), or None when it is missing."""
    path = design.RESULTS / design.result_name(family, arm, seed, step)
    if not path.is_file():
        return None
    result = json.loads(path.read_text())
    pairs = zip(result["completions"], result["gold"], strict=True)
    result["judged"] = [comparison.judge_completion(c, g) for c, g in pairs]
    return result


def strict(result: dict) -> list[bool]:
    return [j["correct"] for j in result["judged"]]


def shortcut_figures(results: list[dict]) -> dict:
    """Whether the working out writes the problem's operations (and no other), the share of
    completions opening with the most common opening, and how many distinct answers there are."""
    right_ops = [
        tasks.uses_right_operations(c, ops) for r in results for c, ops in zip(r["completions"], r["ops"], strict=True)
    ]
    openings = Counter(tasks.first_line(c) for r in results for c in r["completions"])
    opening, count = openings.most_common(1)[0]
    answers = [judge.extract_answer(c) for r in results for c in r["completions"]]
    blocks = [j["verdict"] != judge.NO_BLOCK for r in results for j in r["judged"]]
    truncated = [t for r in results for t in r["truncated"]]
    n = len(right_ops)
    return {
        "right_operations": sum(right_ops) / n,
        "top_opening": opening,
        "top_opening_share": count / n,
        "distinct_answers": len({a for a in answers if a is not None}),
        "solution_block": sum(blocks) / n,
        "truncated": sum(truncated) / n,
        "n": n,
    }


def _tally(results: list[dict], cell_of, verdicts=None) -> dict[str, tuple[int, int]]:
    """(right, answered) per cell, `cell_of(ops, presentation)` naming a problem's cell, pooled over
    the results given, in cell order; right by `verdicts` (strict unless given: lenient for the base
    model's tag-free prompts)."""
    cells: dict[str, list[int]] = {}
    for r in results:
        for ok, ops, presentation in zip((verdicts or strict)(r), r["ops"], r["presentation"], strict=True):
            cell = cells.setdefault(cell_of(ops, presentation), [0, 0])
            cell[0] += ok
            cell[1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(cells.items())}


def type_accuracy(results: list[dict], verdicts=None) -> dict[str, tuple[int, int]]:
    """(right, answered) per operations x presentation cell, pooled over the results given."""
    return _tally(results, lambda ops, presentation: f"{ops} {presentation}", verdicts)


def by_operation(results: list[dict], verdicts=None) -> dict[str, tuple[int, int]]:
    """(right, answered) per operation of one-step problems (or number of operations), then per
    presentation, pooled."""
    operations = _tally(results, lambda ops, _: ops if "+" not in ops else f"{ops.count('+') + 1} ops", verdicts)
    return {**operations, **_tally(results, lambda _, presentation: presentation, verdicts)}


BASE_ARMS = ("base", "base-native", "base-fewshot")  # the base model: the run's template, its own, few-shot


def lenient(result: dict) -> list[bool]:
    return [j["lenient"] for j in result["judged"]]


def restated_share(results: list[dict]) -> float:
    """The share of solution blocks that are arithmetic left undone (a restated problem: the judge pays
    it as no value since issue 35), over every completion that has a block."""
    blocks = [judge.extract_answer(c) for r in results for c in r["completions"]]
    blocks = [b for b in blocks if b is not None]
    return sum(judge.is_unevaluated(b) for b in blocks) / len(blocks) if blocks else 0.0


def groups(seeds: list[int]) -> list[dict]:
    """The GRPO arms the report compares, each with its priming-only control (the same template and
    seeds) and, where it exists, its no-answer-reward control: the third design's (recipe template,
    100 steps), the native template's, and each checkpoint of the long runs."""
    found = [
        {"label": "GRPO", "arm": "grpo", "step": None, "priming": "priming", "noanswer": "noanswer"},
        {"label": "GRPO native", "arm": "grpo_native", "step": None, "priming": "priming_native", "noanswer": None},
    ]
    for arm, priming, label in (
        ("grpo_long", "priming", "GRPO"),
        ("grpo_native_long", "priming_native", "GRPO native"),
    ):
        for step in design.LONG_CHECKPOINTS:
            found.append(
                {
                    "label": f"{label} {design.LONG_STEPS}-step run at {step}",
                    "arm": arm,
                    "step": step,
                    "priming": priming,
                }
                | {"noanswer": None}
            )
    return found


def arm_line(family: str, label: str, results: list[dict], seeds_shown, tagged: bool = True) -> list[str]:
    """An arm's two lines: strict and lenient accuracy (Wilson, the problem as the unit), per operation
    and presentation, the shortcut figures and the restated share; then its per-cell accuracy. Per
    operation and cell the accuracy is strict, or lenient for a prompt without the tags (`tagged`)."""
    kind = None if tagged else lenient
    right = [x for r in results for x in strict(r)]
    loose = [x for r in results for x in lenient(r)]
    figures = shortcut_figures(results)
    per_seed = " / ".join(f"{100 * sum(strict(r)) / len(r['gold']):.1f}" for r in results)
    ops = "; ".join(
        f"{k} {100 * a / n:.0f}%" for k, (a, n) in by_operation(results, kind).items()
    )  # where a gain lives
    runs = len(results)
    head = (
        f"{family:10} {label:16} problems={len(right) // runs:4} seeds={seeds_shown}: "
        f"strict {statistics.rate_with_interval(sum(right), len(right), runs)}"
        f"{f' (per seed {per_seed} %)' if runs > 1 else ''}; "
        f"lenient {statistics.rate_with_interval(sum(loose), len(loose), runs)}; {ops}; "
        f"right operations {100 * figures['right_operations']:.0f}%, solution block {100 * figures['solution_block']:.0f}%, "
        f"restated problem {100 * restated_share(results):.0f}% of blocks, "
        f"truncated {100 * figures['truncated']:.0f}%, most common opening {100 * figures['top_opening_share']:.0f}% "
        f"({figures['top_opening'][:50]!r}), distinct answers {figures['distinct_answers']}"
    )
    cells = "; ".join(
        f"{k} {statistics.rate_with_interval(a, n, runs)}" for k, (a, n) in type_accuracy(results, kind).items()
    )
    per = "per operations x presentation" if tagged else "per operations x presentation (lenient)"
    return [
        head.replace("; add ", f"; {'' if tagged else 'lenient '}add ", 1),
        f"{family:10} {label:16} {per}: {cells}",
    ]


def comparison_line(family: str, label: str, control: str, test: dict) -> str:
    low, high = test["interval"]
    if test["seed_interval"] is None:
        seed_level = "(one seed: no interval for a new seed)"
    else:
        seed_low, seed_high = test["seed_interval"]
        seed_level = f"[{100 * seed_low:+.1f}, {100 * seed_high:+.1f}] (t over {test['seeds']} seeds: a new seed; wide)"
    return (
        f"{family} {label} - {control} (lenient): {100 * test['difference']:+.1f} points [{100 * low:+.1f}, "
        f"{100 * high:+.1f}] (bootstrap over problems), exact sign-flip p={test['p_value']:.3g} on per-problem "
        f"counts (these adapters, these problems); seed-level {100 * test['seed_difference']:+.1f} {seed_level}, "
        f"seeds better {test['seeds_better']}/{test['seeds']}"
    )


def summarize(seeds: list[int]) -> list[str]:
    """Per family: each arm's lines (arm_line); per seed the exact McNemar of GRPO against each control
    that seed has finished (strict); then each GRPO arm against the base model at its best prompt (the
    base prompt with the highest lenient accuracy on the family: chosen on these problems, which favours
    the base), its priming-only and no-answer controls, lenient, over the seeds where all of them have
    finished (statistics.per_problem_comparison); last, one line per family and GRPO arm in the issue's form."""
    lines, last = [], []
    for family in tasks.FAMILIES:
        bases = {arm: r for arm in BASE_ARMS if (r := load(family, arm, None)) is not None}
        if "base" not in bases:
            continue
        for arm, result in bases.items():
            lines += arm_line(family, design.ARM_LABELS[arm], [result], "-", tagged=arm == "base")
        best = max(bases, key=lambda arm: (sum(lenient(bases[arm])), -BASE_ARMS.index(arm)))
        stored = {}  # (arm, step) -> {seed: result}
        for group in groups(seeds):
            for arm, step in ((group["arm"], group["step"]), (group["priming"], None), (group["noanswer"], None)):
                if arm is not None and (arm, step) not in stored:
                    stored[arm, step] = {s: r for s in seeds if (r := load(family, arm, s, step)) is not None}
        for (arm, step), by_seed in stored.items():
            if by_seed:
                label = design.ARM_LABELS.get(arm, arm) + (f"@{step}" if step else "")
                lines += arm_line(family, label, list(by_seed.values()), sorted(by_seed))
        for s in sorted(stored["grpo", None]):  # each seed's exact test against each control it has finished
            cells = []
            for control in (c for c in ("priming", "noanswer") if s in stored[c, None]):
                test = statistics.paired_test(strict(stored[control, None][s]), strict(stored["grpo", None][s]))
                cells.append(
                    f"vs {design.ARM_LABELS[control]} fixed {test['fixed']} broke {test['broken']} p={test['p_value']:.2g}"
                )
            if cells:
                lines.append(f"{family} seed {s} GRPO (exact McNemar): " + ", ".join(cells))
        for group in groups(seeds):
            treated, priming = stored[group["arm"], group["step"]], stored[group["priming"], None]
            noanswer = stored[group["noanswer"], None] if group["noanswer"] else None
            common = sorted(set(treated) & set(priming) & (set(noanswer) if noanswer is not None else set(treated)))
            if not common:
                continue
            after = [lenient(treated[s]) for s in common]
            controls = {
                f"base best-prompt ({best})": [lenient(bases[best])],
                "priming-only": [lenient(priming[s]) for s in common],
            }
            if noanswer is not None:
                controls["no-answer-reward"] = [lenient(noanswer[s]) for s in common]
            tests = {name: statistics.per_problem_comparison(before, after) for name, before in controls.items()}
            for name, test in tests.items():
                lines.append(comparison_line(family, group["label"], name, test))
            exact = [statistics.paired_test(lenient(bases[best]), lenient(treated[s])) for s in common]
            lines.append(
                f"{family} {group['label']} vs base best-prompt ({best}), each seed's exact McNemar (lenient): "
                + ", ".join(
                    f"seed {s} fixed {t['fixed']} broke {t['broken']} p={t['p_value']:.2g}"
                    for s, t in zip(common, exact, strict=True)
                )
            )
            pct = {name: 100 * sum(map(sum, v)) / sum(map(len, v)) for name, v in controls.items()}
            vs_base, vs_priming = tests[f"base best-prompt ({best})"], tests["priming-only"]
            control_part = f" vs no-answer-reward {pct['no-answer-reward']:.1f}%" if noanswer is not None else ""
            last.append(
                f"real model: {group['label']} {100 * sum(map(sum, after)) / sum(map(len, after)):.1f}% vs base best-prompt "
                f"{pct[f'base best-prompt ({best})']:.1f}% ({best}) vs priming-only {pct['priming-only']:.1f}%{control_part} "
                f"on {family} (lenient, n={len(after[0])}, seeds={len(common)}), exact paired p={vs_base['p_value']:.3g} "
                f"(vs base best-prompt), p={vs_priming['p_value']:.3g} (vs priming-only), "
                f"seeds better {vs_base['seeds_better']}/{len(common)}"
            )
    return lines + last


def sweep_lines() -> list[str]:
    """The learning-rate sweeps on the dev split (each template's, and the recipe template's re-run
    under the closed reward): each rate's evaluations, truncation, and the choices."""
    lines = []
    sweeps = [("sweep", rate) for rate in design.SWEEP_RATES] + [("sweep_native", rate) for rate in design.SWEEP_RATES]
    for arm, rate in sweeps + [("sweep_closed", design.CLOSED_CHECK_RATE)]:
        name = design.run_name(arm, design.SWEEP_SEED, rate)
        rows = callbacks.read_metrics(design.RESULTS / f"{name}_metrics.jsonl")
        series = documents.eval_series(rows)
        accuracy = series.get("strict_accuracy")
        if accuracy:
            curve = ", ".join(f"{step}: {100 * value:.0f}%" for step, value in accuracy)
            clipped = [r["completions/clipped_ratio"] for r in rows if "completions/clipped_ratio" in r]
            score = design.dev_score(name)
            lines.append(
                f"{arm} lr {rate:g}: dev strict accuracy by step {curve}"
                + (f"; score {100 * score:.1f}%" if score is not None else " (unfinished)")
                + (f"; training completions truncated {100 * sum(clipped) / len(clipped):.0f}%" if clipped else "")
            )
    for template in ("recipe", "native"):
        chosen = design.choose_rate(template)
        lines.append(
            f"{template} template: chosen learning rate {chosen:g} ({design.CHOICE_RULE})"
            if chosen
            else f"{template} template: sweep unfinished, no rate chosen"
        )
    template = design.choose_template()
    lines.append(f"chosen template: {template} ({design.TEMPLATE_RULE})" if template else "template not chosen yet")
    return lines


def timings(seeds: list[int]) -> list[str]:
    """Training wall time and peak RSS of every finished arm, from the stored results."""
    lines = []
    for seed in seeds:
        cells = []
        for arm in design.ARMS:
            path = design.RESULTS / f"{tasks.FAMILIES[0]}_{arm}_seed{seed}.json"
            training = json.loads(path.read_text()).get("training") if path.is_file() else None
            if training:
                cells.append(f"{arm} {training['seconds'] / 60:.1f} min, peak RSS {training['peak_rss_gib']:.2f} GiB")
        if cells:
            lines.append(f"seed {seed} training: " + "; ".join(cells))
    return lines


def signal_lines(seeds: list[int]) -> list[str]:
    """How much of each GRPO arm's training carried a gradient: the share of prompt groups whose
    completions all scored alike (zero spread: GRPO's advantage is 0, nothing is learnt from them),
    over the whole run and its second half, from the stored curves."""
    lines = []
    for arm in ("grpo", "noanswer"):
        cells = []
        for seed in seeds:
            rows = callbacks.read_metrics(design.RESULTS / f"{design.run_name(arm, seed, None)}_metrics.jsonl")
            flat = [(r["step"], r["frac_reward_zero_std"]) for r in rows if r.get("frac_reward_zero_std") is not None]
            if flat:
                half = [v for step, v in flat if step > flat[-1][0] / 2]
                whole = sum(v for _, v in flat) / len(flat)
                cells.append(f"seed {seed} {100 * whole:.0f}% (second half {100 * sum(half) / len(half):.0f}%)")
        if cells:
            lines.append(f"{design.ARM_LABELS[arm]} groups with no reward spread (no gradient): " + ", ".join(cells))
    return lines


COLORS = {"priming": "C7", "grpo": "C0", "noanswer": "C1", "base": "k"}


def curve_band(seeds: list[int], arm: str, series: str) -> tuple[list[int], list[float], list[float], list[float]]:
    """Mean, min and max over the seeds of an arm's curve, at the steps every stored seed has."""
    runs = [callbacks.read_metrics(design.RESULTS / f"{design.run_name(arm, s, None)}_metrics.jsonl") for s in seeds]
    curves = []
    for rows in runs:
        points = documents.eval_series(rows).get("strict_accuracy") if series == "dev" else None
        if series == "reward":
            total = documents.reward_series(rows).get("total")
            points = (
                list(zip([s for s, _ in total], callbacks.rolling_mean([v for _, v in total]), strict=True))
                if total
                else None
            )
        if points:
            curves.append(dict(points))
    if not curves:
        return [], [], [], []
    steps = sorted(set.intersection(*(set(c) for c in curves)))
    values = [[c[s] for c in curves] for s in steps]
    return steps, [sum(v) / len(v) for v in values], [min(v) for v in values], [max(v) for v in values]


def plot_curves(seeds: list[int]) -> Path | None:
    """Dev strict accuracy (left) and smoothed total reward (right) per arm: the mean over seeds as a
    line, the seeds' range as a band; priming is the step-0 point of the dev curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (acc_ax, reward_ax) = plt.subplots(1, 2, figsize=(12, 4.5))
    drawn, primed = False, None  # primed: the step-0 dev accuracy, priming only
    for arm in ("grpo", "noanswer"):
        for ax, series, scale in ((acc_ax, "dev", 100), (reward_ax, "reward", 1)):
            steps, mean, low, high = curve_band(seeds, arm, series)
            if not steps:
                continue
            drawn = True
            ax.plot(steps, [scale * v for v in mean], color=COLORS[arm], label=f"{design.ARM_LABELS[arm]} (mean)")
            ax.fill_between(steps, [scale * v for v in low], [scale * v for v in high], color=COLORS[arm], alpha=0.2)
            if (
                series == "dev" and steps[0] == 0 and primed is None
            ):  # every arm of a seed starts from one primed adapter
                primed = scale * mean[0]
    if not drawn:
        plt.close(fig)
        return None
    if primed is not None:
        acc_ax.axhline(primed, color=COLORS["priming"], ls="--", label="priming only (step 0, mean)")
    acc_ax.set_title(
        "dev strict accuracy (the recipe's held-out split; step 0 = priming only); band: seeds' range", fontsize=9
    )
    acc_ax.set_ylabel("% correct")
    reward_ax.set_title(
        f"total reward (rolling mean of {callbacks.SMOOTHING_WINDOW} steps); band: seeds' range", fontsize=9
    )
    for ax in (acc_ax, reward_ax):
        ax.set_xlabel("GRPO step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = design.RESULTS / "curves.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_types(seeds: list[int]) -> Path | None:
    """Test strict accuracy per family, one-step operation and presentation, one bar per arm (pooled
    over seeds), with Wilson intervals whose unit is the problem (statistics.seeds_rate_interval)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups: dict[str, dict[str, tuple[int, int, int]]] = {}  # label -> arm -> (right, answered, seeds)
    for arm in ("base", *design.ARMS):
        for family in tasks.FAMILIES:
            results = [r for s in ([None] if arm == "base" else seeds) if (r := load(family, arm, s)) is not None]
            if not results:
                continue
            cells = by_operation(results) if family == "one_step" else {}
            right = [x for r in results for x in strict(r)]
            cells = {**{f"1 step {k}": v for k, v in cells.items()}, family.replace("_", " "): (sum(right), len(right))}
            for label, (right_count, n) in cells.items():
                groups.setdefault(label, {})[arm] = (right_count, n, len(results))
    if not groups:
        return None
    fig, ax = plt.subplots(figsize=(12, 4.5))
    arms = [a for a in ("base", *design.ARMS) if any(a in g for g in groups.values())]
    width = 0.8 / len(arms)
    for i, arm in enumerate(arms):
        xs, ys, errs = [], [], [[], []]
        for x, counts in enumerate(groups.values()):
            if arm in counts:
                right, n, runs = counts[arm]
                low, high = statistics.seeds_rate_interval(right, n, runs)
                xs.append(x + (i - (len(arms) - 1) / 2) * width)
                ys.append(100 * right / n)
                errs[0].append(100 * max(right / n - low, 0.0))  # rounding can put a bound a hair past 0 % or 100 %
                errs[1].append(100 * max(high - right / n, 0.0))
        ax.bar(xs, ys, width, yerr=errs, color=COLORS[arm], label=design.ARM_LABELS[arm], capsize=2)
    ax.set_xticks(range(len(groups)), list(groups), fontsize=8, rotation=20)
    ax.set_ylabel("% correct (strict, test)")
    ax.set_title("test accuracy per type and arm, pooled over seeds (Wilson 95 %, the problem as the unit)", fontsize=9)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = design.RESULTS / "types.png"
    design.RESULTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
