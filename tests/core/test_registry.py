"""Registry and selection grammar."""

import pytest

from bench.registry import (
    METHODS,
    UnknownNameError,
    get_method,
    load_dataset,
    natural_key,
    select_datasets,
    select_methods,
)


def test_all_methods_are_registered_with_metadata():
    names = select_methods("all", include_hidden=True)
    assert {"pc", "granger", "pcmci"} <= set(names)
    for name in names:
        info = METHODS[name]
        assert info.level in ("subject", "group")
        assert info.citation and info.description
        assert isinstance(info.defaults, dict)


def test_comma_lists_and_globs_keep_order_without_duplicates():
    assert select_methods("granger,pc") == ["granger", "pc"]
    assert select_methods(["pc", "pc,granger"]) == ["pc", "granger"]
    assert "pcmci" in select_methods("pcm*")
    assert "pc" not in select_methods("pcm*")


def test_unknown_method_suggests_close_names():
    with pytest.raises(UnknownNameError) as err:
        select_methods("grnager")
    msg = str(err.value)
    assert "did you mean 'granger'" in msg.lower()
    assert "pcmci" in msg  # lists what exists


def test_unknown_glob_is_an_error():
    with pytest.raises(UnknownNameError):
        select_methods("zzz*")


@pytest.mark.parametrize(
    "spec, members",
    [
        ("smith:1-4", ["1", "2", "3", "4"]),
        ("smith:1,3", ["1", "3"]),
        ("smith:2-3,7", ["2", "3", "7"]),
        ("smith:1?", [str(k) for k in range(10, 20)]),
    ],
)
def test_dataset_subselections(spec, members):
    (sel,) = select_datasets(spec)
    assert sel.family == "smith"
    assert sel.members == members
    assert sel.names == [f"smith:{m}" for m in members]


def test_whole_family_in_natural_order():
    (sel,) = select_datasets("smith")
    assert sel.members == [str(k) for k in range(1, 29)]


@pytest.mark.parametrize("spec", ["smith:29", "smith:0-2", "smiht", "smith:abc"])
def test_unknown_datasets_and_members(spec):
    with pytest.raises(UnknownNameError) as err:
        select_datasets(spec)
    assert "Known" in str(err.value)


def test_unknown_parameter_is_rejected():
    with pytest.raises(Exception, match="unknown parameter"):
        get_method("granger").make(alhpa=0.1)


def test_load_dataset_needs_member():
    with pytest.raises(Exception, match="needs a member"):
        load_dataset("smith")


def test_natural_key():
    assert sorted(["smith:10", "smith:2", "smith:1"], key=natural_key) == [
        "smith:1",
        "smith:2",
        "smith:10",
    ]
