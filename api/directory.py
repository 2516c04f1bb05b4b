"""Public directory data: rated units and the label dictionary."""

from flask import jsonify

from core.errors import error
from models import DEPARTMENT_KINDS
from models import LEVEL_NAMES
from models import Department
from models import LabelSet

from . import bp


@bp.get("/departments")
def departments():
    """The public directory of rated units."""
    return jsonify(
        [
            {"code": d.code, "name": d.name, "kind": d.kind, "kind_name": DEPARTMENT_KINDS.get(d.kind, d.kind)}
            for d in Department.directory()
        ]
    )


@bp.get("/labels")
def labels():
    """The current label dictionary, levels from best to worst."""
    label_set = LabelSet.current() or error("no_label_dictionary", "评价标签字典尚未配置", 404)
    grouped = label_set.labels_by_level()
    return jsonify(
        {
            "version": label_set.version,
            "levels": [
                {
                    "level": level,
                    "name": LEVEL_NAMES[level],
                    "is_bad": level <= 2,
                    "labels": [{"code": label.code, "text": label.text} for label in grouped[level]],
                }
                for level in sorted(LEVEL_NAMES, reverse=True)
            ],
        }
    )
