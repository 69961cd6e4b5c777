"""Reflex configuration: app name, database and redis from portal_app.core.settings; no more."""

import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from portal_app.core.settings import get_settings
from portal_app.reflex_ext.radix_css import PortalRadixThemesPlugin
from portal_app.reflex_ext.ui_catalog import UiCatalogPlugin
from portal_app.reflex_ext.vendor_chunk import VendorChunkPlugin

_settings = get_settings()

config = rx.Config(
    app_name="portal_app",
    db_url=_settings.database_url,
    redis_url=_settings.redis_url,
    cors_allowed_origins=_settings.cors_origins,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    disable_plugins=[SitemapPlugin],
    # Built files are pre-compressed both ways: brotli for browsers that take it (~18% smaller
    # than gzip), gzip for the rest.
    frontend_compression_formats=["brotli", "gzip"],
    plugins=[
        # Reflex's Radix Themes plugin, its CSS cut to the colour scales the portal uses.
        PortalRadixThemesPlugin(
            # Solid panels: Radix's translucent ones (the default) put `backdrop-filter:
            # blur(64px)` on every card and surface table, which the display compositor works
            # out again for each frame that changes anything on them (~30 ms a frame in
            # Chromium's software compositor, where a ticked box's frame takes under 1 ms:
            # bench/click_to_screen.py --trace). Over the page's plain background a blur
            # showed nothing.
            theme=rx.theme(
                accent_color="indigo",
                gray_color="slate",
                radius="medium",
                has_background=True,
                panel_background="solid",
            ),
            trim=_settings.radix_css_trim,
        ),
        # One vendor chunk for Radix and friends instead of ~30 small per-route chunks.
        VendorChunkPlugin(enabled=_settings.vendor_chunk),
        # The front end's translated texts: a static, cached catalog per language.
        UiCatalogPlugin(),
    ],
)
