"""Server-side rendering of quicklooks to PNG, with no browser.

Two paths. Maps (point stores, gridded fields, observation positions) take the fast path:
:mod:`.maps` computes the same aggregate the page draws, :mod:`.fast` shades it through a
colour table and lays it on furniture (land, graticule, labels; :mod:`.furniture`, cached
per :class:`~.frame.Frame`) with PIL — no HoloViews, GeoViews, Cartopy or Bokeh, so the CLI
stays light. Profiles, time series and a point store's profile density are drawn with
Matplotlib alone (:mod:`.plots`); thumbnails are bare versions of both (:mod:`.thumbnails`); so is the colocation's
scatter and difference map (:mod:`.colocate`).
Several variables at once and curvilinear grids render the HoloViews element with
Matplotlib (:mod:`.png`).
"""
