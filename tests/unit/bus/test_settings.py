"""Settings come from defaults, a YAML file and `CIVICBUS_*` variables, in rising precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus._settings import ConfigError, load_settings

pytestmark = pytest.mark.usefixtures("isolated_cli")


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "civicbus.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_put_the_embedded_broker_and_databases_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")

    assert (settings.broker, settings.state, settings.journal_url) == (
        f"embedded:///{tmp_path / 'data' / 'broker.db'}",
        f"sqlite:///{tmp_path / 'data' / 'state.db'}",
        f"sqlite:///{tmp_path / 'data' / 'journal.db'}",
    )


def test_an_environment_variable_sets_a_top_level_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICBUS_PREFETCH", "7")

    assert load_settings().prefetch == 7


def test_a_double_underscore_variable_sets_a_nested_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CIVICBUS_RETRY__REDELIVERY_DELAYS", "[1,2]")

    assert load_settings().retry.redelivery_delays == [1.0, 2.0]


def test_the_yaml_file_named_by_civicbus_config_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "elsewhere.yaml"
    config.write_text("prefetch: 11\njournal:\n  batch_size: 9\n", encoding="utf-8")
    monkeypatch.setenv("CIVICBUS_CONFIG", str(config))

    settings = load_settings()

    assert (settings.prefetch, settings.journal.batch_size) == (11, 9)


def test_an_environment_variable_beats_the_yaml_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "prefetch: 11\n")
    monkeypatch.setenv("CIVICBUS_PREFETCH", "5")

    assert load_settings(config).prefetch == 5


def test_an_unknown_key_in_the_yaml_file_is_named_in_the_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "prefetch: 3\nprefecth_typo: 4\n")

    with pytest.raises(ConfigError, match="prefecth_typo"):
        load_settings(config)


def test_a_file_that_is_not_yaml_is_a_config_error(tmp_path: Path) -> None:
    config = write_config(tmp_path, "prefetch: [1, 2\n")

    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(config)


def test_a_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "absent.yaml")


def test_routes_name_files_and_folders_and_default_to_none(tmp_path: Path) -> None:
    config = tmp_path / "with-routes.yaml"
    config.write_text("routes: [routes/, extra/moves.yaml]\n", encoding="utf-8")

    assert (load_settings().routes, load_settings(config).routes) == (
        [],
        [Path("routes"), Path("extra/moves.yaml")],
    )
