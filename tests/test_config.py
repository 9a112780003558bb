"""The --NAME=value override parser shared by train_grpo.py and evaluate.py."""

import pytest

from recipe.config import ConfigError, parse_overrides

DEFAULTS = {
    "LR": 5e-6,
    "STEPS": 100,
    "NAME": "out",
    "FLAG": True,
    "OPT": None,
    "W": {"a": 1.0},
    "MODS": ("q", "k"),
    "VLLM": "auto",
}

ACCEPTED = [
    (["--STEPS=7"], {"STEPS": 7}),  # int
    (["--LR=1e-5"], {"LR": 1e-5}),  # float
    (["--LR=1"], {"LR": 1.0}),  # int accepted for a float, stored as float
    (["--NAME=runs/x"], {"NAME": "runs/x"}),  # bare string for a string constant
    (["--NAME='quoted'"], {"NAME": "quoted"}),  # quoted string
    (["--NAME=2024"], {"NAME": "2024"}),  # a string constant keeps text that reads as a number
    (["--FLAG=False"], {"FLAG": False}),  # bool
    (["--OPT=3"], {"OPT": 3}),  # a None default takes any literal
    (["--OPT=text"], {"OPT": "text"}),  # ... or a string
    (["--STEPS=None"], {"STEPS": None}),  # None switches a setting off
    (["--W={'b': 2.0}"], {"W": {"b": 2.0}}),  # dict
    (["--MODS=['q', 'v']"], {"MODS": ["q", "v"]}),  # a list where a tuple was
    (["--STEPS=1", "--STEPS=2"], {"STEPS": 2}),  # the last one wins
    (["--VLLM=True"], {"VLLM": True}),  # an "auto" setting takes a bool ...
    (["--VLLM=auto"], {"VLLM": "auto"}),  # ... or auto
    ([], {}),  # nothing
]


@pytest.mark.parametrize("argv, expected", ACCEPTED)
def test_parse_overrides_accepts(argv, expected):
    assert parse_overrides(argv, DEFAULTS) == (expected, set())


REJECTED = [
    (["--STEPS=1.5"], "expects int"),  # float for an int
    (["--FLAG=1"], "expects bool"),  # int for a bool
    (["--STEPS=abc"], "not a Python literal"),  # not a literal, not a string constant
    (["--STEPS='7'"], "expects int"),  # a string for an int
    (
        ["--NOPE=1"],
        "valid names: FLAG, LR, MODS, NAME, OPT, STEPS, VLLM, W",
    ),  # unknown name lists the valid ones
    (["STEPS=1"], "use --NAME=value"),  # missing dashes
    (["--fast"], "unknown flag --fast"),  # unknown flag
]


@pytest.mark.parametrize("argv, message", REJECTED)
def test_parse_overrides_rejects_with_a_clear_message(argv, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        parse_overrides(argv, DEFAULTS)


def test_parse_overrides_returns_flags():
    assert parse_overrides(["--smoke", "--STEPS=3"], DEFAULTS, ("smoke",)) == (
        {"STEPS": 3},
        {"smoke"},
    )
