"""The filter bar's option lists, read from the incident index: what each list holds, and that
the list is worked out once per index and handed out as the caller's own copy."""

from __future__ import annotations

import pandas as pd

from conflictmap.read.index import OUTLET_SEP, EventIndex


def _index() -> EventIndex:
    return EventIndex(
        pd.DataFrame(
            {
                "actor1": ["SDF", "IS", "", "SDF"],
                "actor2": ["IS", None, "Tribal fighters", ""],
                "outlets": [f"Enab Baladi{OUTLET_SEP}SANA", "SANA", "", "Deir Ezzor 24"],
                "admin2": ["Deir ez-Zor", None, "Al Mayadin", "Deir ez-Zor"],
            }
        )
    )


def test_lists_join_both_actor_columns_split_outlets_and_drop_blanks():
    index = _index()
    assert index.choices("actors") == ["IS", "SDF", "Tribal fighters"]
    assert index.choices("outlets") == ["Deir Ezzor 24", "Enab Baladi", "SANA"]
    assert index.choices("admin2") == ["Al Mayadin", "Deir ez-Zor"]


def test_a_list_is_worked_out_once_and_each_caller_gets_its_own_copy():
    index = _index()
    first = index.choices("actors")
    first.append("changed by a caller")
    index.frame.loc[0, "actor1"] = "not read again"  # the index is one store version: never re-read
    assert index.choices("actors") == ["IS", "SDF", "Tribal fighters"]
