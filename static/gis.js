// The dataset tile layer of gis.html (see its comment); window.portalTiles is the layer.
(function () {
  "use strict";
  const params = new URLSearchParams(window.location.search);
  const dataset = params.get("dataset") || "";
  const pass = new URLSearchParams();
  for (const key of ["var", "qc", "color", "cmap", "time", "depth"]) {
    if (params.get(key)) pass.set(key, params.get(key));
  }
  const number = (key, fallback) => {
    const value = parseFloat(params.get(key));
    return Number.isFinite(value) ? value : fallback;
  };
  const map = L.map("map", { worldCopyJump: true }).setView(
    [number("lat", 20), number("lon", 0)], number("zoom", 2));
  map.createPane("land").style.zIndex = 150;  // under the tiles (the tile pane is at 200)
  fetch("land_110m.geojson").then((r) => r.json()).then((land) => {
    L.geoJSON(land, { style: { color: "#777", weight: 0.6, fillColor: "#f4f1ea", fillOpacity: 1 },
                      pane: "land", interactive: false }).addTo(map);
  });
  const query = pass.toString() ? "?" + pass.toString() : "";
  const url = "../tiles/" + encodeURIComponent(dataset) + "/{z}/{x}/{y}.png" + query;
  window.portalTiles = L.tileLayer(url, {
    tileSize: 256, maxZoom: 18, crossOrigin: true,  // x wraps: every request in range
    attribution: "ODATIS portal",
  }).addTo(map);
  window.portalMap = map;
})();
