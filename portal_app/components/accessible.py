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
