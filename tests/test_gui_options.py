"""The ``gui`` command's options: one declaration (gui/options.py), parsed by ``cardioview`` without Qt."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from cardioview.cli import build_parser
from cardioview.gui.options import add_gui_arguments
from cardioview.inference.onnx_session import BACKENDS, DEVICES


@pytest.mark.parametrize("spelling", ["--analyze-all", "--analyse-all"])
def test_both_spellings_analyse_the_folder(spelling, tmp_path):
    args = build_parser("gui").parse_args(["gui", str(tmp_path), spelling, "--opacity", "0.35"])
    assert args.analyze_all and args.opacity == 0.35 and args.path == Path(tmp_path)


@pytest.mark.parametrize("value", ["1.5", "-0.1"])
def test_opacity_outside_0_1_is_a_usage_error(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        build_parser("gui").parse_args(["gui", "--opacity", value])
    assert exit_info.value.code == 2
    assert f"opacity must be within 0..1, got {value}" in capsys.readouterr().err


def test_backend_and_device_choices_are_the_inference_lists(capsys):
    parser = add_gui_arguments(argparse.ArgumentParser(prog="cardioview gui"))
    actions = {a.dest: a for a in parser._actions}
    assert tuple(actions["backend"].choices) == BACKENDS and tuple(actions["device"].choices) == DEVICES
    with pytest.raises(SystemExit):
        parser.parse_args(["--device", "tpu"])
    assert "invalid choice: 'tpu'" in capsys.readouterr().err
