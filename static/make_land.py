"""Build static/land_110m.geojson, the offline land layer drawn under every map.

Source: Natural Earth 1:110m countries (public domain), as shipped in the
``naturalearth_lowres`` shapefile of the geopandas 0.14.4 wheel on PyPI. The
countries are merged into one land multipolygon and simplified (0.05°), so the
portal draws coastlines with no internet access. Run once:
``pip download --no-deps geopandas==0.14.4 && unzip geopandas-*.whl 'geopandas/datasets/*'``
then ``python static/make_land.py geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp``.
"""

import json
import sys
from pathlib import Path

import shapefile  # pyshp, a cartopy dependency
import shapely
from shapely.geometry import mapping, shape


def main(shp: str) -> None:
    reader = shapefile.Reader(shp)
    geoms = [shape(s.__geo_interface__) for s in reader.shapes()]
    land = shapely.simplify(shapely.union_all([g.buffer(0) for g in geoms]), 0.05)
    out = Path(__file__).with_name("land_110m.geojson")
    feature = {"type": "Feature", "properties": {"source": "Natural Earth 1:110m (public domain)"},
               "geometry": mapping(land)}
    text = json.dumps({"type": "FeatureCollection", "features": [feature]}, separators=(",", ":"))
    out.write_text(text)
    print(f"wrote {out} ({len(text) // 1024} KB)")


if __name__ == "__main__":
    main(sys.argv[1])
