"""Pure functions of xarray objects: decoding, CF discovery, normalisation, QC, subsetting.

Nothing here opens files or draws: sources hand over a raw ``xarray.Dataset``,
processing turns it into the portal's canonical form (see ``normalize``).
"""
