"""Every component id in the app, once, so callbacks and tests cannot drift apart.

The filter controls' ids are declared with their fields (``conflictmap.read.query.EventFilter``)."""

URL = "url"
RESET = "filter-reset"
CLEAR_AREA = "filter-clear-area"
# The analyst's gestures the URL already reflects: button presses, drawn area, map click,
# timeline range (filters.sync_filters applies any that differ, so an overtaken call loses none).
GESTURES_APPLIED = "filter-gestures-applied"
COUNTS = "counts"
PROBLEMS = "problems"
MAP = "map"
TIMELINE = "timeline"
DETAIL = "detail"
COPY_LINK = "copy-link"
MAP_DRAWN = "map-drawn-key"
MAP_KEEPER = "map-view-keeper"
MAP_FIGURE = "map-figure"
MAP_LAYERS_HELD = "map-layers-held"  # which fixed map layers the page holds (map_panel)
MAP_LOADING = "map-loading"
# True once the page's first map is drawn (or has had its time): the timeline waits for it.
MAP_FIRST_DRAWN = "map-first-drawn"
# A place being picked on the map for the review form ({"incident": id or None} while it lasts):
# the review panel sets it, and the filters leave the selection alone while it is set, so the
# click that names a place does not also select the incident under it.
PLACE_PICK = "review-place-pick"
TIMELINE_DRAWN = "timeline-drawn-key"
LINK_NOTICE = "link-notice"
LINK_OPENED = "link-opened"
TABLE_REGION = "incidents-table-region"
TABLE = "incidents-table"
TABLE_CAPTION = "incidents-table-caption"
TABLE_STATUS = "incidents-table-status"
TABLE_HELP = "incidents-table-help"
TABLE_DRAWN = "incidents-table-drawn-key"
MORE_FILTERS = "more-filters"
# Moved by every write (an analyst's decision): panels that draw data listen to it, so the map,
# counts, table and detail follow a decision without the URL changing.
DATA_VERSION = "data-version"
