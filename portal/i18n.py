"""Interface and plot strings in English and French: one table, one lookup.

Panel and Bokeh have no translation framework, so the page, the plots and the PNG
route look their strings up here by key. The language comes from ``?lang=`` or,
failing that, the browser's ``Accept-Language`` header; :func:`negotiate` picks it.
Plot labels (axes, colour bars, titles) go through :func:`t` too, with
:func:`variable_name` for CF standard names and :func:`count` for figures with their
noun (``1 234 profils``). Light: plain Python, at the bottom of the package so every
layer (quicklooks, render, ui) may import it.
"""

from __future__ import annotations

LANGUAGES = ("en", "fr")

STRINGS: dict[str, dict[str, str]] = {
    "portal_title": {"en": "ODATIS quicklook portal", "fr": "Portail d'aperçus ODATIS"},
    "tagline": {"en": "See ocean data before you download it",
                "fr": "Voir les données océaniques avant de les télécharger"},
    "lock_y": {"en": "Lock y axis", "fr": "Bloquer l'axe y"},
    "time_from": {"en": "Time range (UTC, ISO dates): from", "fr": "Période (UTC, dates ISO) : du"},
    "time_to": {"en": "to", "fr": "au"},
    "last_30_days": {"en": "Last 30 days", "fr": "30 derniers jours"},
    "whole_record": {"en": "Whole record", "fr": "Toute la série"},
    "outside_record": {"en": "Outside the record ({start} → {end})",
                       "fr": "Hors de la série ({start} → {end})"},
    "time_step": {"en": "Time step", "fr": "Pas de temps"},
    "depth_level": {"en": "Depth level", "fr": "Niveau de profondeur"},
    "global_datasets": {"en": "Global datasets (not framed on the map):",
                        "fr": "Jeux de données mondiaux (non encadrés sur la carte) :"},
    "search": {"en": "Search datasets", "fr": "Rechercher des jeux de données"},
    "search_box": {"en": "Area (W,S,E,N)", "fr": "Zone (O,S,E,N)"},
    "draw_search_box": {"en": "Draw a search area", "fr": "Tracer une zone de recherche"},
    "filters": {"en": "Filters (type, platform, variable…)",
                "fr": "Filtres (type, plateforme, variable…)"},
    "search_placeholder": {"en": "title, variable, platform, institution…",
                           "fr": "titre, variable, plateforme, institution…"},
    "feature_type": {"en": "Data type", "fr": "Type de données"},
    "platform": {"en": "Platform", "fr": "Plateforme"},
    "eov": {"en": "Ocean variable (EOV)", "fr": "Variable océanique (EOV)"},
    "institution": {"en": "Institution", "fr": "Institution"},
    "standard_name": {"en": "CF standard name", "fr": "Nom standard CF"},
    "p01": {"en": "SeaDataNet parameter (P01)", "fr": "Paramètre SeaDataNet (P01)"},
    "source": {"en": "Source kind", "fr": "Type de source"},
    "datasets_found": {"en": "{n} datasets", "fr": "{n} jeux de données"},
    "more_results": {"en": "… and {n} more: refine the search",
                     "fr": "… et {n} autres : affinez la recherche"},
    "no_dataset": {"en": "Choose a dataset in the list to see its data, or click its box "
                         "on the map.",
                   "fr": "Choisissez un jeu de données dans la liste pour voir ses données, "
                         "ou cliquez sur sa zone dans la carte."},
    "summary": {"en": "Summary", "fr": "Résumé"},
    "about": {"en": "About this dataset", "fr": "À propos de ce jeu de données"},
    "license": {"en": "Licence", "fr": "Licence"},
    "doi": {"en": "DOI", "fr": "DOI"},
    "citation": {"en": "How to cite", "fr": "Comment citer"},
    "cite_text": {"en": "Citation as text", "fr": "Citation en texte"},
    "time_coverage": {"en": "Time coverage", "fr": "Couverture temporelle"},
    "vertical_coverage": {"en": "Vertical coverage", "fr": "Couverture verticale"},
    "extent": {"en": "Extent", "fr": "Emprise"},
    "variable": {"en": "Variable", "fr": "Variable"},
    "quicklook": {"en": "Quicklook", "fr": "Aperçu"},
    "map": {"en": "Map", "fr": "Carte"},
    "profile": {"en": "Profile", "fr": "Profil"},
    "timeseries": {"en": "Time series", "fr": "Série temporelle"},
    "time_range": {"en": "Time range", "fr": "Période"},
    "depth_range": {"en": "Depth / pressure range", "fr": "Profondeur / pression"},
    "qc": {"en": "Quality control", "fr": "Contrôle qualité"},
    "qc_auto": {"en": "Default (good and probably good where flagged)",
                "fr": "Par défaut (bonnes et probablement bonnes si drapeaux)"},
    "qc_good": {"en": "Good only", "fr": "Bonnes seulement"},
    "qc_good_probably": {"en": "Good and probably good", "fr": "Bonnes et probablement bonnes"},
    "qc_all": {"en": "All data", "fr": "Toutes les données"},
    "colormap": {"en": "Colormap", "fr": "Palette"},
    "color_by": {"en": "Colour by", "fr": "Couleur selon"},
    "color_auto": {"en": "Automatic", "fr": "Automatique"},
    "color_value": {"en": "Value", "fr": "Valeur"},
    "color_time": {"en": "Time", "fr": "Temps"},
    "color_qc": {"en": "QC flag", "fr": "Drapeau qualité"},
    "color_feature": {"en": "Cycle / profile", "fr": "Cycle / profil"},
    "copy_link": {"en": "Copy link", "fr": "Copier le lien"},
    "link_copied": {"en": "Link copied", "fr": "Lien copié"},
    "embed_code": {"en": "Embed", "fr": "Intégrer"},
    "download_png": {"en": "PNG", "fr": "PNG"},
    "reset": {"en": "Reset", "fr": "Réinitialiser"},
    "error": {"en": "Cannot draw this quicklook", "fr": "Impossible de tracer cet aperçu"},
    "no_data": {"en": "No data in this selection", "fr": "Aucune donnée dans cette sélection"},
    "unexpected_error": {"en": "Unexpected error while preparing this view; it has been logged.",
                         "fr": "Erreur inattendue lors de la préparation de cette vue ; "
                               "elle a été journalisée."},
    "view_reset": {"en": "The selection in this link could not be used; the whole dataset "
                         "is shown", "fr": "La sélection de ce lien est inutilisable ; le jeu "
                                           "de données entier est affiché"},
    "page_failed": {"en": "This page could not be shown", "fr": "Impossible d'afficher cette page"},
    "loading": {"en": "Loading…", "fr": "Chargement…"},
    "language": {"en": "Language", "fr": "Langue"},
    "disconnected": {"en": "Connection to the server lost: this page no longer updates.",
                     "fr": "Connexion au serveur perdue : cette page ne se met plus à jour."},
    "reload": {"en": "Reload", "fr": "Recharger"},
    "controls": {"en": "Controls", "fr": "Réglages"},
    "metadata_only": {"en": "This dataset holds metadata only: nothing to draw.",
                      "fr": "Ce jeu de données ne contient que des métadonnées : rien à tracer."},
    "all": {"en": "all", "fr": "tous"},
    "from": {"en": "from", "fr": "du"},
    "to": {"en": "to", "fr": "au"},
    "sign_in": {"en": "Sign in", "fr": "Se connecter"},
    "sign_out": {"en": "Sign out", "fr": "Se déconnecter"},
    "api_tokens": {"en": "API tokens", "fr": "Jetons d'API"},
    "sign_in_needed": {"en": "This dataset does not exist, or you must sign in to see it.",
                       "fr": "Ce jeu de données n'existe pas, ou il faut vous connecter "
                             "pour le voir."},
    "coloc_title": {"en": "Compare with observations", "fr": "Comparer aux observations"},
    "coloc_with": {"en": "In-situ dataset overlapping this grid",
                   "fr": "Jeu de données in situ recouvrant cette grille"},
    "coloc_title_grid": {"en": "Compare with a grid", "fr": "Comparer à une grille"},
    "coloc_with_grid": {"en": "Gridded dataset (model, satellite) overlapping these observations",
                        "fr": "Jeu de données maillé (modèle, satellite) recouvrant ces "
                              "observations"},
    "coloc_nearest": {"en": "Nearest", "fr": "Plus proche"},
    "coloc_linear": {"en": "Linear", "fr": "Linéaire"},
    "coloc_pairs": {"en": "observed and gridded values",
                    "fr": "valeurs observées et de la grille"},
    "add_to_view": {"en": "Add to view", "fr": "Ajouter à la vue"},
    "remove_from_view": {"en": "Remove {title} from the view", "fr": "Retirer {title} de la vue"},
    "combined_view": {"en": "Combined view: {n} datasets",
                      "fr": "Vue combinée : {n} jeux de données"},
    "combined_hint": {"en": "Add another dataset with “Add to view” in the list.",
                      "fr": "Ajoutez un autre jeu de données avec « Ajouter à la vue »."},
    "clear_view": {"en": "Clear the view", "fr": "Vider la vue"},
    "layer_citations": {"en": "How to cite these datasets",
                        "fr": "Comment citer ces jeux de données"},
    "ts": {"en": "T-S diagram", "fr": "Diagramme T-S"},
    "section": {"en": "Section", "fr": "Section"},
    "timedepth": {"en": "Time–depth", "fr": "Temps–profondeur"},
    "linked": {"en": "Linked views", "fr": "Vues liées"},
    "color_depth": {"en": "Depth / pressure", "fr": "Profondeur / pression"},
    # ---- plot labels (axes, colour bars, legends, titles)
    "plot_time": {"en": "Time (UTC)", "fr": "Date (UTC)"},
    "plot_depth": {"en": "Depth", "fr": "Profondeur"},
    "plot_pressure": {"en": "Pressure", "fr": "Pression"},
    "plot_longitude": {"en": "Longitude", "fr": "Longitude"},
    "plot_latitude": {"en": "Latitude", "fr": "Latitude"},
    "plot_cycle": {"en": "Cycle / profile", "fr": "Cycle / profil"},
    "plot_distance": {"en": "Distance along the track [km]",
                      "fr": "Distance le long de la trajectoire [km]"},
    "plot_positions": {"en": "Positions", "fr": "Positions"},
    "plot_sa": {"en": "Absolute salinity Sᴀ [g/kg]", "fr": "Salinité absolue Sᴀ [g/kg]"},
    "plot_ct": {"en": "Conservative temperature Θ [°C]",
                "fr": "Température conservative Θ [°C]"},
    "plot_qc_worst": {"en": "QC flag (worst of T and S)",
                      "fr": "Drapeau qualité (le pire de T et S)"},
    "plot_feature": {"en": "Feature (cycle/profile)", "fr": "Entité (cycle/profil)"},
    "plot_qc_flag": {"en": "QC flag", "fr": "Drapeau qualité"},
    "plot_qc_good": {"en": "QC good only", "fr": "QC : bonnes seulement"},
    "plot_qc_all": {"en": "all data (no QC filter)", "fr": "toutes les données (sans filtre QC)"},
    "plot_store_count": {"en": "{variable} observations per cell (log10)",
                         "fr": "Observations de {variable} par maille (log10)"},
    "plot_store_mean": {"en": "Mean {variable}", "fr": "Moyenne de {variable}"},
    "plot_store_qc": {"en": "QC mix", "fr": "Répartition QC"},
    "plot_store_note": {"en": "{n} {variable} observations in view, {qc}, from the {source}",
                        "fr": "{n} observations de {variable} visibles, {qc}, depuis : {source}"},
    "plot_store_depth_rounded": {"en": "; APPROXIMATE: depth filter rounded to bands {lo}–{hi}",
                                 "fr": " ; APPROXIMATIF : filtre de profondeur arrondi aux "
                                       "tranches {lo}–{hi}"},
    "plot_store_groups": {"en": "; {read} of {total} row groups read",
                          "fr": " ; {read} groupes de lignes lus sur {total}"},
    "plot_store_preview": {"en": "; PREVIEW, exact pixels loading…",
                           "fr": " ; APERÇU, pixels exacts en chargement…"},
    "plot_qc_good_probably": {"en": "QC good and probably good",
                              "fr": "QC : bonnes et probablement bonnes"},
    "plot_land": {"en": "land", "fr": "terre"},
    "plot_section": {"en": "time–depth section, {n}", "fr": "section temps–profondeur, {n}"},
    "plot_levels": {"en": "{n} at {levels} depth levels (one line each; narrow the depth range "
                          "to pick levels)",
                    "fr": "{n} à {levels} niveaux de profondeur (une ligne chacun ; réduisez la "
                          "plage de profondeur pour choisir)"},
    "plot_in_source": {"en": "{n} in source, {drawn} drawn",
                       "fr": "{n} dans la source, {drawn} tracées"},
    "plot_in_view": {"en": " of {n} in view", "fr": " sur {n} visibles"},
    # ---- titles of the newer kinds (the dataset's title comes first)
    "title_ts": {"en": "{title} — T-S diagram (TEOS-10), {n}, σ₀ contours [kg/m³]",
                 "fr": "{title} — diagramme T-S (TEOS-10), {n}, isopycnes σ₀ [kg/m³]"},
    "title_first_rows": {"en": " (first rows of the selection)",
                         "fr": " (premières lignes de la sélection)"},
    "title_section": {"en": "{title} — section of {variable}, {n}, {extent}",
                      "fr": "{title} — section de {variable}, {n}, {extent}"},
    "title_time_on_x": {"en": "time on x", "fr": "temps en abscisse"},
    "title_timedepth": {"en": "{title} — time–depth of {variable}, {how}, {levels} levels",
                        "fr": "{title} — temps–profondeur de {variable}, {how}, {levels} niveaux"},
    "title_linked": {"en": "{title} — linked views, {n}", "fr": "{title} — vues liées, {n}"},
    "title_subsample": {"en": " (even subsample)", "fr": " (sous-échantillon régulier)"},
    "linked_where": {"en": "Positions (box: area)", "fr": "Positions (cadre : zone)"},
    "linked_when": {"en": "Time–depth (box: time span)",
                    "fr": "Temps–profondeur (cadre : période)"},
    "linked_ts": {"en": "T-S (TEOS-10; click: a profile)",
                  "fr": "T-S (TEOS-10 ; clic : un profil)"},
    "linked_profiles": {"en": "Profiles of {variable} (click: a profile)",
                        "fr": "Profils de {variable} (clic : un profil)"},
    "title_coloc": {"en": "{obs} ({obs_var}) vs {grid} ({grid_var}) — N={n}, bias={bias}, "
                          "RMSE={rmse} ({method})",
                    "fr": "{obs} ({obs_var}) comparé à {grid} ({grid_var}) — N={n}, "
                          "biais={bias}, REQM={rmse} ({method})"},
    "coloc_observed": {"en": "Observed {variable}{units}", "fr": "Observé : {variable}{units}"},
    "coloc_gridded": {"en": "Gridded {variable} ({method}){units}",
                      "fr": "Grille : {variable} ({method}){units}"},
    "coloc_difference": {"en": "Observed − gridded{units}", "fr": "Observé − grille{units}"},
    "coloc_diff_title": {"en": "Difference at the observations{units}",
                         "fr": "Écart aux observations{units}"},
    "coloc_scatter_title": {"en": "Observed vs gridded (1:1 dashed)",
                            "fr": "Observé contre grille (1:1 en tirets)"},
    "title_one_in": {"en": ", 1 point in {step} drawn", "fr": ", 1 point sur {step} tracé"},
    "title_overlay": {"en": "{drawn} of {n} datasets — {what}",
                      "fr": "{drawn} jeux de données sur {n} — {what}"},
    "title_overlay_unit": {"en": " in {unit}", "fr": " en {unit}"},
    "overlay_map": {"en": "map", "fr": "carte"},
    "overlay_profile": {"en": "profiles", "fr": "profils"},
    "overlay_timeseries": {"en": "time series", "fr": "séries temporelles"},
    # ---- downloads (the size hint beside the links, and the refusals)
    "download_size": {"en": "≈ {n}, ~{nbytes}", "fr": "≈ {n}, ~{nbytes}"},
    "download_too_large": {"en": "the selection holds about {n}, over the download limit of "
                                 "{cap} — narrow the time range or the box (bbox), or pick one "
                                 "depth",
                           "fr": "la sélection compte environ {n}, au-delà de la limite de "
                                 "téléchargement ({cap}) — réduisez la période ou la zone "
                                 "(bbox), ou choisissez une profondeur"},
    "download_no_data": {"en": "no data in this selection — widen the time/depth range or "
                               "the box",
                         "fr": "aucune donnée dans cette sélection — élargissez la période, "
                               "la profondeur ou la zone"},
    "download_refused": {"en": "download refused", "fr": "téléchargement refusé"},
}

#: nouns with their singular and plural forms, for :func:`count`
NOUNS: dict[str, dict[str, tuple[str, str]]] = {
    "profile": {"en": ("profile", "profiles"), "fr": ("profil", "profils")},
    "sample": {"en": ("sample", "samples"), "fr": ("mesure", "mesures")},
    "position": {"en": ("position", "positions"), "fr": ("position", "positions")},
    "point": {"en": ("point", "points"), "fr": ("point", "points")},
    "cell": {"en": ("valid cell", "valid cells"), "fr": ("maille valide", "mailles valides")},
    "rows": {"en": ("row", "rows"), "fr": ("ligne", "lignes")},
    "cells": {"en": ("cell", "cells"), "fr": ("maille", "mailles")},
    "time_bin": {"en": ("time bin", "time bins"), "fr": ("intervalle de temps",
                                                         "intervalles de temps")},
}

#: byte units of file sizes (the French use octets)
BYTE_UNITS: dict[str, tuple[str, ...]] = {"en": ("B", "kB", "MB", "GB"),
                                          "fr": ("o", "ko", "Mo", "Go")}

#: French names of common CF standard names (English keeps the file's long name)
VARIABLE_NAMES_FR: dict[str, str] = {
    "sea_water_temperature": "Température de l'eau de mer",
    "sea_water_potential_temperature": "Température potentielle",
    "sea_water_conservative_temperature": "Température conservative",
    "sea_surface_temperature": "Température de surface de la mer",
    "sea_surface_foundation_temperature": "Température de surface de la mer",
    "sea_water_salinity": "Salinité",
    "sea_water_practical_salinity": "Salinité pratique",
    "sea_water_absolute_salinity": "Salinité absolue",
    "sea_water_pressure": "Pression",
    "depth": "Profondeur",
    "sea_water_density": "Masse volumique",
    "sea_water_sigma_theta": "Anomalie de densité (sigma-thêta)",
    "sea_water_electrical_conductivity": "Conductivité",
    "moles_of_oxygen_per_unit_mass_in_sea_water": "Oxygène dissous",
    "mole_concentration_of_dissolved_molecular_oxygen_in_sea_water": "Oxygène dissous",
    "mass_concentration_of_chlorophyll_a_in_sea_water": "Chlorophylle a",
    "sea_surface_height_above_mean_sea_level": "Hauteur de la mer au-dessus du niveau moyen",
    "sea_surface_height_above_geoid": "Hauteur de la mer au-dessus du géoïde",
    "sea_surface_wave_significant_height": "Hauteur significative des vagues",
    "sea_water_speed": "Vitesse du courant",
    "wind_speed": "Vitesse du vent",
    "sea_water_turbidity": "Turbidité",
}


def t(key: str, lang: str = "en", **fields) -> str:
    """The string ``key`` in ``lang`` (English if missing), formatted with ``fields``."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["en"]
    return text.format(**fields) if fields else text


def negotiate(query_lang: str | None, accept_language: str | None) -> str:
    """Language from ``?lang=`` first, else the best of the Accept-Language header."""
    if query_lang in LANGUAGES:
        return query_lang
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        pieces = part.strip().split(";")
        code = pieces[0].strip().lower()[:2]
        q = 1.0
        for piece in pieces[1:]:
            if piece.strip().startswith("q="):
                try:
                    q = float(piece.strip()[2:])
                except ValueError:
                    q = 0.0
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return best


def count(n: int, noun: str, lang: str = "en") -> str:
    """``n`` with its noun in ``lang``: "1,234 profiles", "1 234 profils", "1 profile"."""
    forms = NOUNS[noun].get(lang) or NOUNS[noun]["en"]
    return f"{number(n, lang)} {forms[0] if n == 1 else forms[1]}"


def number(n: int, lang: str = "en") -> str:
    """An integer with thousands separators: "1,234" (en), "1 234" (fr, narrow no-break space)."""
    text = f"{n:,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def file_size(nbytes: float, lang: str = "en") -> str:
    """A size in decimal units: "820 B", "1.2 MB", "35 kB" (en); "1,2 Mo" (fr)."""
    units = BYTE_UNITS.get(lang, BYTE_UNITS["en"])
    size, unit = float(nbytes), units[0]
    for unit in units:
        if size < 1000 or unit == units[-1]:
            break
        size /= 1000
    text = f"{size:.0f}" if size >= 10 or unit == units[0] else f"{size:.1f}"
    return f"{text.replace('.', ',') if lang == 'fr' else text} {unit}"


def variable_name(standard_name: str, lang: str = "en") -> str:
    """The name of a CF standard name in ``lang``; '' when the table has none (the
    caller keeps the file's long name)."""
    return VARIABLE_NAMES_FR.get((standard_name or "").strip(), "") if lang == "fr" else ""
