"""A StudyIndex as display nodes: labels, tooltips and image keys (no Qt)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cardioview.imaging.study_index import RASTER_PATIENT, ImageEntry, StudyIndex
from cardioview.imaging.suitability import not_applicable_reason

WARNING_FLAG = "\u26a0"
#: Label of the group that lists, in the tree, the files the header scan could not read.
UNREADABLE_GROUP = "Unreadable files"


@dataclass
class Node:
    """One row of the browser. Image rows carry ``key`` (the resolved path) and ``path``."""

    label: str
    key: str | None = None
    path: Path | None = None
    tooltip: str = ""
    warnings: tuple[str, ...] = ()
    not_applicable: str = ""
    error: str = ""  # why the header scan knows this file will not load (rows of scan errors have no key)
    children: list[Node] = field(default_factory=list)


def image_key(path: Path) -> str:
    """The id of an image everywhere in the viewer: its absolute path.

    Symbolic links are not resolved: two links in a folder are two entries.
    """
    return os.path.abspath(path)


#: Marks a later frame of a multi-frame file in its key: each frame has its own result (issue 18).
FRAME_MARK = "#frame="


def frame_key(key: str, frame: int) -> str:
    """The key of frame ``frame`` (0-based) of the file whose key is ``key``; frame 0 is the file's own."""
    key = file_key(key)
    return key if frame == 0 else f"{key}{FRAME_MARK}{frame + 1}"


def file_key(key: str) -> str:
    """The file's key from a frame's key (the key itself for frame 0)."""
    head, mark, number = key.rpartition(FRAME_MARK)
    return head if mark and number.isdigit() else key


def _date(value: str) -> str:
    return f"{value[:4]}-{value[4:6]}-{value[6:]}" if len(value) == 8 and value.isdigit() else value


def _image_label(entry: ImageEntry) -> str:
    parts = [entry.path.name]
    if entry.view_position:
        parts.append(entry.view_position)
    if entry.warnings:
        parts.append(WARNING_FLAG)
    return "  ".join(parts)


def _image_tooltip(entry: ImageEntry) -> str:
    lines = [
        str(entry.path),
        f"{entry.columns} × {entry.rows} px" + (f", {entry.frames} frames" if entry.frames > 1 else ""),
    ]
    if entry.error:
        lines.append(f"Unreadable: {entry.error}")
    reason = not_applicable_reason(entry.metadata, (entry.rows, entry.columns))
    if reason:
        lines.append(f"Not applicable (no verdict): {reason}")
    lines += [f"⚠ {w}" for w in entry.warnings]
    return "\n".join(lines)


def index_tree(index: StudyIndex) -> Node:
    """Patient > Study > Series > Image nodes in the index's display order."""
    root = Node(str(index.root))
    for patient in index.patients:
        if patient.name == RASTER_PATIENT and not patient.patient_id:
            p_label = RASTER_PATIENT
        else:
            name = patient.name.replace("^", " ").strip()
            p_label = " · ".join(x for x in (name, patient.patient_id) if x) or "Unknown patient"
        p_node = Node(p_label, tooltip=p_label)
        raster = patient.name == RASTER_PATIENT and not patient.patient_id
        for study in patient.studies:
            if raster:  # one pseudo study per folder; its description is the relative folder path
                s_label = study.description if study.description not in ("", ".") else Path(index.root).name
            else:
                s_label = " · ".join(x for x in (_date(study.date), study.description) if x) or "Study"
            s_node = Node(s_label, tooltip=study.study_instance_uid or study.description)
            for series in study.series:
                bits = [series.modality, f"#{series.number}" if series.number is not None else "", series.description]
                r_label = " ".join(b for b in bits if b) or "Series"
                r_node = Node(f"{r_label} ({len(series.images)})", tooltip=series.series_instance_uid)
                images = [
                    Node(
                        _image_label(e),
                        key=image_key(e.path),
                        path=e.path,
                        tooltip=_image_tooltip(e),
                        warnings=e.warnings,
                        error=e.error,
                        not_applicable=not_applicable_reason(e.metadata, (e.rows, e.columns)),
                    )
                    for e in series.images
                ]
                if raster and len(study.series) == 1:
                    s_node.children.extend(images)  # raster folders have no series: skip an empty level
                else:
                    r_node.children.extend(images)
                    s_node.children.append(r_node)
            p_node.children.append(s_node)
        root.children.append(p_node)
    if index.errors:  # shown in the tree at once, so broken files are marked before anything is clicked
        group = Node(
            f"{UNREADABLE_GROUP} ({len(index.errors)})",
            tooltip="Files that look like images but whose header could not be read",
        )
        group.children = [
            Node(e.path.name, path=e.path, tooltip=f"{e.path}\nUnreadable: {e.reason}", error=e.reason)
            for e in index.errors
        ]
        root.children.append(group)
    return root
