"""PACS nodes: a small value type and the JSON file that keeps them (headless; the GUI reuses it)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from cardioview.atomic import atomic_write_text
from cardioview.errors import CardioViewError

#: 1-16 printable ASCII characters (PS3.5 6.2 AE); a backslash is excluded separately.
AE_TITLE = re.compile(r"^[\x20-\x7e]{1,16}$")
DEFAULT_AE_TITLE = "CARDIOVIEW"


class NodeError(CardioViewError):
    """A node description that cannot be used (bad AE title, port, URL...)."""


@dataclass(frozen=True)
class Node:
    """A remote DICOM node: DIMSE (AE title, host, port) and/or a DICOMweb base URL.

    Attributes:
        name: what the user calls it ("Orthanc", "Radiology PACS").
        ae_title: the node's AE title (called AE).
        host, port: its DIMSE address.
        dicomweb_url: e.g. "http://pacs:8042/dicom-web"; "" for DIMSE only.
        retrieve: "move" (C-MOVE to our SCP) or "get" (C-GET on the same association).
    """

    name: str
    ae_title: str = ""
    host: str = ""
    port: int = 104
    dicomweb_url: str = ""
    retrieve: str = "get"

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise NodeError("a node needs a name")
        if self.ae_title and not AE_TITLE.match(self.ae_title.strip()) or "\\" in self.ae_title:
            raise NodeError(f"{self.name}: AE title must be 1-16 printable ASCII characters, got {self.ae_title!r}")
        if not 0 < int(self.port) < 65536:
            raise NodeError(f"{self.name}: port must be 1-65535, got {self.port}")
        if self.dicomweb_url and not self.dicomweb_url.startswith(("http://", "https://")):
            raise NodeError(f"{self.name}: DICOMweb URL must start with http:// or https://")
        if self.retrieve not in ("move", "get"):
            raise NodeError(f"{self.name}: retrieve must be 'move' or 'get'")
        if not (self.ae_title and self.host) and not self.dicomweb_url:
            raise NodeError(f"{self.name}: give an AE title and host, or a DICOMweb URL")

    @property
    def has_dimse(self) -> bool:
        return bool(self.ae_title and self.host)

    @classmethod
    def parse(cls, text: str, name: str = "") -> Node:
        """``AE@host:port`` (the --forward syntax) or a DICOMweb URL."""
        if text.startswith(("http://", "https://")):
            return cls(name=name or text, dicomweb_url=text)
        match = re.match(r"^([^@]{1,16})@([^:]+):(\d+)$", text)
        if not match:
            raise NodeError(f"not AE@host:port or a DICOMweb URL: {text!r}")
        return cls(name=name or text, ae_title=match[1], host=match[2], port=int(match[3]))


@dataclass
class NodeSettings:
    """Our own AE title and the known nodes."""

    local_ae_title: str = DEFAULT_AE_TITLE
    local_port: int = 11112
    nodes: list[Node] = field(default_factory=list)

    def node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise NodeError(f"no PACS node named {name!r} (known: {', '.join(n.name for n in self.nodes) or 'none'})")


def default_path() -> Path:
    """``pacs_nodes.json`` beside the viewer's settings (``CARDIOVIEW_CONFIG_DIR`` moves both)."""
    import os

    from platformdirs import user_config_dir

    folder = os.environ.get("CARDIOVIEW_CONFIG_DIR") or user_config_dir("CardioView", appauthor=False)
    return Path(folder) / "pacs_nodes.json"


def load_nodes(path: str | Path | None = None) -> NodeSettings:
    """Read the node store; a missing file gives empty settings, a broken one a NodeError naming it."""
    path = Path(path) if path else default_path()
    if not path.exists():
        return NodeSettings()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return NodeSettings(
            local_ae_title=str(data.get("local_ae_title", DEFAULT_AE_TITLE)),
            local_port=int(data.get("local_port", 11112)),
            nodes=[Node(**n) for n in data.get("nodes", [])],
        )
    except (OSError, ValueError, TypeError) as exc:
        raise NodeError(f"{path.name}: cannot read the PACS node settings ({exc})") from None


def save_nodes(settings: NodeSettings, path: str | Path | None = None) -> Path:
    """Write the node store atomically (this file is ours: it is replaced, not versioned)."""
    path = Path(path) if path else default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "local_ae_title": settings.local_ae_title,
        "local_port": settings.local_port,
        "nodes": [asdict(n) for n in settings.nodes],
    }
    return atomic_write_text(path, json.dumps(data, indent=2), overwrite=True)
