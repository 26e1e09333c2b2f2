"""One router per feature; each module has `create_router()` returning a fresh Router."""
