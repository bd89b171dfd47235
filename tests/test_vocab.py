"""portal.vocab: one table per vocabulary, and the modules that use them agree with it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import xarray as xr

from portal import vocab
from portal.pointstore.schema import canonical_parameter, flag_class_table
from portal.processing import cf, qc


def test_every_scheme_has_presets_and_meanings():
    for preset, by_scheme in vocab.QC_PRESET_FLAGS.items():
        assert set(by_scheme) == set(vocab.FLAG_SCHEMES), preset
        for scheme, kept in by_scheme.items():
            assert kept is None or kept <= set(vocab.FLAG_SCHEMES[scheme]), (preset, scheme)
    for scheme, _ in vocab.ODV_FLAG_SCHEMES.values():
        assert scheme in vocab.FLAG_SCHEMES


def test_flag_attributes_and_meanings():
    values, meanings = vocab.flag_attributes("qartod")
    assert values == [1, 2, 3, 4, 9]
    assert meanings == "pass not_evaluated suspect fail missing"
    values, meanings = vocab.flag_attributes("seadatanet")
    assert len(values) == len(meanings.split()) == 12
    assert meanings.split()[-1] == "below_quantification_Q"
    assert vocab.flag_meaning(vocab.NO_FLAG, "argo") == "no flag"
    assert vocab.flag_meaning(8, "argo") == "estimated"
    assert vocab.flag_meaning(8, "unknown scheme") == "other"  # generic scale has no 8
    assert qc.flag_label(3, "qartod") == "3: suspect"


def test_odv_translations_land_on_the_generic_scale():
    generic = set(vocab.FLAG_SCHEMES["generic"])
    for name, (scheme, translation) in vocab.ODV_FLAG_SCHEMES.items():
        if translation is not None:
            assert scheme == "generic", name
            assert set(translation.values()) <= generic, name


def test_qc_scheme_recognises_qartod_and_an_explicit_attribute():
    ds = xr.Dataset({
        "o2_qc": ("obs", np.array([1, 3], "int8"),
                  {"flag_meanings": "PASS NOT_EVALUATED SUSPECT FAIL MISSING".lower()}),
        "t_qc": ("obs", np.array([1, 2], "int8"), {"qc_scheme": "argo"}),
        "s_qc": ("obs", np.array([1, 2], "int8"), {"flag_meanings": "good probably_good"}),
    })
    assert qc.qc_scheme(ds, "o2_qc") == "qartod"
    assert qc.qc_scheme(ds, "t_qc") == "argo"
    assert qc.qc_scheme(ds, "s_qc") == "generic"
    assert qc.accepted_flags("good_probably", "qartod") == {1, 2}
    assert qc.accepted_flags("good", "no such scheme") == {1}


def test_p01_codes_give_standard_names_and_store_parameters():
    assert vocab.p01_standard_name("SDN:P01::PSLTZZ01") == "sea_water_practical_salinity"
    assert vocab.p01_standard_name("temppr01") == "sea_water_temperature"
    assert vocab.p01_standard_name("XXXXXX01") == ""
    for code, standard_name in vocab.P01_STANDARD_NAMES.items():
        expected = {"sea_water_temperature": "TEMP",
                    "sea_water_practical_salinity": "PSAL"}.get(standard_name)
        assert canonical_parameter(code) == expected, code
    assert canonical_parameter("PSALTZZ01") is None  # the old misspelling is no code


def test_qc_suffixes_are_the_ones_cf_tries():
    ds = xr.Dataset({"TEMP": ("obs", [1.0]), "TEMP_WODflag": ("obs", np.array([0], "int8")),
                     "PSAL": ("obs", [35.0]), "PSAL_SEADATANET_QC": ("obs", [49])})
    assert cf.qc_name_for(ds, "TEMP") == "TEMP_WODflag"
    assert cf.qc_name_for(ds, "PSAL") == "PSAL_SEADATANET_QC"
    for suffix in vocab.QC_SUFFIXES:
        assert not cf.is_data_variable(xr.Dataset({f"X{suffix}": ("obs", [1.0, 2.0])}),
                                       f"X{suffix}"), suffix


def test_eov_groups():
    assert vocab.eov_for("sea_water_temperature") == "Subsurface temperature"
    assert vocab.eov_for("sea_water_temperature", surface=True) == "Sea surface temperature"
    assert vocab.eov_for("air_temperature", "TEMP") == ""  # the standard name decides
    assert vocab.eov_for("", "CPHL") == "Phytoplankton biomass and diversity"
    assert vocab.eov_for("", "x", "dissolved nitrate") == "Nutrients"


def test_point_store_classes_follow_the_presets():
    classes = flag_class_table()
    assert classes[vocab.NO_FLAG & 0xFF] == 4  # unflagged
    good = vocab.QC_PRESET_FLAGS["good"]["argo"]
    probably = vocab.QC_PRESET_FLAGS["good_probably"]["argo"] - good
    assert {int(f) for f in np.flatnonzero(classes == 0)} == good
    assert {int(f) for f in np.flatnonzero(classes == 1)} == probably


def test_vocab_is_plain_data():
    code = "import sys, portal.vocab; print(sorted({'numpy', 'pandas', 'xarray'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
