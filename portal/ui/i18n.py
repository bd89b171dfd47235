"""User-interface strings in English and French.

Panel and Bokeh have no translation framework, so the page looks its strings up
here by key. The language comes from ``?lang=`` or, failing that, the browser's
``Accept-Language`` header; :func:`negotiate` picks it.
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
