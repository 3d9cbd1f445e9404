"""Persistent user settings (QSettings in an INI file under the platform's config folder).

``CARDIOVIEW_CONFIG_DIR`` moves the file (tests use a temporary folder so they
never touch the user's own settings).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from cardioview.render.colormaps import COLORMAPS, DEFAULT_COLORMAP
from cardioview.render.overlay import DEFAULT_OPACITY, DEFAULT_SCALE, AttentionScale

APP_NAME = "CardioView"
MAX_RECENT = 8


def config_dir() -> Path:
    override = os.environ.get("CARDIOVIEW_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False))


class AppSettings:
    """Typed access to the settings file; invalid stored values fall back to defaults."""

    def __init__(self, path: Path | None = None):
        path = path or config_dir() / "cardioview.ini"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    def sync(self) -> None:
        self._qs.sync()

    @property
    def opacity(self) -> float:
        try:
            value = float(self._qs.value("display/opacity", DEFAULT_OPACITY))
        except (TypeError, ValueError):
            return DEFAULT_OPACITY
        return value if 0.0 <= value <= 1.0 else DEFAULT_OPACITY

    @opacity.setter
    def opacity(self, value: float) -> None:
        self._qs.setValue("display/opacity", float(value))

    @property
    def colormap(self) -> str:
        value = str(self._qs.value("display/colormap", DEFAULT_COLORMAP))
        return value if value in COLORMAPS else DEFAULT_COLORMAP

    @colormap.setter
    def colormap(self, value: str) -> None:
        self._qs.setValue("display/colormap", value)

    @property
    def scale(self) -> AttentionScale:
        try:
            return AttentionScale(str(self._qs.value("display/scale", DEFAULT_SCALE.value)))
        except ValueError:
            return DEFAULT_SCALE

    @scale.setter
    def scale(self, value: AttentionScale) -> None:
        self._qs.setValue("display/scale", AttentionScale(value).value)

    @property
    def deidentify(self) -> bool:
        return str(self._qs.value("export/deidentify", "false")).lower() == "true"

    @deidentify.setter
    def deidentify(self, value: bool) -> None:
        self._qs.setValue("export/deidentify", "true" if value else "false")

    @property
    def last_folder(self) -> str:
        return str(self._qs.value("files/last_folder", ""))

    @last_folder.setter
    def last_folder(self, value: str) -> None:
        self._qs.setValue("files/last_folder", value)

    @property
    def export_dir(self) -> str:
        return str(self._qs.value("files/export_dir", ""))

    @export_dir.setter
    def export_dir(self, value: str) -> None:
        self._qs.setValue("files/export_dir", value)

    @property
    def recent_paths(self) -> list[str]:
        value = self._qs.value("files/recent", [])
        if isinstance(value, str):  # QSettings returns a bare string for a one-item list
            value = [value]
        return [str(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent(self, path: str) -> None:
        recent = [path] + [p for p in self.recent_paths if p != path]
        self._qs.setValue("files/recent", recent[:MAX_RECENT])

    def geometry(self, name: str) -> QByteArray | None:
        value = self._qs.value(f"window/{name}")
        return value if isinstance(value, QByteArray) else None

    def set_geometry(self, name: str, value: QByteArray) -> None:
        self._qs.setValue(f"window/{name}", value)
