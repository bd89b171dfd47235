"""Benchmark of the catalog search (issue 14's target: ≤ 100 ms for 10,000 entries).

    python bench/bench_search.py              # 10,000 generated entries
    python bench/bench_search.py --n 50000 --repeat 9

A generated catalog of varied entries (Argo floats, moorings, gliders, ships, ODV
profiles with SeaDataNet P01 codes, ERDDAP tables, gridded products in 0..360 and across
the antimeridian, entries without a box or a time coverage) is searched with
:class:`~portal.catalog.search.SearchIndex` — text + box + time + facets, facet counts
included — and, in the same run over the same entries, by a peer: a linear scan in
plain Python with every haystack folded and every time parsed beforehand (only the
matching is timed), giving the same ids and counts. Medians of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from _timing import timed  # bench/ is on sys.path when a benchmark runs

from portal.catalog.search import (
    FACETS,
    SearchIndex,
    SearchRequest,
    facet_values,
    fold,
    searchable_text,
    words,
)
from portal.model import DatasetEntry
from portal.query import BBox, TimeRange

VARIABLES = [  # (name, long name, standard name, EOV, P01)
    ("TEMP", "Sea temperature", "sea_water_temperature", "Subsurface temperature", "TEMPPR01"),
    ("PSAL", "Practical salinity", "sea_water_practical_salinity", "Subsurface salinity",
     "PSALST01"),
    ("DOXY", "Dissolved oxygen", "moles_of_oxygen_per_unit_mass_in_sea_water", "Oxygen",
     "DOXYZZXX"),
    ("CHLA", "Chlorophyll-a", "mass_concentration_of_chlorophyll_a_in_sea_water",
     "Phytoplankton biomass and diversity", "CPHLPR01"),
    ("NTRA", "Nitrate", "moles_of_nitrate_per_unit_mass_in_sea_water", "Nutrients", "NTRAZZXX"),
    ("sst", "Sea surface temperature", "sea_surface_temperature", "Sea surface temperature", ""),
    ("sss", "Sea surface salinity", "sea_surface_salinity", "Sea surface salinity", ""),
    ("VHM0", "Significant wave height",
     "sea_surface_wave_significant_height", "Sea state", ""),
    ("SLEV", "Sea level", "sea_surface_height_above_sea_level", "Sea surface height", "ASLVZZ01"),
    ("UCUR", "Eastward current", "eastward_sea_water_velocity", "Subsurface currents", "LCEWZZ01"),
    ("PHPH", "pH", "sea_water_ph_reported_on_total_scale", "Inorganic carbon", "PHXXZZXX"),
    ("TUR4", "Turbidity", "sea_water_turbidity", "Particulate matter", "TURBXXXX"),
]
KINDS = [  # (source, featureType, platform type, title stem)
    ("netcdf", "profile", "profiling float", "Argo float"),
    ("netcdf", "timeSeries", "mooring", "Mooring"),
    ("netcdf", "trajectory", "glider", "Glider mission"),
    ("odv", "profile", "research vessel", "CTD cruise"),
    ("erddap", "timeSeries", "tide gauge", "Tide gauge"),
    ("erddap", "trajectory", "ship of opportunity", "Ferrybox line"),
    ("opendap", "grid", "satellite", "Satellite product"),
    ("pointstore", "point", "profiling float", "Argo collection"),
]
INSTITUTIONS = [f"{n} ({c})" for n, c in [
    ("Ifremer", "France"), ("IRD", "France"), ("CNRS", "France"), ("SHOM", "France"),
    ("BODC", "UK"), ("BSH", "Germany"), ("IEO", "Spain"), ("HCMR", "Greece"), ("NOAA", "USA"),
    ("CSIRO", "Australia"), ("JAMSTEC", "Japan"), ("IMR", "Norway"), ("OGS", "Italy"),
    ("Météo-France", "France"), ("Mercator Ocean", "France"), ("INCOIS", "India")]]
REGIONS = ["North Atlantic", "Mediterranean Sea", "Bay of Biscay", "Southern Ocean",
           "Pacific", "Indian Ocean", "Arctic", "Coral Sea", "Gulf of Lion", "Fiji basin"]


def generate(n: int, seed: int = 1) -> list[DatasetEntry]:
    """``n`` varied catalog entries (reproducible)."""
    rng = random.Random(seed)
    entries = []
    for i in range(n):
        source, ftype, platform, stem = rng.choice(KINDS)
        region, inst = rng.choice(REGIONS), rng.choice(INSTITUTIONS)
        chosen = rng.sample(VARIABLES, rng.randint(1, 4))
        pid = str(1900000 + rng.randrange(7000000))
        meta = {"title": f"{stem} {pid} — {region}", "featureType": ftype,
                "platform_type": platform, "institution": inst, "platform_id": pid,
                "summary": f"{stem} data in the {region}, {', '.join(v[1] for v in chosen)}.",
                "variables": [{"name": v[0], "long_name": v[1], "standard_name": v[2],
                               "eov": v[3]} for v in chosen]}
        if source == "odv":
            meta["sdn_parameter_urn"] = [f"SDN:P01::{v[4]}" for v in chosen if v[4]]
            meta["data_centre"] = rng.choice(["SeaDataNet", "SISMER", "BODC"])
        if rng.random() < 0.95:
            meta["bbox"] = _box(rng, ftype)
        if rng.random() < 0.95:
            start = rng.randint(1990, 2024)
            meta["time_coverage"] = [f"{start}-{rng.randint(1, 12):02d}-01",
                                     f"{min(start + rng.randint(0, 6), 2025)}-12-31"]
        entries.append(DatasetEntry.from_metadata(f"ds{i:06d}", source, {}, meta))
    return entries


def _box(rng: random.Random, ftype: str) -> list[float]:
    if ftype == "grid":
        west = rng.choice([-180.0, 0.0, 150.0, rng.uniform(-180, 170)])
        span = rng.choice([360.0, 60.0, 90.0])
        south = rng.uniform(-80, 40)
        return [west, south, west + span if west >= 0 and span < 360 else west + span,
                min(south + rng.uniform(10, 50), 90)]
    lon, lat = rng.uniform(-180, 180), rng.uniform(-75, 80)
    size = 0.0 if ftype == "timeSeries" else rng.uniform(0.5, 15)
    east = lon + size
    return [lon, lat, east - 360 if east > 180 else east, min(lat + size / 2, 89.9)]


class LinearPeer:
    """The same search as a plain-Python loop (haystacks folded and times parsed once)."""

    def __init__(self, entries: list[DatasetEntry]) -> None:
        self.rows = []
        for e in entries:
            times = None
            if e.time_coverage:
                times = TimeRange.from_strings(*e.time_coverage).epoch_bounds()
            self.rows.append((e, set(words(searchable_text(e))), times,
                              {f: facet_values(e, f) for f in FACETS}))

    def _box_hit(self, box: BBox, bbox) -> bool:
        if not bbox:
            return False
        from portal.catalog.search import _lon_parts

        w, s, e, n = bbox
        if s > box.north or n < box.south:
            return False
        return any(pw <= part.east and pe >= part.west
                   for part in box.split() for pw, pe in _lon_parts(w, e))

    def search(self, text: str, box: BBox, time_range: TimeRange, chosen: dict) -> tuple:
        wanted = words(fold(text))
        lo, hi = time_range.epoch_bounds()
        base = []
        for entry, vocab, times, facets in self.rows:
            if not all(any(v.startswith(w) for v in vocab) for w in wanted):
                continue
            if not self._box_hit(box, entry.bbox):
                continue
            if times is None or (hi is not None and times[0] > hi) or (
                    lo is not None and times[1] < lo):
                continue
            base.append(facets)
        counts = {}
        for name in FACETS:
            counter: Counter[str] = Counter()
            for facets in base:
                if all(facets[k] & v for k, v in chosen.items() if k != name):
                    counter.update(facets[name])
            counts[name] = dict(counter)
        hits = [f for f in base if all(f[k] & v for k, v in chosen.items())]
        return len(hits), counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    entries = generate(args.n)
    start = time.perf_counter()
    index = SearchIndex(entries)
    build = time.perf_counter() - start
    peer = LinearPeer(entries)
    queries = [
        ("text+bbox+time+facet", "temperature argo", BBox(-60, 20, 0, 60),
         TimeRange.parse("2010/2020"), {"institution": {"Ifremer (France)"}}),
        ("antimeridian box + 2 facets", "sea", BBox(150, -40, -150, 10),
         TimeRange.parse("2000-01-01/"), {"feature_type": {"profile", "timeSeries"},
                                          "eov": {"Oxygen"}}),
        ("ranked phrase, no filter", "sea surface temperature", BBox(-180, -90, 180, 90),
         TimeRange.parse("/2030"), {}),
        ("short prefix, wide box", "s", BBox(-180, -90, 180, 90), TimeRange.parse("/2025"),
         {"source": {"erddap"}}),
    ]
    print(f"catalog: {len(entries)} generated entries; index built in {build * 1e3:.0f} ms, "
          f"{len(index.vocabulary)} words, ~{index.nbytes / 2**20:.1f} MiB")
    worst = 0.0
    for label, text, box, trange, chosen in queries:
        request = SearchRequest.of(text, box, trange, chosen)
        ours, result = timed(lambda r=request: index.search(r), args.repeat)
        theirs, (count, counts) = timed(
            lambda t=text, b=box, r=trange, c=chosen: peer.search(t, b, r, c), args.repeat)
        assert count == len(result.entries), (label, count, len(result.entries))
        assert counts == {k: dict(v) for k, v in result.facets.items()}, label
        worst = max(worst, ours)
        print(f"{label:30s} {len(result.entries):5d} hits  index {ours * 1e3:7.2f} ms  "
              f"peer linear scan {theirs * 1e3:8.2f} ms  ({theirs / ours:5.1f}x)")
    verdict = "meets" if worst <= 0.1 else "MISSES"
    print(f"slowest indexed search {worst * 1e3:.2f} ms: {verdict} the 100 ms target")


if __name__ == "__main__":
    main()
