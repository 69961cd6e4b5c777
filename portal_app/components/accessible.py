"""Radix badges and callouts in their high-contrast variant: the soft colours fail WCAG AA
contrast for small text (checked by axe-core in the browser tests)."""

from __future__ import annotations

import reflex as rx


def badge(*children, **props) -> rx.Component:
    props.setdefault("high_contrast", True)
    return rx.badge(*children, **props)


def callout(*children, **props) -> rx.Component:
    props.setdefault("high_contrast", True)
    return rx.callout(*children, **props)


def labelled_upload(*children, label: str, **props) -> rx.Component:
    """rx.upload.root whose hidden file input carries an accessible name: Reflex creates that
    input without props, and axe-core rightly flags an unlabelled form control."""
    upload = rx.upload.root(*children, **props)
    stack = [upload]
    while stack:
        component = stack.pop()
        if type(component).__name__ == "Input":
            component.custom_attrs["aria-label"] = label
            break
        stack.extend(getattr(component, "children", []))
    return upload
